"""Tensor operators and element-wise ops: templates, broadcasting, error messages (no TF)."""

from __future__ import annotations

import operator
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rc_naming
import rc_nn as nn


def _line_of(snippet: str) -> str:
    with open(__file__, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if snippet in line and "_line_of" not in line:
                return f"{__file__}:{number}"
    raise AssertionError(snippet)


TIME = nn.SpatialDim("time")
A = nn.FeatureDim("a", 2)
B = nn.FeatureDim("b", 3)


@pytest.fixture
def x() -> nn.Tensor:
    return nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, TIME, A]))


@pytest.fixture
def idx() -> nn.Tensor:
    return nn.get_extern_data(nn.Data("idx", dim_tags=[nn.batch_dim, TIME], dtype="int32"))


# -- scalars ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "expr"),
    [
        (lambda t: t + 1, "source(0) + 1"),
        (lambda t: 1 + t, "1 + source(0)"),
        (lambda t: t - 2.5, "source(0) - 2.5"),
        (lambda t: 2.5 - t, "2.5 - source(0)"),
        (lambda t: t * 3, "source(0) * 3"),
        (lambda t: 3 * t, "3 * source(0)"),
        (lambda t: t / 2.0, "source(0) / 2.0"),
        (lambda t: 2.0 / t, "2.0 / source(0)"),
        (lambda t: t**2, "tf.math.pow(source(0), 2)"),
        (lambda t: 2**t, "tf.math.pow(2, source(0))"),
        (lambda t: t // 2, "source(0) // 2"),
        (lambda t: t % 2, "source(0) % 2"),
        (lambda t: nn.maximum(t, 0.0), "tf.maximum(source(0), 0.0)"),
        (lambda t: nn.minimum(t, 1.0), "tf.minimum(source(0), 1.0)"),
    ],
)
def test_scalar_arithmetic(op: Callable[[nn.Tensor], nn.Tensor], expr: str, x: nn.Tensor) -> None:
    y = op(x)
    assert y.dims == x.dims
    assert y.dtype == "float32"
    assert y.feature_dim is A
    assert y.layer_dict is not None
    assert y.layer_dict["class"] == "eval"
    assert y.layer_dict["from"] is x
    assert y.layer_dict["eval"] == expr


@pytest.mark.parametrize(
    ("op", "kind", "value"),
    [
        (lambda t: t < 1, "less", 1),
        (lambda t: 1 < t, "greater", 1),  # noqa: SIM300  (reflected)
        (lambda t: t <= 0.5, "less_equal", 0.5),
        (lambda t: t > 0, "greater", 0),
        (lambda t: 0 >= t, "less_equal", 0),  # noqa: SIM300  (reflected)
        (lambda t: t == 2, "equal", 2),
        (lambda t: t != 2, "not_equal", 2),
    ],
)
def test_scalar_comparisons(
    op: Callable[[nn.Tensor], nn.Tensor], kind: str, value: float, x: nn.Tensor
) -> None:
    y = op(x)
    assert y.dims == x.dims and y.dtype == "bool"
    assert y.layer_dict == {"class": "compare", "from": x, "kind": kind, "value": value}


def test_unary_operators(x: nn.Tensor) -> None:
    neg, absolute = -x, abs(x)
    assert neg.layer_dict == {"class": "activation", "from": x, "activation": "negative"}
    assert absolute.layer_dict == {"class": "activation", "from": x, "activation": "abs"}
    mask = x > 0
    inverted = ~mask
    assert inverted.dtype == "bool" and inverted.dims == x.dims
    both = (x > 0) & (x < 1)
    either = (x > 0) | True
    assert both.dtype == either.dtype == "bool"
    assert both.layer_dict is not None and both.layer_dict["kind"] == "logical_and"


def test_int_tensor_ops_keep_dtype(idx: nn.Tensor) -> None:
    assert (idx + 1).dtype == "int32"
    assert (idx // 2).dtype == "int32"
    assert (idx * idx).dtype == "int32"


# -- tensors and broadcasting ----------------------------------------------------------


def test_broadcast_two_tensors(x: nn.Tensor) -> None:
    y = nn.zeros([B])
    for result in (x + y, x * y, nn.maximum(x, y)):
        assert set(result.dims) == {nn.batch_dim, TIME, A, B}
        assert result.dtype == "float32"
        assert result.layer_dict is not None
        assert result.layer_dict["from"] == [x, y]
        # No input has all dims: RETURNN needs the explicit flag.
        assert result.layer_dict["allow_broadcast_all_sources"] is True
    assert (y * x).layer_dict["from"] == [y, x]  # type: ignore[index]


def test_broadcast_subset_needs_no_flag(x: nn.Tensor) -> None:
    bias = nn.zeros([A])
    result = x + bias
    assert result.dims == x.dims
    assert result.layer_dict == {"class": "combine", "from": [x, bias], "kind": "add"}
    reverse = bias - x
    assert set(reverse.dims) == set(x.dims)
    assert reverse.layer_dict["from"] == [bias, x]  # type: ignore[index]


def test_broadcast_keeps_different_dims_of_the_same_size() -> None:
    """Dims match as in the emitted config's behavior version: a user dim equals only itself
    (under RETURNN's process default version 0, same-size static dims and size-1 dims were
    merged by get_common_data)."""
    a, b, one, other_one = (
        nn.FeatureDim(n, s) for n, s in (("a", 3), ("b", 3), ("o", 1), ("p", 1))
    )
    x = nn.zeros([nn.batch_dim, a])
    assert (x + nn.zeros([b])).dims == (nn.batch_dim, a, b)
    assert (nn.zeros([one]) < nn.zeros([nn.batch_dim, other_one])).dims_set() == {
        nn.batch_dim,
        one,
        other_one,
    }
    assert nn.where(x > 0.0, x, nn.zeros([b])).dims_set() == {nn.batch_dim, a, b}
    assert (x + nn.zeros([a])).dims == (nn.batch_dim, a)  # the same dim is still one dim


def test_tensor_comparison_broadcasts(x: nn.Tensor) -> None:
    y = nn.zeros([B])
    result = x < y
    assert result.dtype == "bool"
    assert set(result.dims) == {nn.batch_dim, TIME, A, B}
    assert result.layer_dict is not None
    assert result.layer_dict["kind"] == "less"
    assert result.layer_dict["from"] == [x, y]


def test_same_tensor_twice(x: nn.Tensor) -> None:
    result = x * x
    assert result.dims == x.dims
    assert "allow_broadcast_all_sources" not in result.layer_dict  # type: ignore[operator]


def test_activations_keep_template(x: nn.Tensor) -> None:
    for fn in (nn.relu, nn.tanh, nn.sigmoid, nn.exp, nn.log, nn.gelu, nn.swish, nn.square):
        y = fn(x)
        assert y.dims == x.dims and y.dtype == x.dtype and y.feature_dim is A


# -- errors ----------------------------------------------------------------------------


def test_linear_wrong_input_dim_shows_dims_and_line(x: nn.Tensor) -> None:
    lin = nn.Linear(B, nn.FeatureDim("out", 4))
    with pytest.raises(nn.DimMismatchError) as info:
        lin(x)  # wrong input dim here
    message = str(info.value)
    assert "Linear(b(3) -> out(4))" in message
    assert "has no dim b(3)" in message
    assert "global batch(?), time(?), a(2)" in message
    assert _line_of("lin(x)  # wrong input dim here") in message


def test_conflicting_dims_in_arithmetic(x: nn.Tensor) -> None:
    other = nn.zeros([nn.FeatureDim("a", 5)])
    with pytest.raises(nn.DimMismatchError) as info:
        _ = x + other  # conflicting dims here
    message = str(info.value)
    assert "conflicting dims a(2) and a(5)" in message
    assert _line_of("_ = x + other  # conflicting dims here") in message


@pytest.mark.parametrize("value", ["text", None, [1, 2], object()])
def test_non_tensor_argument(value: object, x: nn.Tensor) -> None:
    with pytest.raises(nn.NotATensorError) as info:
        _ = x + value  # non-tensor here
    message = str(info.value)
    assert f"got {type(value).__name__}" in message
    assert _line_of("_ = x + value  # non-tensor here") in message
    assert isinstance(info.value, TypeError)


def test_non_tensor_to_functions() -> None:
    with pytest.raises(nn.NotATensorError, match=r"relu: expected an nn\.Tensor, got float"):
        nn.relu(1.5)  # type: ignore[arg-type]


def test_dim_where_tensor_belongs(x: nn.Tensor) -> None:
    with pytest.raises(nn.NotATensorError) as info:
        nn.relu(A)  # type: ignore[arg-type]  # dim here
    message = str(info.value)
    assert "got the dim a(2) where a tensor belongs" in message
    assert _line_of("nn.relu(A)  # type: ignore[arg-type]  # dim here") in message
    with pytest.raises(nn.NotATensorError, match="got the dim a"):
        _ = x * A


def test_bool_of_tensor_is_a_helpful_type_error(x: nn.Tensor) -> None:
    with pytest.raises(TypeError) as info:
        if x > 0:
            pass
    message = str(info.value)
    assert "no truth value" in message
    assert "nn.where" in message or "nn.Cond" in message
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)
    with pytest.raises(TypeError, match="not iterable"):
        list(x)


def test_float_scalar_with_int_tensor(idx: nn.Tensor) -> None:
    with pytest.raises(nn.DimMismatchError, match=r"cast the tensor first"):
        _ = idx * 0.5


def test_mixed_dtypes_are_rejected_at_the_users_line(x: nn.Tensor, idx: nn.Tensor) -> None:
    with pytest.raises(nn.DimMismatchError) as info:
        _ = x + idx  # mixed dtypes here
    message = str(info.value)
    assert "different dtypes" in message and "float32" in message and "int32" in message
    assert "nn.cast(x, dtype='float32')" in message
    assert _line_of("_ = x + idx  # mixed dtypes here") in message
    with pytest.raises(nn.DimMismatchError, match="different dtypes"):
        _ = x < idx
    assert (x + nn.cast(idx, "float32")).dtype == "float32"


def test_true_division_of_ints_is_rejected(idx: nn.Tensor) -> None:
    # TF makes float64 of it, RETURNN then rejects the int32 template.
    with pytest.raises(nn.DimMismatchError, match="use // for integer division"):
        _ = idx / 2
    with pytest.raises(nn.DimMismatchError, match="use // for integer division"):
        _ = idx / idx
    assert (nn.cast(idx, "float32") / 2).dtype == "float32"


def test_logical_ops_need_bool(x: nn.Tensor) -> None:
    with pytest.raises(nn.DimMismatchError, match="needs bool tensors"):
        _ = x & x
    with pytest.raises(nn.DimMismatchError, match="needs bool tensors"):
        _ = x | True
    with pytest.raises(nn.DimMismatchError, match="needs a bool tensor"):
        _ = ~x


def test_unknown_combine_kind(x: nn.Tensor) -> None:
    with pytest.raises(ValueError, match="unknown kind 'plus'"):
        nn.combine(x, x, kind="plus")


def test_clip_by_value_bounds(x: nn.Tensor) -> None:
    with pytest.raises(ValueError, match=r"min 2\.0 is larger than max 1\.0"):
        nn.clip_by_value(x, 2.0, 1.0)


def test_tensors_of_two_roots(x: nn.Tensor) -> None:
    with nn.Root("second"):
        other = nn.zeros([A])
    with pytest.raises(rc_naming.RootMismatchError) as info:
        _ = x + other
    assert "'second'" in str(info.value) and "'test'" in str(info.value)


# -- property: element-wise compositions ----------------------------------------------

_DIM_POOL = [
    nn.batch_dim,
    nn.SpatialDim("p-time"),
    nn.FeatureDim("p-a", 2),
    nn.FeatureDim("p-b", 3),
    nn.FeatureDim("p-c", 4),
]

_BINARY: list[Callable[[nn.Tensor, nn.Tensor], nn.Tensor]] = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    nn.maximum,
    nn.minimum,
    lambda a, b: nn.combine(a, b, kind="squared_difference"),
]
_UNARY: list[Callable[[nn.Tensor], nn.Tensor]] = [
    nn.relu,
    nn.tanh,
    nn.sigmoid,
    nn.exp,
    operator.neg,
    abs,
    lambda t: t * 2.0,
    lambda t: 1.0 - t,
    lambda t: t**2,
]


@st.composite
def _expressions(draw: st.DrawFn) -> tuple[list[list[int]], list[tuple[str, int, int, int]]]:
    """Input dim subsets (indices into the pool) and a program of ops over a value stack."""
    n_inputs = draw(st.integers(1, 4))
    inputs = [
        sorted(draw(st.sets(st.integers(0, len(_DIM_POOL) - 1), min_size=0, max_size=4)))
        for _ in range(n_inputs)
    ]
    program = []
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            program.append(
                (
                    "bin",
                    draw(st.integers(0, len(_BINARY) - 1)),
                    draw(st.integers(0, 99)),
                    draw(st.integers(0, 99)),
                )
            )
        else:
            program.append(
                ("un", draw(st.integers(0, len(_UNARY) - 1)), draw(st.integers(0, 99)), 0)
            )
    return inputs, program


@given(_expressions())
def test_elementwise_compositions_union_of_dims(
    case: tuple[list[list[int]], list[tuple[str, int, int, int]]],
) -> None:
    inputs, program = case
    with nn.Root("property"):
        values: list[tuple[nn.Tensor, frozenset[nn.Dim]]] = []
        for number, dim_indices in enumerate(inputs):
            dims = [_DIM_POOL[i] for i in dim_indices]
            tensor = nn.get_extern_data(nn.Data(f"in{number}", dim_tags=dims))
            assert set(tensor.dims) == set(dims)
            values.append((tensor, frozenset(dims)))
        for kind, op_index, i, j in program:
            a, a_dims = values[i % len(values)]
            if kind == "bin":
                b, b_dims = values[j % len(values)]
                result = _BINARY[op_index](a, b)
                expected = a_dims | b_dims
            else:
                result = _UNARY[op_index](a)
                expected = a_dims
            assert set(result.dims) == expected
            assert len(result.dims) == len(expected)  # each dim once
            assert result.dtype == "float32"
            if expected and result.feature_dim is not None:
                assert result.feature_dim in expected
            values.append((result, expected))
        final, final_dims = values[-1]
        comparison = final > 0.0
        assert comparison.dtype == "bool" and set(comparison.dims) == final_dims


def test_linear_over_first_axis_of_two_dim_input_puts_weight_first() -> None:
    """[in, B] through Linear with bias: dot(weight, x) gives [out, B]. dot(x, weight)
    would make TF run a transposed matmul whose fused bias add fails (oneDNN)."""
    s, out = nn.SpatialDim("s", 2), nn.FeatureDim("out", 3)
    lin = nn.Linear(s, out)
    # an input without feature dim (nn.zeros would make s its feature dim, as RETURNN does)
    x = nn.get_extern_data(nn.Data("s_first", dim_tags=[s, nn.batch_dim]))
    assert x.feature_dim is None
    y = lin(x)
    assert y.dims == (out, nn.batch_dim) and y.feature_dim == out
    dot = y.layer_dict["from"][0]
    assert dot.layer_dict["from"] == [lin.weight, x]
    # without bias there is no add to fuse: the usual order
    no_bias = nn.Linear(s, out, with_bias=False)
    assert no_bias(x).dims == (nn.batch_dim, out)


def test_softmax_over_many_dims_merges_the_static_ones() -> None:
    """TF's oneDNN softmax takes at most 5 dims: with more, the static dims besides the axis
    are merged around the softmax and split back (RETURNN-proven in rc-serialize's
    test_regressions_ops.py); a loop counts as one more dim (RETURNN may move the layer out)."""
    c, d = nn.FeatureDim("c", 2), nn.FeatureDim("d", 2)
    x = nn.zeros([nn.batch_dim, TIME, A, B, c, d])
    y = nn.softmax(x, axis=A)
    assert y.layer_dict["class"] == "split_dims"
    assert y.layer_dict["dims"] == [B, c, d]
    inner = y.layer_dict["from"]
    assert inner.layer_dict["class"] == "softmax_over_spatial"
    assert len(inner.dims) == 4 and inner.dims[-1] is A
    assert y.dims_set() == x.dims_set()
    five = nn.zeros([nn.batch_dim, TIME, A, B, c])
    assert nn.log_softmax(five, axis=A).layer_dict["class"] == "softmax_over_spatial"
    with nn.Loop(axis=TIME) as loop:
        frame = loop.unstack(x)  # 5 dims per frame, 6 where RETURNN moves the softmax out
        in_loop = nn.softmax(frame, axis=A)
    assert in_loop.layer_dict["class"] == "split_dims"


def test_softmax_over_too_many_dynamic_dims_is_a_clear_error() -> None:
    dyn = [nn.SpatialDim(f"t{i}") for i in range(4)]
    x = nn.zeros([nn.batch_dim, *dyn, A])
    with pytest.raises(nn.AxisError, match=r"softmax: .* has 6 dims .* at most 5") as info:
        nn.softmax(x, axis=A)  # the user's line
    assert _line_of("nn.softmax(x, axis=A)  # the user's line") in str(info.value)


@pytest.mark.parametrize("derive", ["slice", "pad"])
def test_broadcast_with_a_dim_derived_from_another_is_a_clear_error(derive: str) -> None:
    """time and ⌈time/2⌉ (or time+2) are different axes, but RETURNN matches a dim with one
    derived from it when broadcasting and then fails constructing the layer (fuzz-found)."""
    time, g = nn.SpatialDim("time"), nn.FeatureDim("g", 3)
    x = nn.zeros([nn.batch_dim, time, g])
    o = nn.zeros([nn.batch_dim, time])
    if derive == "slice":
        y, short = nn.slice(x, axis=time, slice_start=0, slice_step=2)
    else:
        y, (short,) = nn.pad(x, axes=[time], padding=[(1, 1)])
    with pytest.raises(nn.DimMismatchError, match=r"derived from the other.*test_tensor_ops\.py"):
        _ = y + o
    # Same dim on both sides: fine; an unrelated new dim: broadcast.
    assert (y + nn.reduce_sum(y, axis=g)).dims == y.dims
    fresh = nn.SpatialDim("fresh")
    z = nn.replace_dim(y, in_dim=short, out_dim=fresh)[0] + o
    assert set(z.dims) == {nn.batch_dim, fresh, g, time}
