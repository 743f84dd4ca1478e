"""Shape/array ops without TensorFlow: output templates and clear errors for bad inputs.

Every error must say what is wrong, show the dims involved and point at the
user's line (this file).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

import rc_nn as nn

B = nn.batch_dim
THIS_FILE = __file__


def _x(*dims: nn.Dim, name: str = "data", **kwargs: Any) -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[B, *dims], **kwargs))


def _raises(exc: type[Exception], fn: Callable[[], object], *fragments: str) -> str:
    """``fn()`` raises ``exc`` whose message names this file (the user's line) and ``fragments``."""
    with pytest.raises(exc) as info:
        fn()
    message = str(info.value)
    assert f"{THIS_FILE}:" in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


@pytest.fixture
def dims() -> dict[str, nn.Dim]:
    return {
        "time": nn.SpatialDim("time"),
        "feat": nn.FeatureDim("feat", 6),
        "a": nn.FeatureDim("a", 2),
        "b": nn.FeatureDim("b", 3),
        "other": nn.FeatureDim("other", 5),
    }


def test_no_tensorflow_imported() -> None:
    x = _x(nn.FeatureDim("f", 4))
    nn.split(x, axis=x.dims[1], out_dims=[nn.FeatureDim("p", 1), nn.FeatureDim("q", 3)])
    nn.window(x, spatial_dim=x.dims[1], window_dim=nn.SpatialDim("w", 2))
    nn.random_normal([B])
    assert "tensorflow" not in sys.modules


# -- templates ----------------------------------------------------------------------------


def test_split_template(dims: dict[str, nn.Dim]) -> None:
    x = _x(dims["time"], dims["feat"])
    c = nn.FeatureDim("c", 1)
    parts = nn.split(x, axis=dims["feat"], out_dims=[dims["a"], dims["b"], c])
    assert [p.dims for p in parts] == [
        (B, dims["time"], dims["a"]),
        (B, dims["time"], dims["b"]),
        (B, dims["time"], c),
    ]
    assert [p.sub_name for p in parts] == ["0", "1", "2"]
    assert parts[0].feature_dim == dims["a"]


def test_reshape_split_dims_merge_dims_templates(dims: dict[str, nn.Dim]) -> None:
    time, feat, a, b = dims["time"], dims["feat"], dims["a"], dims["b"]
    x = _x(time, feat)
    s = nn.split_dims(x, axis=feat, dims=[a, b])
    assert s.dims == (B, time, a, b)
    r = nn.reshape(s, in_dims=[a, b], out_dims=[nn.FeatureDim("six", 6)])
    assert r.dims[:2] == (B, time) and r.dims[2].dimension == 6
    m, ab = nn.merge_dims(s, axes=[a, b])
    assert ab.dimension == 6 and m.dims == (B, time, ab)
    _, ba = nn.merge_dims(s, axes=[b, a])
    assert ba is not ab and ba.dimension == 6
    # the product is RETURNN's dim arithmetic: the same dims give the same object
    assert nn.merge_dims(s, axes=[a, b])[1] is ab


def test_merge_dims_with_a_dynamic_dim_gives_a_dim_not_derived_from_it(
    dims: dict[str, nn.Dim],
) -> None:
    """RETURNN's product of a dynamic dim is derived from it and broadcasting takes one for
    the other; the merged dim is renamed (reinterpret_data) to a new dim (RETURNN-proven:
    test_regressions_ops.py::test_merge_dims_with_time_then_combined_with_time)."""
    time, feat = dims["time"], dims["feat"]
    y, merged = nn.merge_dims(_x(time, feat), axes=[time, feat])
    assert merged.dimension is None and merged.description == "time*feat"
    assert merged.derived_from_tag is None and merged is not time * feat
    assert y.dims == (B, merged)
    assert y.layer_dict["class"] == "reinterpret_data"
    assert y.layer_dict["set_dim_tags"] == {time * feat: merged}
    assert y.layer_dict["from"].layer_dict["class"] == "merge_dims"
    z = y + _x(time, name="other")
    assert z.dims_set() == {B, merged, time}


def test_expand_squeeze_templates(dims: dict[str, nn.Dim]) -> None:
    one = nn.SpatialDim("one", 1)
    x = _x(dims["time"], dims["feat"])
    e = nn.expand_dim(x, dim=one)
    # right after the batch dim (RETURNN's expand_dims with axis=1): RETURNN's time and
    # feature axes stay where they were
    assert e.dims == (B, one, dims["time"], dims["feat"])
    assert e.layer_dict is not None and e.layer_dict["axis"] == 1
    assert e.feature_dim == x.feature_dim
    assert nn.squeeze(e, axis=one).dims == x.dims
    sparse = _x(dims["time"], name="labels", sparse_dim=dims["other"])
    assert nn.expand_dim(sparse, dim=one).dims == (B, one, dims["time"])
    # time-major input: RETURNN takes it batch-major first
    time_major = nn.get_extern_data(nn.Data("tm", dim_tags=[dims["time"], B, dims["feat"]]))
    assert nn.expand_dim(time_major, dim=one).dims == (B, one, dims["time"], dims["feat"])
    # without the batch dim: before the last axis (RETURNN's "spatial")
    no_batch = nn.zeros([dims["time"], dims["feat"]])
    assert nn.expand_dim(no_batch, dim=one).dims == (dims["time"], one, dims["feat"])
    assert nn.expand_dim(nn.zeros([]), dim=one).dims == (one,)


def test_slice_templates(dims: dict[str, nn.Dim]) -> None:
    time, feat = dims["time"], dims["feat"]
    x = _x(time, feat)
    y, t = nn.slice(x, axis=time, slice_start=2)
    assert y.dims == (B, t, feat) and t.is_dynamic() and t is not time
    assert nn.slice(x, axis=time, slice_start=2)[1] is t  # same derivation, same dim
    y, f = nn.slice(x, axis=feat, slice_start=1, slice_end=-1, slice_step=2)
    assert f.dimension == 2 and y.dims == (B, time, f)
    part = nn.FeatureDim("part", 3)
    y, f = nn.slice(x, axis=feat, slice_start=1, slice_end=4, out_dim=part)
    assert f is part and y.dims == (B, time, part)


def test_slice_nd_pad_window_templates(dims: dict[str, nn.Dim]) -> None:
    time, feat = dims["time"], dims["feat"]
    x = _x(time, feat)
    win = nn.SpatialDim("win", 3)
    start = nn.zeros([B], dtype="int32")
    assert nn.slice_nd(x, axis=time, start=start, size=win).dims == (B, win, feat)
    y, (t2,) = nn.pad(x, axes=[time], padding=[(1, 2)])
    assert y.dims == (B, t2, feat) and t2.is_dynamic()
    y, (f2,) = nn.pad(x, axes=feat, padding=(1, 1))
    assert f2.dimension == 8 and y.feature_dim is f2
    y, t3 = nn.window(x, spatial_dim=time, window_dim=win)
    assert t3 is time and y.dims == (win, time, B, feat)
    y, t4 = nn.window(x, spatial_dim=time, window_dim=win, padding="valid", stride=2)
    assert t4 is not time and y.dims == (t4, win, B, feat)


def test_gather_where_top_k_one_hot_templates(dims: dict[str, nn.Dim]) -> None:
    time, feat, other = dims["time"], dims["feat"], dims["other"]
    x = _x(time, feat)
    assert nn.gather(x, indices=0, axis=time).dims == (B, feat)
    idx = nn.get_extern_data(nn.Data("idx", dim_tags=[B, time], sparse_dim=feat))
    assert nn.gather(x, indices=idx, axis=feat).dims == (B, time)
    idx2 = nn.get_extern_data(nn.Data("idx2", dim_tags=[other], sparse_dim=time))
    assert nn.gather(x, indices=idx2, axis=time).dims == (B, other, feat)
    w = nn.where(x > 0.0, x, 0.0)
    assert w.dims == x.dims and w.dtype == "float32"
    values, indices, k_dim = nn.top_k(x, axis=feat, k=2)
    assert values.dims == (B, time, k_dim) and k_dim.dimension == 2
    assert indices.dtype == "int32" and indices.sparse_dim == feat
    assert indices.parent is values and indices.sub_name == "indices"
    labels = _x(time, name="labels", sparse_dim=other)
    hot = nn.one_hot(labels)
    assert set(hot.dims) == {B, time, other} and hot.dtype == "float32" and hot.sparse_dim is None


def test_range_length_cumsum_random_templates(dims: dict[str, nn.Dim]) -> None:
    time, feat = dims["time"], dims["feat"]
    r = nn.range_over_dim(time)
    assert r.dims == (time,) and r.sparse_dim == time and r.dtype == "int32"
    assert nn.range_over_dim(feat, dtype="float32", sparse=False).sparse_dim is None
    assert nn.length(time).dims == (B,) and nn.length(time).dtype == "int32"
    assert nn.length(feat).dims == () and nn.length(B).dims == ()
    assert nn.dim_value(time).dims == ()
    x = _x(time, feat)
    assert nn.cumsum(x, axis=time).dims == x.dims
    assert nn.random_uniform([B, feat]).dims == (B, feat)
    assert nn.random_normal([feat], dtype="float64").dtype == "float64"
    assert nn.random_bernoulli([B, feat], p=0.3).dtype == "bool"


# -- errors: wrong axis, dim not in tensor, non-tensor argument, dim for a tensor ----------


def test_errors_axis_not_in_tensor(dims: dict[str, nn.Dim]) -> None:
    time, feat, other = dims["time"], dims["feat"], dims["other"]
    x = _x(time, feat)
    shown = ("other(5)", "time(?)", "feat(6)")
    _raises(nn.AxisError, lambda: nn.split(x, axis=other, out_dims=[other]), *shown)
    _raises(nn.AxisError, lambda: nn.reshape(x, in_dims=[other], out_dims=[other]), *shown)
    _raises(nn.AxisError, lambda: nn.split_dims(x, axis=other, dims=[other]), *shown)
    _raises(nn.AxisError, lambda: nn.merge_dims(x, axes=[feat, other]), *shown)
    _raises(nn.AxisError, lambda: nn.squeeze(x, axis=other), *shown)
    _raises(nn.AxisError, lambda: nn.slice(x, axis=other, slice_start=1), *shown)
    start = nn.zeros([B], dtype="int32")
    _raises(nn.AxisError, lambda: nn.slice_nd(x, axis=other, start=start, size=other), *shown)
    _raises(nn.AxisError, lambda: nn.pad(x, axes=[other], padding=[(1, 1)]), *shown)
    win = nn.SpatialDim("win", 2)
    _raises(nn.AxisError, lambda: nn.window(x, spatial_dim=other, window_dim=win), *shown)
    _raises(nn.AxisError, lambda: nn.gather(x, indices=0, axis=other), *shown)
    _raises(nn.AxisError, lambda: nn.top_k(x, axis=other, k=1), *shown)
    _raises(nn.AxisError, lambda: nn.cumsum(x, axis=other), *shown)


def test_errors_axis_not_a_dim(dims: dict[str, nn.Dim]) -> None:
    x = _x(dims["time"], dims["feat"])
    for call in (
        lambda: nn.split(x, axis=1, out_dims=[dims["a"]]),  # type: ignore[arg-type]
        lambda: nn.squeeze(x, axis=-1),  # type: ignore[arg-type]
        lambda: nn.slice(x, axis="T", slice_start=1),  # type: ignore[arg-type]
        lambda: nn.gather(x, indices=0, axis=2),  # type: ignore[arg-type]
        lambda: nn.cumsum(x, axis=1),  # type: ignore[arg-type]
        lambda: nn.merge_dims(x, axes=[1, 2]),  # type: ignore[list-item]
        lambda: nn.range_over_dim(3),  # type: ignore[arg-type]
        lambda: nn.length("time"),  # type: ignore[arg-type]
    ):
        _raises(nn.AxisError, call, "must be an nn.Dim")


def test_errors_tensor_where_dim_belongs(dims: dict[str, nn.Dim]) -> None:
    x = _x(dims["time"], dims["feat"])
    msg = _raises(nn.AxisError, lambda: nn.squeeze(x, axis=x), "tensor was passed where a dim")  # type: ignore[arg-type]
    assert "nn.Tensor" in msg
    _raises(nn.AxisError, lambda: nn.expand_dim(x, dim=x), "must be an nn.Dim")  # type: ignore[arg-type]
    _raises(nn.AxisError, lambda: nn.length(x), "tensor was passed where a dim")  # type: ignore[arg-type]


def test_errors_non_tensor_argument(dims: dict[str, nn.Dim]) -> None:
    time, feat = dims["time"], dims["feat"]
    x = _x(time, feat)
    values = [1, 2, 3]
    _raises(nn.NotATensorError, lambda: nn.split(values, axis=feat, out_dims=[feat]), "list")  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.cumsum(values, axis=time), "expected an nn.Tensor")  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.gather(x, indices="0", axis=time), "str")  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.where(values, x, 0.0), "where cond")  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.where(x > 0.0, x, "zero"), "where false_")  # type: ignore[arg-type]
    start = nn.zeros([B], dtype="int32")
    _raises(nn.NotATensorError, lambda: nn.slice_nd(x, axis=time, start=3, size=feat), "start")  # type: ignore[arg-type]
    assert start is not None


def test_errors_dim_where_tensor_belongs(dims: dict[str, nn.Dim]) -> None:
    time, feat = dims["time"], dims["feat"]
    x = _x(time, feat)
    hint = "Use nn.range_over_dim(dim)"
    _raises(nn.NotATensorError, lambda: nn.squeeze(time, axis=time), "time(?)", hint)  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.gather(x, indices=time, axis=time), "time(?)", hint)  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.where(x > 0.0, feat, x), "feat(6)", hint)  # type: ignore[arg-type]
    _raises(nn.NotATensorError, lambda: nn.one_hot(feat), "feat(6)", hint)  # type: ignore[arg-type]


def test_errors_bad_sizes(dims: dict[str, nn.Dim]) -> None:
    time, feat, a, b, other = dims["time"], dims["feat"], dims["a"], dims["b"], dims["other"]
    x = _x(time, feat)
    _raises(
        nn.DimMismatchError,
        lambda: nn.split(x, axis=feat, out_dims=[a, a.__class__(1, name="z")]),
        "add up to 3",
        "feat(6)",
    )
    _raises(
        nn.DimMismatchError, lambda: nn.split(x, axis=time, out_dims=[a]), "static sizes", "time(?)"
    )
    _raises(
        nn.DimMismatchError,
        lambda: nn.split_dims(x, axis=feat, dims=[a, other]),
        "product 10",
        "feat(6)",
    )
    _raises(
        nn.DimMismatchError,
        lambda: nn.split_dims(x, axis=time, dims=[a, b]),
        "must be static",
        "time(?)",
    )
    _raises(
        nn.DimMismatchError,
        lambda: nn.reshape(x, in_dims=[feat], out_dims=[other]),
        "6 elements",
        "other(5)",
    )
    _raises(nn.DimMismatchError, lambda: nn.squeeze(x, axis=feat), "size 1", "feat(6)")
    _raises(nn.DimMismatchError, lambda: nn.expand_dim(x, dim=feat), "already a dim", "feat(6)")
    _raises(
        nn.DimMismatchError,
        lambda: nn.merge_dims(_x(a, b, name="ab"), axes=[a, b], out_dim=other),
        "merged axes [a(2), b(3)]",
    )
    _raises(nn.AxisError, lambda: nn.merge_dims(x, axes=[feat]), "at least two axes", "feat(6)")
    _raises(nn.AxisError, lambda: nn.merge_dims(x, axes=[B, feat]), "batch dim")
    _raises(nn.DimMismatchError, lambda: nn.slice(x, axis=feat, slice_end=3), "pass it as out_dim")
    _raises(
        nn.DimMismatchError,
        lambda: nn.slice(x, axis=feat, slice_end=9, out_dim=a),
        "does not fit",
        "feat(6)",
    )
    _raises(
        nn.DimMismatchError,
        lambda: nn.pad(x, axes=[feat], padding=[(1, 1)], out_dims=[a]),
        "padded size 8",
    )
    _raises(
        ValueError,
        lambda: nn.pad(x, axes=[feat, time], padding=[(1, 1)]),
        "one (left, right) pair per axis",
        "feat(6)",
    )
    _raises(
        nn.DimMismatchError,
        lambda: nn.window(x, spatial_dim=time, window_dim=time),
        "must be static",
        "time(?)",
    )
    _raises(
        nn.DimMismatchError, lambda: nn.gather(x, indices=7, axis=feat), "out of range", "feat(6)"
    )
    idx = nn.get_extern_data(nn.Data("idx", dim_tags=[B], sparse_dim=other))
    _raises(
        nn.DimMismatchError,
        lambda: nn.gather(x, indices=idx, axis=feat),
        "point into other(5)",
        "feat(6)",
    )
    _raises(nn.DimMismatchError, lambda: nn.top_k(x, axis=feat, k=7), "larger than", "feat(6)")
    _raises(nn.DimMismatchError, lambda: nn.where(x, x, 0.0), "bool")
    _raises(nn.DimMismatchError, lambda: nn.one_hot(x), "not sparse")
    _raises(ValueError, lambda: nn.random_uniform([feat], minval=1.0, maxval=0.0), "below maxval")
    _raises(nn.DimMismatchError, lambda: nn.range_over_dim(B), "batch dim")
