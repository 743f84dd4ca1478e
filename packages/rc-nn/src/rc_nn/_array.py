"""Basic array ops: constants, casts, dot, reduce, softmax, dropout, concat, escape hatch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy
from returnn.tensor import Dim

from ._control import current_block
from ._cum_concat import cum_concat_axes, with_loop_frame
from ._dim_sites import lookalike_dims_note
from ._errors import AxisError, DimMismatchError
from ._returnn_fallback import infer_template_with_returnn
from ._scalars import plain_number
from ._shape import merge_dims, split_dims
from ._tensor import (
    Template,
    Tensor,
    _dim_str,
    as_tensor,
    check_axis,
    common_template,
    make_layer_tensor,
    make_template,
)
from ._userloc import user_location

__all__ = [
    "cast",
    "concat",
    "constant",
    "dot",
    "dropout",
    "log_softmax",
    "make_layer",
    "ones",
    "reduce",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_sum",
    "softmax",
    "stop_gradient",
    "zeros",
]


def _dims_list(dims: Sequence[Dim] | Dim, what: str) -> list[Dim]:
    items = [dims] if isinstance(dims, Dim) else list(dims)
    for dim in items:
        if not isinstance(dim, Dim):
            raise AxisError(f"{what}: expected nn.Dim objects, got {dim!r} (at {user_location(3)})")
    return items


def constant(
    value: float | int | bool | numpy.ndarray,
    dims: Sequence[Dim] | None = None,
    *,
    shape: Sequence[Dim] | None = None,
    dtype: str | None = None,
    sparse_dim: Dim | None = None,
) -> Tensor:
    """A tensor filled with ``value`` (RETURNN ``constant``).

    The dims are given positionally (``nn.constant(1.0, [f])``) or, as in the
    predecessor, as ``shape=``. ``value`` may be a numpy array of that shape. As in
    RETURNN, the last dim is the feature dim (unless the result is sparse); an int
    constant becomes sparse with ``sparse_dim``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.constant(1.5, [nn.FeatureDim("f", 2)]).dtype
    'float32'
    >>> nn.constant(value=0, shape=[nn.FeatureDim("f", 2)], dtype="int32").dtype
    'int32'
    """
    if dims is not None and shape is not None:
        raise ValueError(
            f"constant: give the dims once, positionally or as shape=, not both (at {user_location(2)})"
        )
    dims_ = _dims_list(shape if shape is not None else dims if dims is not None else (), "constant")
    if isinstance(value, numpy.ndarray):
        if value.shape != tuple(d.dimension for d in dims_):
            raise DimMismatchError(
                f"constant: the array has shape {value.shape}, the dims "
                f"[{', '.join(_dim_str(d) for d in dims_)}] have shape "
                f"{tuple(d.dimension for d in dims_)} (at {user_location(2)})"
            )
        if dtype is None:
            dtype = str(value.dtype)
    else:
        # numpy scalars and subclasses of the builtins count as their plain Python value (so
        # the default dtype follows it: bool, int32, float32), and the config gets a literal.
        plain = plain_number(value)
        if plain is None:
            raise TypeError(
                f"constant: value must be a Python number, a bool, a numpy scalar or array, "
                f"got {type(value).__name__} (at {user_location(2)})"
            )
        value = plain
    if dtype is None:
        dtype = (
            "bool" if isinstance(value, bool) else "int32" if isinstance(value, int) else "float32"
        )
    if sparse_dim is not None and not dtype.startswith("int"):
        raise DimMismatchError(
            f"constant: a sparse_dim needs an int dtype, got {dtype!r} (at {user_location(2)})"
        )
    layer: dict[str, Any] = {"class": "constant", "value": value, "shape": dims_, "dtype": dtype}
    if sparse_dim is not None:
        layer["sparse_dim"] = sparse_dim
    # RETURNN's constant layer makes a version-1 template: its default feature dim (the
    # last dim that is not the batch dim or a dynamic dim, for a dense tensor).
    feature = None
    if sparse_dim is None:
        feature = Template("constant", dims=dims_, dtype=dtype, version=1).feature_dim
    template = make_template(dims_, dtype, sparse_dim=sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="constant")


def zeros(dims: Sequence[Dim], *, dtype: str = "float32") -> Tensor:
    """Zeros with the given dims."""
    return constant(
        False if dtype == "bool" else 0 if dtype.startswith("int") else 0.0, dims, dtype=dtype
    )


def ones(dims: Sequence[Dim], *, dtype: str = "float32") -> Tensor:
    """Ones with the given dims."""
    return constant(
        True if dtype == "bool" else 1 if dtype.startswith("int") else 1.0, dims, dtype=dtype
    )


def cast(x: Tensor, dtype: str) -> Tensor:
    """Convert to ``dtype`` (RETURNN ``cast``); a cast to the same dtype is a no-op."""
    x = as_tensor(x, "cast")
    if x.dtype == dtype:
        return x
    template = x.template.copy_template(dtype=dtype)
    if not dtype.startswith("int"):
        template.sparse_dim = None
    return make_layer_tensor(
        {"class": "cast", "from": x, "dtype": dtype}, template, name_hint="cast"
    )


def stop_gradient(x: Tensor) -> Tensor:
    """Identity in the forward pass, no gradient backwards."""
    x = as_tensor(x, "stop_gradient")
    return make_layer_tensor(
        {"class": "scaled_grad", "from": x, "scale": 0.0}, x.template, name_hint="stop_gradient"
    )


def dot(a: Tensor, b: Tensor, *, reduce: Dim | Sequence[Dim]) -> Tensor:
    """Matrix product over the ``reduce`` dims; other shared dims are batch dims.

    Output dims: shared dims (in ``a``'s order), then ``a``'s own, then ``b``'s own,
    as RETURNN's ``dot`` layer.

    Examples
    --------
    >>> import rc_nn as nn
    >>> i, o = nn.FeatureDim("i", 2), nn.FeatureDim("o", 3)
    >>> nn.dot(nn.zeros([nn.batch_dim, i]), nn.zeros([i, o]), reduce=i).dims == (nn.batch_dim, o)
    True
    """
    a = as_tensor(a, "dot")
    b = as_tensor(b, "dot")
    red = _dims_list(reduce, "dot reduce")
    for dim in red:
        for side, tensor in (("first", a), ("second", b)):
            if dim not in tensor.dims:
                raise DimMismatchError(
                    f"dot: reduce dim {_dim_str(dim)} is not in the {side} input {tensor!r} "
                    f"(dims: {', '.join(_dim_str(d) for d in tensor.dims)}; at {user_location(2)})"
                    + lookalike_dims_note([dim, *tensor.dims])
                )
    common = [d for d in a.dims if d in b.dims and d not in red]
    a_only = [d for d in a.dims if d not in b.dims]
    b_only = [d for d in b.dims if d not in a.dims]
    dims = common + a_only + b_only
    # RETURNN never makes the batch dim the feature dim (e.g. weight [in, out] @ x [in, batch]).
    own = [d for d in (*a_only, *b_only) if not d.is_batch_dim()]
    feature = own[-1] if own else None
    dtype = a.dtype
    layer = {"class": "dot", "from": [a, b], "reduce": red if len(red) != 1 else red[0]}
    return make_layer_tensor(
        layer, make_template(dims, dtype, feature_dim=feature), name_hint="dot"
    )


def reduce(x: Tensor, *, mode: str, axis: Dim | Sequence[Dim], use_mask: bool = True) -> Tensor:
    """Reduce over ``axis`` (``mode``: sum, mean, max, min, logsumexp); padding is masked.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> nn.reduce(nn.zeros([nn.batch_dim, f]), mode="sum", axis=f).dims == (nn.batch_dim,)
    True
    """
    modes = ("sum", "mean", "max", "min", "logsumexp", "prod", "any", "all")
    if mode not in modes:
        raise ValueError(f"reduce: unknown mode {mode!r}; one of {modes}")
    x = as_tensor(x, f"reduce_{mode}")
    axes = _dims_list(axis, f"reduce_{mode}")
    if not axes:
        raise AxisError(f"reduce_{mode}: give at least one axis (at {user_location(2)})")
    for dim in axes:
        check_axis(x, dim, f"reduce_{mode}")
    frame_axes = cum_concat_axes(x, axes)
    if frame_axes:
        # Over the dim of a cum_concat_step (sizes per loop frame), RETURNN needs the loop
        # frame in the input to build the mask (see with_loop_frame), and it masks all
        # dynamic axes of one reduce layer or none. In the loop that dim has no padding, so
        # its mask never changes the result: reduce the other axes first (masked as asked),
        # then that dim, always masked. Every mode gives the same result in two steps (mean
        # too: each group has the same count).
        other_axes = [d for d in axes if d not in frame_axes]
        if other_axes:
            x = reduce(x, mode=mode, axis=other_axes, use_mask=use_mask)
        x = with_loop_frame(x, frame_axes, f"reduce_{mode}")
        axes, use_mask = frame_axes, True
    dims = [d for d in x.dims if d not in axes]
    layer: dict[str, Any] = {
        "class": "reduce",
        "from": x,
        "mode": mode,
        "axis": axes if len(axes) != 1 else axes[0],
    }
    if use_mask and not frame_axes and not any(d.is_batch_dim() for d in x.dims):
        # A dynamic dim's sizes are per sequence ([batch]); a tensor without the batch dim
        # (e.g. a relative positional encoding over time + time - 1) spans the longest
        # sequence and has no padding per sequence to mask. RETURNN would try to build the
        # mask anyway and fail (an AssertionError without message), so reduce unmasked.
        use_mask = not any(d.dimension is None for d in axes)
    if not use_mask:
        layer["use_time_mask"] = False
    feature = x.feature_dim if x.feature_dim in dims else None
    return make_layer_tensor(
        layer, make_template(dims, x.dtype, feature_dim=feature), name_hint=f"reduce_{mode}"
    )


def reduce_sum(x: Tensor, *, axis: Dim | Sequence[Dim]) -> Tensor:
    """Sum over ``axis``."""
    return reduce(x, mode="sum", axis=axis)


def reduce_mean(x: Tensor, *, axis: Dim | Sequence[Dim]) -> Tensor:
    """Mean over ``axis`` (padding excluded)."""
    return reduce(x, mode="mean", axis=axis)


def reduce_max(x: Tensor, *, axis: Dim | Sequence[Dim]) -> Tensor:
    """Maximum over ``axis``."""
    return reduce(x, mode="max", axis=axis)


def reduce_min(x: Tensor, *, axis: Dim | Sequence[Dim]) -> Tensor:
    """Minimum over ``axis``."""
    return reduce(x, mode="min", axis=axis)


def reduce_logsumexp(x: Tensor, *, axis: Dim | Sequence[Dim]) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed stably."""
    return reduce(x, mode="logsumexp", axis=axis)


def softmax(x: Tensor, *, axis: Dim) -> Tensor:
    """Softmax over ``axis`` (padding frames of a dynamic axis get probability 0).

    The result has ``axis`` as its last dim, as RETURNN's ``softmax_over_spatial``
    orders it (rc-nn ops address dims by object, so the order rarely matters). On a
    tensor with more than 5 dims the static dims besides ``axis`` are merged around
    the softmax (see :func:`_softmax_over`), which changes the order of the others.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> nn.softmax(nn.zeros([f]), axis=f).dims == (f,)
    True
    """
    return _softmax_over(x, axis, "softmax", log_space=False)


def log_softmax(x: Tensor, *, axis: Dim) -> Tensor:
    """log(softmax(x)) over ``axis``, computed stably; ``axis`` becomes the last dim.

    Padding frames of a dynamic ``axis`` are ``-inf``. More than 5 dims: as :func:`softmax`.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, f = nn.SpatialDim("t"), nn.FeatureDim("f", 2)
    >>> nn.log_softmax(nn.zeros([t, f]), axis=t).dims == (f, t)
    True
    """
    return _softmax_over(x, axis, "log_softmax", log_space=True)


#: The most dims TF's oneDNN softmax kernel takes (``mkl_softmax_op.cc``: "Input dims must
#: be <= 5 and >=1", an error at run time; TF CPU builds use oneDNN by default).
_MAX_SOFTMAX_DIMS = 5


def _softmax_over(x: Tensor, axis: Dim, what: str, *, log_space: bool) -> Tensor:
    """One ``softmax_over_spatial`` layer, with the static dims besides ``axis`` merged
    into one around it where the tensor has too many dims for TF's oneDNN kernel.

    The softmax is independent per position of the other dims, so merging them (a
    reshape) and splitting them back gives the same numbers. A layer in a loop may be
    moved out of it by RETURNN, which adds the loop's time dim: each enclosing loop
    counts as one more dim. Only static dims are merged (merging a dynamic dim would
    need a padded product); too many dims left after that is a clear error here rather
    than the kernel's at run time.
    """
    x = as_tensor(x, what)
    check_axis(x, axis, what)
    x = with_loop_frame(x, cum_concat_axes(x, [axis]), what)
    block = current_block(x.root)
    extra = block.depth_in_loops() if block is not None else 0
    others = [
        d for d in x.dims if d is not axis and not d.is_batch_dim() and d.dimension is not None
    ]
    merged: Dim | None = None
    if len(x.dims) + extra > _MAX_SOFTMAX_DIMS and len(others) >= 2:
        x, merged = merge_dims(x, axes=others)
    if len(x.dims) > _MAX_SOFTMAX_DIMS:
        raise AxisError(
            f"{what}: {x!r} has {len(x.dims)} dims (dims: {', '.join(_dim_str(d) for d in x.dims)}) "
            f"after merging its static dims besides the axis {_dim_str(axis)}; TF's oneDNN "
            f"softmax kernel takes at most {_MAX_SOFTMAX_DIMS} (it fails at run time; at "
            f"{user_location(3)}). Reduce or merge some of the other dynamic dims first."
        )
    layer: dict[str, Any] = {"class": "softmax_over_spatial", "from": x, "axis": axis}
    if log_space:
        layer["log_space"] = True
    out = make_layer_tensor(layer, _axis_last(x, axis), name_hint=what)
    if merged is not None:
        out = split_dims(out, axis=merged, dims=others)
    return out


def _axis_last(x: Tensor, axis: Dim) -> Template:
    """``x``'s template with ``axis`` moved to the end (RETURNN ``softmax_over_spatial``)."""
    return make_template(
        [d for d in x.dims if d is not axis] + [axis],
        x.dtype,
        sparse_dim=x.sparse_dim,
        feature_dim=x.feature_dim,
    )


def dropout(x: Tensor, dropout: float, *, axis: Dim | Sequence[Dim] | None = None) -> Tensor:
    """Dropout in training (identity otherwise); the mask is shared over all dims but ``axis``.

    With ``axis`` given (usually the feature dim), the same mask applies to all
    frames and batch entries, as in the predecessor's ``nn.dropout``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> nn.dropout(nn.zeros([nn.batch_dim, f]), 0.1, axis=f).name_hint
    'dropout'
    """
    x = as_tensor(x, "dropout")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"dropout: rate must be in [0, 1), got {dropout!r} (at {user_location(2)})"
        )
    if dropout == 0.0:
        return x
    layer: dict[str, Any] = {"class": "dropout", "from": x, "dropout": float(dropout)}
    if axis is not None:
        axes = _dims_list(axis, "dropout")
        for dim in axes:
            check_axis(x, dim, "dropout")
        # Noise shape 1 on every dim except the dropout axes.
        layer["dropout_noise_shape"] = {dim: 1 for dim in x.dims if dim not in axes}
    return make_layer_tensor(layer, x.template, name_hint="dropout")


def concat(
    *sources: tuple[Tensor, Dim], out_dim: Dim | None = None, allow_broadcast: bool = False
) -> tuple[Tensor, Dim]:
    """Concatenate ``(tensor, dim)`` pairs along their ``dim``s into ``out_dim``.

    Returns ``(result, out_dim)``, as the predecessor (returnn_common) did.
    ``out_dim`` defaults to a new dim of the summed size. With ``allow_broadcast``,
    dims that only some inputs have are broadcast; the result has the union of the
    dims (ordered as RETURNN's ``concat`` orders them).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    >>> y, ab = nn.concat((nn.zeros([a]), a), (nn.zeros([b]), b))
    >>> ab.dimension, y.dims == (ab,)
    (5, True)
    """
    if not sources:
        raise ValueError("concat: needs at least one (tensor, dim) pair")
    pairs: list[tuple[Tensor, Dim]] = []
    for item in sources:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(
                f"concat: expected (tensor, dim) pairs, got {item!r} (at {user_location(2)})"
            )
        tensor = as_tensor(item[0], "concat")
        pairs.append((tensor, check_axis(tensor, item[1], "concat")))
    if out_dim is None:
        out_dim = pairs[0][1]
        for _, dim in pairs[1:]:
            out_dim = out_dim + dim
    else:
        sizes = [d.dimension for _, d in pairs]
        total = None if None in sizes else sum(s for s in sizes if s is not None)
        if out_dim.dimension != total:
            raise DimMismatchError(
                f"concat: out_dim {_dim_str(out_dim)} does not have the summed size of the "
                f"concat dims {', '.join(_dim_str(d) for _, d in pairs)} (at {user_location(2)}); "
                "leave out_dim away to get a new dim of the right size"
            )
    others = [[d for d in t.dims if d is not dim] for t, dim in pairs]
    if not allow_broadcast and any(set(o) != set(others[0]) for o in others[1:]):
        shapes = "; ".join(f"[{', '.join(_dim_str(d) for d in t.dims)}]" for t, _ in pairs)
        raise DimMismatchError(
            f"concat: inputs differ in dims other than the concat dims: {shapes} "
            f"(at {user_location(2)}); pass allow_broadcast=True to broadcast them"
        )
    # RETURNN's concat: each input with its concat dim replaced by out_dim, then the
    # common template of all (broadcast dims of other inputs included, in its order).
    templates = [
        t.template.copy_template_replace_dim_tag(axis=t.dims.index(d), new_dim_tag=out_dim)
        for t, d in pairs
    ]
    template = common_template(templates)
    layer: dict[str, Any] = {
        "class": "concat",
        "from": [[t, d] for t, d in pairs],
        "out_dim": out_dim,
    }
    if allow_broadcast:
        layer["allow_broadcast"] = True
    return make_layer_tensor(layer, template, name_hint="concat"), out_dim


def make_layer(
    layer_dict: dict[str, Any],
    *,
    name: str,
    out: Template | None = None,
) -> Tensor:
    """Escape hatch: any RETURNN layer dict, with tensors in place of layer names.

    ``out`` is the output template; without it, RETURNN itself is asked for it
    (``rc_nn._returnn_fallback.infer_template_with_returnn``): slow, since it imports
    TensorFlow and builds a throwaway network from the input templates; a lazy,
    explicit fallback, never on the common path. If RETURNN cannot infer the
    template from templates alone, a ``ReturnnFallbackError`` asks for ``out=``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> x = nn.zeros([f])
    >>> y = nn.make_layer({"class": "copy", "from": x}, name="my_copy", out=x.template)
    >>> y.name_hint
    'my_copy'
    """
    if "class" not in layer_dict:
        raise ValueError(
            f"make_layer {name!r}: the layer dict needs a 'class' (at {user_location(2)})"
        )
    if out is None:
        out = infer_template_with_returnn(layer_dict, name=name)
    return make_layer_tensor(dict(layer_dict), out, name_hint=name)
