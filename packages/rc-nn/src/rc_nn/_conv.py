"""Convolutions: ``Conv1d/2d/3d`` and ``TransposedConv1d/2d`` with rc-nn's own parameters.

RETURNN's ``conv`` and ``transposed_conv`` layers accept the filter and the
bias as layer references (options ``filter`` and ``bias``) and then create no
variables of their own, so the parameters are our ``nn.Parameter`` s and their
names are attribute paths (rule N3): ``conv.filter``, ``conv.bias``.

The output spatial dims are derived dims computed here exactly as RETURNN
computes them (``ConvLayer.calc_out_dim``), e.g. ``time.ceildiv_right(2)`` for
"same" padding with stride 2, and passed to RETURNN as ``out_spatial_dims``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ._dim_ops import replace_dim
from ._dimargs import dims_str
from ._dims import Dim
from ._errors import DimMismatchError
from ._init import Glorot
from ._layer_checks import (
    infer_spatial_dims,
    positive_ints,
    require_batch,
    require_dim,
    require_float,
    require_spatial_dims,
)
from ._module import Module
from ._parameter import Parameter
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "TransposedConv1d",
    "TransposedConv2d",
    "TransposedConv3d",
    "conv_out_dim",
    "make_conv_out_spatial_dims",
    "transposed_conv_out_dim",
]

_PADDINGS = ("same", "valid")


def conv_out_dim(
    in_dim: Dim, *, filter_size: int, stride: int, padding: str, dilation_rate: int = 1
) -> Dim:
    """The output spatial dim of a convolution or pooling over ``in_dim``, as RETURNN derives it.

    "same": ``ceildiv(in, stride)``; "valid": the input minus the (dilated)
    filter's reach on both sides, then ``ceildiv(., stride)``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time = nn.SpatialDim("time")
    >>> conv_out_dim(time, filter_size=3, stride=2, padding="same").description
    '⌈time/2⌉'
    >>> conv_out_dim(nn.SpatialDim("x", 10), filter_size=3, stride=1, padding="valid").dimension
    8
    """
    padding = _check_padding(padding, "conv_out_dim")
    if padding == "same":
        return in_dim.ceildiv_right(stride)
    reach = (filter_size - 1) * dilation_rate
    left = reach // 2
    return in_dim.sub_left(left).sub_right(reach - left).ceildiv_right(stride)


def transposed_conv_out_dim(in_dim: Dim, *, filter_size: int, stride: int, padding: str) -> Dim:
    """The output spatial dim of a transposed convolution, as RETURNN derives it.

    "same": ``in * stride``; "valid": ``in * stride + max(filter_size - stride, 0)``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> transposed_conv_out_dim(nn.SpatialDim("x", 4), filter_size=3, stride=2, padding="valid").dimension
    9
    """
    padding = _check_padding(padding, "transposed_conv_out_dim")
    out = in_dim * stride if stride != 1 else in_dim
    if padding == "valid" and filter_size != stride:
        out = out + max(filter_size - stride, 0)
    return out


def _check_padding(padding: object, what: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in _PADDINGS:
        raise ValueError(
            f"{what}: padding must be 'same' or 'valid', got {padding!r} (at {user_location()})"
        )
    return padding.lower()


def _spatial_dims_arg(
    value: Dim | Sequence[Dim] | None, n: int, what: str, name: str
) -> list[Dim] | None:
    """A spatial dims argument as a list of ``n`` dims (``None`` stays ``None``)."""
    if value is None:
        return None
    items = [value] if isinstance(value, Dim) else value
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise TypeError(
            f"{what}: {name} must be {'an nn.Dim' if n == 1 else f'{n} nn.Dim objects'}, "
            f"got {value!r} (at {user_location()})"
        )
    result = list(items)
    if len(result) != n:
        raise ValueError(
            f"{what}: {name} must be {n} dim{'s' if n > 1 else ''} (one per filter axis), "
            f"got {len(result)}: {value!r} (at {user_location()})"
        )
    return result


def _check_groups(groups: object, in_dim: Dim, out_dim: Dim, what: str) -> int:
    """``groups`` of a grouped convolution: a positive int dividing both channel sizes."""
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(
            f"{what}: groups must be a positive int, got {groups!r} (at {user_location()})"
        )
    for arg, dim in (("in_dim", in_dim), ("out_dim", out_dim)):
        if int(dim.dimension or 0) % groups:
            raise DimMismatchError(
                f"{what}: groups={groups} does not divide {arg} {_dim_str(dim)} "
                f"(at {user_location()})"
            )
    return groups


class _ConvBase(Module):
    """Shared set-up of the (transposed) convolutions; not public."""

    nd: ClassVar[int]
    layer_class: ClassVar[str]
    transposed: ClassVar[bool] = False

    def __init__(
        self,
        in_dim: Dim,
        out_dim: Dim,
        filter_size: int | Sequence[int],
        *,
        padding: str,
        strides: int | Sequence[int] | None,
        dilation_rate: int | Sequence[int],
        with_bias: bool,
        groups: int = 1,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, dim in (("in_dim", in_dim), ("out_dim", out_dim)):
            if not isinstance(dim, Dim):
                raise TypeError(
                    f"{name}: {arg} must be an nn.Dim, got {dim!r} (at {user_location()})"
                )
            if dim.dimension is None:
                raise DimMismatchError(
                    f"{name}: {arg} {_dim_str(dim)} is dynamic; the channel dims of a convolution "
                    f"must be static, e.g. nn.FeatureDim('channels', 32) (at {user_location()})"
                )
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.filter_size = positive_ints(filter_size, self.nd, name, "filter_size")
        self.padding = _check_padding(padding, name)
        self.strides = (
            list(self.filter_size)
            if strides is None
            else positive_ints(strides, self.nd, name, "strides")
        )
        self.dilation_rate = positive_ints(dilation_rate, self.nd, name, "dilation_rate")
        self.with_bias = bool(with_bias)
        self.groups = _check_groups(groups, in_dim, out_dim, name)
        self.filter_dims = [
            Dim(size, name=f"filter-dim{i}", kind=Dim.Types.Spatial)
            for i, size in enumerate(self.filter_size)
        ]
        # Grouped convolution: each output channel sees in_dim // groups input channels
        # (RETURNN derives the same dim, so the filter parameter matches its layout).
        filter_in = in_dim // self.groups if self.groups != 1 else in_dim
        if filter_in == out_dim:
            # in_dim is out_dim (e.g. Conv1d(dim, dim, 3), as the predecessor allowed): the
            # filter's input axis is a separate dim of the same size, as in Linear.
            filter_in = Dim(filter_in.dimension, name=f"{in_dim.description}:in", kind=in_dim.kind)
        # The dim the layer convolves over: in_dim, or its renamed copy (see above).
        self._conv_in_dim = filter_in if self.groups == 1 else in_dim
        channels = [out_dim, filter_in] if self.transposed else [filter_in, out_dim]
        self.filter = Parameter([*self.filter_dims, *channels], initial=Glorot())
        if self.with_bias:
            self.bias = Parameter([out_dim], initial=0.0)

    def _describe(self) -> str:
        return f"{type(self).__name__}({_dim_str(self.in_dim)} -> {_dim_str(self.out_dim)})"

    def _out_dim_of(self, in_dim: Dim, i: int) -> Dim:
        if self.transposed:
            return transposed_conv_out_dim(
                in_dim,
                filter_size=self.filter_size[i],
                stride=self.strides[i],
                padding=self.padding,
            )
        return conv_out_dim(
            in_dim,
            filter_size=self.filter_size[i],
            stride=self.strides[i],
            padding=self.padding,
            dilation_rate=self.dilation_rate[i],
        )

    def _apply(
        self,
        x: Tensor,
        in_spatial_dims: Dim | Sequence[Dim] | None,
        out_spatial_dims: Dim | Sequence[Dim] | None,
        arg: str,
    ) -> tuple[Tensor, list[Dim]]:
        what = self._describe()
        x = as_tensor(x, what)
        require_dim(x, self.in_dim, what)
        require_float(x, what)
        require_batch(x, what)
        in_arg = f"in_{arg}"
        given = _spatial_dims_arg(in_spatial_dims, self.nd, what, in_arg)
        if given is None:
            spatial = infer_spatial_dims(x, self.nd, [self.in_dim], what, in_arg)
        else:
            spatial = require_spatial_dims(x, given, [self.in_dim], what, in_arg)
        for i, dim in enumerate(spatial):
            self._check_static_extent(dim, i, x)
        out_given = _spatial_dims_arg(out_spatial_dims, self.nd, what, f"out_{arg}")
        out_spatial = (
            out_given
            if out_given is not None
            else [self._out_dim_of(dim, i) for i, dim in enumerate(spatial)]
        )
        # RETURNN's output: the other dims (batch first, input order), the spatial dims
        # in the given order, then the channel dim (channel-last, as on CPU).
        others = [d for d in x.dims if d not in spatial and d is not self.in_dim]
        if self._conv_in_dim is not self.in_dim:
            # RETURNN matches the filter's axes to in_dim and out_dim by dim tag: with
            # in_dim == out_dim, the input axis is renamed to the filter's separate dim.
            x, _ = replace_dim(x, in_dim=self.in_dim, out_dim=self._conv_in_dim)
        layer: dict[str, Any] = {
            "class": self.layer_class,
            "from": x,
            "in_dim": self._conv_in_dim,
            "out_dim": self.out_dim,
            "filter_size": list(self.filter_size),
            "padding": self.padding,
            "in_spatial_dims": list(spatial),
            "out_spatial_dims": list(out_spatial),
            "filter": self.filter,
        }
        if self.transposed or any(s != 1 for s in self.strides):
            layer["strides"] = list(self.strides)
        if not self.transposed and any(d != 1 for d in self.dilation_rate):
            layer["dilation_rate"] = list(self.dilation_rate)
        if self.groups != 1:
            layer["groups"] = self.groups
        layer["with_bias"] = self.with_bias
        if self.with_bias:
            layer["bias"] = self.bias
        template = make_template(
            [*others, *out_spatial, self.out_dim], x.dtype, feature_dim=self.out_dim
        )
        return make_layer_tensor(layer, template, name_hint=self.layer_class), out_spatial

    def _check_static_extent(self, dim: Dim, i: int, x: Tensor) -> None:
        """A static spatial dim must be long enough for a "valid" convolution."""
        if self.transposed or self.padding != "valid" or dim.dimension is None:
            return
        reach = (self.filter_size[i] - 1) * self.dilation_rate[i] + 1
        if dim.dimension < reach:
            raise DimMismatchError(
                f"{self._describe()}: spatial dim {_dim_str(dim)} of the input {dims_str(x.dims)} "
                f"is shorter than the filter's reach {reach} (filter_size {self.filter_size[i]}, "
                f"dilation {self.dilation_rate[i]}) with padding='valid' (called at {user_location()})"
            )


class _ConvNd(_ConvBase):
    layer_class = "conv"

    def __init__(
        self,
        in_dim: Dim,
        out_dim: Dim,
        filter_size: int | Sequence[int],
        *,
        padding: str = "same",
        strides: int | Sequence[int] = 1,
        dilation_rate: int | Sequence[int] = 1,
        with_bias: bool = True,
        groups: int = 1,
    ) -> None:
        super().__init__(
            in_dim,
            out_dim,
            filter_size,
            padding=padding,
            strides=strides,
            dilation_rate=dilation_rate,
            with_bias=with_bias,
            groups=groups,
        )


class Conv1d(_ConvNd):
    """1D convolution over one spatial dim (RETURNN ``conv``).

    Parameters ``filter`` [filter-dim0, in_dim, out_dim] (Glorot uniform) and
    ``bias`` [out_dim] (zeros, only with ``with_bias``). Returns the output and
    its spatial dim. ``groups`` > 1 is a grouped convolution (RETURNN ``groups``):
    the filter is [filter-dim0, in_dim // groups, out_dim]; ``groups=in_dim.dimension``
    is a depthwise convolution, where ``out_dim`` may be ``in_dim`` itself.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("out", 4)
    >>> x = nn.zeros([nn.batch_dim, time, feat])
    >>> conv = nn.Conv1d(feat, out, 3, strides=2)
    >>> y, out_time = conv(x, in_spatial_dim=time)
    >>> y.dims == (nn.batch_dim, out_time, out), out_time.description
    (True, '⌈time/2⌉')
    """

    nd = 1

    def forward(
        self, x: Tensor, *, in_spatial_dim: Dim | None = None, out_spatial_dim: Dim | None = None
    ) -> tuple[Tensor, Dim]:
        """Convolve over ``in_spatial_dim`` (inferred if it is the only candidate)."""
        out, dims = self._apply(x, in_spatial_dim, out_spatial_dim, "spatial_dim")
        return out, dims[0]


class Conv2d(_ConvNd):
    """2D convolution over two spatial dims (RETURNN ``conv``).

    Parameters ``filter`` [filter-dim0, filter-dim1, in_dim, out_dim] and ``bias`` [out_dim].

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, freq = nn.SpatialDim("time"), nn.SpatialDim("freq", 8)
    >>> ch, out = nn.FeatureDim("ch", 1), nn.FeatureDim("out", 4)
    >>> x = nn.zeros([nn.batch_dim, time, freq, ch])
    >>> y, (t2, f2) = nn.Conv2d(ch, out, (3, 3), padding="valid")(x, in_spatial_dims=[time, freq])
    >>> f2.dimension
    6
    """

    nd = 2

    def forward(
        self,
        x: Tensor,
        *,
        in_spatial_dims: Sequence[Dim] | None = None,
        out_spatial_dims: Sequence[Dim] | None = None,
    ) -> tuple[Tensor, list[Dim]]:
        """Convolve over ``in_spatial_dims`` (in filter order)."""
        return self._apply(x, in_spatial_dims, out_spatial_dims, "spatial_dims")


class Conv3d(_ConvNd):
    """3D convolution over three spatial dims (RETURNN ``conv``).

    Parameters ``filter`` [filter-dim0..2, in_dim, out_dim] and ``bias`` [out_dim].

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b, c = nn.SpatialDim("a", 4), nn.SpatialDim("b", 4), nn.SpatialDim("c", 4)
    >>> ch, out = nn.FeatureDim("ch", 2), nn.FeatureDim("out", 3)
    >>> x = nn.zeros([nn.batch_dim, a, b, c, ch])
    >>> y, dims = nn.Conv3d(ch, out, 2, strides=2)(x, in_spatial_dims=[a, b, c])
    >>> [d.dimension for d in dims]
    [2, 2, 2]
    """

    nd = 3

    def forward(
        self,
        x: Tensor,
        *,
        in_spatial_dims: Sequence[Dim] | None = None,
        out_spatial_dims: Sequence[Dim] | None = None,
    ) -> tuple[Tensor, list[Dim]]:
        """Convolve over ``in_spatial_dims`` (in filter order)."""
        return self._apply(x, in_spatial_dims, out_spatial_dims, "spatial_dims")


class _TransposedConvNd(_ConvBase):
    layer_class = "transposed_conv"
    transposed = True

    def __init__(
        self,
        in_dim: Dim,
        out_dim: Dim,
        filter_size: int | Sequence[int],
        *,
        padding: str = "same",
        strides: int | Sequence[int] | None = None,
        with_bias: bool = True,
    ) -> None:
        super().__init__(
            in_dim,
            out_dim,
            filter_size,
            padding=padding,
            strides=strides,
            dilation_rate=1,
            with_bias=with_bias,
        )


class TransposedConv1d(_TransposedConvNd):
    """1D transposed convolution (RETURNN ``transposed_conv``), e.g. for upsampling.

    Parameters ``filter`` [filter-dim0, out_dim, in_dim] (RETURNN's transposed
    layout) and ``bias`` [out_dim]. ``strides`` defaults to ``filter_size``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("out", 4)
    >>> x = nn.zeros([nn.batch_dim, time, feat])
    >>> y, up = nn.TransposedConv1d(feat, out, 2)(x, in_spatial_dim=time)
    >>> y.dims == (nn.batch_dim, up, out)
    True
    """

    nd = 1

    def forward(
        self, x: Tensor, *, in_spatial_dim: Dim | None = None, out_spatial_dim: Dim | None = None
    ) -> tuple[Tensor, Dim]:
        """Transposed convolution over ``in_spatial_dim``."""
        out, dims = self._apply(x, in_spatial_dim, out_spatial_dim, "spatial_dim")
        return out, dims[0]


class TransposedConv2d(_TransposedConvNd):
    """2D transposed convolution (RETURNN ``transposed_conv``).

    Parameters ``filter`` [filter-dim0, filter-dim1, out_dim, in_dim] and ``bias`` [out_dim].

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.SpatialDim("a", 3), nn.SpatialDim("b", 3)
    >>> ch, out = nn.FeatureDim("ch", 2), nn.FeatureDim("out", 3)
    >>> y, dims = nn.TransposedConv2d(ch, out, 2)(nn.zeros([nn.batch_dim, a, b, ch]), in_spatial_dims=[a, b])
    >>> [d.dimension for d in dims]
    [6, 6]
    """

    nd = 2

    def forward(
        self,
        x: Tensor,
        *,
        in_spatial_dims: Sequence[Dim] | None = None,
        out_spatial_dims: Sequence[Dim] | None = None,
    ) -> tuple[Tensor, list[Dim]]:
        """Transposed convolution over ``in_spatial_dims``."""
        return self._apply(x, in_spatial_dims, out_spatial_dims, "spatial_dims")


class TransposedConv3d(_TransposedConvNd):
    """3D transposed convolution: the predecessor's module, parameters only.

    Parameters ``filter`` [filter-dim0, filter-dim1, filter-dim2, out_dim, in_dim] and
    ``bias`` [out_dim] (so checkpoints map by name). Calling it raises
    ``NotImplementedError``: RETURNN's TF ``transposed_conv`` layer implements 1-D and
    2-D only ("3-D not yet implemented"), for the predecessor as well.

    Examples
    --------
    >>> import rc_nn as nn
    >>> conv = nn.TransposedConv3d(nn.FeatureDim("ch", 2), nn.FeatureDim("out", 3), 2)
    >>> [d.dimension for d in conv.filter.dims]
    [2, 2, 2, 3, 2]
    """

    nd = 3

    def forward(
        self,
        x: Tensor,
        *,
        in_spatial_dims: Sequence[Dim] | None = None,
        out_spatial_dims: Sequence[Dim] | None = None,
    ) -> tuple[Tensor, list[Dim]]:
        """Not implemented (RETURNN's TF backend has no 3-D transposed convolution)."""
        raise NotImplementedError(
            f"{self._describe()}: RETURNN's TF transposed_conv layer implements 1-D and 2-D "
            f"only (3-D fails constructing the network); called at {user_location(3)}"
        )


def make_conv_out_spatial_dims(
    in_spatial_dims: Sequence[Dim],
    *,
    filter_size: Sequence[int] | int,
    padding: str,
    strides: Sequence[int] | int = 1,
    dilation_rate: Sequence[int] | int = 1,
) -> list[Dim]:
    """The output spatial dims of a convolution (the predecessor's helper; see ``conv_out_dim``).

    A dim stays itself where the convolution keeps it (stride 1 with "same" padding, or
    filter size and stride 1).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, freq = nn.SpatialDim("time"), nn.SpatialDim("freq", 40)
    >>> out = nn.make_conv_out_spatial_dims([time, freq], filter_size=3, padding="same", strides=[1, 2])
    >>> out[0] is time, out[1].dimension
    (True, 20)
    """
    what = "make_conv_out_spatial_dims"
    dims = list(in_spatial_dims)
    n = len(dims)
    sizes = positive_ints(filter_size, n, what, "filter_size")
    steps = positive_ints(strides, n, what, "strides")
    rates = positive_ints(dilation_rate, n, what, "dilation_rate")
    return [
        conv_out_dim(dim, filter_size=size, stride=step, padding=padding, dilation_rate=rate)
        for dim, size, step, rate in zip(dims, sizes, steps, rates, strict=True)
    ]
