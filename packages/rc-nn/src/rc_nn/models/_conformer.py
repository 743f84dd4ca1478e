"""Conformer encoder (Gulati et al., 2020) with the predecessor's (returnn_common) names and signatures.

* ``ConformerPositionwiseFeedForward(out_dim, *, ff_dim, dropout, activation)``:
  ``linear_ff``, ``linear_out``.
* ``ConformerConvBlock(out_dim, *, kernel_size, norm)``: ``positionwise_conv1``
  (to ``2 * out_dim``), GLU, ``depthwise_conv`` (grouped ``Conv1d``),
  ``norm`` (batch norm by default), swish, ``positionwise_conv2``.
* ``ConformerConvSubsample(in_dim, *, out_dims, filter_sizes, pool_sizes, ...)``:
  ``conv_layers.<i>`` (``Conv2d`` over [time, feature-as-spatial] with one
  channel in), activation, max pooling; finally the (pooled) feature axis and
  the channels are merged. Called as ``y, out_time = sub(x, in_spatial_dim=time)``.
* ``ConformerEncoderLayer(out_dim, *, ff_dim, ff_activation, dropout,
  conv_kernel_size, conv_norm, conv_norm_opts, num_heads, self_att, self_att_opts,
  att_dropout)``: ``ffn1``,
  ``ffn1_layer_norm``, ``self_att`` (``RelPosSelfAttention``),
  ``self_att_layer_norm``, ``conv_block``, ``conv_layer_norm``, ``ffn2``,
  ``ffn2_layer_norm``, ``final_layer_norm``; called as ``layer(x, spatial_dim=time)``.
* ``ConformerEncoder(in_dim, out_dim, *, num_layers, input_layer, ...,
  encoder_layer, encoder_layer_opts)``: ``input_layer``, ``input_projection`` (no
  bias), ``layers.<i>``; called as ``out, out_spatial_dim = enc(x,
  in_spatial_dim=time, collected_outputs=None)``.

The conv module's default norm is ``nn.BatchNorm(out_dim, use_mask=False)`` as in the
predecessor (rc-nn 0.1 masked the padding frames out of the batch statistics, which
changed training against the predecessor; eval outputs are the same).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from .._array import dropout as dropout_op
from .._containers import ModuleList, Sequential
from .._conv import Conv1d, Conv2d, conv_out_dim
from .._dim_ops import glu
from .._dim_sites import lookalike_dims_note
from .._dimargs import static_dim
from .._dims import Dim, FeatureDim
from .._errors import DimMismatchError
from .._layer_checks import positive_ints, require_dim, require_float
from .._linear import Linear
from .._math import relu, swish
from .._module import Module
from .._norm import BatchNorm, LayerNorm
from .._pool import pool2d
from .._shape import expand_dim, merge_dims
from .._tensor import Tensor, _dim_str, as_tensor
from .._userloc import user_location
from ._attention import RelPosSelfAttention

__all__ = [
    "ConformerConvBlock",
    "ConformerConvSubsample",
    "ConformerEncoder",
    "ConformerEncoderLayer",
    "ConformerPositionwiseFeedForward",
]

Activation = Callable[[Tensor], Tensor]


def _rate(value: float, what: str, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{what}: {arg} must be in [0, 1), got {value!r} (at {user_location()})")
    return float(value)


def _check_input(x: object, dim: Dim, spatial_dim: Dim, what: str) -> Tensor:
    x = as_tensor(x, what)
    require_dim(x, dim, what)
    require_float(x, what)
    require_dim(x, spatial_dim, what, role="spatial dim")
    return x


class ConformerPositionwiseFeedForward(Module):
    """Conformer feed-forward module: ``linear_out(drop(act(linear_ff(x))))``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> d, ff = nn.FeatureDim("model", 8), nn.FeatureDim("ff", 16)
    >>> ffn = nn.ConformerPositionwiseFeedForward(d, ff_dim=ff, dropout=0.1, activation=nn.swish)
    >>> [name for name, _ in ffn.named_parameters()]
    ['linear_ff.weight', 'linear_ff.bias', 'linear_out.weight', 'linear_out.bias']
    """

    def __init__(
        self, out_dim: Dim, *, ff_dim: Dim, dropout: float, activation: Activation = swish
    ) -> None:
        super().__init__()
        what = "ConformerPositionwiseFeedForward"
        self.out_dim = static_dim(out_dim, what, "out_dim")
        self.ff_dim = static_dim(ff_dim, what, "ff_dim")
        self.dropout = _rate(dropout, what, "dropout")
        if not callable(activation):
            raise TypeError(f"{what}: activation must be callable, got {activation!r}")
        self.activation = activation
        self.linear_ff = Linear(out_dim, ff_dim)
        self.linear_out = Linear(ff_dim, out_dim)

    def forward(self, inp: Tensor) -> Tensor:
        """Same dims as ``inp``."""
        x = as_tensor(inp, "ConformerPositionwiseFeedForward")
        hidden = self.activation(self.linear_ff(x))
        hidden = dropout_op(hidden, self.dropout, axis=self.ff_dim)
        out: Tensor = self.linear_out(hidden)
        return out


class ConformerConvBlock(Module):
    """Conformer convolution module: pointwise conv, GLU, depthwise conv, norm, swish, pointwise conv.

    ``norm`` defaults to ``nn.BatchNorm(out_dim, use_mask=False)`` (the predecessor's
    Conformer default: batch statistics over all frames, padding included, as in most
    other implementations); any module mapping ``[..., out_dim]`` to the same dims
    works (e.g. ``nn.LayerNorm(out_dim)``). The pointwise convolutions are
    ``nn.Linear`` (as in the predecessor).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 4)
    >>> block = nn.ConformerConvBlock(d, kernel_size=3, norm=nn.BatchNorm(d))
    >>> block(nn.zeros([nn.batch_dim, time, d]), spatial_dim=time).dims == (nn.batch_dim, time, d)
    True
    >>> block.depthwise_conv.filter.dims[-2].dimension  # one input channel per group
    1
    """

    def __init__(self, out_dim: Dim, *, kernel_size: int, norm: Module | None = None) -> None:
        super().__init__()
        what = "ConformerConvBlock"
        self.out_dim = static_dim(out_dim, what, "out_dim")
        positive_ints(kernel_size, 1, what, "kernel_size")
        if norm is None:
            norm = BatchNorm(out_dim, use_mask=False)
        elif not isinstance(norm, Module):
            raise TypeError(f"{what}: norm must be an nn.Module, got {norm!r}")
        self.positionwise_conv1 = Linear(out_dim, 2 * out_dim)
        self.depthwise_conv = Conv1d(
            out_dim, out_dim, kernel_size, padding="same", groups=int(out_dim.dimension or 1)
        )
        self.positionwise_conv2 = Linear(out_dim, out_dim)
        self.norm = norm

    def forward(self, inp: Tensor, *, spatial_dim: Dim) -> Tensor:
        """Same dims as ``inp``."""
        x = _check_input(
            inp, self.out_dim, spatial_dim, f"ConformerConvBlock({_dim_str(self.out_dim)})"
        )
        x = glu(self.positionwise_conv1(x), axis=self.positionwise_conv1.out_dim)
        x, _ = self.depthwise_conv(x, in_spatial_dim=spatial_dim, out_spatial_dim=spatial_dim)
        x = swish(self.norm(x))
        out: Tensor = self.positionwise_conv2(x)
        return out


def _pairs(value: Any, n: int, what: str, arg: str) -> list[tuple[int, int]]:
    items = list(value) if isinstance(value, list | tuple) else None
    if items is None or len(items) != n:
        raise ValueError(
            f"{what}: {arg} must be a list of {n} (time, feature) pairs, got {value!r} "
            f"(at {user_location()})"
        )
    result: list[tuple[int, int]] = []
    for item in items:
        pair = (item, item) if isinstance(item, int) and not isinstance(item, bool) else item
        a, b = positive_ints(pair, 2, what, arg)
        result.append((a, b))
    return result


class ConformerConvSubsample(Module):
    """Convolutional front end: 2D convs over [time, feature] with pooling, then a merge.

    The input ``[..., time, in_dim]`` gets one channel dim; each conv layer
    ``conv_layers.<i>`` (``Conv2d`` with ``filter_sizes[i]`` and ``padding``) is
    followed by ``activation`` and, for ``i < len(pool_sizes)``, max pooling
    with ``pool_sizes[i]`` (``padding="same"``: pooling over time by 2 halves it,
    rounding up). Finally the remaining feature axis and the channels are merged
    into ``out_dim`` (their product). ``strides`` are conv strides per layer
    (default 1).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 8)
    >>> sub = nn.ConformerConvSubsample(
    ...     feat, out_dims=[nn.FeatureDim("c1", 2), nn.FeatureDim("c2", 3)],
    ...     filter_sizes=[(3, 3), (3, 3)], pool_sizes=[(2, 2), (1, 2)])
    >>> y, out_time = sub(nn.zeros([nn.batch_dim, time, feat]), in_spatial_dim=time)
    >>> sub.out_dim.dimension, out_time.description  # 8 / 2 / 2 = 2 freq bins x 3 channels
    (6, '⌈time/2⌉')
    >>> [name for name, _ in sub.named_parameters()]
    ['conv_layers.0.filter', 'conv_layers.0.bias', 'conv_layers.1.filter', 'conv_layers.1.bias']
    """

    def __init__(
        self,
        in_dim: Dim,
        *,
        out_dims: Sequence[Dim],
        filter_sizes: Sequence[tuple[int, int] | int],
        strides: Sequence[tuple[int, int] | int] | None = None,
        pool_sizes: Sequence[tuple[int, int] | int] | None = None,
        activation: Activation = relu,
        padding: str = "same",
    ) -> None:
        super().__init__()
        what = "ConformerConvSubsample"
        self.in_dim = static_dim(in_dim, what, "in_dim")
        out_dims = list(out_dims)
        if not out_dims:
            raise ValueError(f"{what}: out_dims must name at least one conv layer's channels")
        for i, dim in enumerate(out_dims):
            static_dim(dim, what, f"out_dims[{i}]")
        n = len(out_dims)
        self.filter_sizes = _pairs(filter_sizes, n, what, "filter_sizes")
        self.strides = _pairs(strides, n, what, "strides") if strides is not None else [(1, 1)] * n
        pools = list(pool_sizes) if pool_sizes is not None else []
        if len(pools) > n:
            raise ValueError(
                f"{what}: {len(pools)} pool_sizes for {n} conv layers (at {user_location()})"
            )
        self.pool_sizes = _pairs(pools, len(pools), what, "pool_sizes")
        if not callable(activation):
            raise TypeError(f"{what}: activation must be callable, got {activation!r}")
        self.activation = activation
        self.padding = padding
        self.channel_dim = FeatureDim(f"{in_dim.description}:channel", 1)
        self.conv_layers = ModuleList()
        prev = self.channel_dim
        freq = in_dim
        for i, out_dim in enumerate(out_dims):
            self.conv_layers.append(
                Conv2d(
                    prev, out_dim, self.filter_sizes[i], padding=padding, strides=self.strides[i]
                )
            )
            freq = conv_out_dim(
                freq,
                filter_size=self.filter_sizes[i][1],
                stride=self.strides[i][1],
                padding=padding,
            )
            if i < len(self.pool_sizes):
                size = self.pool_sizes[i][1]
                freq = conv_out_dim(freq, filter_size=size, stride=size, padding="same")
            if freq.dimension is not None and freq.dimension < 1:
                raise DimMismatchError(
                    f"{what}: the feature axis {_dim_str(in_dim)} is used up after conv layer {i}"
                )
            prev = out_dim
        self.out_dim: Dim = freq * prev

    def forward(self, inp: Tensor, *, in_spatial_dim: Dim) -> tuple[Tensor, Dim]:
        """``(output [..., out_time, out_dim], out_time)``."""
        what = f"ConformerConvSubsample({_dim_str(self.in_dim)})"
        x = _check_input(inp, self.in_dim, in_spatial_dim, what)
        x = expand_dim(x, dim=self.channel_dim)
        spatial = [in_spatial_dim, self.in_dim]
        channels = self.channel_dim
        for i, conv in enumerate(self.conv_layers):
            x, spatial = conv(x, in_spatial_dims=spatial)
            channels = conv.out_dim
            x = self.activation(x)
            if i < len(self.pool_sizes):
                x, spatial = pool2d(
                    x,
                    mode="max",
                    pool_size=self.pool_sizes[i],
                    padding="same",
                    in_spatial_dims=spatial,
                )
        x, merged = merge_dims(x, axes=[spatial[1], channels])
        assert merged is self.out_dim, (merged, self.out_dim)
        return x, spatial[0]


class ConformerEncoderLayer(Module):
    """One Conformer block: half-step FFN, self-attention, conv module, half-step FFN, layer norm.

    ``x = x + 0.5 * drop(ffn1(ln(x)))``; ``x = x + drop(self_att(ln(x)))``;
    ``x = x + drop(conv_block(ln(x)))``; ``x = x + 0.5 * drop(ffn2(ln(x)))``;
    ``out = final_layer_norm(x)``.

    Options as in the predecessor: ``ff_dim`` defaults to ``4 * out_dim``;
    ``conv_norm`` is a module, a module class (made with ``conv_norm_opts``) or, by
    default, ``nn.BatchNorm`` with ``use_mask=False`` (unless ``conv_norm_opts`` says
    otherwise); ``self_att`` is a module, a class (made as ``cls(in_dim=out_dim,
    proj_dim=out_dim, key_dim_total=out_dim, value_dim_total=out_dim,
    num_heads=num_heads, att_dropout=att_dropout, **self_att_opts)``) or, by default,
    an ``nn.RelPosSelfAttention`` made that way. The class attribute
    ``use_dropout_after_self_att`` (default ``True``; ``False`` for old experiments of
    the predecessor) switches the dropout on the self-attention output.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> layer = nn.ConformerEncoderLayer(d, ff_dim=nn.FeatureDim("ff", 16), num_heads=2, conv_kernel_size=3)
    >>> [name for name, _ in layer.named_children()]  # doctest: +NORMALIZE_WHITESPACE
    ['ffn1', 'ffn1_layer_norm', 'ffn2', 'ffn2_layer_norm', 'conv_block', 'conv_layer_norm',
     'self_att', 'self_att_layer_norm', 'final_layer_norm']
    >>> layer(nn.zeros([nn.batch_dim, time, d]), spatial_dim=time).dims == (nn.batch_dim, time, d)
    True
    """

    # The predecessor's switch for old experiments (returnn_common issue 245).
    use_dropout_after_self_att: bool = True

    def __init__(
        self,
        out_dim: Dim | None = None,
        *,
        ff_dim: Dim | None = None,
        ff_activation: Activation = swish,
        dropout: float = 0.1,
        conv_kernel_size: int = 32,
        conv_norm: Module | type | None = None,
        conv_norm_opts: dict[str, Any] | None = None,
        num_heads: int = 4,
        self_att: Module | type | None = None,
        self_att_opts: dict[str, Any] | None = None,
        att_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        what = "ConformerEncoderLayer"
        if out_dim is None:
            out_dim = FeatureDim("conformer-enc-default-out-dim", 512)
        self.out_dim = static_dim(out_dim, what, "out_dim")
        if ff_dim is None:
            ff_dim = 4 * out_dim
        self.dropout = _rate(dropout, what, "dropout")
        self.ffn1 = ConformerPositionwiseFeedForward(
            out_dim, ff_dim=ff_dim, dropout=dropout, activation=ff_activation
        )
        self.ffn1_layer_norm = LayerNorm(out_dim)
        self.ffn2 = ConformerPositionwiseFeedForward(
            out_dim, ff_dim=ff_dim, dropout=dropout, activation=ff_activation
        )
        self.ffn2_layer_norm = LayerNorm(out_dim)
        self.conv_block = ConformerConvBlock(
            out_dim,
            kernel_size=conv_kernel_size,
            norm=_make_conv_norm(conv_norm, conv_norm_opts, out_dim, what),
        )
        self.conv_layer_norm = LayerNorm(out_dim)
        self.self_att = _make_self_att(
            self_att,
            self_att_opts,
            out_dim,
            num_heads=num_heads,
            att_dropout=att_dropout,
            what=what,
        )
        self.self_att_layer_norm = LayerNorm(out_dim)
        self.final_layer_norm = LayerNorm(out_dim)

    def _drop(self, x: Tensor) -> Tensor:
        return dropout_op(x, self.dropout, axis=self.out_dim)

    def forward(self, inp: Tensor, *, spatial_dim: Dim) -> Tensor:
        """Same dims as ``inp``."""
        x = _check_input(
            inp, self.out_dim, spatial_dim, f"ConformerEncoderLayer({_dim_str(self.out_dim)})"
        )
        x = x + 0.5 * self._drop(self.ffn1(self.ffn1_layer_norm(x)))
        att = self.self_att(self.self_att_layer_norm(x), axis=spatial_dim)
        x = x + (self._drop(att) if self.use_dropout_after_self_att else att)
        x = x + self._drop(self.conv_block(self.conv_layer_norm(x), spatial_dim=spatial_dim))
        x = x + 0.5 * self._drop(self.ffn2(self.ffn2_layer_norm(x)))
        out: Tensor = self.final_layer_norm(x)
        return out


def _make_conv_norm(
    conv_norm: Module | type | None, opts: dict[str, Any] | None, out_dim: Dim, what: str
) -> Module:
    """The conv block's norm: an instance as given, else made from a class (default BatchNorm)."""
    if isinstance(conv_norm, Module):
        if opts:
            raise TypeError(f"{what}: conv_norm_opts only apply when conv_norm is a class")
        return conv_norm
    if conv_norm is None or conv_norm is BatchNorm:
        kwargs = dict(opts or {})
        kwargs.setdefault("use_mask", False)
        return BatchNorm(out_dim, **kwargs)
    if isinstance(conv_norm, type) and issubclass(conv_norm, Module):
        factory: Callable[..., Module] = conv_norm
        return factory(out_dim, **(opts or {}))
    raise TypeError(
        f"{what}: conv_norm must be an nn.Module, a Module class or None, got {conv_norm!r}"
    )


def _make_self_att(
    self_att: Module | type | None,
    opts: dict[str, Any] | None,
    out_dim: Dim,
    *,
    num_heads: int,
    att_dropout: float,
    what: str,
) -> Module:
    """The self-attention: an instance as given, else made from a class (default RelPosSelfAttention)."""
    if isinstance(self_att, Module):
        if opts:
            raise TypeError(f"{what}: self_att_opts only apply when self_att is a class")
        return self_att
    if self_att is None or (isinstance(self_att, type) and issubclass(self_att, Module)):
        kwargs: dict[str, Any] = {
            "in_dim": out_dim,
            "proj_dim": out_dim,
            "key_dim_total": out_dim,
            "value_dim_total": out_dim,
            "num_heads": num_heads,
            "att_dropout": att_dropout,
        }
        kwargs.update(opts or {})
        cls = RelPosSelfAttention if self_att is None else self_att
        made: Module = cls(**kwargs)
        return made
    raise TypeError(
        f"{what}: self_att must be an nn.Module, a Module class or None, got {self_att!r}"
    )


class ConformerEncoder(Module):
    """Conformer encoder: ``input_layer`` (e.g. ``ConformerConvSubsample``), projection, N blocks.

    Called as ``out, out_spatial_dim = enc(x, in_spatial_dim=time_dim)``; with
    ``collected_outputs`` (a dict) the output of every block is stored under its index
    (``"0"``, ``"1"``, ...), as in the predecessor.

    Parameters
    ----------
    in_dim
        feature dim of the input.
    out_dim
        model dim (output feature dim).
    num_layers
        number of ``ConformerEncoderLayer`` blocks (``layers.0`` ...).
    input_layer
        a module called as ``input_layer(x, in_spatial_dim=...)`` returning
        ``(y, out_spatial_dim)`` with an ``out_dim`` attribute, or ``None``.
    input_dropout
        dropout after ``input_projection`` (a Linear without bias).
    ff_dim, ff_activation, dropout, conv_kernel_size, conv_norm, num_heads, att_dropout
        options of each ``ConformerEncoderLayer`` (``conv_norm`` a module,
        a class or ``None``: ``nn.BatchNorm(out_dim, use_mask=False)``).
    encoder_layer
        a layer to copy (each copy gets its own parameters), or a layer
        class made with the options above and ``encoder_layer_opts``.
    encoder_layer_opts
        options for the layer (override the ones above).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, d = nn.SpatialDim("time"), nn.FeatureDim("feat", 8), nn.FeatureDim("model", 8)
    >>> sub = nn.ConformerConvSubsample(feat, out_dims=[nn.FeatureDim("c", 2)],
    ...                                 filter_sizes=[(3, 3)], pool_sizes=[(2, 2)])
    >>> enc = nn.ConformerEncoder(feat, d, ff_dim=nn.FeatureDim("ff", 16), input_layer=sub,
    ...                           num_layers=2, num_heads=2, conv_kernel_size=3)
    >>> outputs = {}
    >>> y, out_time = enc(nn.zeros([nn.batch_dim, time, feat]), in_spatial_dim=time,
    ...                   collected_outputs=outputs)
    >>> y.dims == (nn.batch_dim, out_time, d), len(list(enc.parameters())), sorted(outputs)
    (True, 73, ['0', '1'])
    """

    def __init__(
        self,
        in_dim: Dim,
        out_dim: Dim,
        *,
        num_layers: int,
        input_layer: Module | None,
        input_dropout: float = 0.1,
        ff_dim: Dim | None = None,
        ff_activation: Activation = swish,
        dropout: float = 0.1,
        conv_kernel_size: int = 32,
        conv_norm: Module | type | None = None,
        num_heads: int = 4,
        att_dropout: float = 0.1,
        encoder_layer: ConformerEncoderLayer | Module | type | None = None,
        encoder_layer_opts: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        what = "ConformerEncoder"
        self.in_dim = static_dim(in_dim, what, "in_dim")
        self.out_dim = static_dim(out_dim, what, "out_dim")
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
            raise ValueError(f"{what}: num_layers must be a positive int, got {num_layers!r}")
        self.dropout = _rate(dropout, what, "dropout")
        self.input_layer = input_layer
        if input_layer is not None:
            if not isinstance(input_layer, Module):
                raise TypeError(
                    f"{what}: input_layer must be an nn.Module or None, got {input_layer!r}"
                )
            proj_in = getattr(input_layer, "out_dim", None)
            if not isinstance(proj_in, Dim):
                raise TypeError(
                    f"{what}: input_layer {input_layer!r} needs an out_dim attribute (its "
                    "output feature dim)"
                )
        else:
            proj_in = in_dim
        self.input_projection = Linear(proj_in, out_dim, with_bias=False)
        self.input_dropout = _rate(input_dropout, what, "input_dropout")
        if encoder_layer is None or isinstance(encoder_layer, type):
            opts: dict[str, Any] = {
                "out_dim": out_dim,
                "ff_dim": ff_dim,
                "ff_activation": ff_activation,
                "dropout": dropout,
                "conv_kernel_size": conv_kernel_size,
                "conv_norm": conv_norm,
                "num_heads": num_heads,
                "att_dropout": att_dropout,
            }
            opts.update(encoder_layer_opts or {})
            cls = ConformerEncoderLayer if encoder_layer is None else encoder_layer
            if not issubclass(cls, Module):
                raise TypeError(f"{what}: encoder_layer class {cls!r} is not an nn.Module")
            encoder_layer = cls(**opts)
        elif not isinstance(encoder_layer, Module):
            raise TypeError(
                f"{what}: encoder_layer must be an nn.Module, a Module class or None, got "
                f"{encoder_layer!r}"
            )
        elif encoder_layer_opts:
            raise TypeError(f"{what}: encoder_layer_opts only apply when encoder_layer is a class")
        layer_dim = getattr(encoder_layer, "out_dim", out_dim)
        if layer_dim != out_dim:
            raise DimMismatchError(
                f"{what}: encoder_layer has out_dim {_dim_str(layer_dim)}, "
                f"expected {_dim_str(out_dim)}" + lookalike_dims_note([layer_dim, out_dim])
            )
        self.num_layers = num_layers
        self.layers = Sequential(copy.deepcopy(encoder_layer) for _ in range(num_layers))

    def forward(
        self,
        source: Tensor,
        *,
        in_spatial_dim: Dim,
        collected_outputs: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, Dim]:
        """``(output [..., out_spatial_dim, out_dim], out_spatial_dim)``."""
        what = f"ConformerEncoder({_dim_str(self.in_dim)} -> {_dim_str(self.out_dim)})"
        x = _check_input(source, self.in_dim, in_spatial_dim, what)
        if collected_outputs is not None and not isinstance(collected_outputs, dict):
            raise TypeError(
                f"{what}: collected_outputs must be a dict (filled with each block's output), "
                f"got {type(collected_outputs).__name__} (called at {user_location(3)})"
            )
        spatial_dim = in_spatial_dim
        if self.input_layer is not None:
            x, spatial_dim = self.input_layer(x, in_spatial_dim=in_spatial_dim)
        x = self.input_projection(x)
        x = dropout_op(x, self.input_dropout, axis=self.out_dim)
        if collected_outputs is None:
            out: Tensor = self.layers(x, spatial_dim=spatial_dim)
            return out, spatial_dim
        for index, layer in enumerate(self.layers):
            x = layer(x, spatial_dim=spatial_dim)
            collected_outputs[str(index)] = x
        return x, spatial_dim
