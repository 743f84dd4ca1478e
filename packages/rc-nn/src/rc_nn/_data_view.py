"""``Tensor.data``: a tensor as RETURNN's TF layers describe it (version 1, time and feature axis).

RETURNN's TF layers (``get_out_data_from_opts``) give every output a version-1 tensor
with a time axis and a feature axis. Each axis is either set explicitly by the layer
(possibly to ``None``) or left unspecified, and then RETURNN's default rule picks it
(time: the first dynamic spatial dim, else the first dynamic dim; feature: the last
static dim that is neither batch nor time, else the last such dim). Most layers start
from a copy of their input, so an explicit axis carries over while its dim stays. The
rules here follow the layer classes rc-nn emits:

* ``rec`` (``axis=`` given): the axis it runs over is the time axis, even a static one;
* ``merge_dims``: the input's time and feature axes map to the merged dim; time merged
  with the feature (or batch) dim means no time axis;
* ``dot``: the time axis is the first source's time dim if it is kept, else the
  second's; the feature axis is RETURNN's default;
* ``top_k``: no feature axis; ``gather``: RETURNN's default time axis;
* ``reinterpret_data`` with ``set_axes``: the axes it states;
* every other layer: the first source's explicit axes carry over where their dim is
  still in the output; otherwise RETURNN's default rule.

The RETURNN round trips of rc-serialize's tests compare the time axis of every layer
and the feature axis wherever RETURNN has its default rule. Not followed: a feature axis
that a layer set explicitly, which RETURNN then carries on by axis position through later
layers (transposes, ``split_dims``, ...); there ``feature_dim_axis`` can differ.

Examples
--------
>>> import rc_nn as nn
>>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
>>> x = nn.get_extern_data(nn.Data("data_view_doc", dim_tags=[nn.batch_dim, time, feat]))
>>> y = nn.dot(x, nn.ones([feat]), reduce=feat)  # [B, time]: time kept, no feature axis
>>> view = data_view(y, nn.Tensor)
>>> view.time_dim_axis, view.feature_dim_axis
(1, None)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from returnn.tensor import Dim
from returnn.tensor import Tensor as Template
from returnn.util.basic import NotSpecified

if TYPE_CHECKING:
    from ._tensor import Tensor

__all__ = ["data_view"]

# An axis marker as RETURNN keeps it: a dim (set explicitly), None (explicitly no such
# axis) or NotSpecified (RETURNN's default rule decides).
_Marker = Any


def data_view(tensor: Tensor, tensor_type: type[Tensor]) -> Template:
    """The version-1 view of ``tensor`` (cached on the tensor), computing its sources first.

    ``tensor_type`` is ``nn.Tensor`` (passed in: this module sits below ``_tensor`` in
    rc-nn's import graph). Iterative, so that long chains of layers do not hit Python's
    recursion limit.
    """
    stack = [tensor]
    pending = {id(tensor)}
    while stack:
        top = stack[-1]
        if top._data_view is not None:
            stack.pop()
            continue
        sources = _view_sources(top, tensor_type)
        todo = [
            s
            for s in sources
            if s._data_view is None and id(s) not in pending  # a cycle (loop state): no view
        ]
        if todo:
            stack.extend(todo)
            pending.update(id(s) for s in todo)
            continue
        top._data_view = _make_view(top, [s._data_view for s in sources])
        stack.pop()
    assert tensor._data_view is not None
    return tensor._data_view


def _view_sources(tensor: Tensor, tensor_type: type[Tensor]) -> list[Tensor]:
    """The tensors whose views the view of ``tensor`` is made from."""
    layer = tensor.layer_dict
    if layer is None:
        return [tensor.parent] if tensor.parent is not None else []
    src = layer.get("from")
    items = src if isinstance(src, (list, tuple)) else [src]
    sources = [s for s in items if isinstance(s, tensor_type)]
    return sources[:2] if layer.get("class") == "dot" else sources[:1]


def _explicit(view: Template | None, which: str) -> _Marker:
    """The explicit time (``which="time"``) or feature axis of ``view`` as a dim marker."""
    if view is None:
        return NotSpecified
    axis = (
        view.time_dim_axis_or_unspecified
        if which == "time"
        else view.feature_dim_axis_or_unspecified
    )
    if axis is NotSpecified or axis is None:
        return axis
    return view.dims[axis]


def _axis_dim(view: Template | None, which: str) -> Dim | None:
    """The dim at RETURNN's (explicit or default) time/feature axis of ``view``."""
    if view is None:
        return None
    axis = view.time_dim_axis if which == "time" else view.feature_dim_axis
    return None if axis is None else view.dims[axis]


def _carry(
    marker: _Marker,
    dims: tuple[Dim, ...],
    src: Template | None,
    renamed: dict[Dim, Dim] | None = None,
    *,
    which: str,
) -> _Marker:
    """An explicit axis of the input carries over while its dim is in the output.

    ``renamed``: dims the layer replaced in place (the axis stays, with the new dim).
    An explicit "no such axis" carries over unless the layer adds a dim of that kind
    (a spatial dim for time, a feature dim for the feature axis; RETURNN's
    ``copy_add_dim_by_tag`` then falls back to its default).
    """
    renamed = renamed or {}
    if isinstance(marker, Dim):
        marker = renamed.get(marker, marker)
        return marker if marker in dims else NotSpecified
    if marker is None and src is not None:
        before = {renamed.get(d, d) for d in src.dims}
        added = [d for d in dims if d not in before]
        if not any(d.is_spatial_dim() if which == "time" else d.is_feature_dim() for d in added):
            return None
    return NotSpecified


def _renamed(layer: dict[str, Any]) -> dict[Dim, Dim]:
    """Dims replaced in place (RETURNN ``reinterpret_data`` with ``set_dim_tags``)."""
    if layer.get("class") != "reinterpret_data":
        return {}
    tags = layer.get("set_dim_tags")
    if not isinstance(tags, dict):
        return {}
    return {a: b for a, b in tags.items() if isinstance(a, Dim) and isinstance(b, Dim)}


def _make_view(tensor: Tensor, source_views: list[Template | None]) -> Template:
    """The view of ``tensor`` from the views of its sources (see ``_view_sources``)."""
    template = tensor.template
    dims: tuple[Dim, ...] = tuple(template.dims)
    layer = tensor.layer_dict
    time: _Marker = NotSpecified
    feature: _Marker = NotSpecified
    if layer is None:
        if tensor.parent is not None:  # a sub-layer output (e.g. top_k's indices)
            parent = tensor.parent._data_view
            time = _carry(_explicit(parent, "time"), dims, parent, which="time")
            feature = _carry(_explicit(parent, "feature"), dims, parent, which="feature")
    else:
        kind = layer.get("class")
        src = source_views[0] if source_views else None
        if kind == "rec" and isinstance(layer.get("axis"), Dim) and layer["axis"] in dims:
            time = layer["axis"]
        elif kind == "merge_dims" and src is not None:
            time, feature = _merge_dims_axes(layer, src, dims)
        elif kind == "dot":
            a_time, b_time = (
                _axis_dim(src, "time"),
                _axis_dim((source_views[1] if len(source_views) > 1 else None), "time"),
            )
            kept = [t for t in (a_time, b_time) if t is not None and t in dims]
            # Neither source has a time axis: explicitly none; reduced away: the default.
            time = (
                kept[0] if kept else (None if a_time is None and b_time is None else NotSpecified)
            )
        else:
            renamed = _renamed(layer)
            # gather: RETURNN drops the time axis and takes its default.
            time = (
                NotSpecified
                if kind == "gather"
                else _carry(_explicit(src, "time"), dims, src, renamed, which="time")
            )
            feature = (
                None
                if kind == "top_k"
                else _carry(_explicit(src, "feature"), dims, src, renamed, which="feature")
            )
        set_axes = layer.get("set_axes") if kind == "reinterpret_data" else None
        if isinstance(set_axes, dict):  # RETURNN's reinterpret_data states the axes
            time = next((d for k, d in set_axes.items() if k in ("T", "t")), time)
            feature = next((d for k, d in set_axes.items() if k in ("F", "f")), feature)
            time = time if not isinstance(time, Dim) or time in dims else NotSpecified
            feature = feature if not isinstance(feature, Dim) or feature in dims else NotSpecified
    return _version1(template, time=time, feature=feature)


def _merge_dims_axes(
    layer: dict[str, Any], src: Template, dims: tuple[Dim, ...]
) -> tuple[_Marker, _Marker]:
    """RETURNN's ``MergeDimsLayer``: the axes of the input map to the merged dim."""
    merged = [d for d in layer.get("axes", ()) if isinstance(d, Dim)]
    out_dim = layer.get("out_dim")
    if len(merged) <= 1 or not isinstance(out_dim, Dim) or out_dim not in dims:
        time = _carry(_explicit(src, "time"), dims, src, which="time")
        return time, _carry(_explicit(src, "feature"), dims, src, which="feature")
    src_time, src_feature = _axis_dim(src, "time"), _axis_dim(src, "feature")

    def new(dim: Dim | None) -> Dim | None:
        if dim is None:
            return None
        return out_dim if dim in merged else (dim if dim in dims else None)

    feature = new(src_feature)
    if feature is not None and feature.is_batch_dim():
        feature = None
    time = new(src_time)
    if (
        time is not None
        and (time.is_batch_dim() or time is feature)
        and src_time is not src_feature
    ):
        time = None  # the time dim got merged with the feature (or batch) dim
    explicit_feature = src.feature_dim_axis_or_unspecified is not NotSpecified
    if not explicit_feature:
        # RETURNN sets the feature axis explicitly only where its default would differ.
        default = _version1_template(src, dims, time=time, feature=NotSpecified)
        if _axis_dim(default, "feature") is feature:
            return time, NotSpecified
    return time, feature


def _version1(template: Template, *, time: _Marker, feature: _Marker) -> Template:
    return _version1_template(template, tuple(template.dims), time=time, feature=feature)


def _version1_template(
    template: Template, dims: tuple[Dim, ...], *, time: _Marker, feature: _Marker
) -> Template:
    kwargs: dict[str, Any] = {}
    for key, marker in (("time_dim_axis", time), ("feature_dim_axis", feature)):
        if marker is NotSpecified:
            continue
        kwargs[key] = None if marker is None else dims.index(marker)
    return Template(
        template.name,
        dims=list(dims),
        dtype=template.dtype,
        sparse_dim=template.sparse_dim,
        version=1,
        **kwargs,
    )
