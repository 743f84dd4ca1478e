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

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]


# ---------------------------------------------------------------------------
# LayerNorm


def test_layer_norm_three_layers_and_numbers(roundtrip: RoundTripFn) -> None:
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
    assert [layer["class"] for layer in layers.values()].count("norm") == 1
    norm_layers = [k for k, v in layers.items() if v["class"] == "norm"]
    assert layers[norm_layers[0]]["scale"] is False
    # norm + mul + add (plus the two variables and the loss layers)
    assert {v["class"] for v in layers.values()} >= {"norm", "combine", "variable"}
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
