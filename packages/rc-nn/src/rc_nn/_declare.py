"""Checks of declarations: extern data keys and dim sizes, with the user's file:line.

What is valid follows what RETURNN and TensorFlow can use:

* an extern data key is a non-empty ``str`` of letters, digits, ``_``, ``.`` and ``-``:
  RETURNN refers to an input as ``data:KEY`` and reads ``/`` as a sub-layer, ``:`` as a
  prefix (``prev:``, ``base:``, ``data:``), and TensorFlow names its placeholder after it;
* a static dim size is an ``int`` (numpy integers are taken as their ``int`` value) from
  1 to ``2**31 - 1``: RETURNN's ``Dim`` refuses numpy integers and floats, a size of 0 or
  less has no elements, and TensorFlow's shapes and RETURNN's sequence lengths are int32.
  ``None`` is a dynamic size. ``bool`` is no size (RETURNN would take ``True`` as 1).
"""

from __future__ import annotations

import numbers
import re

from ._errors import DeclarationTypeError, DimSizeError, ExternDataKeyError

__all__ = ["MAX_DIM_SIZE", "check_dim_size", "check_extern_key"]

#: The largest static dim size: TensorFlow shapes and RETURNN's sequence lengths are int32.
MAX_DIM_SIZE = 2**31 - 1
_KEY = re.compile(r"[A-Za-z0-9_.\-]+\Z")


def check_extern_key(key: object, what: str, location: str) -> str:
    """``key`` if it is a valid extern data key, else a clear error naming ``location``.

    Examples
    --------
    >>> check_extern_key("classes", "Data", "model.py:3")
    'classes'
    """
    if not isinstance(key, str):
        raise DeclarationTypeError(
            f"{what}: the extern data key must be a str, got {type(key).__name__} {key!r} "
            f"(at {location})"
        )
    if not _KEY.match(key):
        suggestion = re.sub(r"[^A-Za-z0-9_.\-]+", "_", key).strip("_") or "data"
        if not key:
            problem = "is empty"
        elif ":" in key:
            problem = (
                "contains ':', which RETURNN reads as a reference prefix (data:, prev:, base:)"
            )
        elif "/" in key:
            problem = "contains '/', which RETURNN reads as a sub-layer of a reference"
        else:
            problem = "contains characters TensorFlow names do not allow"
        raise ExternDataKeyError(
            f"{what}: the extern data key {key!r} {problem} (at {location}). "
            "An input key takes letters, digits, '_', '.' and '-' only; "
            f"e.g. {suggestion!r}"
        )
    return key


def check_dim_size(
    size: object, what: str, location: str, *, allow_none: bool = True
) -> int | None:
    """The dim size as a plain ``int`` (or ``None`` if dynamic and allowed), else a clear error.

    Examples
    --------
    >>> import numpy as np
    >>> check_dim_size(np.int64(80), "FeatureDim('in')", "model.py:3")
    80
    """
    if size is None and allow_none:
        return None
    if isinstance(size, bool) or (
        type(size).__module__ == "numpy" and type(size).__name__ in ("bool", "bool_")
    ):
        raise DeclarationTypeError(
            f"{what}: the size {size!r} is a bool, not a dim size (at {location}); give an int"
        )
    if not isinstance(size, numbers.Integral):
        hint = ""
        if isinstance(size, numbers.Real) and float(size).is_integer():
            hint = f" (e.g. int({size!r}))"
        expected = "an int or None (dynamic)" if allow_none else "an int"
        raise DeclarationTypeError(
            f"{what}: the size must be {expected}, got {type(size).__name__} {size!r}{hint} "
            f"(at {location})"
        )
    value = int(size)
    if value < 1:
        dynamic = " or None for a dynamic size" if allow_none else ""
        raise DimSizeError(
            f"{what}: the size {value} is not positive (at {location}); a dim needs "
            f"at least one element: give a size from 1 to {MAX_DIM_SIZE}{dynamic}"
        )
    if value > MAX_DIM_SIZE:
        raise DimSizeError(
            f"{what}: the size {value} is larger than {MAX_DIM_SIZE} (at {location}); "
            "TensorFlow shapes and RETURNN's sequence lengths are int32"
        )
    return value
