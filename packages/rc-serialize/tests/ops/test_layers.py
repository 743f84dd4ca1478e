"""Round trips of the parametrized layers (conv, pool, norm, LSTM) through RETURNN.

Each test builds a tiny root module, serializes it, constructs and trains it in
RETURNN's TF backend (the ``roundtrip`` fixture asserts template agreement for
every layer and N4 variable names), and compares numbers with numpy where cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._returnn_check import _construct, _load_config, _random_feed

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]


# ---------------------------------------------------------------------------
# LayerNorm


def test_layer_norm_one_layer_and_numbers(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 4)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    norm = nn.LayerNorm(feat)
    norm.scale.initial = numpy.array([1.0, 2.0, 0.5, -1.0], dtype="float32")
    norm.bias.initial = numpy.array([0.0, 0.1, 0.2, 0.3], dtype="float32")
    y = norm(x)
    y.mark_as_default_output()
    nn.reduce_sum(nn.reduce_sum(y * y, axis=feat), axis=time).mark_as_loss("l")
    result = roundtrip(norm, train_steps=2)
    assert result.report.variable_names == {"scale/param", "bias/param"}
    layers = result.serialized.network
    # One layer_norm on our two variables (reuse_params), plus the loss layers.
    norm_layers = [v for v in layers.values() if v["class"] == "layer_norm"]
    assert len(norm_layers) == 1
    assert set(norm_layers[0]["reuse_params"]["map"]) == {"scale", "bias"}
    assert "norm" not in {v["class"] for v in layers.values()}
    out = result.output()  # [B, T, F]
    assert out.shape[-1] == 4
    # Undo scale and bias: what is left must be normalized over the feature dim.
    scale = numpy.array([1.0, 2.0, 0.5, -1.0])
    bias = numpy.array([0.0, 0.1, 0.2, 0.3])
    normed = (out - bias) / scale
    numpy.testing.assert_allclose(normed.mean(axis=-1), 0.0, atol=1e-4)
    numpy.testing.assert_allclose(normed.var(axis=-1), 1.0, atol=1e-3)


# ---------------------------------------------------------------------------
# Conv


def test_conv1d_same_stride2_numbers(roundtrip: RoundTripFn) -> None:
    time, feat, out_dim = nn.SpatialDim("time"), nn.FeatureDim("in", 2), nn.FeatureDim("out", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    conv = nn.Conv1d(feat, out_dim, 3, strides=2)
    rng = numpy.random.RandomState(0)
    filt = rng.normal(size=(3, 2, 3)).astype("float32")
    bias = numpy.array([0.5, -0.5, 1.0], dtype="float32")
    conv.filter.initial = filt
    conv.bias.initial = bias
    y, out_time = conv(x, in_spatial_dim=time)
    assert out_time.description == "⌈time/2⌉"
    y.mark_as_default_output()
    nn.reduce_sum(nn.reduce_sum(y, axis=out_dim), axis=out_time).mark_as_loss("l")
    result = roundtrip(conv, train_steps=2)
    assert result.report.variable_names == {"filter/param", "bias/param"}
    assert result.report.variable_shapes["filter/param"] == (3, 2, 3)
    assert result.output().shape[0] == 3 and result.output().shape[-1] == 3


def test_conv1d_known_input_valid_and_no_bias(roundtrip: RoundTripFn) -> None:
    """A constant input makes the expected output computable with numpy."""
    time, feat, out_dim = nn.SpatialDim("t", 6), nn.FeatureDim("in", 2), nn.FeatureDim("out", 2)
    marker = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    values = numpy.arange(12, dtype="float32").reshape(6, 2) / 10.0
    source = nn.Parameter([time, feat], initial=values, trainable=False)
    filt = numpy.array(
        [[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, -1.0]]],
        dtype="float32",
    )

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.source = source
            self.conv = nn.Conv1d(feat, out_dim, 3, padding="valid", with_bias=False)
            self.conv.filter.initial = filt

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.Dim]:
            return self.conv(self.source + x * 0.0, in_spatial_dim=time)

    net = Net()
    y, out_time = net(marker)
    assert out_time.dimension == 4
    y.mark_as_default_output()
    result = roundtrip(net)
    assert "conv/bias/param" not in result.report.variable_names
    expected = numpy.stack(
        [sum(values[t + k] @ filt[k] for k in range(3)) for t in range(4)]
    )  # [T', out]
    numpy.testing.assert_allclose(result.output()[0], expected, rtol=1e-5)


def test_conv2d_valid_strided_and_conv3d(roundtrip: RoundTripFn) -> None:
    time, freq = nn.SpatialDim("time"), nn.SpatialDim("freq", 5)
    ch, hid, out_dim = nn.FeatureDim("ch", 1), nn.FeatureDim("hid", 2), nn.FeatureDim("out", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, freq, ch]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(ch, hid, (3, 2), padding="valid", strides=(1, 2))
            self.conv3 = nn.Conv3d(hid, out_dim, (1, 2, 2), dilation_rate=(1, 1, 1))

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, list[nn.Dim]]:
            y, (t2, f2) = self.conv(x, in_spatial_dims=[time, freq])
            heads = nn.SpatialDim("one", 1)
            y = nn.expand_dim(y, dim=heads)
            return self.conv3(y, in_spatial_dims=[heads, t2, f2])

    net = Net()
    y, dims = net(x)
    assert dims[2].dimension == 2  # freq 5 -> valid 4 -> stride 2 -> 2 -> same 2
    y.mark_as_default_output()
    nn.reduce_sum(y, axis=[*dims, out_dim]).mark_as_loss("l")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_shapes["conv/filter/param"] == (3, 2, 1, 2)
    assert result.report.variable_shapes["conv3/filter/param"] == (1, 2, 2, 2, 2)


def test_transposed_conv1d_numbers(roundtrip: RoundTripFn) -> None:
    time, feat, out_dim = nn.SpatialDim("t", 3), nn.FeatureDim("in", 1), nn.FeatureDim("out", 1)
    marker = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    values = numpy.array([[1.0], [2.0], [3.0]], dtype="float32")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.source = nn.Parameter([time, feat], initial=values, trainable=False)
            self.up = nn.TransposedConv1d(feat, out_dim, 2, padding="valid")
            self.up.filter.initial = numpy.array([[[1.0]], [[10.0]]], dtype="float32")
            self.up.bias.initial = numpy.array([0.5], dtype="float32")

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.Dim]:
            return self.up(self.source + x * 0.0, in_spatial_dim=time)

    net = Net()
    y, up_time = net(marker)
    assert up_time.dimension == 6
    y.mark_as_default_output()
    nn.reduce_sum(y, axis=[up_time, out_dim]).mark_as_loss("l")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_shapes["up/filter/param"] == (2, 1, 1)
    # stride 2, filter [1, 10]: each input frame v becomes [v, 10 v]
    numpy.testing.assert_allclose(
        result.output()[0, :, 0], [1.5, 10.5, 2.5, 20.5, 3.5, 30.5], rtol=1e-6
    )


# ---------------------------------------------------------------------------
# Pool


def test_pool1d_and_pool2d(roundtrip: RoundTripFn) -> None:
    time, freq, feat = nn.SpatialDim("time"), nn.SpatialDim("freq", 4), nn.FeatureDim("in", 2)
    hid = nn.FeatureDim("hid", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, freq, feat]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, hid)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            h = self.lin(x)
            y, (t2, f2) = nn.pool2d(h, mode="max", pool_size=(2, 2), in_spatial_dims=[time, freq])
            z, t3 = nn.pool1d(y, mode="avg", pool_size=2, padding="same", in_spatial_dim=t2)
            return nn.reduce_sum(z, axis=[t3, f2])

    net = Net()
    out = net(x)
    out.mark_as_default_output()
    nn.reduce_sum(out, axis=hid).mark_as_loss("l")
    roundtrip(net, train_steps=2)


def test_pool1d_numbers(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("t", 5), nn.FeatureDim("f", 1)
    marker = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    values = numpy.array([[1.0], [5.0], [2.0], [-1.0], [4.0]], dtype="float32")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.source = nn.Parameter([time, feat], initial=values, trainable=False)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            y, t2 = nn.pool1d(self.source + x, mode="max", pool_size=2, in_spatial_dim=time)
            assert t2.dimension == 2
            return y

    net = Net()
    net(marker * 0.0).mark_as_default_output()
    result = roundtrip(net)
    numpy.testing.assert_allclose(result.output()[0, :, 0], [5.0, 2.0])


# ---------------------------------------------------------------------------
# BatchNorm


def test_batch_norm_own_param_names_and_running_stats(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn = nn.BatchNorm(feat, momentum=0.5)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.bn(x * 3.0 + 2.0)

    net = Net()
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(nn.reduce_sum(y * y, axis=feat), axis=time).mark_as_loss("l")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_names == {
        "bn/running_mean/param",
        "bn/running_variance/param",
        "bn/gamma/param",
        "bn/beta/param",
    }
    assert result.report.restore_ok


def test_batch_norm_no_affine_no_mask(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    bn = nn.BatchNorm(feat, affine=False, use_mask=False)
    bn(x).mark_as_default_output()
    result = roundtrip(bn)
    assert result.report.variable_names == {"running_mean/param", "running_variance/param"}
    # not training: the running statistics (initial 0 and 1) are used
    out = result.output()
    assert out.shape[-1] == 2


def test_batch_norm_updates_our_running_stats(returnn_tf: Any, tmp_path: Any) -> None:
    """RETURNN's update ops (run with the train step via UPDATE_OPS) write into our variables."""
    feat = nn.FeatureDim("feat", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    bn = nn.BatchNorm(feat, momentum=0.5, use_mask=False)
    bn(x * 2.0 + 3.0).mark_as_default_output()
    mean, var, fed, _, names = _batch_norm_train_stats(returnn_tf, tmp_path, bn, batch=50)
    assert names == {
        "running_mean/param",
        "running_variance/param",
        "gamma/param",
        "beta/param",
    }
    data = fed * 2.0 + 3.0
    # momentum 0.5 from the initial 0 / 1; TF's fused batch norm keeps the unbiased variance
    numpy.testing.assert_allclose(mean, 0.5 * data.mean(axis=0), rtol=1e-4)
    numpy.testing.assert_allclose(var, 0.5 + 0.5 * data.var(axis=0, ddof=1), rtol=1e-4)


def _batch_norm_train_stats(
    returnn_tf: Any, tmp_path: Any, root: nn.Module, *, batch: int = 4, max_time: int = 5
) -> Any:
    """Run ``root``'s config once in training; the running stats (momentum 1: the batch's
    statistics), the fed input, its sequence lengths and the TF variable names."""
    tf = returnn_tf
    path = tmp_path / "config.py"
    path.write_text(get_returnn_config_serialized(root), encoding="utf-8")
    built = _construct(_load_config(path), train=True, search=False, seed=1)
    network = built.network
    with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
        network.initialize_params(session)
        feed = _random_feed(
            network, rng=numpy.random.RandomState(0), batch=batch, max_time=max_time
        )
        out = network.get_default_output_layer().output.placeholder
        session.run([out, *network.get_post_control_dependencies()], feed_dict=feed)
        variables = {v.name[:-2]: v for v in tf.compat.v1.global_variables()}
        mean = session.run(variables["running_mean/param"])
        var = session.run(variables["running_variance/param"])
        data = network.extern_data.data["data"]
        dynamic = [d for d in data.dims if d.dimension is None and not d.is_batch_dim()]
        lengths = feed[dynamic[0].dyn_size_ext.raw_tensor] if dynamic else None
        return mean, var, feed[data.placeholder], lengths, set(variables)


def test_batch_norm_masked_statistics_over_in_dim_before_another_static_dim(
    returnn_tf: Any, tmp_path: Any
) -> None:
    """[B, time, f, g], normalized over f: the statistics are per f entry, over the batch,
    the frames within the sequence lengths (padding masked) and g. RETURNN's masked
    statistics used to be taken per g instead (TF reshape error, fuzz-found); BatchNorm now
    moves f after g for them (``_norm._in_dim_last_static``)."""
    time, f, g = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("g", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, f, g]))
    bn = nn.BatchNorm(f, momentum=1.0)
    bn(x).mark_as_default_output()
    mean, var, data, lengths, _ = _batch_norm_train_stats(returnn_tf, tmp_path, bn)
    frames = numpy.concatenate([data[b, : lengths[b]] for b in range(data.shape[0])])  # [N, f, g]
    frames = frames.transpose(0, 2, 1).reshape(-1, 3)  # [N * g, f]
    numpy.testing.assert_allclose(mean, frames.mean(axis=0), rtol=1e-4, atol=1e-6)
    numpy.testing.assert_allclose(var, frames.var(axis=0), rtol=1e-4, atol=1e-6)


def test_batch_norm_without_time_axis_default_options(returnn_tf: Any, tmp_path: Any) -> None:
    """[B, f, s] (no dynamic dim), default options (use_mask=True): nothing to mask, so the
    layer does not ask RETURNN for masked statistics, which assert a time axis (fuzz-found)."""
    f, s = nn.FeatureDim("f", 3), nn.SpatialDim("s", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, f, s]))
    bn = nn.BatchNorm(f, momentum=1.0)
    bn(x).mark_as_default_output()
    mean, var, data, _, _ = _batch_norm_train_stats(returnn_tf, tmp_path, bn)
    frames = data.transpose(0, 2, 1).reshape(-1, 3)  # [B * s, f]
    numpy.testing.assert_allclose(mean, frames.mean(axis=0), rtol=1e-4, atol=1e-6)
    # the fused TF kernel (affine, unmasked) keeps the unbiased variance
    numpy.testing.assert_allclose(var, frames.var(axis=0, ddof=1), rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------
# LSTM (native op; the first compile takes over a minute, then it is cached)


def test_lstm_names_state_and_training(roundtrip: RoundTripFn) -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("hid", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(feat, hid)
            self.lstm2 = nn.LSTM(hid, hid)

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.LstmState]:
            y, state = self.lstm(x, spatial_dim=time)
            return self.lstm2(y, spatial_dim=time, state=state)

    net = Net()
    y, final = net(x)
    y.mark_as_default_output()
    final.h.mark_as_output("final_h")
    final.c.mark_as_output("final_c")
    loss = nn.reduce_sum(nn.reduce_sum(y, axis=hid), axis=time) + nn.reduce_sum(final.c, axis=hid)
    loss.mark_as_loss("l")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_names == {
        f"{m}/{p}/param" for m in ("lstm", "lstm2") for p in ("param_W", "param_W_re", "param_b")
    }
    assert result.report.variable_shapes["lstm/param_W/param"] == (3, 8)
    assert result.report.variable_shapes["lstm/param_W_re/param"] == (2, 8)
    assert result.report.variable_shapes["lstm/param_b/param"] == (8,)
    out = result.output()  # [T, B, hid]
    h = result.output("final_h")  # [B, hid]
    assert out.shape[1:] == (3, 2) and h.shape == (3, 2)
    # The longest sequence's last frame is the final h.
    lengths = [i for i in range(3) if numpy.isclose(out[-1, i], h[i]).all()]
    assert lengths, (out, h)


def test_lstm_numbers_against_numpy(roundtrip: RoundTripFn) -> None:
    """One-frame LSTM with known weights; checks the gate layout of the native op."""
    one, feat, hid = nn.SpatialDim("one", 1), nn.FeatureDim("in", 1), nn.FeatureDim("hid", 1)
    marker = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.source = nn.Parameter(
                [one, feat], initial=numpy.ones((1, 1), "float32"), trainable=False
            )
            self.lstm = nn.LSTM(feat, hid)
            # Gates in the 4 * hid axis: distinct weights to see which one is which.
            self.lstm.param_W.initial = numpy.array([[0.5, 1.0, -1.0, 2.0]], dtype="float32")
            self.lstm.param_b.initial = numpy.zeros(4, dtype="float32")

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.LstmState]:
            return self.lstm(self.source + x * 0.0, spatial_dim=one)

    net = Net()
    y, final = net(marker)
    y.mark_as_default_output()
    final.c.mark_as_output("c")
    result = roundtrip(net)

    def sigmoid(v: float) -> float:
        return float(1.0 / (1.0 + numpy.exp(-v)))

    # RETURNN's NativeLstm2 order: cell input (tanh), input gate, forget gate, output gate.
    z = [0.5, 1.0, -1.0, 2.0]
    c = numpy.tanh(z[0]) * sigmoid(z[1])  # c0 = 0: the forget gate does not matter
    h = numpy.tanh(c) * sigmoid(z[3])
    numpy.testing.assert_allclose(result.output("c")[0, 0], c, rtol=1e-5)
    numpy.testing.assert_allclose(result.output()[0, 0, 0], h, rtol=1e-5)
