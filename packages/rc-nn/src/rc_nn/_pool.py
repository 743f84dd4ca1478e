"""Pooling over spatial dims: ``pool1d``, ``pool2d`` (RETURNN ``pool``), no parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._conv import conv_out_dim
from ._dimargs import dims_str
from ._dims import Dim
from ._errors import AxisError
from ._layer_checks import (
    infer_spatial_dims,
    positive_ints,
    require_batch,
    require_float,
    require_spatial_dims,
)
from ._tensor import Tensor, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["pool", "pool1d", "pool2d"]

_MODES = ("max", "avg")


def pool(
    x: Tensor,
    *,
    mode: str,
    pool_size: int | Sequence[int],
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    strides: int | Sequence[int] | None = None,
    in_spatial_dims: Sequence[Dim],
    out_spatial_dims: Sequence[Dim] | None = None,
) -> tuple[Tensor, list[Dim]]:
    """N-D max or average pooling over ``in_spatial_dims`` (1 to 3 dims).

    ``strides`` defaults to ``pool_size``. The channel dim is the input's
    feature dim; all other dims (batch, ...) are kept in front. Padding frames
    of dynamic dims are not masked (as in RETURNN's ``pool`` layer).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, freq, ch = nn.SpatialDim("time"), nn.SpatialDim("freq", 8), nn.FeatureDim("ch", 2)
    >>> x = nn.Linear(ch, nn.FeatureDim("h", 2))(nn.zeros([nn.batch_dim, time, freq, ch]))
    >>> y, (t2, f2) = nn.pool(x, mode="max", pool_size=(2, 2), in_spatial_dims=[time, freq])
    >>> f2.dimension
    4
    """
    x = as_tensor(x, "pool")
    spatial_in = (
        list(in_spatial_dims) if not isinstance(in_spatial_dims, Dim) else [in_spatial_dims]
    )
    n = len(spatial_in)
    return _pool(
        x, mode, pool_size, padding, dilation_rate, strides, spatial_in, out_spatial_dims, n, "pool"
    )


def pool1d(
    x: Tensor,
    *,
    mode: str,
    pool_size: int,
    padding: str = "valid",
    dilation_rate: int = 1,
    strides: int | None = None,
    in_spatial_dim: Dim | None = None,
    out_spatial_dim: Dim | None = None,
) -> tuple[Tensor, Dim]:
    """1D pooling over ``in_spatial_dim`` (inferred if it is the only spatial dim).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
    >>> x = nn.Linear(feat, nn.FeatureDim("h", 2))(nn.zeros([nn.batch_dim, time, feat]))
    >>> y, out_time = nn.pool1d(x, mode="avg", pool_size=2, in_spatial_dim=time)
    >>> out_time.description  # "valid": floor(time / 2) frames
    '⌈(time+-1)/2⌉'
    """
    x = as_tensor(x, "pool1d")
    spatial = None if in_spatial_dim is None else [in_spatial_dim]
    out = None if out_spatial_dim is None else [out_spatial_dim]
    y, dims = _pool(x, mode, pool_size, padding, dilation_rate, strides, spatial, out, 1, "pool1d")
    return y, dims[0]


def pool2d(
    x: Tensor,
    *,
    mode: str,
    pool_size: int | Sequence[int],
    padding: str = "valid",
    dilation_rate: int | Sequence[int] = 1,
    strides: int | Sequence[int] | None = None,
    in_spatial_dims: Sequence[Dim],
    out_spatial_dims: Sequence[Dim] | None = None,
) -> tuple[Tensor, list[Dim]]:
    """2D pooling over ``in_spatial_dims`` (two dims, in window order).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b, ch = nn.SpatialDim("a", 4), nn.SpatialDim("b", 6), nn.FeatureDim("ch", 2)
    >>> x = nn.Linear(ch, nn.FeatureDim("h", 2))(nn.zeros([nn.batch_dim, a, b, ch]))
    >>> y, dims = nn.pool2d(x, mode="max", pool_size=(2, 3), in_spatial_dims=[a, b])
    >>> [d.dimension for d in dims]
    [2, 2]
    """
    x = as_tensor(x, "pool2d")
    return _pool(
        x,
        mode,
        pool_size,
        padding,
        dilation_rate,
        strides,
        in_spatial_dims,
        out_spatial_dims,
        2,
        "pool2d",
    )


def _pool(
    x: Tensor,
    mode: str,
    pool_size: int | Sequence[int],
    padding: str,
    dilation_rate: int | Sequence[int],
    strides: int | Sequence[int] | None,
    in_spatial_dims: Sequence[Dim] | None,
    out_spatial_dims: Sequence[Dim] | None,
    n: int,
    what: str,
) -> tuple[Tensor, list[Dim]]:
    if mode not in _MODES:
        raise ValueError(
            f"{what}: mode must be 'max' or 'avg', got {mode!r} (at {user_location()})"
        )
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise ValueError(
            f"{what}: padding must be 'same' or 'valid', got {padding!r} (at {user_location()})"
        )
    padding = padding.lower()
    if not 1 <= n <= 3:
        raise ValueError(
            f"{what}: pooling over {n} dims; RETURNN supports 1 to 3 (at {user_location()})"
        )
    sizes = positive_ints(pool_size, n, what, "pool_size")
    strides_ = list(sizes) if strides is None else positive_ints(strides, n, what, "strides")
    dilation = positive_ints(dilation_rate, n, what, "dilation_rate")
    if any(s > 1 for s in strides_) and any(d > 1 for d in dilation):
        raise ValueError(
            f"{what}: strides {strides_} together with dilation_rate {dilation} is not supported "
            f"by TensorFlow's pooling; use one of them (at {user_location()})"
        )
    require_float(x, what)
    require_batch(x, what)
    channel = x.feature_dim
    spatial_name = "in_spatial_dim" if what == "pool1d" else "in_spatial_dims"
    if in_spatial_dims is None:
        spatial = infer_spatial_dims(
            x, n, [channel] if channel is not None else [], what, spatial_name
        )
    else:
        if len(in_spatial_dims) != n:
            raise ValueError(
                f"{what}: {spatial_name} must be {n} dim{'s' if n > 1 else ''}, got "
                f"{dims_str(list(in_spatial_dims))} (at {user_location()})"
            )
        spatial = require_spatial_dims(x, in_spatial_dims, [], what, spatial_name)
    if channel is None or channel in spatial:
        raise AxisError(
            f"{what}: the input {x!r} needs a feature (channel) dim that is not pooled over; "
            f"its dims are {dims_str(x.dims)}, feature dim "
            f"{'none' if channel is None else dims_str([channel])}, pooled {dims_str(spatial)} "
            f"(at {user_location()}). Pass a tensor made by a layer with a feature dim, "
            "e.g. the output of nn.Linear or a conv."
        )
    if out_spatial_dims is not None:
        out_spatial = list(out_spatial_dims)
        if len(out_spatial) != n or not all(isinstance(d, Dim) for d in out_spatial):
            raise ValueError(
                f"{what}: out spatial dims must be {n} nn.Dim objects, got {out_spatial_dims!r} "
                f"(at {user_location()})"
            )
    else:
        out_spatial = [
            conv_out_dim(
                dim,
                filter_size=sizes[i],
                stride=strides_[i],
                padding=padding,
                dilation_rate=dilation[i],
            )
            for i, dim in enumerate(spatial)
        ]
    others = [d for d in x.dims if d not in spatial and d is not channel]
    layer: dict[str, Any] = {
        "class": "pool",
        "from": x,
        "mode": mode,
        "pool_size": list(sizes),
        "padding": padding,
        "strides": list(strides_),
        "in_dim": channel,
        "in_spatial_dims": list(spatial),
        "out_spatial_dims": list(out_spatial),
    }
    if any(d != 1 for d in dilation):
        layer["dilation_rate"] = list(dilation)
    template = make_template([*others, *out_spatial, channel], x.dtype, feature_dim=channel)
    return make_layer_tensor(layer, template, name_hint=what), out_spatial
