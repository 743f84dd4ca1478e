"""The extern data keys rc-nn accepts at declaration work in RETURNN (issue 13 §4).

rc-nn refuses keys RETURNN cannot use (``a/b``, ``prev:x``, empty, ...; see
``packages/rc-nn/tests/test_declarations.py``); the unusual keys it accepts (dots,
dashes, a leading underscore or digit) must construct and compute in RETURNN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized

KEYS = ["data", "a.b", "x-1", "_x", "9"]


def test_unusual_but_valid_keys_run_in_returnn(check_config: Callable[..., Any]) -> None:
    time_dim, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
    inputs = [nn.get_extern_data(nn.Data(k, dim_tags=[nn.batch_dim, time_dim, feat])) for k in KEYS]
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    total = inputs[0]
    for x in inputs[1:]:
        total = total + x
    net(total).mark_as_default_output()
    code = get_returnn_config_serialized(net)
    for key in KEYS[1:]:
        assert f'"data:{key}"' in code
    report = check_config(code)
    (output,) = report.outputs.values()
    assert output.shape[-1] == 2 and np.isfinite(output).all()
    assert report.variable_names == {"weight/param", "bias/param"}
