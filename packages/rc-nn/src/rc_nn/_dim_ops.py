"""Ops the model zoo needs: ``replace_dim`` (same values, another dim) and ``glu``.

``replace_dim`` is how self-attention gets a second axis over the same frames
(queries over ``time``, keys over ``time:kv``): RETURNN's ``reinterpret_data``
with ``set_dim_tags`` gives the new dim the sizes of the old one.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

from ._dimargs import as_dim, dims_str
from ._errors import AxisError, DimMismatchError
from ._math import sigmoid
from ._tensor import Tensor, _dim_str, as_tensor, check_axis, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["glu", "replace_dim"]


def replace_dim(x: Tensor, *, in_dim: Dim, out_dim: Dim | None = None) -> tuple[Tensor, Dim]:
    """The same values with the axis ``in_dim`` renamed to ``out_dim`` (RETURNN ``reinterpret_data``).

    Without ``out_dim`` a new dim like ``in_dim`` is made (named ``"<in>:replaced"``),
    with the same (static or per-sequence) size. Returns the tensor and the new dim.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    >>> y, kv = nn.replace_dim(nn.zeros([nn.batch_dim, time, feat]), in_dim=time)
    >>> y.dims == (nn.batch_dim, kv, feat), kv.description
    (True, 'time:replaced')
    """
    x = as_tensor(x, "replace_dim")
    in_dim = check_axis(x, as_dim(in_dim, "replace_dim", "in_dim"), "replace_dim")
    if in_dim.is_batch_dim():
        raise AxisError(f"replace_dim: the batch dim cannot be replaced (at {user_location()})")
    if out_dim is None:
        out_dim = Dim(in_dim.dimension, name=f"{in_dim.description}:replaced", kind=in_dim.kind)
    else:
        out_dim = as_dim(out_dim, "replace_dim", "out_dim")
        if out_dim.dimension != in_dim.dimension:
            raise DimMismatchError(
                f"replace_dim: out_dim {_dim_str(out_dim)} must have the size of "
                f"in_dim {_dim_str(in_dim)} (at {user_location()})"
            )
        if out_dim in x.dims:
            raise DimMismatchError(
                f"replace_dim: out_dim {_dim_str(out_dim)} is already a dim of {x!r} "
                f"(dims: {dims_str(x.dims)}; at {user_location()})"
            )
    dims = [out_dim if d is in_dim else d for d in x.dims]
    feature = out_dim if x.feature_dim is in_dim else x.feature_dim
    layer: dict[str, Any] = {
        "class": "reinterpret_data",
        "from": x,
        "set_dim_tags": {in_dim: out_dim},
    }
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="replace_dim"), out_dim


def glu(x: Tensor, *, axis: Dim) -> Tensor:
    """Gated linear unit: split ``axis`` in halves ``a, b``; ``a * sigmoid(b)``.

    The result has the dim ``axis.div_left(2)``; for ``axis = 2 * d`` that is ``d``
    itself (RETURNN's dim arithmetic simplifies it).

    Examples
    --------
    >>> import rc_nn as nn
    >>> d = nn.FeatureDim("d", 3)
    >>> nn.glu(nn.zeros([nn.batch_dim, 2 * d]), axis=2 * d).dims == (nn.batch_dim, d)
    True
    """
    x = as_tensor(x, "glu")
    axis = check_axis(x, as_dim(axis, "glu", "axis"), "glu")
    if axis.dimension is None or axis.dimension % 2:
        raise DimMismatchError(
            f"glu: the axis {_dim_str(axis)} needs a static even size (at {user_location()})"
        )
    half = axis.div_left(2)
    if half in x.dims:
        raise DimMismatchError(
            f"glu: the half dim {_dim_str(half)} is already a dim of {x!r} (at {user_location()})"
        )
    # One RETURNN split layer; both outputs carry the same half dim, so they combine directly.
    whole = make_layer_tensor(
        {"class": "split", "from": x, "axis": axis, "out_dims": [half, half]},
        x.template,
        name_hint="glu_split",
    )
    dims = [half if d is axis else d for d in x.dims]
    feature = half if x.feature_dim is axis else x.feature_dim
    parts = [
        Tensor(
            make_template(dims, x.dtype, feature_dim=feature),
            root=whole.root,
            name_hint=f"glu_split_{i}",
            parent=whole,
            sub_name=str(i),
            created_at=whole.created_at,
        )
        for i in range(2)
    ]
    out: Tensor = parts[0] * sigmoid(parts[1])
    return out
