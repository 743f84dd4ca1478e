"""Shrunk failing examples of the differential fuzzer in the op catalogue (not control flow).

Each test is a minimal hand-written model of one bug the fuzzer found (issue 8); it goes
through the ``roundtrip`` fixture (RETURNN constructs, runs forward, N4 and template
agreement). Control-flow bugs are in ``test_regressions.py``.
"""

from __future__ import annotations

import numpy
import pytest
from rc_regression_helpers import B, Roundtrip
from rc_regression_helpers import Fn as _Fn
from rc_regression_helpers import data as _data

import rc_nn as nn

pytestmark = pytest.mark.returnn


@pytest.mark.parametrize("square", [True, False])
def test_linear_layer_after_slice_nd_transforms_in_dim(roundtrip: Roundtrip, square: bool) -> None:
    """``Linear(d, d)`` on an input whose feature dim is ``d`` for us but not for RETURNN
    (fuzz-found: "k2" twice after ``top_k``; here after ``slice_nd``, where RETURNN takes the
    new window dim for the feature axis). Our ``linear`` layer had no ``in_dim``, so RETURNN
    replaced its own feature dim (``win``) with ``out_dim`` = ``d``: ``d`` twice (an assertion
    in RETURNN), or a wrong template for a non-square Linear. The layer now states ``in_dim``."""
    time, s0, s1 = nn.SpatialDim("time"), nn.FeatureDim("s0", 1), nn.FeatureDim("s1", 4)
    win = nn.SpatialDim("win", 1)
    lin = nn.Linear(s1, s1 if square else nn.FeatureDim("o", 3))

    def fn(x: nn.Tensor) -> nn.Tensor:
        y = nn.slice_nd(x, axis=time, start=nn.constant(0, [B]), size=win)
        return nn.tanh(lin(y))

    net = _Fn(fn)
    net.lin = lin
    net(_data(s0, s1, time)).mark_as_default_output()
    result = roundtrip(net)
    layer = result.serialized.network["lin"]
    assert layer["class"] == "linear" and layer["in_dim"] is s1


@pytest.mark.parametrize("user_out_dim", [False, True])
@pytest.mark.parametrize("use", ["add", "mul", "where"])
def test_merge_dims_with_time_then_combined_with_time(
    roundtrip: Roundtrip, use: str, user_out_dim: bool
) -> None:
    """``merge_dims`` of time with a static dim, then broadcast with a tensor that has time
    (fuzz-found): RETURNN failed ("cannot match the axes ... Failing at axis 1, tag time").
    Root cause: RETURNN's product dim ``time*s`` is derived from ``time``, and its
    ``get_common_data`` (``derived_matches``) took it for ``time``; the input with ``time``
    then did not fit the common template. Also with an ``out_dim`` (RETURNN only declares
    its product the same as it). The merged dim is now renamed to a dim that is not
    derived (``reinterpret_data``), so the result has both dims, as our template says."""
    time, s, g = nn.SpatialDim("time"), nn.FeatureDim("s", 2), nn.FeatureDim("g", 3)

    def fn(x: nn.Tensor, o: nn.Tensor) -> nn.Tensor:
        out_dim = nn.SpatialDim("merged") if user_out_dim else None
        y, merged = nn.merge_dims(x, axes=[time, s], out_dim=out_dim)
        assert merged.description == ("merged" if user_out_dim else "time*s")
        if use == "add":
            z = y + o
        elif use == "mul":
            z = y * nn.reduce_sum(o, axis=s)
        else:
            z = nn.where(nn.reduce_sum(o, axis=s) > 0, y, -y)
        assert z.dims_set() >= {merged, time}
        return nn.reduce_sum(z, axis=[merged, time])

    net = _Fn(fn)
    net(_data(time, s, g), _data(time, s, name="other")).mark_as_default_output()
    roundtrip(net)


@pytest.mark.parametrize("axes", ["s1,win", "win,s1", "s0,win"])
def test_merge_dims_of_axes_apart_after_slice_nd(roundtrip: Roundtrip, axes: str) -> None:
    """``slice_nd`` on [B, s1, s0, time] gives [B, s1, s0, win]; ``merge_dims`` of s1 and
    win (not next to each other) put the merged dim elsewhere than our template said
    (found by hand while shrinking the fuzz report of failures after ``slice_nd``).
    Root cause: RETURNN puts the merged dim where its feature axis was if that is merged,
    and its feature axis after ``slice_nd`` is ``win``, ours ``s0``. Axes apart are now
    moved next to each other first (``transpose``), where the place does not depend on it."""
    time, s0, s1 = nn.SpatialDim("time"), nn.FeatureDim("s0", 1), nn.FeatureDim("s1", 3)
    win = nn.SpatialDim("win", 2)
    named = {"s0": s0, "s1": s1, "win": win}

    def fn(x: nn.Tensor, o: nn.Tensor) -> nn.Tensor:
        y = nn.slice_nd(x, axis=time, start=nn.constant(0, [B]), size=win)
        z, _ = nn.merge_dims(y, axes=[named[n] for n in axes.split(",")])
        return nn.tanh(z) + o

    net = _Fn(fn)
    net(_data(s1, s0, time), _data(s0, name="other")).mark_as_default_output()
    roundtrip(net)


@pytest.mark.parametrize("window_over", ["time", "feat"])
def test_slice_nd_of_a_tensor_with_the_batch_dim_not_first(
    roundtrip: Roundtrip, window_over: str
) -> None:
    """``window`` gives ``[w, time, B, f]`` (batch not first), then ``slice_nd`` over time
    (fuzz-found): RETURNN failed ("Mismatching shape: Raw tensor (None, 2) vs Tensor
    ... gather_positions"): its slice_nd builds the positions batch-major but gathers from
    the input as it is. The input is now made batch-major first (``transpose``)."""
    time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 4)
    w, win = nn.SpatialDim("w", 1), nn.SpatialDim("win", 2)

    def fn(x: nn.Tensor) -> nn.Tensor:
        y, _ = nn.window(x, spatial_dim=time if window_over == "time" else f, window_dim=w)
        assert y.dims[0] is not B
        z = nn.slice_nd(y, axis=time, start=nn.constant(0, [B]), size=win)
        return nn.tanh(z)

    net = _Fn(fn)
    net(_data(time, f)).mark_as_default_output()
    roundtrip(net)


@pytest.mark.parametrize("variant", ["both", "true_only", "false_only", "two_others"])
def test_where_without_an_input_that_has_all_dims(roundtrip: Roundtrip, variant: str) -> None:
    """``nn.where`` whose condition and values each miss some dims of the result (fuzz-found
    with the ``merge_dims`` bug above): RETURNN's ``switch`` refused the broadcast
    ("RequirementNotSatisfied: All inputs require broadcasting", it has no option to allow
    it). The condition is now broadcast to all dims first (an ``eval`` layer)."""
    time, g, h = nn.SpatialDim("time"), nn.FeatureDim("g", 3), nn.FeatureDim("h", 2)

    def fn(x: nn.Tensor, o: nn.Tensor) -> nn.Tensor:
        cond = nn.reduce_sum(x, axis=g) > 0  # [B, time]
        if variant == "both":
            z = nn.where(cond, o, -o)
        elif variant == "true_only":
            z = nn.where(cond, o, 0.0)
        elif variant == "false_only":
            z = nn.where(cond, 1.0, o)
        else:
            z = nn.where(cond, o, nn.reduce_sum(x, axis=time))
        return nn.reduce_sum(z, axis=time)

    net = _Fn(fn)
    net(_data(time, g), _data(h, name="other")).mark_as_default_output()
    result = roundtrip(net)
    assert result.serialized.network["where"]["condition"] == "where_cond"


@pytest.mark.parametrize("log_space", [False, True])
@pytest.mark.parametrize("over_time", [False, True])
def test_softmax_over_more_than_five_dims(
    roundtrip: Roundtrip, log_space: bool, over_time: bool
) -> None:
    """``nn.softmax`` on a tensor with more than 5 dims failed at run time in TF's oneDNN
    kernel ("Input dims must be <= 5 and >=1", fuzz-found). The static dims besides the
    axis are now merged around the ``softmax_over_spatial`` layer and split back."""
    time = nn.SpatialDim("time")
    a, b, c, d = (nn.FeatureDim(n, k) for n, k in zip("abcd", [3, 2, 2, 2], strict=True))
    axis = time if over_time else a

    def fn(x: nn.Tensor) -> nn.Tensor:
        y = (nn.log_softmax if log_space else nn.softmax)(x, axis=axis)
        assert y.dims_set() == x.dims_set()
        sums = nn.reduce_sum(nn.exp(y) if log_space else y, axis=axis)
        # one over the axis, wherever the other dims are
        return sums if over_time else nn.reduce_mean(sums, axis=time)

    net = _Fn(fn)
    net(_data(time, a, b, c, d)).mark_as_default_output()
    result = roundtrip(net)
    layers = result.serialized.network
    assert any(layer["class"] == "merge_dims" for layer in layers.values())
    numpy.testing.assert_allclose(result.output(), 1.0, rtol=1e-5)


def test_softmax_in_a_loop_moved_out_with_more_than_five_dims(roundtrip: Roundtrip) -> None:
    """In a loop the softmax's input has 5 dims per frame; RETURNN moves it out of the loop,
    where it gets the loop's time dim too (6 dims): merged as well."""
    time = nn.SpatialDim("time")
    a, b, c, d = (nn.FeatureDim(n, k) for n, k in zip("abcd", [3, 2, 2, 2], strict=True))

    def fn(x: nn.Tensor) -> nn.Tensor:
        with nn.Loop(axis=time) as loop:
            probs = nn.softmax(loop.unstack(x), axis=a)
            ys = loop.stack(nn.reduce_sum(probs, axis=a))
        return nn.reduce_mean(ys, axis=loop.axis)

    net = _Fn(fn)
    net(_data(time, a, b, c, d)).mark_as_default_output()
    result = roundtrip(net)
    numpy.testing.assert_allclose(result.output(), 1.0, rtol=1e-5)
