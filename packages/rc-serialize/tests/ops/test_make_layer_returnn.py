"""``nn.make_layer`` without ``out=``: RETURNN infers the template of layers rc-nn does not model.

The fallback asks RETURNN's layer class in a throwaway network; the round trip
then constructs the emitted config for real and asserts that the inferred
template equals the one of the real construction (and N4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_nn._returnn_fallback import ReturnnFallbackError

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
B = nn.batch_dim


def test_gating_and_repeat_via_returnn(roundtrip: RoundTripFn, returnn_tf: Any) -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("feat", 3), nn.FeatureDim("hid", 4)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
    lin = nn.Linear(feat, hid)
    h = lin(x)
    h.mark_as_output("inp")
    nn.length(time).mark_as_output("len")
    glu = nn.make_layer({"class": "gating", "from": h, "activation": "tanh"}, name="glu")
    assert glu.dims[:2] == (B, time) and glu.dims[2].dimension == 2
    rep = nn.make_layer(
        {"class": "repeat", "from": glu, "repetitions": 2, "axis": time}, name="rep"
    )
    assert rep.dims[0] is B and rep.dims[1].dimension is None and rep.dims[2] is glu.dims[2]
    # rc-nn ops work on the result as on any tensor.
    out = nn.reduce_sum(rep, axis=rep.dims[1])
    out.mark_as_default_output()
    rep.mark_as_output("rep")
    nn.reduce_sum(out * out, axis=glu.dims[2]).mark_as_loss("l")
    result = roundtrip(lin, train_steps=2)  # asserts template agreement for glu and rep
    inp = result.output("inp")
    gated = numpy.tanh(inp[..., :2]) / (1.0 + numpy.exp(-inp[..., 2:]))
    rep_values = result.output("rep")
    assert rep_values.shape[1] == 2 * inp.shape[1]
    # Each valid frame repeated twice.
    for b, n in enumerate(result.output("len")):
        numpy.testing.assert_allclose(
            rep_values[b, : 2 * n], numpy.repeat(gated[b, :n], 2, axis=0), rtol=1e-5, atol=1e-6
        )


def test_unknown_class_and_uninferable_ask_for_out(returnn_tf: Any) -> None:
    x = nn.zeros([B, nn.FeatureDim("f", 4)])
    with pytest.raises(ReturnnFallbackError, match="no layer class 'no_such_layer'"):
        nn.make_layer({"class": "no_such_layer", "from": x}, name="bad")
    with pytest.raises(ReturnnFallbackError, match=r"out=") as info:
        # gating needs an even feature dim: RETURNN cannot infer, the error asks for out=
        nn.make_layer(
            {
                "class": "gating",
                "from": nn.zeros([B, nn.FeatureDim("odd", 3)]),
                "activation": "tanh",
            },
            name="bad_gating",
        )
    assert "test_make_layer_returnn.py" in str(info.value)  # the user's line
