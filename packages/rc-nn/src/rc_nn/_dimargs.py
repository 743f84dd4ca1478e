"""Argument checks shared by the shape ops: dims given as ``nn.Dim`` objects, readable dim lists."""

from __future__ import annotations

from collections.abc import Sequence

from returnn.tensor import Dim

from ._errors import AxisError, DimMismatchError
from ._tensor import Tensor, _dim_str, check_axis
from ._userloc import user_location

__all__ = ["as_dim", "as_dims", "check_axes", "dims_str", "static_size"]


def dims_str(dims: Sequence[Dim]) -> str:
    """``"[batch(?), time(?), in(3)]"`` for error messages.

    Examples
    --------
    >>> from returnn.tensor import Dim
    >>> dims_str([Dim(3, name="in")])
    '[in(3)]'
    """
    return "[" + ", ".join(_dim_str(d) for d in dims) + "]"


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


def static_size(dim: Dim, what: str, role: str) -> int:
    """The static size of ``dim``, or a DimMismatchError saying that a static dim is needed."""
    if dim.dimension is None or dim.is_batch_dim():
        raise DimMismatchError(
            f"{what}: {role} {_dim_str(dim)} must have a static size, it is dynamic "
            f"(at {user_location()})"
        )
    return int(dim.dimension)
