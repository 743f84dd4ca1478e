"""Argument checks shared by the shape ops: dims given as ``nn.Dim`` objects, readable dim lists."""

from __future__ import annotations

from collections.abc import Sequence

from returnn.tensor import Dim

from ._errors import AxisError, DimMismatchError, NotADimError
from ._tensor import Tensor, _dim_str, check_axis
from ._userloc import user_location

__all__ = ["as_dim", "as_dims", "check_axes", "dims_str", "static_dim", "static_size"]


def dims_str(dims: Sequence[Dim]) -> str:
    """``"[B, time(?), in(3)]"``: a list of dims for error messages (``B``: the batch dim).

    Examples
    --------
    >>> from returnn.tensor import Dim, batch_dim
    >>> dims_str([batch_dim, Dim(None, name="time"), Dim(3, name="in")])
    '[B, time(?), in(3)]'
    """
    return "[" + ", ".join("B" if d.is_batch_dim() else _dim_str(d) for d in dims) + "]"


def as_dim(value: object, what: str, arg: str) -> Dim:
    """``value`` if it is an ``nn.Dim``, else an AxisError naming the argument."""
    if isinstance(value, Dim):
        return value
    hint = (
        " A tensor was passed where a dim belongs."
        if isinstance(value, Tensor)
        else " rc-nn names axes by dim objects, never by position."
    )
    raise AxisError(
        f"{what}: {arg} must be an nn.Dim, got {type(value).__name__} {value!r:.80} "
        f"(at {user_location()}).{hint}"
    )


def as_dims(value: object, what: str, arg: str, *, allow_empty: bool = False) -> list[Dim]:
    """A list of dims from a sequence of ``nn.Dim`` (a single dim is not accepted: be explicit)."""
    if isinstance(value, Dim) or not isinstance(value, list | tuple):
        raise AxisError(
            f"{what}: {arg} must be a list or tuple of nn.Dim, got {type(value).__name__} "
            f"{value!r:.80} (at {user_location()})"
        )
    dims = [as_dim(item, what, arg) for item in value]
    if not dims and not allow_empty:
        raise AxisError(f"{what}: {arg} is empty (at {user_location()})")
    if len(set(dims)) != len(dims):
        raise AxisError(f"{what}: {arg} names a dim twice: {dims_str(dims)} (at {user_location()})")
    return dims


def check_axes(x: Tensor, axes: Sequence[Dim], what: str) -> None:
    """Every dim of ``axes`` is a dim of ``x`` (AxisError listing the dims otherwise)."""
    for axis in axes:
        check_axis(x, axis, what)


def static_dim(value: object, what: str, arg: str) -> Dim:
    """``value`` if it is an ``nn.Dim`` of static size, else a clear error naming ``arg``.

    The one check of "this argument must be a static dim" (model sizes, head counts,
    slice sizes): a dynamic dim (or the batch dim) is a DimMismatchError, a value that is
    no dim a NotADimError (both a ValueError; NotADimError is also a TypeError).

    Examples
    --------
    >>> import rc_nn as nn
    >>> static_dim(nn.FeatureDim("model", 8), "MyModule", "model_dim").dimension
    8
    >>> try:
    ...     static_dim(nn.SpatialDim("time"), "MyModule", "model_dim")
    ... except nn.DimMismatchError as error:
    ...     print(str(error).split(" (at ")[0])
    MyModule: model_dim must be a static nn.Dim (e.g. nn.FeatureDim('model_dim', 256)), got the dynamic dim time(?)
    """
    fix = f"{arg} must be a static nn.Dim (e.g. nn.FeatureDim({arg!r}, 256))"
    if not isinstance(value, Dim):
        raise NotADimError(
            f"{what}: {fix}, got {type(value).__name__} {value!r:.80} (at {user_location()})"
        )
    if value.dimension is None or value.is_batch_dim():
        raise DimMismatchError(
            f"{what}: {fix}, got the dynamic dim {_dim_str(value)} (at {user_location()})"
        )
    return value


def static_size(value: object, what: str, arg: str) -> int:
    """The size of ``value`` after :func:`static_dim` checked it.

    Examples
    --------
    >>> import rc_nn as nn
    >>> static_size(nn.FeatureDim("heads", 4), "MyModule", "num_heads")
    4
    """
    return int(static_dim(value, what, arg).dimension)
