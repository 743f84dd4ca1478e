"""First round trips: the bundled example and a plain Linear root module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rc_nn as nn
from rc_serialize._example import build_example


def test_bundled_example_trains_and_names_match(roundtrip: Callable[..., Any]) -> None:
    model = build_example()
    result = roundtrip(model, train_steps=3)
    assert result.report.losses[-1] < result.report.losses[0]
    assert "layers/0/ff1/weight/param" in result.report.variable_names


def test_plain_linear_root(roundtrip: Callable[..., Any]) -> None:
    time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 5), nn.FeatureDim("out", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = nn.Linear(feat, out)
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {"weight/param", "bias/param"}
    assert result.output().shape[-1] == 3


def test_plain_param_naming(roundtrip: Callable[..., Any]) -> None:
    feat, out = nn.FeatureDim("in", 5), nn.FeatureDim("out", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Linear(feat, out)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.enc(x)

    net = Net()
    net(x).mark_as_default_output()
    result = roundtrip(net, param_naming="plain")
    assert result.report.variable_names == {"enc/weight", "enc/bias"}
