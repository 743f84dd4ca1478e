"""The predecessor's modules, utilities and control-flow forms as rc-nn provides them,
proven in RETURNN (construction, forward values against numpy, training where a loss
exists). docs/compat-items.md lists the items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_nn.asr.specaugment import specaugment_v2
from rc_nn.encoder.base import ISeqDownsamplingEncoder, ISeqFramewiseEncoder
from rc_nn.hybrid_hmm import HybridHMM

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
B = nn.batch_dim
Array = numpy.ndarray


class Root(nn.Module):
    """A root module without parameters."""

    def forward(self) -> None:  # pragma: no cover - never called
        raise NotImplementedError


def _mask(lengths: Array, max_time: int) -> Array:
    return numpy.arange(max_time)[None, :] < lengths[:, None]


def _btf(feat: int = 3) -> tuple[nn.Dim, nn.Dim, nn.Tensor]:
    time, f = nn.SpatialDim("time"), nn.FeatureDim("feat", feat)
    return time, f, nn.get_extern_data(nn.Data("data", dim_tags=[B, time, f]))


def test_stft_values(roundtrip: RoundTripFn) -> None:
    samples = nn.SpatialDim("samples")
    x = nn.get_extern_data(nn.Data("data", dim_tags=[B, samples]))
    x.mark_as_output("inp")
    y, (_frames,) = nn.stft(x, frame_shift=2, frame_size=4, fft_size=4, in_spatial_dims=[samples])
    nn.abs_(y).mark_as_default_output()
    result = roundtrip(Root())
    signal, spec = result.output("inp"), result.output()
    n_frames = (signal.shape[1] - 4) // 2 + 1
    assert spec.shape == (signal.shape[0], n_frames, 3)
    window = 0.5 - 0.5 * numpy.cos(2 * numpy.pi * numpy.arange(4) / 4)  # periodic Hann
    for i in range(n_frames):
        expected = numpy.abs(numpy.fft.rfft(signal[:, 2 * i : 2 * i + 4] * window, n=4))
        numpy.testing.assert_allclose(spec[:, i], expected, rtol=1e-4, atol=1e-5)


def test_weight_norm_values(roundtrip: RoundTripFn) -> None:
    _time, feat, x = _btf()
    out_dim = nn.FeatureDim("out", 2)
    model = nn.Linear(feat, out_dim)
    v0 = numpy.arange(6, dtype="float32").reshape(3, 2) - 2.5
    model.weight.initial = v0
    wn = nn.weight_norm(model)  # norm per output unit (over in_dim)
    g0 = numpy.array([0.5, 2.0], "float32")
    wn.g.initial = g0
    assert [n for n, _ in model.named_parameters()] == [
        "bias",
        "weight_normalized.g",
        "weight_normalized.v",
    ]
    x.mark_as_output("inp")
    model(x).mark_as_default_output()
    result = roundtrip(model)
    assert {
        "weight_normalized/g/param",
        "weight_normalized/v/param",
    } <= result.report.variable_names
    weight = v0 * g0 / numpy.sqrt((v0**2).sum(0) + 1e-6)
    numpy.testing.assert_allclose(
        result.output(), result.output("inp") @ weight, rtol=1e-5, atol=1e-5
    )


class _WeightNormed(nn.Module):
    """A weight-normed Linear (random Glorot ``v``), per output unit or over all of ``v``."""

    def __init__(self, feat: nn.Dim, out_dim: nn.Dim, *, per_unit: bool) -> None:
        super().__init__()
        self.lin = nn.Linear(feat, out_dim)
        self.lin.bias.initial = numpy.array([0.25, -0.5], "float32")
        assert isinstance(self.lin.weight.initial, nn.init.VarianceScaling)
        if per_unit:
            self.wn = nn.weight_norm(self.lin)
        else:
            self.wn = nn.weight_norm(self.lin, dim=None)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        out: nn.Tensor = self.lin(x)
        return out


@pytest.mark.parametrize("per_unit", [True, False], ids=["per_unit", "dim_none"])
def test_weight_norm_random_init_g_is_norm_of_v(roundtrip: RoundTripFn, per_unit: bool) -> None:
    """As the predecessor: with a random initializer, ``g`` starts at ``||v||`` of ``v``'s
    random initial value (RETURNN ``init_by_layer``), so the weight-normed Linear starts
    as the plain Linear with weight ``v``."""
    _time, feat, x = _btf()
    out_dim = nn.FeatureDim("out", 2)
    model = _WeightNormed(feat, out_dim, per_unit=per_unit)
    assert [n for n, _ in model.named_parameters()] == [
        "lin.bias",
        "lin.weight_normalized.g",
        "lin.weight_normalized.v",
    ]
    assert model.wn.g.dims == ((out_dim,) if per_unit else ())
    x.mark_as_output("inp")
    nn.copy(model.wn.g).mark_as_output("g")
    nn.copy(model.wn.v).mark_as_output("v")
    model(x).mark_as_default_output()
    result = roundtrip(model)
    assert "init_by_layer" in result.code
    v, g = result.output("v"), result.output("g")
    assert v.shape == (3, 2) and float(numpy.abs(v).min()) > 0  # random, not constant
    assert float(numpy.abs(v).max()) <= numpy.sqrt(6 / (3 + 2))  # Glorot uniform's limit
    norm = numpy.sqrt((v.astype("float64") ** 2).sum(axis=0 if per_unit else None) + 1e-6)
    assert g.shape == norm.shape
    assert float(numpy.abs(g - 1).max()) > 1e-2  # not the old g = 1
    numpy.testing.assert_allclose(g, norm, rtol=1e-6, atol=1e-6)
    plain = result.output("inp") @ v + numpy.array([0.25, -0.5], "float32")  # un-normed Linear
    numpy.testing.assert_allclose(result.output(), plain, rtol=1e-5, atol=1e-5)


def test_weight_norm_random_init_names_unchanged(roundtrip: RoundTripFn) -> None:
    """The TF variables are still ``.../weight_normalized/{g,v}/param``; a checkpoint's
    values replace the initial ones (g is not recomputed from a loaded v)."""
    _time, feat, x = _btf()
    model = _WeightNormed(feat, nn.FeatureDim("out", 2), per_unit=True)
    model(x).mark_as_default_output()
    result = roundtrip(model)
    assert result.report.variable_names == {
        "lin/bias/param",
        "lin/weight_normalized/g/param",
        "lin/weight_normalized/v/param",
    }


class _Noisy(nn.Module):
    def __init__(self, feat: nn.Dim, out_dim: nn.Dim) -> None:
        super().__init__()
        self.drop = nn.weight_dropout(nn.Linear(feat, out_dim), "weight", 0.5)
        self.noise = nn.variational_weight_noise(nn.Linear(feat, out_dim), "weight", 0.1)
        self.drop.weight_raw.initial = numpy.ones([3, 2], "float32")
        self.noise.weight_raw.initial = numpy.full([3, 2], 2.0, "float32")

    def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.Tensor]:
        return self.drop(x), self.noise(x)


def _noisy_model() -> tuple[nn.Module, nn.Tensor]:
    time, feat, x = _btf()
    model = _Noisy(feat, nn.FeatureDim("out", 2))
    a, b = model(x)
    x.mark_as_output("inp")
    a.mark_as_output("drop")
    b.mark_as_output("noise")
    loss = nn.reduce_sum(nn.square(a + b), axis=[time, a.feature_dim])
    loss.mark_as_loss("l2")
    return model, x


def test_weight_dropout_and_noise_are_identity_in_eval(roundtrip: RoundTripFn) -> None:
    model, _ = _noisy_model()
    assert [n for n, _ in model.named_parameters()] == [
        "drop.bias",
        "drop.weight_raw",
        "noise.bias",
        "noise.weight_raw",
    ]
    result = roundtrip(model)  # forward pass without the train flag
    inp = result.output("inp")
    numpy.testing.assert_allclose(
        result.output("drop"), inp @ numpy.ones([3, 2]), rtol=1e-5, atol=1e-5
    )
    numpy.testing.assert_allclose(
        result.output("noise"), inp @ numpy.full([3, 2], 2.0), rtol=1e-5, atol=1e-5
    )


def test_weight_dropout_and_noise_act_in_training(roundtrip: RoundTripFn) -> None:
    model, _ = _noisy_model()
    result = roundtrip(model, train_steps=2)  # forward with the train flag: dropped, noisy
    inp = result.output("inp")
    assert not numpy.allclose(result.output("noise"), inp @ numpy.full([3, 2], 2.0), atol=1e-4)
    assert len(result.report.losses) == 2


def test_random_module(roundtrip: RoundTripFn) -> None:
    feat = nn.FeatureDim("feat", 50)
    rnd = nn.Random()
    rnd.uniform([B, feat], minval=-2.0, maxval=-1.0).mark_as_output("uniform")
    rnd.uniform([feat], "int32", minval=3, maxval=5).mark_as_output("uniform_int")
    rnd.normal([feat], stddev=0.01).mark_as_output("normal")
    rnd.truncated_normal([feat], stddev=1.0).mark_as_output("truncated")
    rnd.bernoulli([feat], p=0.5).mark_as_output("bernoulli")
    bound = nn.dim_value(nn.FeatureDim("four", 4))  # a scalar tensor bound
    nn.random_uniform([B, feat], "int32", minval=1, maxval=bound).mark_as_output("fn_int")
    time, _, x = _btf()
    nn.reduce_sum(x, axis=[time]).mark_as_default_output()
    result = roundtrip(Root())
    uniform = result.output("uniform")
    assert ((uniform >= -2.0) & (uniform < -1.0)).all() and uniform.std() > 0
    assert set(numpy.unique(result.output("uniform_int"))) <= {3, 4}
    assert numpy.abs(result.output("normal")).max() < 0.1
    assert numpy.abs(result.output("truncated")).max() <= 2.0
    assert set(numpy.unique(result.output("bernoulli"))) <= {0.0, 1.0}
    assert set(numpy.unique(result.output("fn_int"))) <= {1, 2, 3}


def test_call_post_hook_and_predecessor_call_style(roundtrip: RoundTripFn) -> None:
    _time, feat, x = _btf()

    class Block(nn.Module):  # predecessor style: __call__, no forward
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, feat)

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return x + self.lin(x)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = Block()

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return self.block(x)

    model = Model()
    model.block.lin.weight.initial = numpy.eye(3, dtype="float32")
    seen: list[str] = []
    handle = nn.register_call_post_hook(
        model.block, lambda mod, args, out: seen.append(type(mod).__name__) or out * 3.0
    )
    out = model(x)
    handle.remove()
    assert seen == ["Block"]
    x.mark_as_output("inp")
    out.mark_as_default_output()
    result = roundtrip(model)
    assert result.report.variable_names == {"block/lin/weight/param", "block/lin/bias/param"}
    numpy.testing.assert_allclose(result.output(), 3.0 * 2.0 * result.output("inp"), rtol=1e-5)


def test_sequential_of_named_modules(roundtrip: RoundTripFn) -> None:
    _time, feat, x = _btf()
    hidden = nn.FeatureDim("hidden", 4)
    seq = nn.Sequential(
        {"proj": nn.Linear(feat, hidden), "act": nn.relu, "out": nn.Linear(hidden, feat)}
    )
    collected: dict[str, nn.Tensor] = {}
    y = seq(x, collected_outputs=collected)
    assert list(collected) == ["proj", "act", "out"] and collected["out"] is y
    y.mark_as_default_output()
    result = roundtrip(seq)
    assert result.report.variable_names == {
        "proj/weight/param",
        "proj/bias/param",
        "out/weight/param",
        "out/bias/param",
    }


def test_loop_max_seq_len_tensor_and_layer_state(roundtrip: RoundTripFn) -> None:
    time, feat, x = _btf()
    loop = nn.Loop(max_seq_len=nn.dim_value(time) * 2)
    loop.state.s = nn.LayerState(i=nn.zeros([B], dtype="int32"))
    with loop:
        assert isinstance(loop.state.s, nn.LayerState)
        i = loop.state.s.i + 1
        loop.state.s = nn.LayerState(i=i)
        loop.end(i >= nn.length(time), include_eos=True)
        counts = loop.stack(i)
    assert isinstance(loop.state.s, nn.LayerState)
    nn.length(time).mark_as_output("len")
    counts.mark_as_default_output()
    # a cumulative sum over time with a LayerState
    loop2 = nn.Loop(axis=time)
    loop2.state.acc = nn.LayerState(total=nn.zeros([B, feat]))
    with loop2:
        total = loop2.state.acc.total + loop2.unstack(x)
        loop2.state.acc = nn.LayerState(total=total)
        loop2.stack(total).mark_as_output("cumsum")
    x.mark_as_output("inp")
    result = roundtrip(Root())
    lengths, out = result.output("len"), result.output()  # [T', B]
    for b, n in enumerate(lengths):
        numpy.testing.assert_array_equal(out[:n, b], numpy.arange(1, n + 1))
    inp = result.output("inp")
    cumsum = result.output("cumsum")  # [T, B, F]
    for b, n in enumerate(lengths):
        numpy.testing.assert_allclose(
            cumsum[:n, b], numpy.cumsum(inp[b, :n], 0), rtol=1e-5, atol=1e-5
        )


def test_cond_result_inside_the_block(roundtrip: RoundTripFn) -> None:
    _time, _feat, x = _btf()
    with nn.Cond(nn.train_flag()) as cond:
        cond.true = x * 3.0
        cond.false = x * 2.0
        y = cond.result + 1.0  # readable right after cond.false, as in the predecessor
    x.mark_as_output("inp")
    y.mark_as_default_output()
    result = roundtrip(Root())
    numpy.testing.assert_allclose(result.output(), 2.0 * result.output("inp") + 1.0, rtol=1e-6)


def _specaugment_model() -> nn.Module:
    time, feat, x = _btf(feat=10)
    lin = nn.Linear(feat, feat)
    y = specaugment_v2(lin(x), spatial_dim=time, max_consecutive_spatial_dims=2)
    y2 = specaugment_v2(y, spatial_dim=time, global_train_step_dependent=False)
    lin(x).mark_as_output("plain")
    y2.mark_as_default_output()
    nn.reduce_sum(nn.square(y2), axis=[time, feat]).mark_as_loss("l2")
    return lin


def test_specaugment_is_identity_in_eval(roundtrip: RoundTripFn) -> None:
    result = roundtrip(_specaugment_model())
    numpy.testing.assert_allclose(result.output(), result.output("plain"), rtol=1e-6)


def test_specaugment_masks_in_training(roundtrip: RoundTripFn) -> None:
    result = roundtrip(_specaugment_model(), train_steps=2)
    out, plain = result.output(), result.output("plain")
    masked = (out == 0.0) & (plain != 0.0)
    assert masked.any()  # global_train_step_dependent=False: at least 2 + 2 masks
    numpy.testing.assert_allclose(out[~masked], plain[~masked], rtol=1e-6)


def _rna_neg_log_prob(lp: Array, labels: Array, t_len: int, u_len: int, blank: int) -> float:
    alpha = numpy.full([u_len + 1], -numpy.inf)
    alpha[0] = 0.0
    for t in range(t_len):
        new = alpha + lp[t, : u_len + 1, blank]
        new[1:] = numpy.logaddexp(new[1:], alpha[:-1] + lp[t, numpy.arange(u_len), labels[:u_len]])
        alpha = new
    return float(-alpha[u_len])


def test_transducer_full_sum_loss_against_numpy(roundtrip: RoundTripFn) -> None:
    time, feat, x = _btf()
    vocab = nn.FeatureDim("vocab", 4)
    labels_time = nn.SpatialDim("labels-time")
    labels = nn.get_extern_data(nn.Data("classes", dims=[B, labels_time], sparse_dim=vocab))
    vocab_blank = nn.FeatureDim("vocab+blank", 5)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Linear(feat, vocab_blank)
            self.dec = nn.Embedding(vocab, vocab_blank)

    model = Model()
    prev, prev_dim = nn.prev_target_seq(
        labels, spatial_dim=labels_time, bos_idx=0, out_one_longer=True
    )
    lp = nn.log_softmax(model.enc(x) + model.dec(prev), axis=vocab_blank)
    lp_dims = lp.dims
    loss = nn.transducer_time_sync_full_sum_neg_log_prob(
        lp,
        labels=labels,
        input_spatial_dim=time,
        labels_spatial_dim=labels_time,
        prev_labels_spatial_dim=prev_dim,
        blank_index=-1,
    )
    assert loss.dims == (B,)
    lp.mark_as_output("lp")
    labels.mark_as_output("labels")
    nn.length(time).mark_as_output("len")
    nn.length(labels_time).mark_as_output("labels_len")
    loss.mark_as_default_output()
    result = roundtrip(model)
    order = [lp_dims.index(d) for d in (B, time, prev_dim, vocab_blank)]
    lp_np = result.output("lp").transpose(order).astype("float64")
    ours = result.output()
    checked = 0
    for b in range(ours.shape[0]):
        t_len, u_len = int(result.output("len")[b]), int(result.output("labels_len")[b])
        expected = _rna_neg_log_prob(lp_np[b], result.output("labels")[b], t_len, u_len, 4)
        if numpy.isfinite(expected):
            numpy.testing.assert_allclose(ours[b], expected, rtol=1e-4)
            checked += 1
        else:  # more labels than frames: no alignment
            assert ours[b] > 1e29
    assert checked


class _FramewiseEncoder(ISeqFramewiseEncoder):
    def __init__(self, in_dim: nn.Dim, out_dim: nn.Dim) -> None:
        super().__init__()
        self.out_dim = out_dim
        self.lin = nn.Linear(in_dim, out_dim)

    def __call__(self, source: nn.Tensor, *, spatial_dim: nn.Dim) -> nn.Tensor:  # predecessor style
        return nn.tanh(self.lin(source))


class _Downsampling(ISeqDownsamplingEncoder):
    downsample_factor = 2

    def __init__(self, in_dim: nn.Dim, out_dim: nn.Dim) -> None:
        super().__init__()
        self.out_dim = out_dim
        self.lin = nn.Linear(in_dim, out_dim)

    def forward(self, source: nn.Tensor, *, in_spatial_dim: nn.Dim) -> tuple[nn.Tensor, nn.Dim]:  # type: ignore[override]
        y, out_dim = nn.pool1d(
            self.lin(source), mode="max", pool_size=2, padding="same", in_spatial_dim=in_spatial_dim
        )
        return y, out_dim


def test_hybrid_hmm_trains_with_both_encoder_kinds(roundtrip: RoundTripFn) -> None:
    time, feat, x = _btf()
    states = nn.FeatureDim("states", 6)
    targets = nn.get_extern_data(nn.Data("classes", dims=[B, time], sparse_dim=states))
    model = HybridHMM(feat, states, encoder=_FramewiseEncoder(feat, nn.FeatureDim("hidden", 4)))
    log_probs, state = model(x, train=True, targets=targets)
    assert state is None and set(log_probs.dims) == {B, time, states}
    log_probs.mark_as_default_output()
    result = roundtrip(model, train_steps=2)
    assert result.report.variable_names == {
        "encoder/lin/weight/param",
        "encoder/lin/bias/param",
        "out_projection/weight/param",
        "out_projection/bias/param",
    }
    probs = numpy.exp(result.output()).sum(-1)
    numpy.testing.assert_allclose(probs, numpy.ones_like(probs), rtol=1e-5)
    down = HybridHMM(feat, states, encoder=_Downsampling(feat, nn.FeatureDim("hidden2", 4)))
    out, _ = down(x, spatial_dim=time)
    assert time not in out.dims and states in out.dims
