"""``Tensor.data`` has RETURNN's time and feature axis for the layers where RETURNN's own
rules differ from its default rule (issue 12 §1 item 4).

Every round trip compares both axes of every layer with RETURNN's (``assert_templates_agree``);
these models put the special cases in front of it, each followed by more layers so that
the axes carried over to the next layer are compared too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rc_nn as nn


class Root(nn.Module):
    """A root module without parameters of its own."""

    def forward(self) -> None:  # pragma: no cover - never called
        raise NotImplementedError


def _btf(feat_size: int = 3) -> tuple[nn.Dim, nn.Dim, nn.Tensor]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", feat_size)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    return time, feat, x


def _time_dim(x: nn.Tensor) -> nn.Dim | None:
    axis = x.data.time_dim_axis
    return None if axis is None else x.dims[axis]


def _feature_dim(x: nn.Tensor) -> nn.Dim | None:
    axis = x.data.feature_dim_axis
    return None if axis is None else x.dims[axis]


def test_merge_dims_of_time_with_the_feature_dim_has_no_time_axis(
    roundtrip: Callable[..., Any],
) -> None:
    time, feat, x = _btf()
    merged, merged_dim = nn.merge_dims(x, axes=[time, feat])
    assert _time_dim(merged) is None and _feature_dim(merged) is merged_dim
    y = nn.tanh(merged) * 2.0  # the explicit "no time axis" carries over
    assert _time_dim(y) is None
    y.mark_as_default_output()
    roundtrip(Root())


def test_merge_dims_of_time_with_a_spatial_dim_is_the_time_axis(
    roundtrip: Callable[..., Any],
) -> None:
    time, feat, x = _btf()
    win = nn.SpatialDim("win", 2)
    y = nn.expand_dim(x, dim=win)
    merged, merged_dim = nn.merge_dims(y, axes=[time, win])
    assert _time_dim(merged) is merged_dim and _feature_dim(merged) is feat
    nn.relu(merged).mark_as_default_output()
    roundtrip(Root())


def test_dot_over_the_feature_dim_keeps_time(roundtrip: Callable[..., Any]) -> None:
    time, feat, x = _btf()
    root = Root()
    root.w = nn.Parameter([feat])
    y = nn.dot(x, root.w, reduce=feat)  # [B, T]: time, no feature axis
    assert _time_dim(y) is time and _feature_dim(y) is None
    z = nn.softmax(y, axis=time)
    assert _time_dim(z) is time
    z.mark_as_default_output()
    roundtrip(root)


def test_dot_attention_weights(roundtrip: Callable[..., Any]) -> None:
    time, feat, x = _btf()
    kv = nn.SpatialDim("time:kv")
    heads = nn.FeatureDim("heads", 2)
    q = nn.expand_dim(x, dim=heads)
    k, _ = nn.replace_dim(q, in_dim=time, out_dim=kv)
    energy = nn.dot(q, k, reduce=feat)  # [B, heads, T, T:kv]
    att = nn.softmax(energy, axis=kv)
    assert _time_dim(att) is time and _feature_dim(att) is heads  # RETURNN: last static dim
    out = nn.dot(att, k, reduce=kv)
    assert _time_dim(out) is time
    out.mark_as_default_output()
    roundtrip(Root())


def test_rec_over_a_static_axis_and_the_layers_after_it(roundtrip: Callable[..., Any]) -> None:
    feat = nn.FeatureDim("feat", 2)
    steps = nn.SpatialDim("steps", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, steps, feat]))
    out = nn.FeatureDim("lstm", 2)
    root = Root()
    root.lstm, root.lin = nn.LSTM(feat, out), nn.Linear(out, nn.FeatureDim("lin", 4))
    y, _ = root.lstm(x, spatial_dim=steps)
    assert _time_dim(y) is steps  # the rec layer's axis, although static
    z = nn.tanh(root.lin(y))
    assert _time_dim(z) is steps  # carried over by the layers copying their input
    z.mark_as_default_output()
    roundtrip(root)


def test_top_k_has_no_feature_axis(roundtrip: Callable[..., Any]) -> None:
    _, feat, x = _btf(5)
    k_dim = nn.SpatialDim("k", 2)
    values, indices, _ = nn.top_k(x, axis=feat, k=2, k_dim=k_dim)
    assert _feature_dim(values) is None
    (values + nn.cast(indices, dtype="float32")).mark_as_default_output()
    roundtrip(Root())


def test_no_time_axis_after_reducing_it(roundtrip: Callable[..., Any]) -> None:
    time, feat, x = _btf()
    y = nn.reduce(x, mode="max", axis=time)
    assert _time_dim(y) is None and _feature_dim(y) is feat
    root = Root()
    root.lin = nn.Linear(feat, nn.FeatureDim("out", 2))
    root.lin(y).mark_as_default_output()
    roundtrip(root)
