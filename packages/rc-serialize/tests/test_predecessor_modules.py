"""Modules of the predecessor (returnn_common) that rc-nn 0.2 added: values in RETURNN vs numpy.

``nn.Normalize`` / ``nn.normalize`` / ``nn.moments`` and ``nn.ZoneoutLSTM`` (RETURNN unit
``zoneoutlstm``: TensorFlow's ``LSTMCell`` on our ``param_kernel`` / ``param_bias``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]


def _sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    out: numpy.ndarray = 1.0 / (1.0 + numpy.exp(-x))
    return out


def test_normalize_values(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 5)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    norm = nn.Normalize(param_shape=feat, epsilon=1e-3)
    rng = numpy.random.RandomState(3)
    scale = rng.normal(size=5).astype("float32")
    bias = rng.normal(size=5).astype("float32")
    assert norm.scale is not None and norm.bias is not None
    norm.scale.initial, norm.bias.initial = scale, bias
    norm(x, axis=feat).mark_as_default_output()
    nn.make_layer({"class": "copy", "from": x}, name="inp", out=x.data).mark_as_output("inp")
    result = roundtrip(norm)
    assert result.report.variable_names == {"scale/param", "bias/param"}
    inp = result.output("inp").astype("float64")
    mean = inp.mean(axis=-1, keepdims=True)
    var = ((inp - mean) ** 2).mean(axis=-1, keepdims=True)
    ref = (inp - mean) / numpy.sqrt(var + 1e-3) * scale + bias
    numpy.testing.assert_allclose(result.output(), ref, rtol=1e-4, atol=1e-4)


def test_zoneout_lstm_names_and_values(roundtrip: RoundTripFn) -> None:
    """Without zoneout (rates 0) the cell is TF's LSTMCell: gates i, j, f, o, forget bias 1."""
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("feat", 3), nn.FeatureDim("hid", 4)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.ZoneoutLSTM(feat, hid)

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.LstmState]:
            out: tuple[nn.Tensor, nn.LstmState] = self.lstm(x, spatial_dim=time)
            return out

    net = Net()
    rng = numpy.random.RandomState(5)
    kernel = rng.normal(scale=0.5, size=(7, 16)).astype("float32")
    bias = rng.normal(scale=0.5, size=16).astype("float32")
    net.lstm.param_kernel.initial, net.lstm.param_bias.initial = kernel, bias
    out, state = net(x)
    out.mark_as_default_output()
    state.c.mark_as_output("final_c")
    nn.make_layer({"class": "copy", "from": x}, name="inp", out=x.data).mark_as_output("inp")
    nn.length(time).mark_as_output("lens")
    result = roundtrip(net, train_steps=0)
    assert result.report.variable_shapes == {
        "lstm/param_kernel/param": (7, 16),
        "lstm/param_bias/param": (16,),
    }
    inp, lens = result.output("inp").astype("float64"), result.output("lens")
    ys = result.output()  # [T, B, hid] (rec output is time-major)
    for b, length in enumerate(lens):
        h, c = numpy.zeros(4), numpy.zeros(4)
        for t in range(length):
            gates = numpy.concatenate([inp[b, t], h]) @ kernel + bias
            i, j, f, o = numpy.split(gates, 4)
            c = _sigmoid(f + 1.0) * c + _sigmoid(i) * numpy.tanh(j)
            h = _sigmoid(o) * numpy.tanh(c)
            numpy.testing.assert_allclose(ys[t, b], h, rtol=1e-4, atol=1e-5)
        numpy.testing.assert_allclose(result.output("final_c")[b], c, rtol=1e-4, atol=1e-5)
