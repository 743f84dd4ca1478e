"""Python numbers in eval code and constants are plain values (issue 13 §3).

RETURNN ``eval``s the expression of an ``eval`` layer: a scalar operand is written there
as the plain builtin value (``float("inf")``, never a bare ``inf`` or ``np.float64(...)``,
never a subclass's ``__repr__``).
"""

from __future__ import annotations

import ast
import math
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_nn._scalars import number_code, plain_number


class HostileFloat(float):
    def __repr__(self) -> str:
        return "__import__('os')"


class HostileInt(int):
    def __repr__(self) -> str:
        return "__import__('os')"


def _x() -> nn.Tensor:
    return nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, nn.FeatureDim("f", 2)]))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (numpy.float64(2.5), "2.5"),
        (numpy.float32(0.5), "0.5"),
        (numpy.int64(3), "3"),
        (float("inf"), 'float("inf")'),
        (float("-inf"), 'float("-inf")'),
        (float("nan"), 'float("nan")'),
        (HostileFloat(1.5), "1.5"),
        (HostileInt(4), "4"),
    ],
)
def test_scalar_operands_are_plain_code(value: Any, code: str) -> None:
    with nn.Root():
        y = _x() * value
    assert y.layer_dict is not None
    assert y.layer_dict["eval"] == f"source(0) * {code}"
    names = {n.id for n in ast.walk(ast.parse(y.layer_dict["eval"])) if isinstance(n, ast.Name)}
    assert names <= {"source", "float"}


def test_reversed_operand_and_numpy_bool_compare() -> None:
    with nn.Root():
        x = _x()
        y = 1.5 - x
        z = x < numpy.float64("inf")
    assert y.layer_dict is not None and y.layer_dict["eval"] == "1.5 - source(0)"
    assert z.layer_dict is not None and type(z.layer_dict["value"]) is float
    assert math.isinf(z.layer_dict["value"])


def test_clip_by_value_with_infinite_and_numpy_bounds() -> None:
    with nn.Root():
        y = nn.clip_by_value(_x(), float("-inf"), numpy.float32(1.0))
    assert y.layer_dict is not None
    assert y.layer_dict["eval"] == 'tf.clip_by_value(source(0), float("-inf"), 1.0)'
    with nn.Root(), pytest.raises(TypeError, match="bounds must be numbers"):
        nn.clip_by_value(_x(), "0", 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "plain", "dtype"),
    [
        (numpy.float64(1.5), 1.5, "float32"),
        (numpy.float32(0.5), 0.5, "float32"),
        (numpy.int64(3), 3, "int32"),
        (numpy.bool_(True), True, "bool"),
        (HostileFloat(2.0), 2.0, "float32"),
        (HostileInt(2), 2, "int32"),
    ],
)
def test_constant_takes_numpy_scalars_as_plain_values(value: Any, plain: Any, dtype: str) -> None:
    with nn.Root():
        c = nn.constant(value, [nn.FeatureDim("f", 2)])
    assert c.layer_dict is not None
    assert type(c.layer_dict["value"]) is type(plain) and c.layer_dict["value"] == plain
    assert c.dtype == dtype


def test_non_numbers_are_no_scalars() -> None:
    assert plain_number(numpy.complex64(1j)) is None and plain_number("1") is None
    with nn.Root(), pytest.raises(TypeError, match="numpy scalar or array"):
        nn.constant(numpy.complex64(1j), [nn.FeatureDim("f", 2)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a number"):
        number_code("1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "builtin"), [("", TypeError), ("_x", ValueError), ("keys", ValueError)]
)
def test_container_item_name_errors_are_rc_nn_errors(key: str, builtin: type) -> None:
    with pytest.raises(nn.RcNnError) as info:
        nn.ModuleDict({key: nn.Linear(nn.FeatureDim("a", 1), nn.FeatureDim("b", 1))})
    assert isinstance(info.value, builtin)
    with pytest.raises(nn.RcNnError) as info:
        nn.ModuleList({key: nn.Linear(nn.FeatureDim("a", 1), nn.FeatureDim("b", 1))})
    assert isinstance(info.value, builtin)
