"""Declarations are checked where they are made (issue 13 §4): extern data keys, dim sizes.

Every error is an ``RcNnError`` leaf that is also the builtin a caller expects
(ValueError for a bad value, TypeError for a bad type) and names this file's line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from returnn.tensor import Tensor as Template

import rc_nn as nn

HERE = __file__


def _line_of(fn: Callable[[], Any]) -> tuple[BaseException, int]:
    """The exception ``fn`` raises and the line of this file that raised it."""
    try:
        fn()
    except Exception as exc:
        tb = sys.exc_info()[2]
        lines = []
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == HERE:
                lines.append(tb.tb_lineno)
            tb = tb.tb_next
        return exc, lines[-1]
    raise AssertionError("no error")


def _assert_error(
    fn: Callable[[], Any], cls: type[BaseException], builtin: type[BaseException], text: str
) -> None:
    exc, line = _line_of(fn)
    assert type(exc) is cls, exc
    assert isinstance(exc, nn.RcNnError) and isinstance(exc, builtin)
    assert text in str(exc), str(exc)
    assert f"(at {HERE}:{line})" in str(exc), str(exc)


def _time_feat() -> list[nn.Dim]:
    return [nn.batch_dim, nn.SpatialDim("time"), nn.FeatureDim("feat", 3)]


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("a/b", "contains '/', which RETURNN reads as a sub-layer"),
        ("prev:x", "contains ':', which RETURNN reads as a reference prefix"),
        ("base:x", "contains ':'"),
        ("data:x", "contains ':'"),
        ("", "is empty"),
        ("my data", "contains characters TensorFlow names do not allow"),
        ("zeit\u00e4", "contains characters TensorFlow names do not allow"),
        ("x\n", "contains characters"),
    ],
)
def test_bad_extern_data_keys(key: str, text: str) -> None:
    _assert_error(
        lambda: nn.Data(key, dim_tags=_time_feat()), nn.ExternDataKeyError, ValueError, text
    )


@pytest.mark.parametrize("key", [3, None, b"data", ("data",)])
def test_non_str_extern_data_key(key: object) -> None:
    _assert_error(
        lambda: nn.Data(key, dim_tags=_time_feat()),  # type: ignore[arg-type]
        nn.DeclarationTypeError,
        TypeError,
        "the extern data key must be a str",
    )


def test_keys_returnn_takes_are_accepted() -> None:
    for key in ["data", "classes", "a.b", "x-1", "_x", "9", "B2"]:
        assert nn.Data(key, dim_tags=_time_feat()).name == key


def test_templates_not_made_by_nn_data_are_checked_by_get_extern_data() -> None:
    raw = Template("a/b", dims=_time_feat(), dtype="float32")
    _assert_error(
        lambda: nn.get_extern_data(raw), nn.ExternDataKeyError, ValueError, "contains '/'"
    )
    neg = Template("x", dims=[nn.batch_dim, nn.Dim(-2, name="neg")], dtype="float32")
    _assert_error(
        lambda: nn.get_extern_data(neg), nn.DimSizeError, ValueError, "the size -2 is not positive"
    )


@pytest.mark.parametrize(
    ("size", "cls", "builtin", "text"),
    [
        (0, nn.DimSizeError, ValueError, "the size 0 is not positive"),
        (-4, nn.DimSizeError, ValueError, "the size -4 is not positive"),
        (10**12, nn.DimSizeError, ValueError, "is larger than 2147483647"),
        (2**31, nn.DimSizeError, ValueError, "is larger than 2147483647"),
        (True, nn.DeclarationTypeError, TypeError, "is a bool, not a dim size"),
        (np.bool_(True), nn.DeclarationTypeError, TypeError, "is a bool, not a dim size"),
        (2.0, nn.DeclarationTypeError, TypeError, "got float 2.0 (e.g. int(2.0))"),
        (2.5, nn.DeclarationTypeError, TypeError, "got float 2.5"),
        (np.float32(3), nn.DeclarationTypeError, TypeError, "the size must be"),
        ("3", nn.DeclarationTypeError, TypeError, "got str '3'"),
    ],
)
def test_bad_dim_sizes(size: Any, cls: type[BaseException], builtin: type, text: str) -> None:
    _assert_error(lambda: nn.FeatureDim("feat", size), cls, builtin, text)
    _assert_error(lambda: nn.SpatialDim("time", size), cls, builtin, text)


def test_feature_dim_needs_a_size() -> None:
    _assert_error(
        lambda: nn.FeatureDim("feat", None),  # type: ignore[arg-type]
        nn.DeclarationTypeError,
        TypeError,
        "the size must be an int, got NoneType",
    )


def test_dims_of_a_template_are_checked_where_it_is_declared() -> None:
    # nn.Dim is RETURNN's own class, which takes 0, negatives and bools.
    for dim, cls, text in [
        (nn.Dim(0, name="zero"), nn.DimSizeError, "dim Dim{'zero'(0)}: the size 0"),
        (nn.Dim(-1, name="neg"), nn.DimSizeError, "the size -1 is not positive"),
        (nn.Dim(True, name="flag"), nn.DeclarationTypeError, "is a bool"),
        (nn.Dim(10**12, name="huge"), nn.DimSizeError, "is larger than"),
    ]:
        builtin = ValueError if cls is nn.DimSizeError else TypeError
        _assert_error(lambda d=dim: nn.Data("x", dim_tags=[nn.batch_dim, d]), cls, builtin, text)
        _assert_error(
            lambda d=dim: nn.Data("y", dim_tags=[nn.batch_dim], sparse_dim=d), cls, builtin, text
        )
    _assert_error(
        lambda: nn.Data("x", dim_tags=[nn.batch_dim, 3]),  # type: ignore[list-item]
        nn.DeclarationTypeError,
        TypeError,
        "dims must be nn.Dim objects, got 3",
    )


def test_numpy_integer_sizes_are_plain_ints() -> None:
    for size in (np.int64(80), np.int32(80), np.uint16(80)):
        for dim in (nn.FeatureDim("f", size), nn.SpatialDim("s", size)):
            assert dim.dimension == 80 and type(dim.dimension) is int
    assert nn.FeatureDim("f", 2**31 - 1).dimension == 2**31 - 1
    assert nn.SpatialDim("time", None).dimension is None
