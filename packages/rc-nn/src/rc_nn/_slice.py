"""Ops that cut or extend one axis: slice, slice_nd, pad, window.

The new dims are derived with RETURNN's own dim arithmetic (``returnn.tensor.Dim``,
pure Python) exactly as RETURNN's layers derive them, and passed to the layer
explicitly, so our templates and RETURNN's agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from returnn.tensor import Dim

from ._dimargs import as_dim, as_dims, dims_str, static_dim
from ._errors import AxisError, DimMismatchError
from ._tensor import Tensor, _dim_str, as_tensor, check_axis, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["pad", "slice", "slice_nd", "window"]


def _replace(x: Tensor, old: Dim, new: Dim) -> list[Dim]:
    return [new if d is old else d for d in x.dims]


def _int_arg(value: object, what: str, arg: str, *, minimum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(
            f"{what}: {arg} must be an int, got {type(value).__name__} {value!r:.80} "
            f"(at {user_location()})"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{what}: {arg} must be >= {minimum}, got {value} (at {user_location()})")
    return value


def slice(  # the predecessor's name
    x: Tensor,
    *,
    axis: Dim,
    slice_start: int | None = None,
    slice_end: int | None = None,
    slice_step: int | None = None,
    out_dim: Dim | None = None,
) -> tuple[Tensor, Dim]:
    """``x[start:end:step]`` along ``axis`` (RETURNN ``slice``); returns the tensor and its new dim.

    ``slice_start`` must be >= 0; a negative ``slice_end`` counts from the end of
    each sequence. Without ``out_dim`` the new dim is derived from ``axis``
    (e.g. ``axis - 2``), as RETURNN derives it. A non-negative ``slice_end`` gives a
    static dim of size ``end - start`` and then ``out_dim`` is required.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time = nn.SpatialDim("time")
    >>> y, t2 = nn.slice(nn.zeros([nn.batch_dim, time]), axis=time, slice_start=1)
    >>> y.dims == (nn.batch_dim, t2)
    True
    """
    x = as_tensor(x, "slice")
    axis = check_axis(x, as_dim(axis, "slice", "axis"), "slice")
    if axis.is_batch_dim():
        raise AxisError(f"slice: slicing the batch dim is not supported (at {user_location()})")
    derived = axis
    if slice_start is not None:
        start = _int_arg(slice_start, "slice", "slice_start", minimum=0)
        derived = derived.sub_left(start) if start else derived
    if slice_end is not None:
        end = _int_arg(slice_end, "slice", "slice_end")
        if end >= 0:
            size = end - (slice_start or 0)
            if size < 0 or (axis.dimension is not None and end > axis.dimension):
                raise DimMismatchError(
                    f"slice: [{slice_start}:{end}] does not fit the axis {_dim_str(axis)} "
                    f"(at {user_location()})"
                )
            if out_dim is None:
                raise DimMismatchError(
                    f"slice: a non-negative slice_end gives a new static dim of size {size}; "
                    f"pass it as out_dim, e.g. out_dim=nn.SpatialDim('sliced', {size}) "
                    f"(at {user_location()})"
                )
            derived = out_dim
        else:
            derived = derived - (-end)
    if slice_step is not None:
        step = _int_arg(slice_step, "slice", "slice_step")
        if step <= 0:
            raise ValueError(
                f"slice: slice_step must be positive, got {step} (at {user_location()})"
            )
        if step != 1:
            derived = derived.ceildiv_right(step)
    if out_dim is None:
        out_dim = derived
    else:
        out_dim = as_dim(out_dim, "slice", "out_dim")
        if (
            out_dim.dimension is not None
            and derived.dimension is not None
            and out_dim.dimension != derived.dimension
        ):
            raise DimMismatchError(
                f"slice: out_dim {_dim_str(out_dim)} does not have the sliced size "
                f"{derived.dimension} (at {user_location()})"
            )
    layer: dict[str, Any] = {"class": "slice", "from": x, "axis": axis, "out_dim": out_dim}
    for key, value in (
        ("slice_start", slice_start),
        ("slice_end", slice_end),
        ("slice_step", slice_step),
    ):
        if value is not None:
            layer[key] = value
    dims = _replace(x, axis, out_dim)
    feature = out_dim if x.feature_dim is axis else x.feature_dim
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="slice"), out_dim


def slice_nd(x: Tensor, *, axis: Dim, start: Tensor, size: Dim) -> Tensor:
    """``x[start:start+size]`` along ``axis`` with a start per entry of ``start`` (RETURNN ``slice_nd``).

    ``start`` is an int32 tensor (e.g. ``[batch]``); ``size`` is the new static
    dim. Positions past the end of a sequence give zeros.

    Output dims: the dims of ``start``, then ``x``'s dims before ``axis``, then
    ``size``, then the rest of ``x``'s dims (RETURNN's gather order).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, win = nn.SpatialDim("time"), nn.SpatialDim("win", 2)
    >>> start = nn.zeros([nn.batch_dim], dtype="int32")
    >>> nn.slice_nd(nn.zeros([nn.batch_dim, time]), axis=time, start=start, size=win).dims == (nn.batch_dim, win)
    True
    """
    x = as_tensor(x, "slice_nd")
    start = as_tensor(start, "slice_nd start")
    axis = check_axis(x, as_dim(axis, "slice_nd", "axis"), "slice_nd")
    size = static_dim(as_dim(size, "slice_nd", "size"), "slice_nd", "size")
    if not start.dtype.startswith("int"):
        raise DimMismatchError(
            f"slice_nd: start must be an int tensor, got {start!r} (at {user_location()})"
        )
    if axis in start.dims:
        raise DimMismatchError(
            f"slice_nd: start {start!r} must not have the sliced axis {_dim_str(axis)} "
            f"(at {user_location()})"
        )
    if size in x.dims:
        raise DimMismatchError(
            f"slice_nd: size {_dim_str(size)} is already a dim of {x!r} (at {user_location()})"
        )
    if any(d.is_batch_dim() for d in x.dims[1:]):
        # RETURNN's slice_nd builds its gather positions batch-major but gathers from the
        # input as it is: with the batch dim not first (e.g. after window over time) it fails
        # ("Mismatching shape", fuzz-found). Make the input batch-major first (same values).
        order = [d for d in x.dims if d.is_batch_dim()] + [
            d for d in x.dims if not d.is_batch_dim()
        ]
        x = make_layer_tensor(
            {"class": "transpose", "from": x, "perm": order},
            make_template(order, x.dtype, sparse_dim=x.sparse_dim, feature_dim=x.feature_dim),
            name_hint="slice_nd_batch_major",
        )
    positions = [*start.dims, size]
    dims = _gather_dims(x, axis, positions)
    feature = x.feature_dim if x.feature_dim in dims else None
    # RETURNN's slice_nd fails on a static Dim as ``size`` with a tensor ``start`` (it uses the
    # int size as a dim); an int size plus ``out_spatial_dim`` works.
    layer = {
        "class": "slice_nd",
        "from": x,
        "axis": axis,
        "start": start,
        "size": int(size.dimension),
        "out_spatial_dim": size,
    }
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="slice_nd")


def _gather_dims(x: Tensor, axis: Dim, position_dims: Sequence[Dim]) -> list[Dim]:
    """RETURNN's ``gather`` output order: shared dims, x's dims before axis, positions, the rest."""
    common = [d for d in x.dims if d in position_dims and d is not axis]
    own_x = [d for d in x.dims if d not in position_dims and d is not axis]
    own_pos = [d for d in position_dims if d not in x.dims or d is axis]
    gather_axis = max(len(common), x.dims.index(axis))
    split_at = gather_axis - len(common)
    return [*common, *own_x[:split_at], *own_pos, *own_x[split_at:]]


def pad(
    x: Tensor,
    *,
    axes: Dim | Sequence[Dim],
    padding: tuple[int, int] | Sequence[tuple[int, int]],
    out_dims: Dim | Sequence[Dim] | None = None,
    mode: str = "constant",
    value: float = 0,
) -> tuple[Tensor, list[Dim]]:
    """Pad ``axes`` by ``(left, right)`` frames each (RETURNN ``pad``); returns the tensor and new dims.

    ``mode`` is ``"constant"`` (with ``value``), ``"reflect"``, ``"symmetric"`` or
    ``"replication"``. The new dims default to ``left + axis + right``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time = nn.SpatialDim("time")
    >>> y, (t2,) = nn.pad(nn.zeros([nn.batch_dim, time]), axes=[time], padding=[(1, 2)])
    >>> y.dims == (nn.batch_dim, t2)
    True
    """
    x = as_tensor(x, "pad")
    axes_ = [axes] if isinstance(axes, Dim) else as_dims(axes, "pad", "axes")
    for axis in axes_:
        check_axis(x, axis, "pad")
        if axis.is_batch_dim():
            raise AxisError(f"pad: padding the batch dim is not supported (at {user_location()})")
    pads_in: list[Any] = (
        [padding] if isinstance(padding, tuple) and len(axes_) == 1 else list(padding)
    )
    if len(pads_in) != len(axes_):
        raise ValueError(
            f"pad: give one (left, right) pair per axis: {len(axes_)} axes "
            f"{dims_str(axes_)}, {len(pads_in)} pairs (at {user_location()})"
        )
    pads: list[tuple[int, int]] = []
    for item in pads_in:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise ValueError(f"pad: padding entries must be (left, right) pairs, got {item!r}")
        left = _int_arg(item[0], "pad", "padding left", minimum=0)
        right = _int_arg(item[1], "pad", "padding right", minimum=0)
        pads.append((left, right))
    modes = ("constant", "reflect", "symmetric", "replication")
    if mode not in modes:
        raise ValueError(f"pad: unknown mode {mode!r}; one of {modes} (at {user_location()})")
    derived = [left + axis + right for axis, (left, right) in zip(axes_, pads, strict=True)]
    if out_dims is None:
        new_dims = derived
    else:
        new_dims = [out_dims] if isinstance(out_dims, Dim) else as_dims(out_dims, "pad", "out_dims")
        if len(new_dims) != len(axes_):
            raise ValueError(
                f"pad: {len(new_dims)} out_dims for {len(axes_)} axes (at {user_location()})"
            )
        for given, want in zip(new_dims, derived, strict=True):
            if given.dimension != want.dimension:
                raise DimMismatchError(
                    f"pad: out dim {_dim_str(given)} does not have the padded size "
                    f"{want.dimension} (at {user_location()})"
                )
    dims = list(x.dims)
    for axis, new in zip(axes_, new_dims, strict=True):
        dims[dims.index(axis)] = new
    feature = x.feature_dim
    if feature in axes_:
        feature = new_dims[axes_.index(feature)]
    layer: dict[str, Any] = {
        "class": "pad",
        "from": x,
        "axes": axes_,
        "padding": pads,
        "out_dims": new_dims,
        "mode": mode,
    }
    if mode == "constant" and value != 0:
        layer["value"] = value
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="pad"), new_dims


def window(
    x: Tensor,
    *,
    spatial_dim: Dim,
    window_dim: Dim,
    window_left: int | None = None,
    window_right: int | None = None,
    padding: str = "same",
    stride: int = 1,
) -> tuple[Tensor, Dim]:
    """Sliding windows of ``window_dim`` frames over ``spatial_dim`` (RETURNN ``window``).

    Returns the tensor and the new spatial dim (``spatial_dim`` itself for
    ``padding="same"`` and stride 1). RETURNN puts the window dim and the spatial
    dim first.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, win = nn.SpatialDim("time"), nn.SpatialDim("win", 3)
    >>> y, t = nn.window(nn.zeros([nn.batch_dim, time]), spatial_dim=time, window_dim=win)
    >>> y.dims == (win, time, nn.batch_dim)
    True
    """
    x = as_tensor(x, "window")
    spatial_dim = check_axis(x, as_dim(spatial_dim, "window", "spatial_dim"), "window")
    window_dim = as_dim(window_dim, "window", "window_dim")
    size = window_dim.dimension
    if size is None:
        raise DimMismatchError(
            f"window: window_dim {_dim_str(window_dim)} must be static (at {user_location()})"
        )
    if window_dim in x.dims:
        raise DimMismatchError(
            f"window: window_dim {_dim_str(window_dim)} is already a dim of {x!r} "
            f"(at {user_location()})"
        )
    stride = _int_arg(stride, "window", "stride", minimum=1)
    if padding not in ("same", "valid"):
        raise ValueError(f"window: padding must be 'same' or 'valid', got {padding!r}")
    if padding == "same":
        out_spatial = spatial_dim.ceildiv_right(stride) if stride != 1 else spatial_dim
    else:
        left = (size - 1) // 2
        right = size - 1 - left
        out_spatial = spatial_dim.sub_left(left).sub_right(right)
        if stride != 1:
            out_spatial = out_spatial.ceildiv_right(stride)
    # RETURNN makes the input batch-major, then (behavior version >= 18) moves the spatial
    # axis to the front and adds the window axis in front of it (behind it with striding).
    rest = [d for d in x.template.copy_as_batch_major().dims if d is not spatial_dim]
    front = [window_dim, out_spatial] if stride == 1 else [out_spatial, window_dim]
    dims = [*front, *rest]
    layer: dict[str, Any] = {
        "class": "window",
        "from": x,
        "axis": spatial_dim,
        "window_dim": window_dim,
        "padding": padding,
    }
    if out_spatial is not spatial_dim:
        layer["out_spatial_dim"] = out_spatial
    if window_left is not None:
        layer["window_left"] = _int_arg(window_left, "window", "window_left", minimum=0)
    if window_right is not None:
        layer["window_right"] = _int_arg(window_right, "window", "window_right", minimum=0)
    if stride != 1:
        layer["stride"] = stride
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=x.feature_dim)
    return make_layer_tensor(layer, template, name_hint="window"), out_spatial
