"""Shrunk failing examples of the differential fuzzer in the op catalogue (not control flow).

Each test is a minimal hand-written model of one bug the fuzzer found (issue 8); it goes
through the ``roundtrip`` fixture (RETURNN constructs, runs forward, N4 and template
agreement). Control-flow bugs are in ``test_regressions.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn

pytestmark = pytest.mark.returnn

Roundtrip = Callable[..., Any]
B = nn.batch_dim


def _data(*dims: nn.Dim, name: str = "data") -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[B, *dims]))


class _Fn(nn.Module):
    """A root module that runs ``fn``."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args: Any) -> Any:
        return self.fn(*args)


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


def test_slice_nd_then_combine(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    win = nn.SpatialDim("win", 2)

    def fn(x: nn.Tensor, o: nn.Tensor) -> nn.Tensor:
        y = nn.slice_nd(x, axis=time, start=nn.constant(0, [B]), size=win)
        return nn.reduce_sum(y + o, axis=[win, time])

    net = _Fn(fn)
    net(_data(time, feat), _data(time, feat, name="other")).mark_as_default_output()
    roundtrip(net)


def test_merge_time_static_then_combine(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)

    def fn(x: nn.Tensor, o: nn.Tensor) -> nn.Tensor:
        y, m = nn.merge_dims(x, axes=[time, feat])
        return nn.reduce_sum(y, axis=m) + nn.reduce_sum(o, axis=[time, feat])

    net = _Fn(fn)
    net(_data(time, feat), _data(time, feat, name="other")).mark_as_default_output()
    roundtrip(net)


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
