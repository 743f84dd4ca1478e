"""Ops that pick values by index or condition: gather, where, top_k, one_hot."""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim
from returnn.tensor import Tensor as Template

from ._array import cast
from ._dim_sites import lookalike_dims_note
from ._dimargs import as_dim, dims_str
from ._errors import DimMismatchError
from ._math import _common_template
from ._range import range_over_dim
from ._slice import _gather_dims
from ._tensor import (
    Tensor,
    _dim_str,
    as_tensor,
    check_axis,
    common_template,
    make_layer_tensor,
    make_template,
)
from ._userloc import user_location

__all__ = ["gather", "one_hot", "top_k", "where"]


def gather(x: Tensor, *, indices: Tensor | int, axis: Dim) -> Tensor:
    """Pick entries of ``x`` along ``axis`` at ``indices`` (RETURNN ``gather``).

    ``indices`` is an int tensor (its dims replace ``axis``; dims it shares with
    ``x`` are batch dims) or a Python int (removes ``axis``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    >>> x = nn.zeros([nn.batch_dim, time, f])
    >>> nn.gather(x, indices=0, axis=time).dims == (nn.batch_dim, f)
    True
    """
    x = as_tensor(x, "gather")
    axis = check_axis(x, as_dim(axis, "gather", "axis"), "gather")
    if isinstance(indices, bool) or not isinstance(indices, int | Tensor):
        as_tensor(indices, "gather indices")  # raises with the details
    if isinstance(indices, int):
        if indices < 0 or (axis.dimension is not None and indices >= axis.dimension):
            raise DimMismatchError(
                f"gather: index {indices} is out of range for the axis {_dim_str(axis)} "
                f"(at {user_location()})"
            )
        dims = [d for d in x.dims if d is not axis]
        position: Any = indices
    else:
        if not indices.dtype.startswith("int"):
            raise DimMismatchError(
                f"gather: indices must be an int tensor, got {indices!r} (at {user_location()})"
            )
        if indices.sparse_dim is not None and indices.sparse_dim != axis:
            raise DimMismatchError(
                f"gather: indices {indices!r} point into {_dim_str(indices.sparse_dim)}, "
                f"not into the axis {_dim_str(axis)} (at {user_location()})"
                + lookalike_dims_note([indices.sparse_dim, axis])
            )
        dims = _gather_dims(x, axis, list(indices.dims))
        position = indices
    feature = x.feature_dim if x.feature_dim in dims else None
    layer = {"class": "gather", "from": x, "position": position, "axis": axis}
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="gather")


def _branch_template(value: object, dtype: str | None, what: str) -> Template:
    if isinstance(value, Tensor):
        return value.template
    if isinstance(value, bool | int | float):
        return Template.template_from_constant(value, name="const", dtype=dtype)
    as_tensor(value, what)  # raises with the details
    raise AssertionError("unreachable")  # pragma: no cover


def where(
    cond: Tensor,
    true_: Tensor | float | int,
    false_: Tensor | float | int,
) -> Tensor:
    """Element-wise ``true_ if cond else false_`` with broadcasting by dims (RETURNN ``switch``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 3)
    >>> x = nn.zeros([nn.batch_dim, f])
    >>> nn.where(x > 0.0, x, 0.0).dims == (nn.batch_dim, f)
    True
    """
    cond = as_tensor(cond, "where cond")
    if cond.dtype != "bool":
        raise DimMismatchError(
            f"where: cond must be a bool tensor, got {cond!r} (at {user_location()}); "
            "compare first, e.g. x > 0.0"
        )
    dtype = (
        true_.dtype
        if isinstance(true_, Tensor)
        else false_.dtype
        if isinstance(false_, Tensor)
        else None
    )
    true_t = _branch_template(true_, dtype, "where true_")
    false_t = _branch_template(false_, dtype, "where false_")
    if isinstance(true_, Tensor) and isinstance(false_, Tensor) and true_.dtype != false_.dtype:
        raise DimMismatchError(
            f"where: true_ {true_!r} and false_ {false_!r} have different dtypes "
            f"(at {user_location()}); cast one with nn.cast"
        )
    try:
        common = common_template([true_t, false_t, cond.template])
    except Exception as exc:  # RETURNN raises plain exceptions for dim conflicts
        shapes = "; ".join(dims_str(t.dims) for t in (true_t, false_t, cond.template))
        raise DimMismatchError(
            f"where: the dims of cond, true_ and false_ do not fit together: {shapes} "
            f"(at {user_location()})"
            + lookalike_dims_note([d for t in (true_t, false_t, cond.template) for d in t.dims])
        ) from exc
    assert common is not None
    if all(len(t.dims) < len(common.dims) for t in (true_t, false_t, cond.template)):
        # No input has all dims: RETURNN's switch layer refuses such a broadcast (it has no
        # allow_broadcast_all_sources option; RequirementNotSatisfied under the config's
        # behavior version, fuzz-found). The condition is broadcast to all dims first.
        cond = _broadcast_condition(cond, [t for t in (true_, false_) if isinstance(t, Tensor)])
        common = common_template([true_t, false_t, cond.template])
    out_dtype = str(true_t.dtype)
    feature = common.feature_dim if common.feature_dim_axis is not None else None
    template = make_template(
        common.dims, out_dtype, sparse_dim=true_t.sparse_dim, feature_dim=feature
    )
    layer = {"class": "switch", "condition": cond, "true_from": true_, "false_from": false_}
    return make_layer_tensor(layer, template, name_hint="where")


def _broadcast_condition(cond: Tensor, branches: list[Tensor]) -> Tensor:
    """``cond`` with the dims of ``branches`` too (same values): ``cond or False``, an
    ``eval`` layer that allows broadcasting all its sources. Its sources are in the
    switch's order (true, false, condition), so RETURNN orders the dims as it would."""
    sources = [*branches, cond]
    expr = f"source({len(branches)})"
    neutral: tuple[Any, ...] = ("source", len(branches))
    for i in range(len(branches)):
        expr = f"tf.logical_or({expr}, tf.zeros_like(source({i}), dtype=tf.bool))"
        neutral = ("logical_or", neutral, ("zeros_like", ("source", i), "bool"))
    common, _ = _common_template(sources, "where")  # eval is a combine layer: its rules
    layer: dict[str, Any] = {
        "class": "eval",
        "from": sources,
        "eval": expr,
        "out_type": {"dtype": "bool"},
        "allow_broadcast_all_sources": True,
    }
    result = make_layer_tensor(layer, make_template(common.dims, "bool"), name_hint="where_cond")
    result.expr = neutral  # the neutral form of the eval code (LayerRecord.expr)
    return result


def top_k(
    x: Tensor, *, axis: Dim, k: int, k_dim: Dim | None = None, sorted: bool = True
) -> tuple[Tensor, Tensor, Dim]:
    """The ``k`` largest values along ``axis`` and their indices (RETURNN ``top_k``).

    Returns ``(values, indices, k_dim)``; ``axis`` is replaced by ``k_dim`` (new
    static dim of size ``k`` unless given), which comes last. ``indices`` are
    int32, sparse over ``axis``. Padding frames of a dynamic axis are never picked.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 5)
    >>> values, indices, k_dim = nn.top_k(nn.zeros([nn.batch_dim, f]), axis=f, k=2)
    >>> values.dims == (nn.batch_dim, k_dim) and indices.sparse_dim == f
    True
    """
    x = as_tensor(x, "top_k")
    axis = check_axis(x, as_dim(axis, "top_k", "axis"), "top_k")
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
        raise ValueError(f"top_k: k must be a positive int, got {k!r} (at {user_location()})")
    if axis.dimension is not None and k > axis.dimension:
        raise DimMismatchError(
            f"top_k: k={k} is larger than the axis {_dim_str(axis)} (at {user_location()})"
        )
    if k_dim is None:
        k_dim = Dim(k, name=f"{axis.description}_top{k}", kind=Dim.Types.Spatial)
    else:
        k_dim = as_dim(k_dim, "top_k", "k_dim")
        if k_dim.dimension != k:
            raise DimMismatchError(
                f"top_k: k_dim {_dim_str(k_dim)} must have size k={k} (at {user_location()})"
            )
    dims = [*(d for d in x.dims if d is not axis), k_dim]
    layer = {"class": "top_k", "from": x, "axis": axis, "k": k, "k_dim": k_dim, "sorted": sorted}
    values = make_layer_tensor(layer, make_template(dims, x.dtype), name_hint="top_k")
    indices = Tensor(
        make_template(dims, "int32", sparse_dim=axis),
        root=values.root,
        name_hint="top_k_indices",
        parent=values,
        sub_name="indices",
        created_at=values.created_at,
    )
    return values, indices, k_dim


def one_hot(x: Tensor, *, dtype: str = "float32") -> Tensor:
    """Dense one-hot vectors (1.0 at each index, else 0.0) over the sparse dim of ``x``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> classes = nn.FeatureDim("classes", 4)
    >>> labels = nn.get_extern_data(nn.Data("labels", [nn.batch_dim], sparse_dim=classes))
    >>> nn.one_hot(labels).dims == (nn.batch_dim, classes)
    True
    """
    x = as_tensor(x, "one_hot")
    if x.sparse_dim is None:
        raise DimMismatchError(
            f"one_hot: {x!r} is not sparse (no class dim; at {user_location()}); "
            "one_hot needs int indices with a sparse_dim, e.g. extern data with sparse_dim=..."
        )
    if x.sparse_dim in x.dims:
        raise DimMismatchError(
            f"one_hot: the class dim {_dim_str(x.sparse_dim)} is already a dim of {x!r} "
            f"(at {user_location()})"
        )
    positions = range_over_dim(x.sparse_dim)
    # RETURNN's ``compare`` output is dense bool (no sparse dim), dims as for ``combine``.
    common = common_template([x.template, positions.template])
    layer = {
        "class": "compare",
        "from": [x, positions],
        "kind": "equal",
        "allow_broadcast_all_sources": True,
    }
    hot = make_layer_tensor(layer, make_template(common.dims, "bool"), name_hint="one_hot_mask")
    return cast(hot, dtype)
