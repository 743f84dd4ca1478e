"""Ops about positions and sizes of dims: range_over_dim, length, dim_value, cumsum."""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim, batch_dim

from ._array import reduce
from ._dimargs import as_dim
from ._errors import DimMismatchError
from ._tensor import Tensor, _dim_str, as_tensor, check_axis, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["cumsum", "dim_value", "length", "range_over_dim"]


def range_over_dim(dim: Dim, *, dtype: str = "int32", sparse: bool = True) -> Tensor:
    """The positions ``0, 1, ..., size-1`` of ``dim`` (RETURNN ``range_in_axis``).

    The result has the single dim ``dim``; with ``sparse`` (default) it is an
    index tensor with ``sparse_dim=dim``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time = nn.SpatialDim("time")
    >>> r = nn.range_over_dim(time)
    >>> r.dims == (time,) and r.sparse_dim == time
    True
    """
    dim = as_dim(dim, "range_over_dim", "dim")
    if dim.is_batch_dim():
        raise DimMismatchError(
            f"range_over_dim: the batch dim has no positions to enumerate (at {user_location()})"
        )
    if sparse and not dtype.startswith("int"):
        raise ValueError(
            f"range_over_dim: a sparse range needs an int dtype, got {dtype!r} "
            f"(at {user_location()}); pass sparse=False for {dtype}"
        )
    layer: dict[str, Any] = {"class": "range_in_axis", "from": [], "axis": dim, "dtype": dtype}
    if sparse:
        layer["sparse"] = True
    template = make_template([dim], dtype, sparse_dim=dim if sparse else None)
    return make_layer_tensor(layer, template, name_hint="range_over_dim")


def length(dim: Dim, *, dtype: str = "int32") -> Tensor:
    """The size of ``dim``: per-sequence lengths ``[batch]`` for a dynamic dim (RETURNN ``length``).

    For a static dim or the batch dim the result is a scalar.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time = nn.SpatialDim("time")
    >>> nn.length(time).dims == (nn.batch_dim,)
    True
    """
    dim = as_dim(dim, "length", "dim")
    if dim.is_batch_dim() or dim.dimension is not None:
        dims: list[Dim] = []
    elif dim.dyn_size_ext is not None:
        dims = list(dim.dyn_size_ext.dims)
    else:
        dims = [batch_dim]
    layer: dict[str, Any] = {"class": "length", "from": [], "axis": dim}
    if dtype != "int32":
        layer["dtype"] = dtype
    return make_layer_tensor(layer, make_template(dims, dtype), name_hint="length")


def dim_value(dim: Dim) -> Tensor:
    """The size of ``dim`` as a scalar int32 (the maximum length for a dynamic dim).

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.dim_value(nn.SpatialDim("time")).dims
    ()
    """
    sizes = length(dim)
    if not sizes.dims:
        return sizes
    return reduce(sizes, mode="max", axis=list(sizes.dims), use_mask=False)


def cumsum(x: Tensor, *, axis: Dim, reverse: bool = False) -> Tensor:
    """Cumulative sum along ``axis`` (RETURNN ``cumsum``); ``reverse`` sums from the end.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time = nn.SpatialDim("time")
    >>> nn.cumsum(nn.zeros([nn.batch_dim, time]), axis=time).dims == (nn.batch_dim, time)
    True
    """
    x = as_tensor(x, "cumsum")
    axis = check_axis(x, as_dim(axis, "cumsum", "axis"), "cumsum")
    if axis.is_batch_dim():
        raise DimMismatchError(
            f"cumsum: summing over the batch dim {_dim_str(axis)} is not supported "
            f"(at {user_location()})"
        )
    if x.dtype == "bool":
        raise DimMismatchError(
            f"cumsum: {x!r} is bool; cast it first, e.g. nn.cast(x, 'int32') (at {user_location()})"
        )
    layer: dict[str, Any] = {"class": "cumsum", "from": x, "axis": axis}
    if reverse:
        layer["reverse"] = True
    return make_layer_tensor(layer, x.template, name_hint="cumsum")
