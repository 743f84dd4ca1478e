"""The predecessor's (returnn_common ``nn``) API as rc-nn provides it: one test per item
of docs/compat-items.md, from the predecessor's documented behaviour. TF-free: layer
dicts, templates and errors (values are proven in RETURNN by rc-serialize's
tests/compat/)."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import numpy
import pytest
from returnn.util.basic import NotSpecified as ReturnnNotSpecified

import rc_nn as nn
import rc_nn.conformer
import rc_nn.encoder.blstm
from rc_nn.asr import specaugment
from rc_nn.encoder import base as encoder_base
from rc_nn.hybrid_hmm import EncoderType, HybridHMM, IHybridHMM

B = nn.batch_dim


def _btf(feat: int = 4) -> tuple[nn.Dim, nn.Dim, nn.Tensor]:
    time, f = nn.SpatialDim("time"), nn.FeatureDim("feat", feat)
    return time, f, nn.get_extern_data(nn.Data("data", dim_tags=[B, time, f]))


def test_data_has_returnns_time_axis() -> None:
    time, f, x = _btf()
    assert x.data.time_dim_axis == 1 and x.data.dims[x.data.time_dim_axis] is time
    assert x.feature_dim is f
    s = nn.SpatialDim("s", 4)  # a static spatial dim is no feature dim
    y = nn.get_extern_data(nn.Data("other", dim_tags=[B, time, s]))
    assert y.feature_dim is None and y.data.time_dim_axis == 1
    v = nn.FeatureDim("v", 3)
    z = nn.get_extern_data(nn.Data("classes", dims=[time, B], sparse_dim=v))
    assert z.data.time_dim_axis == 0 and z.feature_dim is None


def test_not_specified_is_returnns() -> None:
    assert nn.NotSpecified is ReturnnNotSpecified


def test_copy_and_like() -> None:
    _, _, x = _btf()
    y = nn.copy(x)
    assert y is not x and y.dims == x.dims and y.layer_dict == {"class": "copy", "from": x}
    ints = nn.zeros([B], dtype="int32")
    assert nn.ones_like(ints).dtype == "int32" and nn.ones_like(ints).layer_dict["value"] == 1
    assert nn.zeros_like(x).dims == x.dims
    with pytest.raises(nn.NotATensorError):
        nn.copy(1.0)  # type: ignore[arg-type]


def test_safe_log() -> None:
    _, _, x = _btf()
    y = nn.safe_log(x, eps=1e-5)
    assert y.layer_dict is not None
    assert y.layer_dict["activation"] == "safe_log"
    assert y.layer_dict["opts"] == {"eps": 1e-5, "use_fake_grad": True}
    with pytest.raises(nn.DimMismatchError, match="float"):
        nn.safe_log(nn.zeros([B], dtype="int32"))


def test_combine_bc_compare_bc_and_broadcast_flag() -> None:
    a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    xa, xb = nn.zeros([a]), nn.zeros([b])
    y = nn.combine_bc(xa, "+", xb)
    assert y.dims == (a, b) and y.layer_dict is not None
    assert y.layer_dict["allow_broadcast_all_sources"] is True
    assert nn.compare_bc(xa, "<", xb).dtype == "bool"
    with pytest.raises(nn.DimMismatchError, match="allow_broadcast_all_sources=False"):
        nn.combine(xa, xb, kind="add", allow_broadcast_all_sources=False)
    # the predecessor allowed a scalar first (an eval layer)
    z = nn.combine(1.5, xa, kind="sub")
    assert z.layer_dict is not None and z.layer_dict["eval"] == "1.5 - source(0)"
    # compare with a scalar first swaps the kind
    c = nn.compare(0.5, xa, kind="<")
    assert c.layer_dict is not None and c.layer_dict["kind"] == "greater"
    with pytest.raises(TypeError, match="allow_broadcast_all_sources"):
        nn.combine(xa, xb, kind="add", allow_broadcast_all_sources="yes")  # type: ignore[arg-type]


def test_set_sparse_dim() -> None:
    v = nn.FeatureDim("vocab", 7)
    y = nn.set_sparse_dim(nn.zeros([B], dtype="int32"), v)
    assert y.sparse_dim is v and y.layer_dict is not None
    assert y.layer_dict["set_sparse_dim"] is v
    with pytest.raises(nn.DimMismatchError, match="not an int tensor"):
        nn.set_sparse_dim(nn.zeros([B]), v)


def test_train_flag_and_global_train_step() -> None:
    assert (nn.train_flag().dims, nn.train_flag().dtype) == ((), "bool")
    assert (nn.global_train_step().dims, nn.global_train_step().dtype) == ((), "int64")


def test_reduce_out() -> None:
    time, _f, x = _btf(6)
    y = nn.reduce_out(x, mode="max", num_pieces=3)
    assert y.dims[:2] == (B, time) and y.dims[2].dimension == 2 and y.feature_dim is y.dims[2]
    with pytest.raises(nn.DimMismatchError, match="divisible"):
        nn.reduce_out(x, mode="max", num_pieces=4)
    with pytest.raises(ValueError, match="mode"):
        nn.reduce_out(x, mode="min", num_pieces=2)


def test_repeat() -> None:
    time, f, x = _btf()
    y, t2 = nn.repeat(x, repetitions=3, axis=time)
    assert y.dims == (B, t2, f) and t2 == time * 3
    reps = nn.ones([B, time], dtype="int32")
    y2, t3 = nn.repeat(x, repetitions=reps, axis=time)
    assert y2.dims == (B, t3, f) and t3.dimension is None and t3 is not time
    with pytest.raises(nn.DimMismatchError, match="int tensor"):
        nn.repeat(x, repetitions=nn.ones([B, time]), axis=time)
    with pytest.raises(nn.AxisError, match="batch"):
        nn.repeat(x, repetitions=2, axis=B)


def test_resize() -> None:
    time, f, x = _btf()
    y, t2 = nn.resize(x, factor=2, axis=time, kind="linear")
    assert y.dims == (B, t2, f) and t2 == time * 2
    y2, t3 = nn.resize(x, factor=0.5, axis=time)
    assert t3.dimension is None and y2.dims == (B, t3, f)
    with pytest.raises(ValueError, match="kind"):
        nn.resize(x, factor=2, axis=time, kind="bilinear")
    with pytest.raises(nn.AxisError, match="batch dim"):
        nn.resize(nn.zeros([time, f]), factor=2, axis=time)


def test_range_from_length() -> None:
    time, _, _ = _btf()
    r, dim = nn.range_from_length(nn.length(time))
    assert dim is time and r.dims == (time,)  # RETURNN ranges over the dim of those sizes
    sizes = nn.reduce_max(nn.length(time), axis=B) + nn.zeros([B], dtype="int32")
    r2, dim2 = nn.range_from_length(sizes, sparse=True)
    assert dim2.dimension is None and r2.sparse_dim is dim2
    with pytest.raises(nn.DimMismatchError, match="int32/int64"):
        nn.range_from_length(nn.zeros([B]))


def test_window_and_inverse_window() -> None:
    time, f, x = _btf()
    win = nn.SpatialDim("win", 5)
    y, t2 = nn.window(x, spatial_dim=time, window_dim=win, stride=2)
    z = nn.inverse_window(y, in_spatial_dim=t2, out_spatial_dim=time, window_dim=win, stride=2)
    assert set(z.dims) == {B, time, f}
    with pytest.raises(ValueError, match="combine"):
        nn.inverse_window(y, in_spatial_dim=t2, out_spatial_dim=time, window_dim=win, combine="sum")


def test_stft() -> None:
    samples = nn.SpatialDim("samples")
    x = nn.get_extern_data(nn.Data("audio", dim_tags=[B, samples]))
    y, (frames,) = nn.stft(
        x, frame_shift=160, frame_size=400, fft_size=512, in_spatial_dims=[samples]
    )
    assert y.dtype == "complex64" and y.dims == (B, frames, y.feature_dim)
    assert y.feature_dim is not None and y.feature_dim.dimension == 257
    assert nn.abs_(y).dtype == "float32"
    with pytest.raises(nn.DimMismatchError, match=r"\[batch, time\]"):
        nn.stft(
            nn.zeros([B, samples, nn.FeatureDim("ch", 2)]),
            frame_shift=1,
            frame_size=2,
            in_spatial_dims=[samples],
        )


def test_concat_features() -> None:
    time, _f, x = _btf()
    g = nn.FeatureDim("g", 2)
    y = nn.concat_features(x, nn.zeros([B, time, g]))
    assert y.feature_dim is not None and y.feature_dim.dimension == 6
    with pytest.raises(nn.AxisError, match="no feature dim"):
        nn.concat_features(x, nn.zeros([B, time]))


def test_prev_target_seq() -> None:
    s, v = nn.SpatialDim("labels"), nn.FeatureDim("vocab", 5)
    y = nn.get_extern_data(nn.Data("classes", dims=[B, s], sparse_dim=v))
    longer, dim = nn.prev_target_seq(y, spatial_dim=s, bos_idx=0, out_one_longer=True)
    assert dim is not s and set(longer.dims) == {B, dim} and longer.sparse_dim is v
    same, dim2 = nn.prev_target_seq(y, spatial_dim=s, bos_idx=0, out_one_longer=False)
    assert dim2 is s and set(same.dims) == {B, s}


def test_remaining_dims() -> None:
    time, f, x = _btf()
    assert x.remaining_dims(time) == [B, f]
    assert x.remaining_dims([time, f]) == [B]
    assert x.remaining_dims() == [B, time, f]
    with pytest.raises(nn.AxisError, match="not a dim"):
        x.remaining_dims(nn.SpatialDim("other"))


def test_constant_shape_and_feature_dim() -> None:
    f, v = nn.FeatureDim("f", 3), nn.FeatureDim("v", 4)
    c = nn.constant(value=1, shape=[f], dtype="int32", sparse_dim=v)
    assert c.sparse_dim is v and c.feature_dim is None
    assert nn.constant(1.0, shape=[B, f]).feature_dim is f  # as RETURNN's constant layer
    assert nn.zeros([B, nn.SpatialDim("t")]).feature_dim is None  # dynamic: not a feature
    arr = numpy.arange(3, dtype="float32")
    assert nn.constant(arr, shape=[f]).dtype == "float32"
    with pytest.raises(nn.DimMismatchError, match="array has shape"):
        nn.constant(numpy.zeros([2]), shape=[f])
    with pytest.raises(ValueError, match="not both"):
        nn.constant(1.0, [f], shape=[f])


def test_parameter_shape_keyword() -> None:
    f, g = nn.FeatureDim("f", 3), nn.FeatureDim("g", 2)
    p = nn.Parameter(shape=[f, g], non_critical_for_restore=True)
    assert p.dims == (f, g) and p.variable_layer_options()["non_critical_for_restore"] is True
    assert nn.Parameter([f], None).dtype == "float32"
    with pytest.raises(nn.DimMismatchError, match="sparse_dim is not supported"):
        nn.Parameter(shape=[f], dtype="int32", sparse_dim=g)
    with pytest.raises(TypeError, match="once"):
        nn.Parameter([f], shape=[f])


def test_layer_state() -> None:
    f = nn.FeatureDim("f", 2)
    s = nn.LayerState(h=nn.zeros([f]))
    s.c = nn.ones([f])
    assert set(s) == {"h", "c"} and s.c is s["c"]
    assert nn.LayerState(nn.zeros([f])).state is not None  # a single value: "state"
    assert len(s.deep_tensors()) == 2
    with pytest.raises(AttributeError, match="no entry"):
        _ = s.missing


def test_loop_state_keeps_layer_state() -> None:
    time, f, x = _btf()
    loop = nn.Loop(axis=time)
    loop.state.s = nn.LayerState(h=nn.zeros([B, f]))
    with loop:
        assert type(loop.state.s) is nn.LayerState
        loop.state.s = nn.LayerState(h=loop.state.s.h + loop.unstack(x))
        loop.stack(loop.state.s.h)
    assert type(loop.state.s) is nn.LayerState
    assert loop.state.keys() == ["s"] and len(loop.state) == 1
    assert loop.state["s"].h is loop.state.s.h and loop.state.values()[0].h is loop.state.s.h


def test_loop_max_seq_len_tensor() -> None:
    time, _, _ = _btf()
    limit = nn.dim_value(time) * 2
    loop = nn.Loop(max_seq_len=limit)
    loop.state.i = nn.zeros([B], dtype="int32")
    with loop:
        loop.state.i = loop.state.i + 1
        loop.end(loop.state.i >= 3, include_eos=True)
        loop.stack(loop.state.i)
    assert loop._container is not None and loop._container.layer_dict is not None
    assert loop._container.layer_dict["max_seq_len_via"] is limit
    with pytest.raises(TypeError, match="scalar int"):
        nn.Loop(max_seq_len=nn.length(time))


def test_sequential_of_named_modules() -> None:
    _time, f, x = _btf()
    g = nn.FeatureDim("g", 2)
    seq = nn.Sequential({"proj": nn.Linear(f, g), "act": nn.relu})
    assert [n for n, _ in seq.named_parameters()] == ["proj.weight", "proj.bias"]
    assert isinstance(seq.act, nn.Functional) and seq.keys() == ["proj", "act"]
    outs: dict[str, Any] = {}
    y = seq(x, collected_outputs=outs)
    assert list(outs) == ["proj", "act"] and outs["act"] is y
    assert [n for n, _ in nn.ModuleList(seq)[0:1].named_parameters()] == [
        "proj.weight",
        "proj.bias",
    ]
    pairs = nn.Sequential([("first", nn.Linear(f, g)), ("second", nn.Linear(g, f))])
    assert pairs.keys() == ["first", "second"] and pairs(x).dims == x.dims
    with pytest.raises(ValueError, match="would hide"):
        nn.Sequential({"append": nn.Linear(f, g)})


def test_cond_result_readable_after_false() -> None:
    _, _, x = _btf()
    with nn.Cond(nn.train_flag()) as cond:
        cond.true = x
        cond.false = x * 2.0
        inside = cond.result
    assert inside is cond.result and inside.dims == x.dims
    with nn.Cond(nn.train_flag()) as cond2:
        cond2.true = x
        with pytest.raises(nn.ControlFlowError, match=r"cond\.result is available once"):
            _ = cond2.result
        cond2.false = x


def test_random_functions_take_the_predecessor_forms() -> None:
    f = nn.FeatureDim("f", 3)
    u = nn.random_uniform([B, f], "int32", minval=1, maxval=nn.dim_value(f) + 1)
    assert u.dtype == "int32" and u.layer_dict is not None and u.layer_dict["minval"] == 1
    assert nn.random_normal([f], nn.NotSpecified, mean=0.5).dtype == "float32"
    with pytest.raises(ValueError, match="below maxval"):
        nn.random_uniform([f], minval=1.0, maxval=0.0)
    with pytest.raises(ValueError, match="scalar tensor"):
        nn.random_uniform([f], maxval=nn.zeros([f]))


def test_random_and_random_label() -> None:
    f, v = nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    assert nn.random(shape=[f], distribution="uniform", minval=0.0, maxval=2.0).dims == (f,)
    label = nn.random_label([B, f], v)
    assert label.sparse_dim is v and label.dtype == "int32"
    with pytest.raises(NotImplementedError, match="explicit_state"):
        nn.random(shape=[f], distribution="normal", explicit_state=nn.zeros([f]))


def test_random_module() -> None:
    f = nn.FeatureDim("f", 3)
    rnd = nn.Random()
    u = rnd.uniform([B, f], "int32", minval=0, maxval=5)
    assert u.dtype == "int32" and u.layer_dict is not None and u.layer_dict["maxval"] == 5
    n = rnd.normal([f], mean=nn.constant(1.0, []), stddev=0.5)
    assert n.layer_dict is not None and isinstance(n.layer_dict["mean"], nn.Tensor)
    assert rnd.bernoulli([f], p=0.3).dtype == "float32"
    assert list(rnd.named_parameters()) == []  # RETURNN keeps the random state itself
    with pytest.raises(ValueError, match="distribution"):
        rnd(distribution="gamma", shape=[f])
    with pytest.raises(ValueError, match="scalar"):
        rnd.uniform([f], maxval=nn.zeros([f]))


def test_weight_norm() -> None:
    a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 2)
    lin = nn.Linear(a, b)
    lin.weight.initial = 2.0
    fn = nn.weight_norm(lin)
    assert isinstance(fn, nn.WeightNorm) and fn.g.dims == (b,) and fn.v.dims == (a, b)
    assert fn.g.initial == pytest.approx((4.0 + 1e-6) ** 0.5)  # the predecessor's scalar g
    assert isinstance(lin.weight, nn.Tensor) and not isinstance(lin.weight, nn.Parameter)
    assert [n for n, _ in lin.named_parameters()] == [
        "bias",
        "weight_normalized.g",
        "weight_normalized.v",
    ]
    with pytest.raises(nn.RcNnError, match=r"must be an nn\.Parameter"):
        nn.weight_norm(lin)
    nn.remove_weight_norm(lin)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.initial == 2.0
    whole = nn.weight_norm(nn.Linear(a, b), dim=None)
    assert whole.g.dims == ()


def test_weight_norm_random_init_starts_g_at_norm_of_v() -> None:
    """A random initializer: v and g start from one static random draw (the predecessor's
    scheme), g at its norm; remove_weight_norm restores the initializer."""
    a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 2)
    lin = nn.Linear(a, b)
    glorot = lin.weight.initial
    assert isinstance(glorot, nn.init.VarianceScaling)
    fn = nn.weight_norm(lin)
    draw = fn.v.initial
    assert isinstance(draw, nn.Tensor) and draw.layer_dict is not None
    assert draw.layer_dict["class"] == "random" and draw.layer_dict["static"] is True
    assert draw.layer_dict["distribution"] == "uniform"
    assert draw.layer_dict["maxval"] == pytest.approx((6 / 5) ** 0.5)  # Glorot limit
    assert fn.v.variable_layer_options()["init_by_layer"] is draw
    g0 = fn.g.initial
    assert isinstance(g0, nn.Tensor) and g0.dims == (b,)
    assert fn.g.variable_layer_options()["init_by_layer"] is g0
    assert [n for n, _ in lin.named_parameters()] == [
        "bias",
        "weight_normalized.g",
        "weight_normalized.v",
    ]
    nn.remove_weight_norm(lin)
    assert lin.weight.initial == glorot
    whole = nn.weight_norm(nn.Linear(a, b), dim=None)
    assert isinstance(whole.g.initial, nn.Tensor) and whole.g.initial.dims == ()
    plain = nn.Linear(a, b)
    plain.weight.initial = None
    assert nn.weight_norm(plain).g.initial == 1.0  # no initial value: g = 1, as before


@pytest.mark.parametrize(
    ("init", "dist", "key", "expected"),
    [
        (nn.init.HeNormal(), "truncated_normal", "stddev", (2 / 3) ** 0.5 / 0.87962566103423978),
        (nn.init.VarianceScaling(distribution="untruncated_normal"), "normal", "stddev", 3**-0.5),
        (
            nn.init.VarianceScaling(mode="fan_out", distribution="uniform"),
            "uniform",
            "maxval",
            1.5**0.5,
        ),
    ],
)
def test_variance_scaling_random_layer_options(
    init: nn.init.VarianceScaling, dist: str, key: str, expected: float
) -> None:
    opts = init.random_layer_options((3, 2))  # fan_in 3, fan_out 2 (TF's fans)
    assert opts["distribution"] == dist and opts[key] == pytest.approx(expected)


def test_parameter_tensor_initial_errors() -> None:
    a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 2)
    p = nn.Parameter([a, b])
    p.initial = nn.ones([b, a])  # same dims in another order is fine
    assert p.variable_layer_options()["init_by_layer"] is p.initial
    with pytest.raises(nn.DimMismatchError, match="must be the same dims"):
        p.initial = nn.ones([a])
    with pytest.raises(nn.DimMismatchError, match="dtype int32"):
        p.initial = nn.ones([a, b], dtype="int32")
    other = nn.Parameter([a, b])
    with pytest.raises(nn.RcNnError, match="must not read a parameter"):
        p.initial = other * 2.0
    lin = nn.Linear(a, b)
    nn.weight_norm(lin)
    with pytest.raises(nn.RcNnError, match="cannot copy"):
        copy.deepcopy(lin.weight_normalized.g)


def test_weight_dropout_and_variational_weight_noise() -> None:
    a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 2)
    lin = nn.weight_dropout(nn.Linear(a, b), "weight", 0.2)
    assert isinstance(lin.weight_raw, nn.Parameter)
    assert lin.weight.layer_dict is not None and lin.weight.layer_dict["class"] == "dropout"
    noisy = nn.variational_weight_noise(nn.Linear(a, b), "weight", 0.05)
    assert noisy.weight.parent is not None or noisy.weight.layer_dict is not None
    with pytest.raises(ValueError, match="> 0"):
        nn.variational_weight_noise(nn.Linear(a, b), "weight", 0.0)
    with pytest.raises(nn.RcNnError, match=r"must be an nn\.Parameter"):
        nn.weight_dropout(lin, "weight", 0.1)


def test_register_call_post_hook_module_and_function() -> None:
    a = nn.FeatureDim("a", 2)
    lin = nn.Linear(a, a)
    x = nn.zeros([B, a])
    calls: list[Any] = []
    with nn.register_call_post_hook(lin, lambda mod, args, out: calls.append((mod, args)) or None):
        out = lin(x)
    assert calls == [(lin, (x,))] and out.name_hint == "linear"
    lin(x)
    assert len(calls) == 1  # removed by the with-block

    module = sys.modules[__name__]
    handle = nn.register_call_post_hook(_double, lambda fn, args, out: out + 1)
    assert module._double(2) == 5  # type: ignore[attr-defined]
    handle.remove()
    assert module._double is _double_orig and _double(2) == 4

    class Holder:
        def value(self, x: int) -> int:
            return x

    holder = Holder()
    with nn.register_call_post_hook(holder.value, lambda fn, args, out: out * 10):
        assert holder.value(2) == 20
    assert "value" not in holder.__dict__ and holder.value(2) == 2
    with pytest.raises(TypeError, match=r"expected an nn\.Module"):
        nn.register_call_post_hook(3, lambda *a: None)


def _double(x: int) -> int:
    return 2 * x


_double_orig = _double


def test_predecessor_call_style_modules_get_a_scope() -> None:
    _time, f, x = _btf()

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(f, f)

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return self.lin(x) + x

    class Sub(Block):
        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return super().__call__(x) * 2.0  # a nested call on the same module

    block = Sub()
    seen: list[str] = []
    nn.register_call_post_hook(block, lambda mod, args, out: seen.append("hook") or None)
    y = block(x)
    assert y.dims == x.dims and seen == ["hook"]

    class WithForward(nn.Module):  # __call__ around forward, via super().__call__
        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return x * 2.0

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return super().__call__(x) + 1.0

    z = WithForward()(x)
    assert z.dims == x.dims and z.name_hint == "add"


def test_specaugment_functions() -> None:
    time, f, x = _btf(20)
    y = specaugment.specaugment_v2(x, spatial_dim=time)
    assert y.dims == x.dims
    z = specaugment.random_mask_v2(
        x, mask_axis=f, broadcast_axis=time, min_num=2, max_num=2, max_dims=3
    )
    assert z.dims == x.dims
    with pytest.raises(nn.AxisError, match="feature_dim"):
        specaugment.specaugment_v2(nn.zeros([B, time]), spatial_dim=time)


def test_encoder_interfaces_and_hybrid_hmm() -> None:
    time, f, x = _btf()
    states = nn.FeatureDim("states", 5)

    class Enc(encoder_base.ISeqFramewiseEncoder):
        def __init__(self) -> None:
            super().__init__()
            self.out_dim = nn.FeatureDim("hidden", 3)
            self.lin = nn.Linear(f, self.out_dim)

        def __call__(self, source: nn.Tensor, *, spatial_dim: nn.Dim) -> nn.Tensor:
            return self.lin(source)

    model = HybridHMM(f, states, encoder=Enc())
    assert isinstance(model, IHybridHMM)
    enc: EncoderType = model.encoder
    assert isinstance(enc, encoder_base.ISeqFramewiseEncoder)
    log_probs, state = model(x)
    assert state is None and set(log_probs.dims) == {B, time, states}
    targets = nn.get_extern_data(nn.Data("classes", dims=[B, time], sparse_dim=states))
    model(x, train=True, targets=targets)
    with pytest.raises(NotImplementedError, match="stateful"):
        model(x, state=nn.LayerState())
    with pytest.raises(nn.DimMismatchError, match="targets"):
        model(x, train=True)
    with pytest.raises(TypeError, match="ISeqFramewiseEncoder"):
        HybridHMM(f, states, encoder=nn.Linear(f, states))  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="must implement"):
        encoder_base.IEncoder()(x)


def test_transducer_loss_template_and_errors() -> None:
    time, _f, _ = _btf()
    u, v = nn.SpatialDim("u"), nn.FeatureDim("vocab+blank", 4)
    u1 = 1 + u
    lp = nn.log_softmax(nn.zeros([B, time, u1, v]), axis=v)
    labels = nn.zeros([B, u], dtype="int32")
    loss = nn.transducer_time_sync_full_sum_neg_log_prob(
        lp, labels=labels, input_spatial_dim=time, labels_spatial_dim=u, prev_labels_spatial_dim=u1
    )
    assert loss.dims == (B,) and loss.dtype == "float32"
    with pytest.raises(ValueError, match="out of range"):
        nn.transducer_time_sync_full_sum_neg_log_prob(
            lp,
            labels=labels,
            input_spatial_dim=time,
            labels_spatial_dim=u,
            prev_labels_spatial_dim=u1,
            blank_index=4,
        )


_COMPAT_BUILD = """
import sys
import rc_nn as nn
from rc_nn.asr.specaugment import specaugment_v2
from rc_nn.encoder.base import ISeqFramewiseEncoder
from rc_nn.hybrid_hmm import HybridHMM

class Enc(ISeqFramewiseEncoder):
    def __init__(self, f, h):
        super().__init__()
        self.out_dim = h
        self.lin = nn.Linear(f, h)
        nn.weight_norm(self.lin)
    def __call__(self, source, *, spatial_dim):
        return self.lin(specaugment_v2(source, spatial_dim=spatial_dim))

t, f = nn.SpatialDim("time"), nn.FeatureDim("f", 10)
x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, t, f]))
y, _ = HybridHMM(f, nn.FeatureDim("s", 4), encoder=Enc(f, nn.FeatureDim("h", 3)))(x)
y, _ = nn.repeat(nn.Random().normal([nn.batch_dim, t, f]) + y, repetitions=2, axis=t)
print("TF-MODULES:", sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow"))
"""


def test_compat_submodules_build_without_tensorflow() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _COMPAT_BUILD],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "TF-MODULES: []" in proc.stdout, proc.stdout


def test_data_of_op_outputs_has_returnns_time_axis() -> None:
    time, f, x = _btf()
    y = nn.Linear(f, nn.FeatureDim("out", 2))(x)
    assert y.data.version == 1 and y.data.dims[y.data.time_dim_axis] is time
    assert y.data.feature_dim is y.feature_dim  # the feature dim is the tensor's own
    assert nn.reduce(x, mode="mean", axis=time).data.time_dim_axis is None  # no time left
    out = nn.FeatureDim("lstm", 2)
    z, _ = nn.LSTM(f, out)(x, spatial_dim=time)
    assert z.data.dims[z.data.time_dim_axis] is time
    # The view is a copy: changing it does not change the tensor rc-nn builds with.
    assert y.data is y.data and y.data is not y.template and y.template.version == 2


def test_data_axes_follow_returnns_layer_rules() -> None:
    # The same cases are proved against RETURNN in rc-serialize's tests/ops/test_data_axes.py.
    time, f, x = _btf()
    merged, merged_dim = nn.merge_dims(x, axes=[time, f])
    assert merged.data.time_dim_axis is None  # time merged into the feature dim
    assert merged.data.dims[merged.data.feature_dim_axis] is merged_dim
    assert (merged * 2.0).data.time_dim_axis is None  # carried over to the next layer
    y = nn.dot(x, nn.ones([f]), reduce=f)  # [B, T]: the dot keeps time, no feature axis
    assert y.data.dims[y.data.time_dim_axis] is time and y.data.feature_dim_axis is None
    heads, kv = nn.FeatureDim("heads", 2), nn.SpatialDim("kv")
    q = nn.expand_dim(x, dim=heads)
    k, _ = nn.replace_dim(q, in_dim=time, out_dim=kv)
    att = nn.dot(q, k, reduce=f)  # [B, heads, T, kv]
    # RETURNN's feature axis is its default (the last static dim), not rc-nn's feature dim.
    assert att.data.dims[att.data.feature_dim_axis] is heads and att.feature_dim is kv
    assert att.data.dims[att.data.time_dim_axis] is time


def test_data_view_of_a_long_chain() -> None:
    _, _, x = _btf()
    y = x
    for _ in range(3000):  # deeper than Python's recursion limit
        y = y + 1.0
    assert y.data.dims[y.data.time_dim_axis] is x.dims[1]


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("specaugment_v1", "specaugment_v2"),
        ("specaugment_v1_eval_func", "specaugment_v2"),
        ("random_mask_v1", "random_mask_v2"),
    ],
)
def test_specaugment_v1_is_a_clear_error(name: str, replacement: str) -> None:
    """The predecessor's v1 SpecAugment (TF code in an eval layer) is not provided: a
    clear UnsupportedPredecessorFeatureError (also NotImplementedError) naming v2."""
    _time, _f, x = _btf()
    func = getattr(specaugment, name)
    assert name in specaugment.__all__
    with pytest.raises(nn.UnsupportedPredecessorFeatureError) as info:
        if name == "specaugment_v1_eval_func":
            func(source=x)
        else:
            func(x, max_num=3)
    assert isinstance(info.value, NotImplementedError) and isinstance(info.value, nn.RcNnError)
    message = str(info.value)
    assert f"rc_nn.asr.specaugment.{replacement}" in message
    assert f"{__file__.rsplit('/', 1)[-1]}:" in message  # the caller's file:line


def test_predecessor_submodule_paths() -> None:
    """``returnn_common.nn.conformer`` / ``nn.encoder.blstm`` import paths, and the
    predecessor's submodules as attributes of ``nn`` (imported on first access)."""
    assert rc_nn.conformer.ConformerEncoder is nn.ConformerEncoder
    assert rc_nn.conformer.ConformerEncoderLayer is nn.ConformerEncoderLayer
    assert rc_nn.conformer.ConformerConvSubsample is nn.ConformerConvSubsample
    assert rc_nn.encoder.blstm.BlstmEncoder is nn.BlstmEncoder
    assert nn.hybrid_hmm.IHybridHMM is IHybridHMM
    assert nn.encoder.base is encoder_base
    assert nn.asr.specaugment is specaugment
    assert nn.ConformerEncoderLayer.use_dropout_after_self_att in (True, False)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = nn.not_a_name
