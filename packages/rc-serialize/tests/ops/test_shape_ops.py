"""Shape and array ops proved in RETURNN: template agreement for every layer, N4, values.

Each test builds a tiny model (a root module, with a ``Linear`` where a parameter
makes sense), marks the op's result as the default output and runs the
``roundtrip`` fixture. Inputs are marked as extra outputs (``inp``) to compare the
forward values with numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_serialize._returnn_check import template_of

RoundTripFn = Callable[..., Any]
B = nn.batch_dim


class Root(nn.Module):
    """A root module without parameters."""

    def forward(self) -> None:  # pragma: no cover - never called
        raise NotImplementedError


def _data(*dims: nn.Dim, name: str = "data", **kwargs: Any) -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[B, *dims], **kwargs))


def _lengths(result: Any, name: str = "inp") -> Any:
    return result.output(name)


def _run(
    roundtrip: RoundTripFn, model: nn.Module, *, renamed: Collection[nn.Dim] = (), **kwargs: Any
) -> Any:
    """Round trip; dims in ``renamed`` may carry RETURNN's own auto-generated description.

    RETURNN creates its own dim for some outputs (e.g. ``window``'s window dim,
    or a static ``slice`` end) and only declares it the same as the dim we pass;
    its template then shows its own name. For those dims only the size is compared.
    """
    if not renamed:
        return roundtrip(model, **kwargs)
    result = roundtrip(model, check_templates=False, **kwargs)
    renamed_keys = {(d.description, d.dimension) for d in renamed}
    problems = []
    for name, tensor in result.serialized.layer_tensors.items():
        theirs = result.report.layer_templates.get(name)
        if theirs is None:
            continue
        ours = template_of(tensor.data)
        if len(ours.dims) != len(theirs.dims) or ours.dtype != theirs.dtype:
            problems.append(f"{name}: ours {ours}, RETURNN {theirs}")
            continue
        for a, b in zip(ours.dims, theirs.dims, strict=True):
            if a.size != b.size or (
                a.description != b.description and (a.description, a.size) not in renamed_keys
            ):
                problems.append(f"{name}: dim ours {a}, RETURNN {b}")
        # Tensor.data has RETURNN's time and feature axis (compared by position here; the
        # feature axis where RETURNN has its default, as assert_templates_agree does).
        feature_differs = (
            not theirs.feature_axis_explicit and ours.feature_dim_axis != theirs.feature_dim_axis
        )
        if ours.time_dim_axis != theirs.time_dim_axis or feature_differs:
            problems.append(
                f"{name}: Tensor.data time/feature axis {ours.time_dim_axis}/"
                f"{ours.feature_dim_axis}, RETURNN {theirs.time_dim_axis}/{theirs.feature_dim_axis}"
            )
    assert not problems, "\n".join(problems)
    return result


# -- split / reshape / split_dims / merge_dims / expand_dim / squeeze --------------------


def test_split(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    hid, a, b = nn.FeatureDim("hid", 5), nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    x = _data(time, feat)
    net = nn.Linear(feat, hid)
    h = net(x)
    h.mark_as_output("inp")
    left, right = nn.split(h, axis=hid, out_dims=[a, b])
    assert left.dims == (B, time, a) and right.dims == (B, time, b)
    (left * 2.0).mark_as_default_output()
    right.mark_as_output("right")
    result = _run(roundtrip, net)
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), inp[..., :2] * 2.0, rtol=1e-6)
    numpy.testing.assert_allclose(result.output("right"), inp[..., 2:], rtol=1e-6)


def test_reshape_and_split_dims_and_merge_dims(roundtrip: RoundTripFn) -> None:
    feat, heads, d, six = (
        nn.FeatureDim("in", 6),
        nn.FeatureDim("heads", 2),
        nn.FeatureDim("d", 3),
        nn.FeatureDim("six", 6),
    )
    time = nn.SpatialDim("time")
    x = _data(time, feat)
    x.mark_as_output("inp")
    split = nn.split_dims(x, axis=feat, dims=[heads, d])
    assert split.dims == (B, time, heads, d)
    merged, hd = nn.merge_dims(split, axes=[heads, d])
    assert hd.dimension == 6 and merged.dims == (B, time, hd)
    back = nn.reshape(merged, in_dims=[hd], out_dims=[six])
    back.mark_as_default_output()
    split.mark_as_output("split")
    result = _run(roundtrip, Root())
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), inp)
    numpy.testing.assert_allclose(result.output("split"), inp.reshape((*inp.shape[:2], 2, 3)))


def test_merge_dims_reversed_order(roundtrip: RoundTripFn) -> None:
    a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    x = _data(a, b)
    x.mark_as_output("inp")
    y, ba = nn.merge_dims(x, axes=[b, a])
    assert ba.dimension == 6
    y.mark_as_default_output()
    result = _run(roundtrip, Root())
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), inp.transpose(0, 2, 1).reshape(-1, 6))


def test_merge_dims_given_out_dim(roundtrip: RoundTripFn) -> None:
    a, b, out = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3), nn.FeatureDim("ab", 6)
    x = _data(a, b)
    y, dim = nn.merge_dims(x, axes=[a, b], out_dim=out)
    assert dim is out and y.dims == (B, out)
    y.mark_as_default_output()
    _run(roundtrip, Root(), renamed=[out])


def test_expand_dim_and_squeeze(roundtrip: RoundTripFn) -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("hid", 4)
    one = nn.SpatialDim("one", 1)
    x = _data(time, feat)
    net = nn.Linear(feat, hid)
    h = net(x)
    h.mark_as_output("inp")
    e = nn.expand_dim(h, dim=one)
    assert e.dims == (B, one, time, hid)
    e.mark_as_output("expanded")
    nn.squeeze(e, axis=one).mark_as_default_output()
    result = _run(roundtrip, net)
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), inp)
    assert result.output("expanded").shape == (inp.shape[0], 1, *inp.shape[1:])


def test_expand_dim_larger(roundtrip: RoundTripFn) -> None:
    feat, rep = nn.FeatureDim("in", 3), nn.SpatialDim("rep", 2)
    x = _data(feat)
    x.mark_as_output("inp")
    nn.expand_dim(x, dim=rep).mark_as_default_output()
    result = _run(roundtrip, Root())
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), numpy.stack([inp, inp], axis=1))


def test_expand_dim_time_major_and_batch_only(roundtrip: RoundTripFn) -> None:
    """The new axis comes right after the batch dim, batch-major; values are repeated
    along it (size 2 at run time, as the template says)."""
    time, feat, rep = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("rep", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[time, B, feat]))
    x.mark_as_output("inp")
    y = nn.expand_dim(x, dim=rep)
    assert y.dims == (B, rep, time, feat)
    y.mark_as_default_output()
    m = nn.reduce_max(x, axis=[time, feat])
    m.mark_as_output("max")
    z = nn.expand_dim(m, dim=rep)
    assert z.dims == (B, rep)
    z.mark_as_output("batch_only")
    result = _run(roundtrip, Root())
    inp = result.output("inp").transpose(1, 0, 2)  # [B, time, in]
    numpy.testing.assert_allclose(result.output(), numpy.stack([inp, inp], axis=1))
    numpy.testing.assert_allclose(
        result.output("batch_only"), numpy.stack([result.output("max")] * 2, axis=1)
    )


# -- slice / slice_nd / pad / window ------------------------------------------------------


def test_slice_dynamic(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = _data(time, feat)
    x.mark_as_output("inp")
    y, t2 = nn.slice(x, axis=time, slice_start=1, slice_end=-1, slice_step=2)
    assert y.dims == (B, t2, feat) and t2.is_dynamic()
    y.mark_as_default_output()
    result = _run(roundtrip, Root())
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), inp[:, 1:-1:2])


def test_slice_static_end(roundtrip: RoundTripFn) -> None:
    feat, hid, part = nn.FeatureDim("in", 3), nn.FeatureDim("hid", 5), nn.FeatureDim("part", 2)
    x = _data(feat)
    net = nn.Linear(feat, hid)
    h = net(x)
    h.mark_as_output("inp")
    y, dim = nn.slice(h, axis=hid, slice_start=1, slice_end=3, out_dim=part)
    assert dim is part and y.dims == (B, part)
    y.mark_as_default_output()
    result = _run(roundtrip, net, renamed=[part])
    numpy.testing.assert_allclose(result.output(), result.output("inp")[:, 1:3])


def test_slice_nd(roundtrip: RoundTripFn) -> None:
    time, feat, win = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.SpatialDim("win", 2)
    x = _data(time, feat)
    x.mark_as_output("inp")
    start = nn.constant(1, [B])
    y = nn.slice_nd(x, axis=time, start=start, size=win)
    assert y.dims == (B, win, feat)
    y.mark_as_default_output()
    result = _run(roundtrip, Root(), renamed=[win], max_time=7)
    numpy.testing.assert_allclose(result.output()[:, 0], result.output("inp")[:, 1])


def test_pad(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = _data(time, feat)
    x.mark_as_output("inp")
    y, (t2, f2) = nn.pad(x, axes=[time, feat], padding=[(1, 2), (0, 1)], value=0.5)
    assert y.dims == (B, t2, f2) and f2.dimension == 4
    y.mark_as_default_output()
    nn.length(time).mark_as_output("lengths")
    result = _run(roundtrip, Root())
    inp, out, lengths = result.output("inp"), result.output(), result.output("lengths")
    assert out.shape == (inp.shape[0], inp.shape[1] + 3, 4)
    for b, n in enumerate(lengths):
        # RETURNN pads each sequence after its own length, not after the padded batch.
        want = numpy.pad(inp[b, :n], [(1, 2), (0, 1)], constant_values=0.5)
        numpy.testing.assert_allclose(out[b, : n + 3], want)


def test_window(roundtrip: RoundTripFn) -> None:
    time, feat, win = nn.SpatialDim("time"), nn.FeatureDim("in", 2), nn.SpatialDim("win", 3)
    x = _data(time, feat)
    x.mark_as_output("inp")
    y, t = nn.window(x, spatial_dim=time, window_dim=win)
    assert t is time and y.dims == (win, time, B, feat)
    y.mark_as_default_output()
    result = _run(roundtrip, Root(), renamed=[win])
    inp, out = result.output("inp"), result.output()
    # out[w, t, b] == inp[b, t + w - 1] (zero padded at both ends)
    numpy.testing.assert_allclose(out[1, :, :, :], inp.transpose(1, 0, 2))
    numpy.testing.assert_allclose(out[2, :-1], inp.transpose(1, 0, 2)[1:])


def test_window_valid_stride(roundtrip: RoundTripFn) -> None:
    time, feat, win = nn.SpatialDim("time"), nn.FeatureDim("in", 2), nn.SpatialDim("win", 3)
    x = _data(time, feat)
    y, t2 = nn.window(x, spatial_dim=time, window_dim=win, padding="valid", stride=2)
    assert y.dims == (t2, win, B, feat)
    y.mark_as_default_output()
    _run(roundtrip, Root(), renamed=[win])


# -- gather / where / top_k / one_hot -----------------------------------------------------


def test_gather_int_and_tensor(roundtrip: RoundTripFn) -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("hid", 4)
    x = _data(time, feat)
    idx = nn.get_extern_data(nn.Data("idx", dim_tags=[B, time], sparse_dim=hid))
    net = nn.Linear(feat, hid)
    h = net(x)
    h.mark_as_output("inp")
    idx.mark_as_output("idx_out")
    first = nn.gather(h, indices=0, axis=time)
    assert first.dims == (B, hid)
    first.mark_as_output("first")
    picked = nn.gather(h, indices=idx, axis=hid)
    assert picked.dims == (B, time)
    picked.mark_as_default_output()
    result = _run(roundtrip, net)
    inp, ids = result.output("inp"), result.output("idx_out")
    numpy.testing.assert_allclose(result.output("first"), inp[:, 0])
    want = numpy.take_along_axis(inp, ids[..., None].astype(numpy.int64), axis=2)[..., 0]
    numpy.testing.assert_allclose(result.output(), want)


def test_where(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = _data(time, feat)
    x.mark_as_output("inp")
    y = nn.where(x > 0.0, x, 0.0)
    y.mark_as_default_output()
    z = nn.where(x < 0.0, -1.0, x)
    z.mark_as_output("z")
    result = _run(roundtrip, Root())
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), numpy.where(inp > 0, inp, 0.0))
    numpy.testing.assert_allclose(result.output("z"), numpy.where(inp < 0, -1.0, inp))


def test_top_k(roundtrip: RoundTripFn) -> None:
    feat, hid = nn.FeatureDim("in", 3), nn.FeatureDim("hid", 5)
    x = _data(feat)
    net = nn.Linear(feat, hid)
    h = net(x)
    h.mark_as_output("inp")
    values, indices, k_dim = nn.top_k(h, axis=hid, k=2)
    assert values.dims == (B, k_dim) and indices.sparse_dim == hid
    values.mark_as_default_output()
    indices.mark_as_output("indices")
    result = _run(roundtrip, net)
    inp = result.output("inp")
    order = numpy.argsort(-inp, axis=-1)[:, :2]
    numpy.testing.assert_allclose(result.output(), numpy.take_along_axis(inp, order, axis=-1))
    numpy.testing.assert_array_equal(result.output("indices"), order)


def test_one_hot(roundtrip: RoundTripFn) -> None:
    time, classes = nn.SpatialDim("time"), nn.FeatureDim("classes", 4)
    idx = nn.get_extern_data(nn.Data("data", dim_tags=[B, time], sparse_dim=classes))
    idx.mark_as_output("inp")
    y = nn.one_hot(idx)
    assert set(y.dims) == {B, time, classes} and y.dtype == "float32" and y.sparse_dim is None
    y.mark_as_default_output()
    result = _run(roundtrip, Root())
    ids, out = result.output("inp"), result.output()
    axis = y.dims.index(classes)
    numpy.testing.assert_array_equal(
        numpy.moveaxis(out, axis, -1), numpy.eye(4, dtype="float32")[ids]
    )


# -- range_over_dim / length / dim_value / cumsum -----------------------------------------


def test_range_length_dim_value(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = _data(time, feat)
    x.mark_as_output("inp")
    r = nn.range_over_dim(time)
    assert r.dims == (time,) and r.sparse_dim == time
    r.mark_as_default_output()
    lengths = nn.length(time)
    assert lengths.dims == (B,) and lengths.dtype == "int32"
    lengths.mark_as_output("lengths")
    nn.dim_value(time).mark_as_output("max_len")
    nn.length(feat).mark_as_output("feat_len")
    result = _run(roundtrip, Root(), max_time=5)
    n = result.output("inp").shape[1]
    numpy.testing.assert_array_equal(result.output(), numpy.arange(n))
    assert result.output("lengths").shape == (3,) and result.output("lengths").max() == n
    assert int(result.output("max_len")) == n
    assert int(result.output("feat_len")) == 3


def test_cumsum(roundtrip: RoundTripFn) -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("hid", 2)
    x = _data(time, feat)
    net = nn.Linear(feat, hid)
    h = net(x)
    h.mark_as_output("inp")
    nn.cumsum(h, axis=time).mark_as_default_output()
    nn.cumsum(h, axis=hid, reverse=True).mark_as_output("rev")
    result = _run(roundtrip, net)
    inp = result.output("inp")
    numpy.testing.assert_allclose(result.output(), numpy.cumsum(inp, axis=1), rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(
        result.output("rev"), numpy.cumsum(inp[..., ::-1], axis=-1)[..., ::-1], rtol=1e-5, atol=1e-5
    )


# -- random --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["uniform", "normal", "bernoulli"])
def test_random(roundtrip: Callable[..., Any], kind: str) -> None:
    # The RNG state variable RETURNN keeps for a random layer is not a parameter;
    # the harness leaves it out of the variable names (N4 holds as for every model).
    feat = nn.FeatureDim("in", 3)
    x = _data(feat)
    if kind == "uniform":
        r = nn.random_uniform([B, feat], minval=-2.0, maxval=-1.0)
    elif kind == "normal":
        r = nn.random_normal([B, feat], mean=5.0, stddev=0.01)
    else:
        r = nn.random_bernoulli([B, feat], p=0.5)
    assert r.dims == (B, feat)
    (r if kind == "bernoulli" else r + x).mark_as_default_output()
    x.mark_as_output("inp")
    report = roundtrip(Root()).report
    out, inp = report.outputs["output"], report.outputs["inp"]
    assert out.shape == inp.shape
    if kind == "uniform":
        diff = out - inp
        assert numpy.all((diff >= -2.0 - 1e-5) & (diff < -1.0 + 1e-5))
    elif kind == "normal":
        assert numpy.all(numpy.abs(out - inp - 5.0) < 0.1)
    else:
        assert out.dtype == numpy.bool_
