"""Element-wise math, softmax, reduce, dot, concat, cast, constants, stop_gradient, dropout.

Every op is built into a small network, constructed and run by RETURNN's TF
backend (the round trip asserts template agreement for every layer and N4), and
its forward values are compared with numpy on the random inputs.

To stay fast, the element-wise ops share one network per group (a module-scoped
round trip with one marked output per op); each op is still its own
parametrized test case that compares its output with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy
import pytest

import rc_naming
import rc_nn as nn
from rc_serialize._roundtrip import roundtrip

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
Array = numpy.ndarray
B = nn.batch_dim


class Root(nn.Module):
    """A root module without parameters."""

    def forward(self) -> None:  # pragma: no cover - never called
        raise NotImplementedError


def _sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + numpy.exp(-x))


def _erf(x: Array) -> Array:
    return numpy.vectorize(math.erf)(x)


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805

# -- unary ops on x [B, T, F] ---------------------------------------------------------
# (name, rc-nn op, numpy op, input domain): "any" is x, "pos" is |x| + 0.5, "bool" is x > 0.
Unary = tuple[str, Callable[[nn.Tensor], nn.Tensor], Callable[[Array], Array], str]
UNARY: list[Unary] = [
    ("relu", nn.relu, lambda x: numpy.maximum(x, 0.0), "any"),
    ("gelu", nn.gelu, lambda x: 0.5 * x * (1.0 + _erf(x / numpy.sqrt(2.0))), "any"),
    ("elu", nn.elu, lambda x: numpy.where(x > 0, x, numpy.expm1(x)), "any"),
    (
        "selu",
        nn.selu,
        lambda x: _SELU_SCALE * numpy.where(x > 0, x, _SELU_ALPHA * numpy.expm1(x)),
        "any",
    ),
    ("swish", nn.swish, lambda x: x * _sigmoid(x), "any"),
    ("silu", nn.silu, lambda x: x * _sigmoid(x), "any"),
    ("tanh", nn.tanh, numpy.tanh, "any"),
    ("sigmoid", nn.sigmoid, _sigmoid, "any"),
    ("log_sigmoid", nn.log_sigmoid, lambda x: -numpy.logaddexp(0.0, -x), "any"),
    ("exp", nn.exp, numpy.exp, "any"),
    ("log", nn.log, numpy.log, "pos"),
    ("log1p", nn.log1p, numpy.log1p, "pos"),
    ("sqrt", nn.sqrt, numpy.sqrt, "pos"),
    ("rsqrt", nn.rsqrt, lambda x: 1.0 / numpy.sqrt(x), "pos"),
    ("square", nn.square, numpy.square, "any"),
    ("abs", nn.abs_, numpy.abs, "any"),
    ("abs_operator", abs, numpy.abs, "any"),
    ("neg", nn.neg, numpy.negative, "any"),
    ("neg_operator", lambda x: -x, numpy.negative, "any"),
    ("floor", nn.floor, numpy.floor, "any"),
    ("ceil", nn.ceil, numpy.ceil, "any"),
    (
        "clip_by_value",
        lambda x: nn.clip_by_value(x, -0.5, 0.25),
        lambda x: x.clip(-0.5, 0.25),
        "any",
    ),
    ("logical_not", nn.logical_not, numpy.logical_not, "bool"),
    ("invert_operator", lambda x: ~x, numpy.logical_not, "bool"),
    (
        "activation_softplus",
        lambda x: nn.activation(x, "softplus"),
        lambda x: numpy.logaddexp(0.0, x),
        "any",
    ),
]

# -- binary ops: x [B, T, F] with y [B, F] (broadcast over T), or with Python scalars ---
# Domains: "any" (x, y), "pos" (|x| + 0.5, |y| + 0.5), "bool" (x > 0, y > 0), "int" (ints).
Binary = tuple[
    str, Callable[[nn.Tensor, nn.Tensor], nn.Tensor], Callable[[Array, Array], Array], str
]
BINARY: list[Binary] = [
    ("add", lambda a, b: a + b, numpy.add, "any"),
    ("sub", lambda a, b: a - b, numpy.subtract, "any"),
    ("mul", lambda a, b: a * b, numpy.multiply, "any"),
    ("truediv", lambda a, b: a / b, numpy.divide, "pos"),
    ("floordiv", lambda a, b: a // b, numpy.floor_divide, "pos"),
    ("mod", lambda a, b: a % b, numpy.mod, "pos"),
    ("pow", lambda a, b: a**b, numpy.power, "pos"),
    ("add_scalar", lambda a, b: a + 2.0, lambda a, b: a + 2.0, "any"),
    ("radd_scalar", lambda a, b: 2.0 + a, lambda a, b: 2.0 + a, "any"),
    ("add_int_scalar", lambda a, b: a + 2, lambda a, b: a + 2.0, "any"),
    ("sub_scalar", lambda a, b: a - 1.5, lambda a, b: a - 1.5, "any"),
    ("rsub_scalar", lambda a, b: 1.5 - a, lambda a, b: 1.5 - a, "any"),
    ("mul_scalar", lambda a, b: a * 3.0, lambda a, b: a * 3.0, "any"),
    ("rmul_scalar", lambda a, b: 3.0 * a, lambda a, b: 3.0 * a, "any"),
    ("truediv_scalar", lambda a, b: a / 4.0, lambda a, b: a / 4.0, "any"),
    ("rtruediv_scalar", lambda a, b: 4.0 / a, lambda a, b: 4.0 / a, "pos"),
    ("floordiv_scalar", lambda a, b: a // 0.7, lambda a, b: a // 0.7, "any"),
    ("rfloordiv_scalar", lambda a, b: 3.0 // a, lambda a, b: 3.0 // a, "pos"),
    ("mod_scalar", lambda a, b: a % 0.7, lambda a, b: a % 0.7, "any"),
    ("rmod_scalar", lambda a, b: 3.0 % a, lambda a, b: 3.0 % a, "pos"),
    ("pow_scalar", lambda a, b: a**2.0, lambda a, b: a**2.0, "any"),
    ("rpow_scalar", lambda a, b: 2.0**a, lambda a, b: 2.0**a, "any"),
    ("maximum", nn.maximum, numpy.maximum, "any"),
    ("minimum", nn.minimum, numpy.minimum, "any"),
    ("maximum_scalar", lambda a, b: nn.maximum(a, 0.1), lambda a, b: numpy.maximum(a, 0.1), "any"),
    ("minimum_scalar", lambda a, b: nn.minimum(a, 0.1), lambda a, b: numpy.minimum(a, 0.1), "any"),
    (
        "squared_difference",
        lambda a, b: nn.combine(a, b, kind="squared_difference"),
        lambda a, b: (a - b) ** 2,
        "any",
    ),
    ("greater", lambda a, b: a > b, numpy.greater, "any"),
    ("greater_equal", lambda a, b: a >= b, numpy.greater_equal, "any"),
    ("less", lambda a, b: a < b, numpy.less, "any"),
    ("less_equal", lambda a, b: a <= b, numpy.less_equal, "any"),
    ("not_equal", lambda a, b: a != b, numpy.not_equal, "any"),
    ("equal_int", lambda a, b: a == b, numpy.equal, "int"),
    ("greater_scalar", lambda a, b: a > 0.2, lambda a, b: a > 0.2, "any"),
    ("less_scalar_reversed", lambda a, b: 0.2 < a, lambda a, b: a > 0.2, "any"),  # noqa: SIM300
    ("less_equal_scalar_reversed", lambda a, b: 0.2 >= a, lambda a, b: a <= 0.2, "any"),  # noqa: SIM300
    ("equal_scalar", lambda a, b: a == 1, lambda a, b: a == 1, "int"),
    ("not_equal_scalar", lambda a, b: a != 1, lambda a, b: a != 1, "int"),
    ("compare_fn", lambda a, b: nn.compare(a, b, kind="less"), numpy.less, "any"),
    ("logical_and", lambda a, b: a & b, numpy.logical_and, "bool"),
    ("logical_or", lambda a, b: a | b, numpy.logical_or, "bool"),
    ("logical_and_scalar", lambda a, b: a & True, lambda a, b: a & True, "bool"),
    ("logical_rand_scalar", lambda a, b: False | a, lambda a, b: False | a, "bool"),
    ("int_add", lambda a, b: a + b, numpy.add, "int"),
    ("int_mul", lambda a, b: a * b, numpy.multiply, "int"),
    ("int_floordiv_scalar", lambda a, b: a // 2, lambda a, b: a // 2, "int"),
    ("int_rfloordiv_scalar", lambda a, b: 7 // (abs(a) + 1), lambda a, b: 7 // (abs(a) + 1), "int"),
    ("int_mod_scalar", lambda a, b: a % 3, lambda a, b: a % 3, "int"),
    ("int_rmod_scalar", lambda a, b: 7 % (abs(a) + 1), lambda a, b: 7 % (abs(a) + 1), "int"),
    ("int_pow_scalar", lambda a, b: a**2, lambda a, b: a**2, "int"),
    ("int_neg", lambda a, b: -a, lambda a, b: -a, "int"),
]


def _domains_rc(x: nn.Tensor, y: nn.Tensor) -> dict[str, tuple[nn.Tensor, nn.Tensor]]:
    return {
        "any": (x, y),
        "pos": (nn.abs_(x) + 0.5, nn.abs_(y) + 0.5),
        "bool": (x > 0.0, y > 0.0),
        "int": (nn.cast(x * 3.0, "int32"), nn.cast(y * 3.0, "int32")),
    }


def _domains_np(x: Array, y: Array) -> dict[str, tuple[Array, Array]]:
    return {
        "any": (x, y),
        "pos": (numpy.abs(x) + numpy.float32(0.5), numpy.abs(y) + numpy.float32(0.5)),
        "bool": (x > 0.0, y > 0.0),
        "int": ((x * numpy.float32(3.0)).astype("int32"), (y * numpy.float32(3.0)).astype("int32")),
    }


def _assert_close(ours: Array, expected: Array, *, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    expected = numpy.asarray(expected)
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    if expected.dtype == bool:
        assert ours.dtype == bool, ours.dtype
        numpy.testing.assert_array_equal(ours, expected)
    elif numpy.issubdtype(expected.dtype, numpy.integer):
        assert numpy.issubdtype(ours.dtype, numpy.integer), ours.dtype
        numpy.testing.assert_array_equal(ours, expected)
    else:
        numpy.testing.assert_allclose(ours, expected, rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def elementwise(returnn_tf: Any) -> Iterator[Any]:
    """One RETURNN round trip with every unary and binary op as a marked output."""
    with rc_naming.Root("math_elementwise"):
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
        y = nn.get_extern_data(nn.Data("other", dim_tags=[B, feat]))
        x.mark_as_output("inp")
        y.mark_as_output("inp_other")
        domains = _domains_rc(x, y)
        for name, op, _, domain in UNARY:
            out = op(domains[domain][0])
            assert out.dims == x.dims, (name, out.dims)
            out.mark_as_output(f"u_{name}")
        for name, op2, _, domain in BINARY:
            a, b = domains[domain]
            out = op2(a, b)
            assert out.dims == x.dims, (name, out.dims)
            out.mark_as_output(f"b_{name}")
        nn.reduce_sum(x, axis=[time, feat]).mark_as_default_output()
        yield roundtrip(Root())


@pytest.mark.parametrize("case", UNARY, ids=[c[0] for c in UNARY])
def test_unary(elementwise: Any, case: Unary) -> None:
    name, _, np_op, domain = case
    x, y = elementwise.output("inp"), elementwise.output("inp_other")
    a = _domains_np(x, y)[domain][0]
    _assert_close(
        elementwise.output(f"u_{name}"), np_op(a.astype("float64") if domain != "bool" else a)
    )


@pytest.mark.parametrize("case", BINARY, ids=[c[0] for c in BINARY])
def test_binary(elementwise: Any, case: Binary) -> None:
    name, _, np_op, domain = case
    x, y = elementwise.output("inp"), elementwise.output("inp_other")
    a, b = _domains_np(x, y)[domain]
    b = b[:, None, :]  # broadcast over time like RETURNN's combine
    expected = np_op(a, b)
    if domain in ("any", "pos"):
        expected = numpy.asarray(expected)
        if expected.dtype != bool:
            expected = np_op(a.astype("float64"), b.astype("float64"))
    _assert_close(elementwise.output(f"b_{name}"), expected)


def test_binary_tensor_scalar_dtypes(elementwise: Any) -> None:
    """Comparisons give bool, int ops stay int, float ops stay float32 (RETURNN agrees)."""
    assert elementwise.output("b_greater").dtype == bool
    assert elementwise.output("b_int_floordiv_scalar").dtype == numpy.int32
    assert elementwise.output("b_add_int_scalar").dtype == numpy.float32


# -- softmax, reduce, dot, concat, cast, constants -------------------------------------


def _mask(lengths: Array, max_time: int) -> Array:
    """[B, T] bool: True inside the sequence."""
    return numpy.arange(max_time)[None, :] < lengths[:, None]


def _np_softmax(x: Array, axis: int, mask: Array | None = None) -> Array:
    x = x.astype("float64")
    if mask is not None:
        x = numpy.where(mask, x, -numpy.inf)
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


REDUCE_MODES = ["sum", "mean", "max", "min", "logsumexp"]
REDUCE_AXES = ["feat", "time", "time_feat", "batch_feat"]


def _np_reduce(x: Array, mode: str, axes: tuple[int, ...], valid: Array) -> Array:
    x = x.astype("float64")
    fill = {"sum": 0.0, "mean": 0.0, "max": -numpy.inf, "min": numpy.inf, "logsumexp": -numpy.inf}
    masked = numpy.where(valid, x, fill[mode])
    if mode == "sum":
        return masked.sum(axis=axes)
    if mode == "mean":
        return masked.sum(axis=axes) / numpy.broadcast_to(valid, x.shape).sum(axis=axes)
    if mode == "max":
        return masked.max(axis=axes)
    if mode == "min":
        return masked.min(axis=axes)
    peak = masked.max(axis=axes, keepdims=True)
    return numpy.log(numpy.exp(masked - peak).sum(axis=axes)) + peak.squeeze(axes)


@pytest.fixture(scope="module")
def arrays(returnn_tf: Any) -> Iterator[Any]:
    """One RETURNN round trip with softmax, reduce, dot, concat, cast and constants."""
    with rc_naming.Root("math_arrays"):
        time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("feat", 3), nn.FeatureDim("hid", 2)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
        y = nn.get_extern_data(nn.Data("other", dim_tags=[B, feat]))
        z = nn.get_extern_data(nn.Data("frames", dim_tags=[B, time]))
        x.mark_as_output("inp")
        y.mark_as_output("inp_other")
        z.mark_as_output("inp_frames")
        nn.length(time).mark_as_output("len")
        for axis_name, axis in (("feat", feat), ("time", time)):
            nn.softmax(x, axis=axis).mark_as_output(f"softmax_{axis_name}")
            nn.log_softmax(x, axis=axis).mark_as_output(f"log_softmax_{axis_name}")
        axes_by_name = {
            "feat": feat,
            "time": time,
            "time_feat": [time, feat],
            "batch_feat": [B, feat],
        }
        for mode in REDUCE_MODES:
            for axes_name, axes in axes_by_name.items():
                nn.reduce(x, mode=mode, axis=axes).mark_as_output(f"reduce_{mode}_{axes_name}")
        nn.dot(x, y, reduce=feat).mark_as_output("dot_feat")
        nn.dot(x, z, reduce=time).mark_as_output("dot_time")
        lin = nn.Linear(feat, hid)
        lin.weight.initial = numpy.arange(6, dtype="float32").reshape(3, 2) / 10.0
        lin.bias.initial = numpy.array([0.5, -0.5], dtype="float32")
        lin(x).mark_as_output("linear")
        nn.dot(x, lin.weight, reduce=feat).mark_as_output("dot_param")
        nn.concat((x, feat), (x * 2.0, feat))[0].mark_as_output("concat")
        six = nn.FeatureDim("six", 6)
        both, both_dim = nn.concat((x, feat), (nn.relu(x), feat), out_dim=six)
        assert both_dim is six
        assert both.dims == (B, time, six)
        both.mark_as_output("concat_out_dim")
        nn.concat((y, feat), (nn.expand_dim(z, dim=hid), hid), allow_broadcast=True)[
            0
        ].mark_as_output("concat_broadcast")
        nn.cast(x * 3.0, "int32").mark_as_output("cast_int")
        nn.cast(x > 0.0, "float32").mark_as_output("cast_bool_float")
        (x + nn.constant(1.5, [feat])).mark_as_output("constant_add")
        nn.constant(2, [hid]).mark_as_output("constant_int")
        nn.zeros([feat, hid]).mark_as_output("zeros")
        nn.ones([hid], dtype="int32").mark_as_output("ones_int")
        nn.ones([hid], dtype="bool").mark_as_output("ones_bool")
        nn.constant(0.25).mark_as_output("constant_scalar")
        nn.stop_gradient(x).mark_as_output("stop_gradient")
        nn.dropout(x, 0.5, axis=feat).mark_as_output("dropout_eval")
        lin(x).mark_as_default_output()
        yield roundtrip(lin)


@pytest.mark.parametrize("axis", ["feat", "time"])
def test_softmax(arrays: Any, axis: str) -> None:
    x, lengths = arrays.output("inp"), arrays.output("len")
    valid = _mask(lengths, x.shape[1])[:, :, None]
    ours, log_ours = arrays.output(f"softmax_{axis}"), arrays.output(f"log_softmax_{axis}")
    if axis == "feat":
        expected = _np_softmax(x, -1)
        numpy.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(log_ours, numpy.log(expected), rtol=1e-5, atol=1e-5)
        return
    # Over the dynamic time axis RETURNN moves the axis last: [B, F, T].
    assert ours.shape == (x.shape[0], x.shape[2], x.shape[1])
    expected = _np_softmax(x, 1, valid).transpose(0, 2, 1)
    valid_t = numpy.broadcast_to(valid, x.shape).transpose(0, 2, 1)
    numpy.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
    assert (ours[~valid_t] == 0.0).all()  # padding frames get probability 0
    numpy.testing.assert_allclose(
        log_ours[valid_t], numpy.log(expected[valid_t]), rtol=1e-5, atol=1e-5
    )
    assert (log_ours[~valid_t] == -numpy.inf).all()  # log of probability 0


@pytest.mark.parametrize("axes", REDUCE_AXES)
@pytest.mark.parametrize("mode", REDUCE_MODES)
def test_reduce(arrays: Any, mode: str, axes: str) -> None:
    x, lengths = arrays.output("inp"), arrays.output("len")
    valid = numpy.broadcast_to(_mask(lengths, x.shape[1])[:, :, None], x.shape)
    axis_numbers = {"feat": (2,), "time": (1,), "time_feat": (1, 2), "batch_feat": (0, 2)}[axes]
    if 1 not in axis_numbers:
        valid = numpy.ones_like(valid)  # padding stays in the output, computed as is
    expected = _np_reduce(x, mode, axis_numbers, valid)
    ours = arrays.output(f"reduce_{mode}_{axes}")
    if axes == "batch_feat":
        # Keep only valid frames: padding frames are not masked (time is not reduced).
        numpy.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    else:
        numpy.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_dot(arrays: Any) -> None:
    x, y, z = arrays.output("inp"), arrays.output("inp_other"), arrays.output("inp_frames")
    lengths = arrays.output("len")
    _assert_close(arrays.output("dot_feat"), numpy.einsum("btf,bf->bt", x, y))
    valid = _mask(lengths, x.shape[1])
    # The padding frames are masked in a reduction over a dynamic dim.
    _assert_close(arrays.output("dot_time"), numpy.einsum("btf,bt->bf", x, z * valid))
    weight = numpy.arange(6, dtype="float32").reshape(3, 2) / 10.0
    _assert_close(arrays.output("dot_param"), x @ weight)
    _assert_close(arrays.output("linear"), x @ weight + numpy.array([0.5, -0.5]))
    _assert_close(arrays.output(), x @ weight + numpy.array([0.5, -0.5]))


def test_concat(arrays: Any) -> None:
    x = arrays.output("inp")
    _assert_close(arrays.output("concat"), numpy.concatenate([x, 2.0 * x], axis=-1))
    _assert_close(arrays.output("concat_out_dim"), numpy.concatenate([x, numpy.maximum(x, 0)], -1))
    # [B, F] and [B, T, hid] broadcast to RETURNN's order [B, F+hid, T].
    y, z = arrays.output("inp_other"), arrays.output("inp_frames")
    expected = numpy.concatenate(
        [
            numpy.broadcast_to(y[:, :, None], (*y.shape, z.shape[1])),
            numpy.repeat(z[:, None, :], 2, 1),
        ],
        axis=1,
    )
    _assert_close(arrays.output("concat_broadcast"), expected)


def test_cast_and_constants(arrays: Any) -> None:
    x = arrays.output("inp")
    _assert_close(arrays.output("cast_int"), (x * numpy.float32(3.0)).astype("int32"))
    _assert_close(arrays.output("cast_bool_float"), (x > 0).astype("float32"))
    _assert_close(arrays.output("constant_add"), x + 1.5)
    _assert_close(arrays.output("constant_int"), numpy.array([2, 2], dtype="int32"))
    _assert_close(arrays.output("zeros"), numpy.zeros((3, 2), dtype="float32"))
    _assert_close(arrays.output("ones_int"), numpy.ones(2, dtype="int32"))
    _assert_close(arrays.output("ones_bool"), numpy.ones(2, dtype=bool))
    _assert_close(arrays.output("constant_scalar"), numpy.float32(0.25))


def test_stop_gradient_and_dropout_at_eval_are_identity(arrays: Any) -> None:
    x = arrays.output("inp")
    _assert_close(arrays.output("stop_gradient"), x, rtol=0, atol=0)
    _assert_close(arrays.output("dropout_eval"), x, rtol=0, atol=0)


# -- training behaviour: stop_gradient, dropout ----------------------------------------


def _sg_model(*, stop: bool) -> nn.Module:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("feat", 3), nn.FeatureDim("hid", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
    model = nn.Sequential(nn.Linear(feat, hid))
    # A witness parameter with a linear loss: Adam moves each entry by the learning
    # rate per step, so the objective falls by exactly 2 * 0.01 per step from it.
    model.witness = nn.Parameter([hid], initial=0.0)
    h = model(x)
    if stop:
        h = nn.stop_gradient(h)
    nn.reduce_sum(nn.reduce_sum(h * h, axis=hid), axis=time).mark_as_loss("l")
    nn.reduce_sum(model.witness, axis=hid).mark_as_loss("witness")
    h.mark_as_default_output()
    return model


@pytest.mark.parametrize("stop", [True, False], ids=["stop_gradient", "control"])
def test_stop_gradient_blocks_training(roundtrip: RoundTripFn, stop: bool) -> None:
    """Only the witness parameter trains through a stop_gradient: the Linear stays put."""
    result = roundtrip(_sg_model(stop=stop), train_steps=3)
    steps = -numpy.diff(result.report.losses)
    assert len(steps) == 2
    if stop:
        numpy.testing.assert_allclose(steps, 0.02, atol=1e-4)
    else:
        assert (steps > 0.03).all(), result.report.losses


def test_dropout_in_training(roundtrip: RoundTripFn) -> None:
    """Train mode: each feature is either dropped (0) everywhere or scaled by 1/(1-p)."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 16)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
    x.mark_as_output("inp")
    nn.dropout(x, 0.5, axis=feat).mark_as_output("shared")
    nn.dropout(x, 0.25).mark_as_default_output()
    result = roundtrip(Root(), train_steps=1)  # train_flag: dropout active
    inp = result.output("inp")
    for name, rate in (("shared", 0.5), ("output", 0.25)):
        ours = result.output(name)
        kept = ours != 0.0
        numpy.testing.assert_allclose(ours[kept], inp[kept] / (1.0 - rate), rtol=1e-6)
        assert 0 < kept.mean() < 1, (name, kept.mean())
    shared_kept = result.output("shared") != 0.0
    # The mask is the same for every batch entry and frame.
    assert (shared_kept == shared_kept[:1, :1, :]).all()
