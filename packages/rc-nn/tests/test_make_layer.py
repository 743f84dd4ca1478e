"""``nn.make_layer``: the escape hatch for RETURNN layers rc-nn does not model.

With ``out=`` it is pure Python and never imports TensorFlow (checked in a fresh
process); without ``out=`` it asks RETURNN (tested in rc-serialize, where the TF
backend is part of the test set-up).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import rc_nn as nn

_MAKE_LAYER_WITH_OUT = textwrap.dedent(
    """
    import sys

    from returnn.tensor import Tensor

    import rc_nn as nn

    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 4)
    half = nn.FeatureDim("half", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    y = nn.make_layer(
        {"class": "gating", "from": x, "activation": "tanh", "out_dim": half},
        name="glu",
        out=Tensor("out", dims=[nn.batch_dim, time, half], dtype="float32", feature_dim=half),
    )
    assert y.dims == (nn.batch_dim, time, half), y.dims
    assert "tensorflow" not in sys.modules, "make_layer(..., out=...) imported TensorFlow"
    print("ok")
    """
)


def test_make_layer_with_out_does_not_import_tensorflow() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _MAKE_LAYER_WITH_OUT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_make_layer_needs_a_class() -> None:
    x = nn.zeros([nn.FeatureDim("f", 2)])
    with pytest.raises(ValueError, match="needs a 'class'"):
        nn.make_layer({"from": x}, name="no_class", out=x.data)


_WITHOUT_OUT = textwrap.dedent(
    """
    from returnn.tensor import Tensor

    import rc_nn as nn

    odd = nn.FeatureDim("odd", 3)
    x = nn.zeros([nn.batch_dim, odd])
    layer = {"class": "gating", "from": x, "activation": "tanh"}
    try:
        nn.make_layer(layer, name="bad_gating")
    except nn.ReturnnFallbackError as error:
        print(error)
    y = nn.make_layer(layer, name="gating", out=Tensor("out", dims=[nn.batch_dim, odd], dtype="float32"))
    assert y.dims == (nn.batch_dim, odd), y.dims
    """
)


def test_without_out_the_error_shows_a_public_way_to_give_it() -> None:
    """Without TensorFlow (rc-nn's tests) RETURNN cannot be asked; with it, RETURNN cannot
    infer gating over an odd dim. Either way the message shows how to pass ``out=`` with
    public names only, and following it works. In a fresh process: asking RETURNN imports
    TensorFlow where it is installed."""
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_OUT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert proc.returncode == 0, proc.stderr
    message = proc.stdout
    assert "make_layer 'bad_gating' at <string>:" in message  # the user's line
    assert 'out=returnn.tensor.Tensor("out", dims=[...], dtype="float32")' in message
    assert "rc_nn._" not in message
