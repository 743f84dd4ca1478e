"""Transformer encoder: ``TransformerEncoderLayer`` and ``TransformerEncoder``.

Signatures follow the predecessor (returnn_common), which followed PyTorch:

* ``TransformerEncoderLayer(out_dim, *, ff_dim=None, ff_activation=nn.relu,
  dropout=0.1, num_heads=8, self_attention=None, att_dropout=0.1,
  norm_eps=1e-6, norm_first=True, norm=nn.LayerNorm)``, called as
  ``layer(x, spatial_dim=time_dim)``; attributes ``self_attn`` (an
  ``nn.SelfAttention``), ``linear_ff``, ``linear_out``, ``norm1``, ``norm2``.
* ``TransformerEncoder(encoder_layer, *, num_layers, norm=nn.LayerNorm,
  norm_eps=1e-6)``: ``num_layers`` deep copies of ``encoder_layer`` in
  ``layers`` (``layers.0``, ``layers.1``, ...) and a final ``norm``, called as
  ``enc(x, spatial_dim=time_dim)``. As a convenience ``encoder_layer`` may be
  left out and the layer built from ``model_dim`` and the layer options;
  ``in_dim`` (if it differs from the model dim) adds ``input_projection``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .._array import dropout as dropout_op
from .._containers import Sequential
from .._dims import Dim
from .._errors import DimMismatchError
from .._layer_checks import require_dim, require_float
from .._linear import Linear
from .._math import relu
from .._module import Module
from .._norm import LayerNorm
from .._tensor import Tensor, _dim_str, as_tensor
from .._userloc import user_location
from ._attention import SelfAttention

__all__ = ["TransformerEncoder", "TransformerEncoderLayer"]

Activation = Callable[[Tensor], Tensor]


def _check_rate(value: float, what: str, arg: str) -> float:
    if not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{what}: {arg} must be in [0, 1), got {value!r} (at {user_location()})")
    return float(value)


def _make_norm(norm: Any, dim: Dim, eps: float) -> Module:
    if norm is LayerNorm:
        return LayerNorm(dim, eps=eps)
    if callable(norm):
        made = norm(dim)
        if isinstance(made, Module):
            return made
    raise TypeError(
        f"norm must be nn.LayerNorm, a Module class or a factory dim -> Module, got {norm!r}"
    )


class TransformerEncoderLayer(Module):
    """One Transformer encoder block: self-attention and feed-forward, each with a residual.

    With ``norm_first`` (default, "pre-norm"):
    ``x = x + drop(self_attn(norm1(x)))``; ``x = x + drop(linear_out(drop(act(linear_ff(norm2(x))))))``.
    Otherwise ("post-norm", the original paper) the norms come after each residual sum.

    Example:
        >>> import rc_nn as nn
        >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
        >>> layer = nn.TransformerEncoderLayer(d, ff_dim=nn.FeatureDim("ff", 16), num_heads=2)
        >>> [name for name, _ in layer.named_parameters()][:4]
        ['self_attn.qkv.weight', 'self_attn.qkv.bias', 'self_attn.proj.weight', 'self_attn.proj.bias']
        >>> layer(nn.zeros([nn.batch_dim, time, d]), spatial_dim=time).dims == (nn.batch_dim, time, d)
        True
    """

    def __init__(
        self,
        out_dim: Dim,
        *,
        ff_dim: Dim | None = None,
        ff_activation: Activation = relu,
        dropout: float = 0.1,
        num_heads: int = 8,
        self_attention: SelfAttention | None = None,
        att_dropout: float = 0.1,
        norm_eps: float = 1e-6,
        norm_first: bool = True,
        norm: Any = LayerNorm,
    ) -> None:
        super().__init__()
        what = "TransformerEncoderLayer"
        if not isinstance(out_dim, Dim) or out_dim.dimension is None:
            raise DimMismatchError(
                f"{what}: out_dim must be a static nn.Dim (the model dim), got {out_dim!r}"
            )
        if ff_dim is None:
            ff_dim = 4 * out_dim
        if not callable(ff_activation):
            raise TypeError(f"{what}: ff_activation must be callable, got {ff_activation!r}")
        self.out_dim = out_dim
        self.dropout = _check_rate(dropout, what, "dropout")
        self.ff_activation = ff_activation
        self.norm_first = bool(norm_first)
        if self_attention is None:
            self_attention = SelfAttention(
                out_dim,
                out_dim,
                key_dim_total=out_dim,
                value_dim_total=out_dim,
                num_heads=num_heads,
                att_dropout=att_dropout,
            )
        elif self_attention.out_dim != out_dim or self_attention.in_dim != out_dim:
            raise DimMismatchError(
                f"{what}: self_attention maps {_dim_str(self_attention.in_dim)} -> "
                f"{_dim_str(self_attention.out_dim)}, the layer needs {_dim_str(out_dim)} -> "
                f"{_dim_str(out_dim)}"
            )
        self.self_attn = self_attention
        self.linear_ff = Linear(out_dim, ff_dim)
        self.linear_out = Linear(ff_dim, out_dim)
        self.norm1 = _make_norm(norm, out_dim, norm_eps)
        self.norm2 = _make_norm(norm, out_dim, norm_eps)

    def _self_attention_block(self, x: Tensor, spatial_dim: Dim) -> Tensor:
        out: Tensor = self.self_attn(x, axis=spatial_dim)
        return dropout_op(out, self.dropout, axis=self.out_dim)

    def _feed_forward_block(self, x: Tensor) -> Tensor:
        hidden = self.ff_activation(self.linear_ff(x))
        hidden = dropout_op(hidden, self.dropout, axis=self.linear_ff.out_dim)
        return dropout_op(self.linear_out(hidden), self.dropout, axis=self.out_dim)

    def forward(self, inp: Tensor, *, spatial_dim: Dim) -> Tensor:
        """The block's output, same dims as ``inp``."""
        what = f"TransformerEncoderLayer({_dim_str(self.out_dim)})"
        x = as_tensor(inp, what)
        require_dim(x, self.out_dim, what)
        require_float(x, what)
        require_dim(x, spatial_dim, what, role="spatial dim")
        if self.norm_first:
            x = x + self._self_attention_block(self.norm1(x), spatial_dim)
            x = x + self._feed_forward_block(self.norm2(x))
        else:
            x = self.norm1(x + self._self_attention_block(x, spatial_dim))
            x = self.norm2(x + self._feed_forward_block(x))
        return x


class TransformerEncoder(Module):
    """A stack of ``num_layers`` Transformer encoder layers and a final norm.

    Predecessor form: ``TransformerEncoder(encoder_layer, num_layers=6)`` copies
    ``encoder_layer`` (fresh parameters per copy). Short form:
    ``TransformerEncoder(model_dim=d, num_layers=6, ff_dim=..., num_heads=8,
    dropout=0.1, att_dropout=0.1)`` builds the layer itself; with ``in_dim``
    different from ``model_dim`` an ``input_projection`` (Linear) comes first.
    With ``norm_first=False`` (post-norm layers) there is no final norm.

    Parameter names: ``input_projection.*`` (if any), ``layers.<i>.self_attn.qkv.weight``, ...,
    ``norm.scale``, ``norm.bias``.

    Example:
        >>> import rc_nn as nn
        >>> time, feat, d = nn.SpatialDim("time"), nn.FeatureDim("in", 5), nn.FeatureDim("model", 8)
        >>> enc = nn.TransformerEncoder(in_dim=feat, model_dim=d, num_layers=2, num_heads=2)
        >>> y = enc(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time)
        >>> y.dims == (nn.batch_dim, time, d), len(enc.layers)
        (True, 2)
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer | None = None,
        *,
        num_layers: int,
        model_dim: Dim | None = None,
        in_dim: Dim | None = None,
        ff_dim: Dim | None = None,
        ff_activation: Activation = relu,
        num_heads: int = 8,
        dropout: float = 0.1,
        att_dropout: float = 0.1,
        norm_first: bool = True,
        norm: Any = LayerNorm,
        norm_eps: float = 1e-6,
    ) -> None:
        super().__init__()
        what = "TransformerEncoder"
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
            raise ValueError(f"{what}: num_layers must be a positive int, got {num_layers!r}")
        if encoder_layer is None:
            if model_dim is None:
                raise TypeError(
                    f"{what}: give either an encoder_layer (a TransformerEncoderLayer to copy) "
                    "or model_dim (and the layer options)"
                )
            encoder_layer = TransformerEncoderLayer(
                model_dim,
                ff_dim=ff_dim,
                ff_activation=ff_activation,
                dropout=dropout,
                num_heads=num_heads,
                att_dropout=att_dropout,
                norm_eps=norm_eps,
                norm_first=norm_first,
                norm=norm,
            )
        elif not isinstance(encoder_layer, Module):
            raise TypeError(f"{what}: encoder_layer must be an nn.Module, got {encoder_layer!r}")
        elif model_dim is not None and model_dim != encoder_layer.out_dim:
            raise DimMismatchError(
                f"{what}: model_dim {_dim_str(model_dim)} differs from the encoder layer's "
                f"out_dim {_dim_str(encoder_layer.out_dim)}"
            )
        self.model_dim: Dim = encoder_layer.out_dim
        self.out_dim = self.model_dim
        self.in_dim = in_dim if in_dim is not None else self.model_dim
        self.input_projection: Linear | None = None
        if self.in_dim != self.model_dim:
            self.input_projection = Linear(self.in_dim, self.model_dim)
        self.num_layers = num_layers
        self.layers = Sequential(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.norm: Module | None = None
        if getattr(encoder_layer, "norm_first", True):
            self.norm = _make_norm(norm, self.model_dim, norm_eps)

    def forward(self, inp: Tensor, *, spatial_dim: Dim) -> Tensor:
        """Encode ``inp`` [..., spatial_dim, in_dim] into [..., spatial_dim, model_dim]."""
        what = f"TransformerEncoder({_dim_str(self.in_dim)} -> {_dim_str(self.model_dim)})"
        x = as_tensor(inp, what)
        require_dim(x, self.in_dim, what)
        require_dim(x, spatial_dim, what, role="spatial dim")
        if self.input_projection is not None:
            x = self.input_projection(x)
        out: Tensor = self.layers(x, spatial_dim=spatial_dim)
        if self.norm is not None:
            out = self.norm(out)
        return out
