"""Shape ops that rearrange dims without changing values: split, reshape, merge, expand, squeeze.

Every output template is computed here, in pure Python, the way RETURNN's layers
(``split``, ``reshape``, ``split_dims``, ``merge_dims``, ``expand_dims``, ``squeeze``)
compute it; dims are always named by ``nn.Dim`` objects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from returnn.tensor import Dim

from ._dimargs import as_dim, as_dims, check_axes, dims_str
from ._errors import AxisError, DimMismatchError
from ._tensor import Tensor, _dim_str, as_tensor, check_axis, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["expand_dim", "merge_dims", "reshape", "split", "split_dims", "squeeze"]


def _feature_after(x: Tensor, dims: Sequence[Dim]) -> Dim | None:
    """Keep ``x``'s feature dim when it survives the op."""
    return x.feature_dim if x.feature_dim in dims else None


def _product(dims: Sequence[Dim]) -> int | None:
    sizes = [d.dimension for d in dims]
    if any(s is None for s in sizes) or any(d.is_batch_dim() for d in dims):
        return None
    return math.prod(int(s) for s in sizes if s is not None)


def split(x: Tensor, *, axis: Dim, out_dims: Sequence[Dim]) -> tuple[Tensor, ...]:
    """Split ``axis`` into consecutive parts with the static dims ``out_dims`` (RETURNN ``split``).

    The sizes of ``out_dims`` must add up to the size of ``axis``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f, a, b = nn.FeatureDim("f", 5), nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    >>> left, right = nn.split(nn.zeros([nn.batch_dim, f]), axis=f, out_dims=[a, b])
    >>> left.dims == (nn.batch_dim, a) and right.dims == (nn.batch_dim, b)
    True
    """
    x = as_tensor(x, "split")
    axis = check_axis(x, as_dim(axis, "split", "axis"), "split")
    parts = as_dims(out_dims, "split", "out_dims")
    sizes = [p.dimension for p in parts]
    if axis.dimension is None or any(s is None for s in sizes):
        raise DimMismatchError(
            f"split: the split axis {_dim_str(axis)} and all out_dims {dims_str(parts)} need "
            f"static sizes (at {user_location()})"
        )
    if sum(int(s) for s in sizes if s is not None) != axis.dimension:
        raise DimMismatchError(
            f"split: out_dims {dims_str(parts)} add up to {sum(int(s or 0) for s in sizes)}, "
            f"but the axis {_dim_str(axis)} of {x!r} has size {axis.dimension} "
            f"(dims: {dims_str(x.dims)}; at {user_location()})"
        )
    layer = {"class": "split", "from": x, "axis": axis, "out_dims": parts}
    whole = make_layer_tensor(layer, x.template, name_hint="split")
    results = []
    for index, part in enumerate(parts):
        dims = [part if d is axis else d for d in x.dims]
        feature = part if x.feature_dim is axis else _feature_after(x, dims)
        template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
        results.append(
            Tensor(
                template,
                root=whole.root,
                name_hint=f"split_{index}",
                parent=whole,
                sub_name=str(index),
                created_at=whole.created_at,
            )
        )
    return tuple(results)


def reshape(x: Tensor, *, in_dims: Sequence[Dim], out_dims: Sequence[Dim]) -> Tensor:
    """Replace the dims ``in_dims`` by ``out_dims`` of the same total size (RETURNN ``reshape``).

    Values are read in the order of ``in_dims`` and written in the order of
    ``out_dims``; the new dims take the place of the first of ``in_dims``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b, c = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3), nn.FeatureDim("c", 6)
    >>> nn.reshape(nn.zeros([nn.batch_dim, a, b]), in_dims=[a, b], out_dims=[c]).dims == (nn.batch_dim, c)
    True
    """
    x = as_tensor(x, "reshape")
    ins = as_dims(in_dims, "reshape", "in_dims")
    outs = as_dims(out_dims, "reshape", "out_dims")
    check_axes(x, ins, "reshape")
    for dim in ins:
        if dim.is_batch_dim():
            raise AxisError(
                f"reshape: the batch dim cannot be reshaped (in_dims {dims_str(ins)}; "
                f"at {user_location()})"
            )
    in_size, out_size = _product(ins), _product(outs)
    if in_size is None or out_size is None:
        if set(ins) != set(outs) and (in_size is None) != (out_size is None):
            raise DimMismatchError(
                f"reshape: in_dims {dims_str(ins)} and out_dims {dims_str(outs)} must both be "
                f"static or describe the same dynamic dims (at {user_location()})"
            )
    elif in_size != out_size:
        raise DimMismatchError(
            f"reshape: in_dims {dims_str(ins)} have {in_size} elements, out_dims "
            f"{dims_str(outs)} have {out_size} (tensor {x!r}; at {user_location()})"
        )
    clash = [d for d in outs if d in x.dims and d not in ins]
    if clash:
        raise DimMismatchError(
            f"reshape: out_dims {dims_str(clash)} are already dims of {x!r} "
            f"(dims: {dims_str(x.dims)}; at {user_location()}); use new dims"
        )
    positions = [x.dims.index(d) for d in ins]
    insert = min(positions)
    rest = [d for i, d in enumerate(x.dims) if i not in positions]
    dims = rest[:insert] + outs + rest[insert:]
    layer = {"class": "reshape", "from": x, "in_dims": ins, "out_dims": outs}
    template = make_template(
        dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=_feature_after(x, dims)
    )
    return make_layer_tensor(layer, template, name_hint="reshape")


def split_dims(x: Tensor, *, axis: Dim, dims: Sequence[Dim]) -> Tensor:
    """Split the static ``axis`` into ``dims`` (RETURNN ``split_dims``), row-major.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f, h, d = nn.FeatureDim("f", 6), nn.FeatureDim("heads", 2), nn.FeatureDim("d", 3)
    >>> nn.split_dims(nn.zeros([nn.batch_dim, f]), axis=f, dims=[h, d]).dims == (nn.batch_dim, h, d)
    True
    """
    x = as_tensor(x, "split_dims")
    axis = check_axis(x, as_dim(axis, "split_dims", "axis"), "split_dims")
    parts = as_dims(dims, "split_dims", "dims")
    if axis.is_batch_dim() or axis.dimension is None:
        raise DimMismatchError(
            f"split_dims: the axis {_dim_str(axis)} must be static; splitting a dynamic axis "
            f"would pad it (at {user_location()})"
        )
    size = _product(parts)
    if size is None or size != axis.dimension:
        raise DimMismatchError(
            f"split_dims: dims {dims_str(parts)} (product {size}) do not fit the axis "
            f"{_dim_str(axis)} of {x!r} (dims: {dims_str(x.dims)}; at {user_location()})"
        )
    clash = [d for d in parts if d in x.dims]
    if clash:
        raise DimMismatchError(
            f"split_dims: {dims_str(clash)} are already dims of {x!r} (at {user_location()})"
        )
    index = x.dims.index(axis)
    out = [*x.dims[:index], *parts, *x.dims[index + 1 :]]
    feature = parts[-1] if x.feature_dim is axis else _feature_after(x, out)
    layer = {"class": "split_dims", "from": x, "axis": axis, "dims": parts}
    template = make_template(out, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="split_dims")


def merge_dims(x: Tensor, *, axes: Sequence[Dim], out_dim: Dim | None = None) -> tuple[Tensor, Dim]:
    """Merge ``axes`` (in the given order, row-major) into one dim (RETURNN ``merge_dims``).

    Returns the tensor and the merged dim. Without ``out_dim`` the merged dim is
    the product of ``axes`` (``a * b``), which RETURNN derives the same way; with a
    dynamic dim among ``axes`` it is a new dynamic dim named like the product (RETURNN's
    product dim would be taken for that dynamic dim when broadcasting).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    >>> y, ab = nn.merge_dims(nn.zeros([nn.batch_dim, a, b]), axes=[a, b])
    >>> ab.dimension, y.dims == (nn.batch_dim, ab)
    (6, True)
    """
    x = as_tensor(x, "merge_dims")
    merged = as_dims(axes, "merge_dims", "axes")
    check_axes(x, merged, "merge_dims")
    if any(d.is_batch_dim() for d in merged):
        raise AxisError(
            f"merge_dims: merging the batch dim is not supported (axes {dims_str(merged)}; "
            f"at {user_location()}); merge only non-batch dims"
        )
    if len(merged) < 2:
        raise AxisError(
            f"merge_dims: give at least two axes to merge, got {dims_str(merged)} "
            f"(at {user_location()})"
        )
    derived = merged[0]
    for dim in merged[1:]:
        derived = derived * dim
    # A merge with a dynamic dim: RETURNN's product dim is derived from that dim, and its
    # broadcasting (get_common_data, derived_matches) takes it for the dynamic dim itself:
    # combining the merged tensor with one that has the dynamic dim (time*s with time)
    # then fails ("cannot match the axes", fuzz-found), also with an out_dim, which RETURNN
    # only declares the same as its product. So the product is renamed to a dim that is not
    # derived (reinterpret_data set_dim_tags, as replace_dim), made here if not given.
    rename = any(d.dimension is None for d in merged)
    if out_dim is None:
        out_dim = Dim(None, name=derived.description, kind=Dim.Types.Spatial) if rename else derived
    else:
        out_dim = as_dim(out_dim, "merge_dims", "out_dim")
        if (
            out_dim.dimension is not None
            and derived.dimension is not None
            and out_dim.dimension != derived.dimension
        ):
            raise DimMismatchError(
                f"merge_dims: out_dim {_dim_str(out_dim)} does not have the size "
                f"{derived.dimension} of the merged axes {dims_str(merged)} (at {user_location()})"
            )
    positions = [x.dims.index(d) for d in merged]
    feature_axis = x.template.feature_dim_axis
    if feature_axis is not None and feature_axis in positions:
        target = feature_axis - sum(p < feature_axis for p in positions)
    else:
        target = min(positions)
    rest = [d for i, d in enumerate(x.dims) if i not in positions]
    if sorted(positions) != list(range(min(positions), min(positions) + len(positions))):
        # RETURNN puts the merged dim where its feature axis was, if that is merged, and
        # RETURNN's choice of the feature axis is not always ours (e.g. after slice_nd:
        # wrong template, fuzz-found). With the axes next to each other the place does not
        # depend on it: move them there first (they keep their order), at our place.
        block = [d for d in x.dims if d in merged]
        order = [*rest[:target], *block, *rest[target:]]
        layer_t = {"class": "transpose", "from": x, "perm": order}
        x = make_layer_tensor(
            layer_t,
            make_template(order, x.dtype, sparse_dim=x.sparse_dim, feature_dim=x.feature_dim),
            name_hint="merge_dims_transpose",
        )
    layer_dim = derived if rename else out_dim  # the merge_dims layer's own out dim
    dims = [*rest[:target], layer_dim, *rest[target:]]
    feature = layer_dim if x.feature_dim in merged else _feature_after(x, dims)
    layer = {
        "class": "merge_dims",
        "from": x,
        "axes": merged,
        "keep_order": True,
        "out_dim": layer_dim,
    }
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    y = make_layer_tensor(layer, template, name_hint="merge_dims")
    if layer_dim is not out_dim:
        renamed = [out_dim if d is derived else d for d in dims]
        feature = out_dim if feature is derived else feature
        layer = {"class": "reinterpret_data", "from": y, "set_dim_tags": {derived: out_dim}}
        template = make_template(renamed, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
        y = make_layer_tensor(layer, template, name_hint="merge_dims")
    return y, out_dim


def expand_dim(x: Tensor, *, dim: Dim) -> Tensor:
    """Add the new axis ``dim`` (values repeated along it; use a dim of size 1 for a plain new axis).

    The new axis really has the size of ``dim`` (RETURNN tiles the values along it), so
    every consumer, e.g. a ``Linear`` over it, sees ``dim.dimension`` entries.

    A tensor with the batch dim gets the new axis right after the batch dim, batch-major
    (``[time, batch, f]`` becomes ``[batch, dim, time, f]``); dims are named, so the
    position rarely matters. It is chosen so that the new axis leaves RETURNN's special
    axes alone: its default feature axis is the last static axis, so a new axis at the
    end could take that role, and a string ``axis`` (``"spatial"``) makes a static new
    axis the time axis of a tensor without one (which e.g. breaks ``batch_norm``). A
    tensor without the batch dim gets it before its last axis (at the end if sparse).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f, one = nn.FeatureDim("f", 3), nn.SpatialDim("one", 1)
    >>> nn.expand_dim(nn.zeros([nn.batch_dim, f]), dim=one).dims == (nn.batch_dim, one, f)
    True
    >>> e = nn.FeatureDim("e", 2)
    >>> nn.expand_dim(nn.zeros([nn.batch_dim]), dim=e).dims == (nn.batch_dim, e)
    True
    """
    x = as_tensor(x, "expand_dim")
    dim = as_dim(dim, "expand_dim", "dim")
    if dim in x.dims:
        raise DimMismatchError(
            f"expand_dim: {_dim_str(dim)} is already a dim of {x!r} "
            f"(dims: {dims_str(x.dims)}; at {user_location()})"
        )
    if dim.is_batch_dim():
        raise AxisError(f"expand_dim: cannot add the batch dim (at {user_location()})")
    axis: int | str
    batch = [d for d in x.dims if d.is_batch_dim()]
    if batch:
        # An int axis makes RETURNN's expand_dims take the input batch-major first and
        # count the axis with the batch dim: 1 is right after it.
        axis = 1
        dims = [*batch, dim, *(d for d in x.dims if not d.is_batch_dim())]
    else:
        # RETURNN cannot take a tensor without batch batch-major: "spatial" puts the new
        # axis before the last axis of a dense tensor, at the end of a sparse one.
        axis = "spatial"
        index = len(x.dims) if x.sparse_dim is not None else max(len(x.dims) - 1, 0)
        dims = [*x.dims[:index], dim, *x.dims[index:]]
    layer = {"class": "expand_dims", "from": x, "axis": axis, "dim": dim}
    template = make_template(
        dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=_feature_after(x, dims)
    )
    return make_layer_tensor(layer, template, name_hint="expand_dim")


def squeeze(x: Tensor, *, axis: Dim) -> Tensor:
    """Remove the size-1 dim ``axis`` (RETURNN ``squeeze``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f, one = nn.FeatureDim("f", 3), nn.SpatialDim("one", 1)
    >>> nn.squeeze(nn.zeros([nn.batch_dim, one, f]), axis=one).dims == (nn.batch_dim, f)
    True
    """
    x = as_tensor(x, "squeeze")
    axis = check_axis(x, as_dim(axis, "squeeze", "axis"), "squeeze")
    if axis.dimension != 1 or axis.is_batch_dim():
        raise DimMismatchError(
            f"squeeze: the axis {_dim_str(axis)} of {x!r} must have size 1 "
            f"(dims: {dims_str(x.dims)}; at {user_location()}); use nn.reduce or nn.gather "
            "to remove a longer axis"
        )
    dims = [d for d in x.dims if d is not axis]
    layer = {"class": "squeeze", "from": x, "axis": axis}
    template = make_template(
        dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=_feature_after(x, dims)
    )
    return make_layer_tensor(layer, template, name_hint="squeeze")
