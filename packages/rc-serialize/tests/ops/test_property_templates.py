"""Property: random compositions of ops over random dims have the templates RETURNN infers.

Each example draws a few dims (batch, optionally a dynamic time dim, one or two
static dims of random size, in random order) and a chain of up to five ops:
element-wise unary and binary ops (with scalars and with a broadcast second
input), reduce, dot via ``Linear``, softmax and concat. The ``roundtrip``
fixture constructs the emitted config in RETURNN and asserts that the template
of every layer equals RETURNN's (dims in order, dtype, sparse dim) and N4.
One RETURNN construction per example, each small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rc_naming
import rc_nn as nn

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
B = nn.batch_dim

UNARY: dict[str, Callable[[nn.Tensor], nn.Tensor]] = {
    "relu": nn.relu,
    "tanh": nn.tanh,
    "sigmoid": nn.sigmoid,
    "neg": nn.neg,
    "square": nn.square,
    "gelu": nn.gelu,
    "abs": nn.abs_,
    "exp": nn.exp,
}
SCALAR: dict[str, Callable[[nn.Tensor], nn.Tensor]] = {
    "add": lambda x: x + 1.0,
    "rsub": lambda x: 2.0 - x,
    "mul": lambda x: x * 0.5,
    "rdiv": lambda x: 1.0 / (nn.abs_(x) + 1.0),
    "max": lambda x: nn.maximum(x, 0.1),
    "clip": lambda x: nn.clip_by_value(x, -1.0, 1.0),
}
OPS = ["unary", "scalar", "binary", "reduce", "linear", "softmax", "concat"]


class Model(nn.Module):
    """Holds the Linears the example creates (the root module)."""

    def forward(self) -> None:  # pragma: no cover - never called
        raise NotImplementedError


def _static(dims: tuple[nn.Dim, ...]) -> list[nn.Dim]:
    return [d for d in dims if d is not B and d.dimension is not None]


def _non_batch(dims: tuple[nn.Dim, ...]) -> list[nn.Dim]:
    return [d for d in dims if d is not B]


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_compositions_agree_with_returnn(
    roundtrip: RoundTripFn, data: st.DataObject
) -> None:
    with rc_naming.Root("property"):
        model = Model()
        with_time = data.draw(st.booleans(), label="with_time")
        sizes = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=2), label="static sizes")
        dims: list[nn.Dim] = [nn.FeatureDim(f"s{i}", n) for i, n in enumerate(sizes)]
        if with_time:
            dims.append(nn.SpatialDim("time"))
        dims = data.draw(st.permutations(dims), label="dim order")
        x = nn.get_extern_data(nn.Data("data", dim_tags=[B, *dims]))
        other_dims = data.draw(
            st.lists(st.sampled_from(dims), unique=True, max_size=len(dims)), label="other dims"
        )
        other = nn.get_extern_data(nn.Data("other", dim_tags=[B, *other_dims]))
        n_ops = data.draw(st.integers(1, 5), label="n_ops")
        n_linear = 0
        for _ in range(n_ops):
            op = data.draw(st.sampled_from(OPS), label="op")
            non_batch = _non_batch(x.dims)
            static = _static(x.dims)
            if op == "unary":
                x = UNARY[data.draw(st.sampled_from(sorted(UNARY)), label="unary")](x)
            elif op == "scalar":
                x = SCALAR[data.draw(st.sampled_from(sorted(SCALAR)), label="scalar")](x)
            elif op == "binary":
                usable = [d for d in other.dims if d in x.dims]
                operand = (
                    other
                    if len(usable) == len(other.dims)
                    else nn.reduce_sum(other, axis=[d for d in other.dims if d not in x.dims])
                )
                kind = data.draw(st.sampled_from(["add", "sub", "mul", "maximum"]), label="kind")
                x = nn.combine(x, operand, kind=kind)
            elif op == "reduce" and len(non_batch) > 1:
                axis = data.draw(st.sampled_from(non_batch), label="reduce axis")
                mode = data.draw(st.sampled_from(["sum", "mean", "max", "min", "logsumexp"]))
                x = nn.reduce(x, mode=mode, axis=axis)
            elif op == "linear" and static:
                in_dim = data.draw(st.sampled_from(static), label="linear in")
                out_dim = nn.FeatureDim(f"lin{n_linear}", data.draw(st.integers(1, 3)))
                linear = nn.Linear(in_dim, out_dim)
                setattr(model, f"lin{n_linear}", linear)
                n_linear += 1
                x = linear(x)
            elif op == "softmax" and non_batch:
                axis = data.draw(st.sampled_from(non_batch), label="softmax axis")
                log = data.draw(st.booleans(), label="log")
                x = nn.log_softmax(x, axis=axis) if log else nn.softmax(x, axis=axis)
            elif op == "concat" and static:
                axis = data.draw(st.sampled_from(static), label="concat axis")
                x, _ = nn.concat((x, axis), (nn.tanh(x), axis))
        x.mark_as_default_output()
        roundtrip(model)  # asserts template agreement for every layer
