"""Comparable descriptions of layer outputs (``returnn.tensor`` objects), without TensorFlow.

:func:`template_of` turns a ``returnn.tensor.Tensor`` (a layer output of a constructed
network, or a template rc-nn inferred) into a :class:`LayerTemplate` of plain values, so
that ours and RETURNN's can be compared with ``==``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from returnn.tensor import Dim
from returnn.util.basic import NotSpecified

__all__ = ["DimInfo", "LayerTemplate", "template_of"]


@dataclasses.dataclass(frozen=True)
class DimInfo:
    """Comparable description of one dim tag.

    Attributes
    ----------
    description
        the dim tag's description (its name), e.g. ``"time"`` or ``"in"``.
    size
        the static size, or ``None`` for a dynamic dim (and for the batch dim).
    kind
        ``"batch"``, ``"spatial"`` or ``"feature"``.
    """

    description: str
    size: int | None
    kind: str


@dataclasses.dataclass
class LayerTemplate:
    """Comparable description of a layer's output (a ``returnn.tensor.Tensor``).

    Attributes
    ----------
    dims
        the dims in axis order.
    dtype
        e.g. ``"float32"`` or ``"int32"``.
    sparse_dim
        the sparse dim (class dim) of sparse outputs, else ``None``.
    feature_dim_axis
        the axis RETURNN treats as feature axis, if any.
    time_dim_axis
        the axis RETURNN treats as time axis, if any.
    moved_out_of_loop
        a layer of a rec unit that RETURNN computed outside the loop
        (its optimization; the template then is the whole sequence, in an order of
        RETURNN's choice), not per frame.
    feature_axis_explicit
        the feature axis was set by a layer (and carried over to
        this output), not RETURNN's default rule.
    """

    dims: tuple[DimInfo, ...]
    dtype: str
    sparse_dim: DimInfo | None
    feature_dim_axis: int | None
    time_dim_axis: int | None
    moved_out_of_loop: bool = False
    feature_axis_explicit: bool = False


def _dim_info(dim: Any, *, feature: bool = False) -> DimInfo:
    """Describe one ``returnn.tensor.Dim``.

    ``feature`` says the dim is the feature (or sparse) dim of its tensor; it decides the
    kind of dims created without an explicit ``kind`` (``Dim(4, name="out")``).
    """
    if dim.is_batch_dim():
        kind = "batch"
    elif dim.kind == Dim.Types.Feature or (dim.kind in (None, Dim.Types.Unspecified) and feature):
        kind = "feature"
    else:
        kind = "spatial"
    size = None if dim.is_batch_dim() else dim.dimension
    dim = dim.get_same_base()  # RETURNN may make its own dim and declare it the same as ours
    description = dim.description if dim.description is not None else repr(dim)
    return DimInfo(description=str(description), size=size, kind=kind)


def template_of(tensor: Any) -> LayerTemplate:
    """Describe a ``returnn.tensor.Tensor`` (a layer output or a template) comparably.

    Works on pure ``returnn.tensor`` objects without TensorFlow.
    """
    sparse_dim = tensor.sparse_dim
    feature_axis = tensor.feature_dim_axis
    return LayerTemplate(
        dims=tuple(_dim_info(d, feature=i == feature_axis) for i, d in enumerate(tensor.dims)),
        dtype=str(tensor.dtype),
        sparse_dim=_dim_info(sparse_dim, feature=True) if sparse_dim is not None else None,
        feature_dim_axis=feature_axis,
        time_dim_axis=tensor.time_dim_axis,
        feature_axis_explicit=tensor.feature_dim_axis_or_unspecified is not NotSpecified,
    )
