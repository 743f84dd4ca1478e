"""Transformer: encoder, decoder and encoder-decoder.

Signatures follow the predecessor (returnn_common), which followed PyTorch:

* ``TransformerEncoderLayer(out_dim, *, self_attention=None, ff_dim=None,
  ff_activation=nn.relu, dropout=0.1, num_heads=8, att_dropout=0.1,
  norm_eps=1e-6, norm_first=True, norm=nn.LayerNorm)``, called as
  ``layer(x, axis=time_dim)`` (or ``spatial_dim=time_dim``); attributes
  ``self_attn`` (a copy of ``self_attention``, default an ``nn.SelfAttention``),
  ``linear_ff``, ``linear_out``, ``self_att_norm``, ``ff_norm`` (the predecessor's
  names; rc-nn 0.1 called the norms ``norm1``, ``norm2``, declared as renames).
* ``TransformerEncoder(encoder_layer, *, num_layers, norm=nn.LayerNorm,
  norm_eps=1e-6)``: ``num_layers`` deep copies of ``encoder_layer`` in
  ``layers`` (``layers.0``, ``layers.1``, ...) and a final ``norm`` (a module
  instance as in the predecessor, e.g. ``nn.LayerNorm(model_dim)``, a class, or
  ``None``), called as ``enc(x, axis=time_dim)`` (or ``spatial_dim=``). As a
  convenience ``encoder_layer`` may be left out and the layer built from
  ``model_dim`` and the layer options; ``in_dim`` (if it differs from the model
  dim) adds ``input_projection``.
* ``TransformerDecoderLayer(encoder_dim, out_dim, *, ...)``: causal
  self-attention ``self_attn``, cross attention ``cross_attn`` over the encoder,
  feed-forward ``linear_ff``/``linear_out``, norms ``self_att_norm``,
  ``cross_att_norm``, ``ff_norm`` (rc-nn 0.1: ``norm1``/``norm2``/``norm3``);
  ``layer(x, spatial_dim=..., encoder=layer.transform_encoder(enc, axis=...))``
  with ``spatial_dim`` the decoder's time dim (whole sequence) or
  ``nn.single_step_dim`` (one frame inside ``nn.Loop``).
* ``TransformerDecoder(encoder_dim, vocab_dim, model_dim, *, num_layers, ...)``:
  ``input_embedding``, ``layers.<i>``, ``final_layer_norm``, ``logits``;
  labels in, logits out, whole sequence or step-wise.
* ``Transformer(model_dim=..., *, target_dim, ...)`` (``model_dim`` as keyword): the
  predecessor's Transformer (``encoder``, ``target_embedding``, ``decoder``,
  ``output_projection``); ``model(src, source_spatial_axis=, target=,
  target_spatial_axis=)`` returns ``(memory, logits, None, state)`` from a decoder loop.
* ``Transformer(model_dim, *, target_dim, in_dim=...)`` (positional, rc's form):
  ``encoder`` + rc's ``decoder``; ``model(...)`` gives teacher-forced logits over the
  whole target sequence, ``model.search(...)`` decodes step by step with ``nn.choice``
  beam search.

No positional encoding is added (as in ``TransformerEncoder`` here): the causal
self-attention of the decoder sees the order; add an encoding to the inputs
yourself if needed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from returnn.tensor import batch_dim

from rc_naming import renamed

from .._array import constant
from .._array import dropout as dropout_op
from .._compat_ops import NotSpecified
from .._containers import ModuleList, Sequential
from .._dim_sites import lookalike_dims_note
from .._dimargs import static_dim
from .._dims import Dim, FeatureDim, single_step_dim
from .._errors import DimMismatchError
from .._layer_checks import require_dim, require_float
from .._layer_state import LayerState
from .._linear import Embedding, Linear
from .._loop import Loop
from .._math import relu
from .._module import Module
from .._norm import LayerNorm
from .._search import choice, decide
from .._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from .._userloc import user_location
from ._attention import (
    CausalSelfAttention,
    CrossAttention,
    CrossAttentionEncoded,
    GenericSelfAttention,
    SelfAttention,
    _square_self_attention,
    dot_attention,
)

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]

Activation = Callable[[Tensor], Tensor]


def _check_rate(value: float, what: str, arg: str) -> float:
    if not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{what}: {arg} must be in [0, 1), got {value!r} (at {user_location()})")
    return float(value)


def _make_norm(norm: Any, dim: Dim, eps: float | None) -> Module:
    """A fresh norm over ``dim``; ``eps=None``: the norm's own default (no eps passed)."""
    if norm is LayerNorm:
        return LayerNorm(dim) if eps is None else LayerNorm(dim, eps=eps)
    if isinstance(norm, Module):
        raise TypeError(
            f"norm must be a Module class or a factory dim -> Module here (one fresh norm per "
            f"use), got the instance {norm!r}"
        )
    if callable(norm):
        made = norm(dim)
        if isinstance(made, Module):
            return made
    raise TypeError(
        f"norm must be nn.LayerNorm, a Module class or a factory dim -> Module, got {norm!r}"
    )


def _final_norm(norm: Any, dim: Dim, eps: float, what: str) -> Module | None:
    """The final norm of an encoder/decoder: an instance (predecessor), ``None``, or made here."""
    if norm is None or isinstance(norm, Module):
        return norm
    try:
        return _make_norm(norm, dim, eps)
    except TypeError as exc:
        raise TypeError(f"{what}: {exc}; or a module instance, or None") from None


def _time_axis(axis: Dim | None, spatial_dim: Dim | None, what: str) -> Dim:
    """The time dim from ``axis=`` (the predecessor's keyword) or ``spatial_dim=``."""
    if axis is not None and spatial_dim is not None and axis != spatial_dim:
        raise TypeError(
            f"{what}: give the time dim once, as axis= or spatial_dim=, not both "
            f"(called at {user_location(4)})"
        )
    dim = axis if axis is not None else spatial_dim
    if dim is None:
        raise TypeError(
            f"{what}: the time dim is missing: call it as layer(x, axis=time_dim) "
            f"(called at {user_location(4)})"
        )
    return dim


def _check_num_layers(num_layers: object, what: str) -> None:
    """Raise unless ``num_layers`` is a positive int."""
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
        raise ValueError(f"{what}: num_layers must be a positive int, got {num_layers!r}")


def _check_self_attention_dims(
    self_attention: GenericSelfAttention, out_dim: Dim, what: str
) -> None:
    """Raise unless ``self_attention`` maps ``out_dim`` to ``out_dim``."""
    if self_attention.in_dim != out_dim or self_attention.out_dim != out_dim:
        raise DimMismatchError(
            f"{what}: self_attention maps {_dim_str(self_attention.in_dim)} -> "
            f"{_dim_str(self_attention.out_dim)}, the layer needs {_dim_str(out_dim)} -> "
            f"{_dim_str(out_dim)}"
            + lookalike_dims_note([self_attention.in_dim, self_attention.out_dim, out_dim])
        )


class _TransformerBlock(Module):
    """Options and feed-forward sub-block shared by the encoder and decoder layers."""

    out_dim: Dim
    dropout: float
    ff_activation: Activation
    norm_first: bool
    linear_ff: Linear
    linear_out: Linear

    def _set_block_options(
        self,
        what: str,
        out_dim: Dim,
        ff_dim: Dim | None,
        ff_activation: Activation,
        *,
        dropout: float,
        norm_first: bool,
    ) -> Dim:
        """Check and store the block options; return ``ff_dim`` (default ``4 * out_dim``)."""
        if ff_dim is None:
            ff_dim = 4 * out_dim
        if not callable(ff_activation):
            raise TypeError(f"{what}: ff_activation must be callable, got {ff_activation!r}")
        self.out_dim = out_dim
        self.dropout = _check_rate(dropout, what, "dropout")
        self.ff_activation = ff_activation
        self.norm_first = bool(norm_first)
        return ff_dim

    def _feed_forward_block(self, x: Tensor) -> Tensor:
        hidden = self.ff_activation(self.linear_ff(x))
        hidden = dropout_op(hidden, self.dropout, axis=self.linear_ff.out_dim)
        return dropout_op(self.linear_out(hidden), self.dropout, axis=self.out_dim)


# Version 2 = rc-nn 0.2, which took over the predecessor's (returnn_common) names.
@renamed(self_att_norm=("norm1", 2), ff_norm=("norm2", 2))
class TransformerEncoderLayer(_TransformerBlock):
    """One Transformer encoder block: self-attention and feed-forward, each with a residual.

    With ``norm_first`` (default, "pre-norm"):
    ``x = x + drop(self_attn(self_att_norm(x)))``;
    ``x = x + drop(linear_out(drop(act(linear_ff(ff_norm(x))))))``.
    Otherwise ("post-norm", the original paper) the norms come after each residual sum.
    ``self_attention`` is copied (fresh parameters), as in the predecessor. As there,
    ``norm_eps`` applies to ``self_att_norm``; ``ff_norm`` has the norm's default eps.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> att = nn.SelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> layer = nn.TransformerEncoderLayer(d, self_attention=att, ff_dim=nn.FeatureDim("ff", 16))
    >>> [name for name, _ in layer.named_parameters()][-4:]
    ['self_att_norm.scale', 'self_att_norm.bias', 'ff_norm.scale', 'ff_norm.bias']
    >>> layer(nn.zeros([nn.batch_dim, time, d]), axis=time).dims == (nn.batch_dim, time, d)
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
        self_attention: GenericSelfAttention | Module | None = None,
        att_dropout: float = 0.1,
        norm_eps: float = 1e-6,
        norm_first: bool = True,
        norm: Any = LayerNorm,
    ) -> None:
        super().__init__()
        what = "TransformerEncoderLayer"
        static_dim(out_dim, what, "out_dim")
        ff_dim = self._set_block_options(
            what, out_dim, ff_dim, ff_activation, dropout=dropout, norm_first=norm_first
        )
        if self_attention is None:
            self_attention = _square_self_attention(
                SelfAttention, out_dim, num_heads=num_heads, att_dropout=att_dropout
            )
        elif not isinstance(self_attention, Module):
            raise TypeError(
                f"{what}: self_attention must be an nn.Module (e.g. nn.SelfAttention), got "
                f"{self_attention!r}"
            )
        else:
            if isinstance(self_attention, GenericSelfAttention):
                _check_self_attention_dims(self_attention, out_dim, what)
            self_attention = copy.deepcopy(self_attention)
        self.self_attn = self_attention
        self.linear_ff = Linear(out_dim, ff_dim)
        self.linear_out = Linear(ff_dim, out_dim)
        self.self_att_norm = _make_norm(norm, out_dim, norm_eps)
        self.ff_norm = _make_norm(norm, out_dim, None)

    def _self_attention_block(self, x: Tensor, spatial_dim: Dim) -> Tensor:
        out: Tensor = self.self_attn(x, axis=spatial_dim)
        return dropout_op(out, self.dropout, axis=self.out_dim)

    def forward(
        self, inp: Tensor, *, axis: Dim | None = None, spatial_dim: Dim | None = None
    ) -> Tensor:
        """The block's output, same dims as ``inp``; ``axis`` (or ``spatial_dim``) is the time dim."""
        what = f"TransformerEncoderLayer({_dim_str(self.out_dim)})"
        spatial_dim = _time_axis(axis, spatial_dim, what)
        x = as_tensor(inp, what)
        require_dim(x, self.out_dim, what)
        require_float(x, what)
        require_dim(x, spatial_dim, what, role="spatial dim")
        if self.norm_first:
            x = x + self._self_attention_block(self.self_att_norm(x), spatial_dim)
            x = x + self._feed_forward_block(self.ff_norm(x))
        else:
            x = self.self_att_norm(x + self._self_attention_block(x, spatial_dim))
            x = self.ff_norm(x + self._feed_forward_block(x))
        return x


class TransformerEncoder(Module):
    """A stack of ``num_layers`` Transformer encoder layers and a final norm.

    Predecessor form: ``TransformerEncoder(encoder_layer, num_layers=6)`` copies
    ``encoder_layer`` (fresh parameters per copy). Short form:
    ``TransformerEncoder(model_dim=d, num_layers=6, ff_dim=..., num_heads=8,
    dropout=0.1, att_dropout=0.1)`` builds the layer itself; with ``in_dim``
    different from ``model_dim`` an ``input_projection`` (Linear) comes first.
    With ``norm_first=False`` (post-norm layers) and a norm class there is no final
    norm. ``norm`` may also be a module instance (the predecessor's form, e.g.
    ``norm=nn.LayerNorm(model_dim)``; used as given) or ``None`` (no final norm).

    Parameter names: ``input_projection.*`` (if any), ``layers.<i>.self_attn.qkv.weight``, ...,
    ``norm.scale``, ``norm.bias``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, d = nn.SpatialDim("time"), nn.FeatureDim("in", 5), nn.FeatureDim("model", 8)
    >>> enc = nn.TransformerEncoder(in_dim=feat, model_dim=d, num_layers=2, num_heads=2)
    >>> y = enc(nn.zeros([nn.batch_dim, time, feat]), axis=time)
    >>> y.dims == (nn.batch_dim, time, d), len(enc.layers)
    (True, 2)

    The predecessor's form:
        >>> att = nn.SelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
        >>> layer = nn.TransformerEncoderLayer(d, self_attention=att, ff_dim=nn.FeatureDim("ff", 16))
        >>> enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(d))
        >>> enc(nn.zeros([nn.batch_dim, time, d]), axis=time).dims == (nn.batch_dim, time, d)
        True
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
        _check_num_layers(num_layers, what)
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
                + lookalike_dims_note([model_dim, encoder_layer.out_dim])
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
        if isinstance(norm, Module) or getattr(encoder_layer, "norm_first", True):
            self.norm = _final_norm(norm, self.model_dim, norm_eps, what)

    def forward(
        self, inp: Tensor, *, axis: Dim | None = None, spatial_dim: Dim | None = None
    ) -> Tensor:
        """Encode ``inp`` [..., axis, in_dim] into [..., axis, model_dim] (``spatial_dim=``: same)."""
        what = f"TransformerEncoder({_dim_str(self.in_dim)} -> {_dim_str(self.model_dim)})"
        spatial_dim = _time_axis(axis, spatial_dim, what)
        x = as_tensor(inp, what)
        require_dim(x, self.in_dim, what)
        require_dim(x, spatial_dim, what, role="spatial dim")
        if self.input_projection is not None:
            x = self.input_projection(x)
        out: Tensor = self.layers(x, spatial_dim=spatial_dim)
        if self.norm is not None:
            out = self.norm(out)
        return out


def _check_spatial(x: Tensor, spatial_dim: Dim, what: str) -> None:
    if not isinstance(spatial_dim, Dim):
        raise TypeError(
            f"{what}: spatial_dim must be the decoder's time dim or nn.single_step_dim, got "
            f"{spatial_dim!r} (at {user_location(3)})"
        )
    if spatial_dim != single_step_dim:
        require_dim(x, spatial_dim, what, role="spatial dim")


@renamed(self_att_norm=("norm1", 2), cross_att_norm=("norm2", 2), ff_norm=("norm3", 2))
class TransformerDecoderLayer(_TransformerBlock):
    """One Transformer decoder block: causal self-attention, cross attention, feed-forward.

    With ``norm_first`` (default, "pre-norm"), each of the three sub-blocks is
    ``x = x + drop(block(norm_i(x)))``; otherwise (post-norm)
    ``x = norm_i(x + drop(block(x)))``. The self-attention is causal: on a whole
    sequence (``spatial_dim=dec_time``) frame ``t`` sees frames ``<= t``; with
    ``spatial_dim=nn.single_step_dim`` inside ``nn.Loop`` it sees the loop's
    frames so far (see ``CausalSelfAttention``), so teacher forcing over the
    whole sequence and step-wise decoding compute the same.

    Attributes (parameter path prefixes): ``self_attn`` (``CausalSelfAttention``:
    ``qkv``, ``proj``), ``cross_attn`` (``CrossAttention``: ``q``, ``kv``,
    ``proj``), ``linear_ff``, ``linear_out``, ``self_att_norm``, ``cross_att_norm``,
    ``ff_norm`` (the predecessor's norm names; rc-nn 0.1: ``norm1``, ``norm2``, ``norm3``).

    The predecessor's form ``TransformerDecoderLayer(out_dim, *, causal_self_attention=att,
    enc_dec_attention=nn.dot_attention, ff_dim=...)`` (one positional dim) gives its
    attributes ``self_attn`` (a copy of ``causal_self_attention``), ``attn`` (the
    ``enc_dec_attention`` function or module, called as ``attn(query=, keys=, values=,
    axis=, key_dim=)``; ``nn.dot_attention`` has no parameters), ``linear_ff``,
    ``linear_out``, ``self_att_norm``, ``cross_att_norm``, ``ff_norm``, and its call
    ``y, state = layer(x, axis=..., memory=enc, memory_spatial_axis=enc_time,
    state=state)`` (``state`` from ``default_initial_state``; ``None`` on a whole
    sequence).

    Examples
    --------
    >>> import rc_nn as nn
    >>> enc_time, dec_time = nn.SpatialDim("enc-time"), nn.SpatialDim("dec-time")
    >>> enc_dim, d = nn.FeatureDim("enc", 6), nn.FeatureDim("model", 8)
    >>> layer = nn.TransformerDecoderLayer(enc_dim, d, ff_dim=nn.FeatureDim("ff", 16), num_heads=2)
    >>> encoded = layer.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    >>> y = layer(nn.zeros([nn.batch_dim, dec_time, d]), spatial_dim=dec_time, encoder=encoded)
    >>> y.dims_set() == {nn.batch_dim, dec_time, d}
    True

    The predecessor's form:
        >>> att = nn.CausalSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
        >>> layer = nn.TransformerDecoderLayer(d, causal_self_attention=att,
        ...     enc_dec_attention=nn.dot_attention, ff_dim=nn.FeatureDim("ff", 16))
        >>> mem = nn.zeros([nn.batch_dim, enc_time, d])
        >>> y, _ = layer(nn.zeros([nn.batch_dim, dec_time, d]), axis=dec_time, memory=mem,
        ...     memory_spatial_axis=enc_time, state=None)
        >>> y.dims_set() == {nn.batch_dim, dec_time, d}
        True
    """

    def __init__(
        self,
        encoder_dim: Dim,
        out_dim: Dim | None = None,
        *,
        ff_dim: Dim | None = None,
        ff_activation: Activation = relu,
        dropout: float = 0.1,
        num_heads: int = 8,
        self_attention: CausalSelfAttention | None = None,
        cross_attention: CrossAttention | None = None,
        causal_self_attention: Module | None = None,
        enc_dec_attention: Callable[..., Tensor] | Module | None = None,
        att_dropout: float = 0.1,
        norm_eps: float = 1e-6,
        norm_first: bool = True,
        norm: Any = LayerNorm,
    ) -> None:
        super().__init__()
        what = "TransformerDecoderLayer"
        self.predecessor_form = out_dim is None
        if out_dim is None:
            # The predecessor's form: one positional dim (the model dim), attention given.
            self._init_predecessor_form(
                encoder_dim,
                causal_self_attention=causal_self_attention,
                enc_dec_attention=enc_dec_attention,
                ff_dim=ff_dim,
                ff_activation=ff_activation,
                dropout=dropout,
                norm_eps=norm_eps,
                norm_first=norm_first,
                norm=norm,
                unused={"self_attention": self_attention, "cross_attention": cross_attention},
            )
            return
        if causal_self_attention is not None or enc_dec_attention is not None:
            raise TypeError(
                f"{what}: causal_self_attention/enc_dec_attention are the predecessor's form "
                "TransformerDecoderLayer(out_dim, causal_self_attention=..., "
                "enc_dec_attention=..., ff_dim=...) with one positional dim; with "
                "(encoder_dim, out_dim) use self_attention=/cross_attention="
            )
        static_dim(encoder_dim, what, "encoder_dim")
        static_dim(out_dim, what, "out_dim")
        ff_dim = self._set_block_options(
            what, out_dim, ff_dim, ff_activation, dropout=dropout, norm_first=norm_first
        )
        self.encoder_dim: Dim | None = encoder_dim
        if self_attention is None:
            self_attention = _square_self_attention(
                CausalSelfAttention, out_dim, num_heads=num_heads, att_dropout=att_dropout
            )
        elif not isinstance(self_attention, CausalSelfAttention):
            raise TypeError(
                f"{what}: self_attention must be an nn.CausalSelfAttention (the decoder must not "
                f"see future frames), got {type(self_attention).__name__}"
            )
        _check_self_attention_dims(self_attention, out_dim, what)
        if cross_attention is None:
            cross_attention = CrossAttention(
                encoder_dim,
                out_dim,
                out_dim,
                key_dim_total=out_dim,
                value_dim_total=out_dim,
                num_heads=num_heads,
                att_dropout=att_dropout,
            )
        if (
            cross_attention.encoder_dim != encoder_dim
            or cross_attention.query_in_dim != out_dim
            or cross_attention.out_dim != out_dim
        ):
            raise DimMismatchError(
                f"{what}: cross_attention maps encoder {_dim_str(cross_attention.encoder_dim)} and "
                f"queries {_dim_str(cross_attention.query_in_dim)} -> "
                f"{_dim_str(cross_attention.out_dim)}, the layer needs encoder "
                f"{_dim_str(encoder_dim)} and {_dim_str(out_dim)} -> {_dim_str(out_dim)}"
                + lookalike_dims_note(
                    [
                        cross_attention.encoder_dim,
                        cross_attention.query_in_dim,
                        cross_attention.out_dim,
                        encoder_dim,
                        out_dim,
                    ]
                )
            )
        self.self_attn: Module = self_attention
        self.cross_attn = cross_attention
        self.linear_ff = Linear(out_dim, ff_dim)
        self.linear_out = Linear(ff_dim, out_dim)
        self.self_att_norm = _make_norm(norm, out_dim, norm_eps)
        self.cross_att_norm = _make_norm(norm, out_dim, norm_eps)
        self.ff_norm = _make_norm(norm, out_dim, norm_eps)

    def _init_predecessor_form(
        self,
        out_dim: Dim,
        *,
        causal_self_attention: Module | None,
        enc_dec_attention: Callable[..., Tensor] | Module | None,
        ff_dim: Dim | None,
        ff_activation: Activation,
        dropout: float,
        norm_eps: float,
        norm_first: bool,
        norm: Any,
        unused: dict[str, object],
    ) -> None:
        what = "TransformerDecoderLayer"
        static_dim(out_dim, what, "out_dim")
        given = [name for name, value in unused.items() if value is not None]
        if given:
            raise TypeError(
                f"{what}: {', '.join(given)} belong to the form (encoder_dim, out_dim, ...); the "
                "predecessor's form (out_dim, ...) takes causal_self_attention= and "
                "enc_dec_attention="
            )
        if causal_self_attention is None or enc_dec_attention is None:
            raise TypeError(
                f"{what}(out_dim, ...): the predecessor's form needs causal_self_attention= (e.g. "
                "nn.CausalSelfAttention) and enc_dec_attention= (e.g. nn.dot_attention); or give "
                "(encoder_dim, out_dim) for rc's form with its own cross attention"
            )
        if not isinstance(causal_self_attention, Module):
            raise TypeError(
                f"{what}: causal_self_attention must be an nn.Module, got {causal_self_attention!r}"
            )
        if not callable(enc_dec_attention):
            raise TypeError(
                f"{what}: enc_dec_attention must be callable, got {enc_dec_attention!r}"
            )
        ff_dim = self._set_block_options(
            what, out_dim, ff_dim, ff_activation, dropout=dropout, norm_first=norm_first
        )
        self.encoder_dim = None
        # Assignment order and names as in the predecessor.
        self.self_attn = copy.deepcopy(causal_self_attention)
        self.attn = enc_dec_attention
        self.linear_ff = Linear(out_dim, ff_dim)
        self.linear_out = Linear(ff_dim, out_dim)
        self.self_att_norm = _make_norm(norm, out_dim, norm_eps)
        self.cross_att_norm = _make_norm(norm, out_dim, norm_eps)
        self.ff_norm = _make_norm(norm, out_dim, norm_eps)

    def default_initial_state(self, *, batch_dims: Sequence[Dim]) -> dict[str, Any]:
        """The loop state of the predecessor's form: ``{"self_attn": <its state>}``."""
        make = getattr(self.self_attn, "default_initial_state", None)
        if make is None:
            raise TypeError(
                f"TransformerDecoderLayer: self_attn {type(self.self_attn).__name__} has no "
                "default_initial_state"
            )
        return {"self_attn": make(batch_dims=batch_dims)}

    def transform_encoder(self, encoder: Tensor, *, axis: Dim) -> CrossAttentionEncoded:
        """Keys and values of the cross attention (compute once, before a decoder loop)."""
        if self.predecessor_form:
            raise TypeError(
                "TransformerDecoderLayer.transform_encoder: the predecessor's form attends to "
                "memory= directly (layer(x, axis=..., memory=enc, memory_spatial_axis=...))"
            )
        return self.cross_attn.transform_encoder(encoder, axis=axis)

    def forward(
        self,
        inp: Tensor,
        *,
        spatial_dim: Dim | None = None,
        encoder: CrossAttentionEncoded | None = None,
        axis: Dim | None = None,
        memory: Tensor | None = None,
        memory_spatial_axis: Dim | None = None,
        state: dict[str, Any] | None = None,
    ) -> Tensor | tuple[Tensor, dict[str, Any] | None]:
        """The block's output, same dims as ``inp``.

        rc's form: ``layer(x, spatial_dim=..., encoder=layer.transform_encoder(...))``.
        The predecessor's form: ``layer(x, axis=..., memory=..., memory_spatial_axis=...,
        state=...)`` returns ``(out, new_state)``.
        """
        what = f"TransformerDecoderLayer({_dim_str(self.out_dim)})"
        spatial_dim = _time_axis(axis, spatial_dim, what)
        x = as_tensor(inp, what)
        require_dim(x, self.out_dim, what)
        require_float(x, what)
        _check_spatial(x, spatial_dim, what)
        new_state: dict[str, Any] | None = None
        if self.predecessor_form:
            if memory is None or memory_spatial_axis is None or encoder is not None:
                raise TypeError(
                    f"{what}: the predecessor's form is called as layer(x, axis=..., memory=enc, "
                    f"memory_spatial_axis=enc_time, state=...) (called at {user_location(3)})"
                )
            mem, mem_axis = as_tensor(memory, f"{what} memory"), memory_spatial_axis
            if state is not None:
                new_state = {}

            def self_att(y: Tensor) -> Tensor:
                if state is None:
                    out: Tensor = self.self_attn(y, axis=spatial_dim)
                else:
                    assert new_state is not None
                    out, new_state["self_attn"] = self.self_attn(
                        y, axis=spatial_dim, state=state["self_attn"]
                    )
                return dropout_op(out, self.dropout, axis=self.out_dim)

            def cross_att(y: Tensor) -> Tensor:
                out: Tensor = self.attn(
                    query=y, keys=mem, values=mem, axis=mem_axis, key_dim=self.out_dim
                )
                return dropout_op(out, self.dropout, axis=self.out_dim)

        else:
            if encoder is None:
                raise TypeError(
                    f"{what}: encoder= (from layer.transform_encoder(enc, axis=...)) is missing "
                    f"(called at {user_location(3)})"
                )
            encoded = encoder

            def self_att(y: Tensor) -> Tensor:
                out: Tensor = self.self_attn(y, axis=spatial_dim)
                return dropout_op(out, self.dropout, axis=self.out_dim)

            def cross_att(y: Tensor) -> Tensor:
                out: Tensor = self.cross_attn(y, encoded)
                return dropout_op(out, self.dropout, axis=self.out_dim)

        if self.norm_first:
            x = x + self_att(self.self_att_norm(x))
            x = x + cross_att(self.cross_att_norm(x))
            x = x + self._feed_forward_block(self.ff_norm(x))
        else:
            x = self.self_att_norm(x + self_att(x))
            x = self.cross_att_norm(x + cross_att(x))
            x = self.ff_norm(x + self._feed_forward_block(x))
        if self.predecessor_form:
            return x, new_state
        return x


class TransformerDecoder(Module):
    """Transformer decoder: label embedding, ``num_layers`` decoder layers, final norm, logits.

    ``dec(labels, spatial_dim=dec_time, encoder=dec.transform_encoder(enc, axis=enc_time))``
    maps labels (sparse ``vocab_dim``) to logits over ``vocab_dim``: for a whole
    sequence (``spatial_dim`` its time dim, causal) or for one frame inside
    ``nn.Loop`` (``spatial_dim=nn.single_step_dim``). The embedding is scaled by
    ``input_embedding_scale`` (default ``sqrt(model_dim)``) and dropped out with
    ``input_dropout`` (default ``dropout``).

    Predecessor form: pass ``decoder_layer`` (copied ``num_layers`` times, fresh
    parameters each). Short form: the layer options.

    Parameter names: ``input_embedding.weight``, ``layers.<i>.self_attn.qkv.*``,
    ``layers.<i>.cross_attn.{q,kv,proj}.*``, ``layers.<i>.{linear_ff,linear_out}.*``,
    ``layers.<i>.norm{1,2,3}.*``, ``final_layer_norm.*`` (pre-norm only),
    ``logits.weight`` (and ``logits.bias`` with ``logits_with_bias``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> enc_time, dec_time = nn.SpatialDim("enc-time"), nn.SpatialDim("dec-time")
    >>> enc_dim, vocab, d = nn.FeatureDim("enc", 6), nn.FeatureDim("vocab", 5), nn.FeatureDim("d", 8)
    >>> dec = nn.TransformerDecoder(enc_dim, vocab, d, num_layers=2, num_heads=2)
    >>> encoded = dec.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    >>> len(dec.layers), sorted({n.split(".")[0] for n, _ in dec.named_parameters()})
    (2, ['final_layer_norm', 'input_embedding', 'layers', 'logits'])
    """

    def __init__(
        self,
        encoder_dim: Dim | None = None,
        vocab_dim: Dim | None = None,
        model_dim: Dim | None = None,
        *,
        num_layers: int,
        ff_dim: Dim | None = None,
        ff_activation: Activation = relu,
        dropout: float = 0.1,
        num_heads: int = 8,
        att_dropout: float = 0.1,
        norm: Any = LayerNorm,
        norm_eps: float = 1e-6,
        norm_first: bool = True,
        decoder_layer: TransformerDecoderLayer | Module | None = None,
        input_embedding_scale: float | None = None,
        input_dropout: float | None = None,
        logits_with_bias: bool = False,
    ) -> None:
        super().__init__()
        what = "TransformerDecoder"
        _check_num_layers(num_layers, what)
        self.predecessor_form = encoder_dim is None and vocab_dim is None
        if self.predecessor_form:
            # The predecessor's form: TransformerDecoder(decoder_layer=, num_layers=, norm=).
            if decoder_layer is None or not isinstance(decoder_layer, Module):
                raise TypeError(
                    f"{what}: give encoder_dim and vocab_dim (rc's decoder with embedding and "
                    "logits), or the predecessor's form TransformerDecoder(decoder_layer=layer, "
                    "num_layers=..., norm=...)"
                )
            self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
            self.num_layers = num_layers
            layer_dim = getattr(decoder_layer, "out_dim", None)
            if norm is not None and not isinstance(norm, Module) and not isinstance(layer_dim, Dim):
                raise TypeError(f"{what}: norm must be a module instance or None here")
            self.norm = _final_norm(norm, layer_dim, norm_eps, what) if layer_dim else norm
            return
        if encoder_dim is None or vocab_dim is None:
            raise TypeError(f"{what}: give both encoder_dim and vocab_dim (or neither)")
        static_dim(vocab_dim, what, "vocab_dim")
        if decoder_layer is None:
            if model_dim is None:
                model_dim = FeatureDim("transformer-dec-model-dim", 512)
            decoder_layer = TransformerDecoderLayer(
                encoder_dim,
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
        elif not isinstance(decoder_layer, TransformerDecoderLayer):
            raise TypeError(
                f"{what}: decoder_layer must be an nn.TransformerDecoderLayer, got "
                f"{type(decoder_layer).__name__}"
            )
        elif model_dim is not None and model_dim != decoder_layer.out_dim:
            raise DimMismatchError(
                f"{what}: model_dim {_dim_str(model_dim)} differs from the decoder layer's "
                f"out_dim {_dim_str(decoder_layer.out_dim)}"
                + lookalike_dims_note([model_dim, decoder_layer.out_dim])
            )
        if decoder_layer.encoder_dim != encoder_dim:
            raise DimMismatchError(
                f"{what}: encoder_dim {_dim_str(encoder_dim)} differs from the decoder layer's "
                f"{_dim_str(decoder_layer.encoder_dim)}"
                + lookalike_dims_note([encoder_dim, decoder_layer.encoder_dim])
            )
        self.encoder_dim = encoder_dim
        self.vocab_dim = vocab_dim
        self.model_dim: Dim = decoder_layer.out_dim
        self.out_dim = vocab_dim
        self.num_layers = num_layers
        self.input_embedding_scale = (
            float(self.model_dim.dimension or 1) ** 0.5
            if input_embedding_scale is None
            else float(input_embedding_scale)
        )
        self.input_dropout = _check_rate(
            dropout if input_dropout is None else input_dropout, what, "input_dropout"
        )
        self.input_embedding = Embedding(vocab_dim, self.model_dim)
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.final_layer_norm: Module | None = None
        if decoder_layer.norm_first:
            self.final_layer_norm = _make_norm(norm, self.model_dim, norm_eps)
        self.logits = Linear(self.model_dim, vocab_dim, with_bias=logits_with_bias)

    def transform_encoder(self, encoder: Tensor, *, axis: Dim) -> list[CrossAttentionEncoded]:
        """Keys and values of every layer's cross attention (compute once, before a loop)."""
        return [layer.transform_encoder(encoder, axis=axis) for layer in self.layers]

    def default_initial_state(self, *, batch_dims: Sequence[Dim]) -> dict[str, Any]:
        """The loop state of the predecessor's form: one entry per layer (``"0"``, ``"1"``, ...)."""
        return {
            str(i): layer.default_initial_state(batch_dims=batch_dims)
            for i, layer in enumerate(self.layers)
        }

    def forward(
        self,
        source: Tensor,
        *,
        spatial_dim: Dim | None = None,
        encoder: list[CrossAttentionEncoded] | None = None,
        axis: Dim | None = None,
        memory: Tensor | None = None,
        memory_spatial_axis: Dim | None = None,
        state: dict[str, Any] | None = None,
    ) -> Tensor | tuple[Tensor, dict[str, Any] | None]:
        """Logits over ``vocab_dim`` for the labels ``source`` (next-label scores per frame).

        The predecessor's form: ``y, state = dec(x, axis=..., memory=enc,
        memory_spatial_axis=enc_time, state=state)``: the layers and the final norm.
        """
        if self.predecessor_form:
            return self._forward_predecessor(
                source,
                axis=_time_axis(axis, spatial_dim, "TransformerDecoder"),
                memory=memory,
                memory_spatial_axis=memory_spatial_axis,
                state=state,
            )
        if spatial_dim is None or encoder is None:
            raise TypeError(
                "TransformerDecoder: call it as dec(labels, spatial_dim=..., "
                f"encoder=dec.transform_encoder(enc, axis=...)) (called at {user_location(3)})"
            )
        what = f"TransformerDecoder({_dim_str(self.vocab_dim)})"
        source = as_tensor(source, what)
        if source.sparse_dim != self.vocab_dim:
            raise DimMismatchError(
                f"{what}: source must be labels with sparse_dim {_dim_str(self.vocab_dim)}, got "
                f"{source!r} (called at {user_location(3)})"
                + lookalike_dims_note([self.vocab_dim, source.sparse_dim])
            )
        _check_spatial(source, spatial_dim, what)
        if not isinstance(encoder, list | tuple) or len(encoder) != len(self.layers):
            raise TypeError(
                f"{what}: encoder must be dec.transform_encoder(enc, axis=...) (one entry per "
                f"layer, {len(self.layers)}), got {type(encoder).__name__} "
                f"(called at {user_location(3)})"
            )
        x = self.input_embedding(source) * self.input_embedding_scale
        x = dropout_op(x, self.input_dropout, axis=self.model_dim)
        for layer, encoded in zip(self.layers, encoder, strict=True):
            x = layer(x, spatial_dim=spatial_dim, encoder=encoded)
        if self.final_layer_norm is not None:
            x = self.final_layer_norm(x)
        out: Tensor = self.logits(x)
        return out

    def _forward_predecessor(
        self,
        x: Tensor,
        *,
        axis: Dim,
        memory: Tensor | None,
        memory_spatial_axis: Dim | None,
        state: dict[str, Any] | None,
    ) -> tuple[Tensor, dict[str, Any] | None]:
        new_state: dict[str, Any] | None = None if state is None else dict(state)
        for index, layer in enumerate(self.layers):
            key = str(index)
            x, layer_state = layer(
                x,
                axis=axis,
                memory=memory,
                memory_spatial_axis=memory_spatial_axis,
                state=None if state is None else state[key],
            )
            if new_state is not None:
                new_state[key] = layer_state
        if self.norm is not None:
            x = self.norm(x)
        return x, new_state


def _label_constant(target_dim: Dim, value: int) -> Tensor:
    """``[batch]`` int32 labels, all ``value``, with sparse dim ``target_dim``."""
    layer: dict[str, Any] = {
        "class": "constant",
        "value": value,
        "shape": [batch_dim],
        "dtype": "int32",
        "sparse_dim": target_dim,
    }
    return make_layer_tensor(
        layer, make_template([batch_dim], "int32", sparse_dim=target_dim), name_hint="bos"
    )


def _shift_right(labels: Tensor, *, axis: Dim, value: int) -> Tensor:
    """``labels`` shifted by one frame along ``axis``, ``value`` in front (RETURNN ``shift_axis``)."""
    layer: dict[str, Any] = {
        "class": "shift_axis",
        "from": labels,
        "axis": axis,
        "amount": 1,
        "pad": True,
        "pad_value": value,
        "adjust_size_info": False,
    }
    return make_layer_tensor(layer, labels.template, name_hint="shift_right")


def _given(pairs: Sequence[tuple[str, object]]) -> list[str]:
    return [name for name, value in pairs if value is not None]


class Transformer(Module):
    """Transformer encoder-decoder (sequence to sequence), in two forms.

    **The predecessor's form** (returnn_common's ``nn.Transformer``; its parameter names,
    so its checkpoints load): ``model_dim`` as keyword (or left out, default 512), e.g.
    ``Transformer(model_dim=d, target_dim=vocab, num_heads=8, num_encoder_layers=6,
    num_decoder_layers=6, ff_dim=4*d, ff_activation=nn.relu, dropout=0.1,
    att_dropout=0.1, norm_eps=1e-6, norm=nn.LayerNorm, norm_first=True)``, optionally
    ``encoder=``/``decoder=`` (modules used as given), ``encoder_layer=``/``decoder_layer=``
    (copied per layer), ``enc_self_attention=``, ``dec_causal_self_attention=``,
    ``cross_attention=`` (default ``nn.dot_attention``, no parameters). Attributes
    ``encoder`` (``TransformerEncoder`` with final ``norm``), ``target_embedding``
    (``Embedding(target_dim, model_dim)``), ``decoder`` (the predecessor's
    ``TransformerDecoder`` form, final ``norm``), ``output_projection``
    (``Linear(model_dim, target_dim)``). The source must have ``model_dim`` as feature dim.

    * ``memory, logits, labels, state = model(source, source_spatial_axis=t,
      target=labels, target_spatial_axis=s)``: encoder, then an ``nn.Loop`` over ``s``
      where each step embeds the previous label (``target_bos_symbol`` at step 0), runs
      the decoder one step (``axis=nn.single_step_dim``) and projects to logits
      ``[s, batch, target_dim]`` (stacked). ``labels`` is ``None`` (teacher forcing);
      ``state`` is the loop's final ``nn.LayerState(target=, decoder=)``; ``state=`` gives
      the initial one (default ``model.default_initial_state(batch_dims=...)``). The
      predecessor's search (``target=`` an ``nn.SearchFuncInterface``) is not implemented
      (``NotImplementedError``).

    **rc's form** (rc-nn 0.1; chosen by ``model_dim`` given positionally, or ``in_dim``,
    ``custom_encoder`` or ``custom_decoder``): ``Transformer(model_dim, target_dim=vocab,
    in_dim=feat, ...)`` with ``encoder`` (``TransformerEncoder``, ``input_projection``
    if ``in_dim`` differs) and ``decoder`` (rc's ``TransformerDecoder``: embedding, cross
    attention ``CrossAttention``, logits), no parameters of its own.

    * ``model(source, source_spatial_dim=t, target=labels, target_spatial_dim=s)``:
      teacher forcing over the whole target sequence (decoder input: the labels
      shifted right with ``target_bos_symbol`` in front), returns logits
      ``[batch, s, target_dim]``; train with
      ``nn.cross_entropy(estimated=logits, target=labels, estimated_type="logits")``.
    * ``model.search(source, source_spatial_dim=t, target=labels, beam_size=4,
      max_seq_len=...)``: step-wise decoding in an ``nn.Loop`` with ``nn.choice``
      (beam search with RETURNN's search flag; without it ``choice`` follows
      ``target``), ending at ``target_eos_symbol`` (included); returns
      ``(labels [batch, out_time], out_time)`` after ``nn.decide``.

    Mixing the forms' options, or calling a model with the other form's keywords, is a
    ``TypeError`` saying which form the model has.

    Example (the predecessor's form):
        >>> import rc_nn as nn
        >>> vocab, d = nn.FeatureDim("vocab", 5), nn.FeatureDim("d", 8)
        >>> model = nn.Transformer(model_dim=d, target_dim=vocab, num_encoder_layers=1,
        ...     num_decoder_layers=1, num_heads=2)
        >>> sorted({n.split(".")[0] for n, _ in model.named_parameters()})
        ['decoder', 'encoder', 'output_projection', 'target_embedding']

    Example (rc's form):
        >>> feat = nn.FeatureDim("in", 3)
        >>> model = nn.Transformer(d, target_dim=vocab, in_dim=feat, num_encoder_layers=1,
        ...     num_decoder_layers=1, num_heads=2)
        >>> sorted({n.split(".")[1] for n, _ in model.named_parameters()})
        ['final_layer_norm', 'input_embedding', 'input_projection', 'layers', 'logits', 'norm']
    """

    def __init__(
        self,
        rc_model_dim: Dim | None = None,
        /,
        *,
        model_dim: Dim | None = None,
        target_dim: Dim,
        in_dim: Dim | None = None,
        target_bos_symbol: int = 0,
        target_eos_symbol: int = 0,
        num_heads: int | Dim = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        ff_dim: Dim | None = None,
        ff_activation: Activation = relu,
        dropout: float = 0.1,
        att_dropout: float = 0.1,
        custom_encoder: TransformerEncoder | None = None,
        custom_decoder: TransformerDecoder | None = None,
        encoder: Module | None = None,
        decoder: Module | None = None,
        encoder_layer: Module | None = None,
        decoder_layer: Module | None = None,
        norm_eps: float = 1e-6,
        norm: Any = LayerNorm,
        norm_first: bool = True,
        dec_causal_self_attention: Module | None = None,
        enc_self_attention: Module | None = None,
        cross_attention: Callable[..., Tensor] | Module | None = None,
    ) -> None:
        super().__init__()
        what = "Transformer"
        if rc_model_dim is not None and model_dim is not None:
            raise TypeError(f"{what}: model_dim is given twice (positionally and as keyword)")
        if ff_dim is NotSpecified:  # the predecessor's default marker
            ff_dim = None
        rc_options = _given(
            [
                ("model_dim (positional)", rc_model_dim),
                ("in_dim", in_dim),
                ("custom_encoder", custom_encoder),
                ("custom_decoder", custom_decoder),
            ]
        )
        predecessor_options = _given(
            [
                ("encoder", encoder),
                ("decoder", decoder),
                ("encoder_layer", encoder_layer),
                ("decoder_layer", decoder_layer),
                ("dec_causal_self_attention", dec_causal_self_attention),
                ("enc_self_attention", enc_self_attention),
                ("cross_attention", cross_attention),
            ]
        )
        if rc_options and predecessor_options:
            raise TypeError(
                f"{what}: {', '.join(rc_options)} belong to rc's form and "
                f"{', '.join(predecessor_options)} to the predecessor's form; use one form: "
                "rc's Transformer(model_dim, target_dim=..., in_dim=..., custom_encoder=..., "
                "custom_decoder=...) or the predecessor's Transformer(model_dim=..., "
                "target_dim=..., encoder=..., decoder=..., encoder_layer=..., decoder_layer=...)"
            )
        self.predecessor_form = not rc_options
        static_dim(target_dim, what, "target_dim")
        if self.predecessor_form:
            self._init_predecessor_form(
                model_dim
                if model_dim is not None
                else FeatureDim("transformer_default_model_dim", 512),
                target_dim=target_dim,
                target_bos_symbol=target_bos_symbol,
                target_eos_symbol=target_eos_symbol,
                num_heads=num_heads,
                num_encoder_layers=num_encoder_layers,
                num_decoder_layers=num_decoder_layers,
                ff_dim=ff_dim,
                ff_activation=ff_activation,
                dropout=dropout,
                att_dropout=att_dropout,
                encoder=encoder,
                decoder=decoder,
                encoder_layer=encoder_layer,
                decoder_layer=decoder_layer,
                norm_eps=norm_eps,
                norm=norm,
                norm_first=norm_first,
                dec_causal_self_attention=dec_causal_self_attention,
                enc_self_attention=enc_self_attention,
                cross_attention=cross_attention,
            )
            return
        if isinstance(num_heads, Dim):
            num_heads = int(num_heads.dimension or 0)
        model_dim = rc_model_dim if rc_model_dim is not None else model_dim
        if custom_encoder is not None:
            model_dim = model_dim or custom_encoder.model_dim
        elif model_dim is None:
            model_dim = FeatureDim("transformer-default-model-dim", 512)
        if custom_encoder is None:
            custom_encoder = TransformerEncoder(
                num_layers=num_encoder_layers,
                model_dim=model_dim,
                in_dim=in_dim,
                ff_dim=ff_dim,
                ff_activation=ff_activation,
                num_heads=num_heads,
                dropout=dropout,
                att_dropout=att_dropout,
                norm_first=norm_first,
                norm=norm,
                norm_eps=norm_eps,
            )
        elif not isinstance(custom_encoder, TransformerEncoder):
            raise TypeError(f"{what}: custom_encoder must be an nn.TransformerEncoder")
        if custom_decoder is None:
            custom_decoder = TransformerDecoder(
                custom_encoder.out_dim,
                target_dim,
                model_dim,
                num_layers=num_decoder_layers,
                ff_dim=ff_dim,
                ff_activation=ff_activation,
                dropout=dropout,
                num_heads=num_heads,
                att_dropout=att_dropout,
                norm=norm,
                norm_eps=norm_eps,
                norm_first=norm_first,
            )
        elif not isinstance(custom_decoder, TransformerDecoder) or custom_decoder.predecessor_form:
            raise TypeError(
                f"{what}: custom_decoder must be rc's nn.TransformerDecoder(encoder_dim, "
                "vocab_dim, model_dim, ...); the predecessor's TransformerDecoder(decoder_layer=...) "
                "goes with the predecessor's form, Transformer(model_dim=..., decoder=...)"
            )
        if custom_decoder.encoder_dim != custom_encoder.out_dim:
            raise DimMismatchError(
                f"{what}: the decoder attends to {_dim_str(custom_decoder.encoder_dim)}, the "
                f"encoder gives {_dim_str(custom_encoder.out_dim)}"
                + lookalike_dims_note([custom_decoder.encoder_dim, custom_encoder.out_dim])
            )
        if custom_decoder.vocab_dim != target_dim:
            raise DimMismatchError(
                f"{what}: the decoder's vocab {_dim_str(custom_decoder.vocab_dim)} is not "
                f"target_dim {_dim_str(target_dim)}"
                + lookalike_dims_note([custom_decoder.vocab_dim, target_dim])
            )
        self.model_dim = model_dim
        self.in_dim = custom_encoder.in_dim
        self.target_dim = target_dim
        self.target_bos_symbol = int(target_bos_symbol)
        self.target_eos_symbol = int(target_eos_symbol)
        self.encoder: Module = custom_encoder
        self.decoder: Module = custom_decoder

    def _init_predecessor_form(
        self,
        model_dim: Dim,
        *,
        target_dim: Dim,
        target_bos_symbol: int,
        target_eos_symbol: int,
        num_heads: int | Dim,
        num_encoder_layers: int,
        num_decoder_layers: int,
        ff_dim: Dim | None,
        ff_activation: Activation,
        dropout: float,
        att_dropout: float,
        encoder: Module | None,
        decoder: Module | None,
        encoder_layer: Module | None,
        decoder_layer: Module | None,
        norm_eps: float,
        norm: Any,
        norm_first: bool,
        dec_causal_self_attention: Module | None,
        enc_self_attention: Module | None,
        cross_attention: Callable[..., Tensor] | Module | None,
    ) -> None:
        """The predecessor's construction: same attributes, same order, same defaults."""
        what = "Transformer"
        static_dim(model_dim, what, "model_dim")
        if ff_dim is None:
            ff_dim = 4 * model_dim
        # Options shared by the default encoder and decoder layers.
        layer_options: dict[str, Any] = {
            "ff_dim": ff_dim,
            "dropout": dropout,
            "ff_activation": ff_activation,
            "norm_eps": norm_eps,
            "norm": norm,
            "norm_first": norm_first,
        }
        if encoder is not None:
            if enc_self_attention is not None or encoder_layer is not None:
                raise TypeError(
                    f"{what}: encoder= is used as given; enc_self_attention=/encoder_layer= "
                    "would be ignored, leave them out"
                )
            if not isinstance(encoder, Module):
                raise TypeError(f"{what}: encoder must be an nn.Module, got {encoder!r}")
            self.encoder = encoder
        else:
            if encoder_layer is None:
                if enc_self_attention is None:
                    enc_self_attention = _square_self_attention(
                        SelfAttention, model_dim, num_heads=num_heads, att_dropout=att_dropout
                    )
                encoder_layer = TransformerEncoderLayer(
                    model_dim,
                    **layer_options,
                    self_attention=enc_self_attention,
                )
            elif enc_self_attention is not None:
                raise TypeError(
                    f"{what}: encoder_layer= is copied as given; enc_self_attention= would be "
                    "ignored, leave it out"
                )
            if not isinstance(encoder_layer, TransformerEncoderLayer):
                raise TypeError(
                    f"{what}: encoder_layer must be an nn.TransformerEncoderLayer, got "
                    f"{encoder_layer!r}"
                )
            self.encoder = TransformerEncoder(
                encoder_layer,
                num_layers=num_encoder_layers,
                norm=_make_norm(norm, model_dim, norm_eps),
            )
        self.target_dim = target_dim
        self.target_bos_symbol = int(target_bos_symbol)
        self.target_eos_symbol = int(target_eos_symbol)
        self.target_embedding = Embedding(target_dim, model_dim)
        if decoder is not None:
            if (
                dec_causal_self_attention is not None
                or cross_attention is not None
                or decoder_layer is not None
            ):
                raise TypeError(
                    f"{what}: decoder= is used as given; dec_causal_self_attention=/"
                    "cross_attention=/decoder_layer= would be ignored, leave them out"
                )
            if not isinstance(decoder, Module):
                raise TypeError(f"{what}: decoder must be an nn.Module, got {decoder!r}")
            if isinstance(decoder, TransformerDecoder) and not decoder.predecessor_form:
                raise TypeError(
                    f"{what}: decoder= must be the predecessor's form "
                    "TransformerDecoder(decoder_layer=..., num_layers=..., norm=...); rc's "
                    "TransformerDecoder(encoder_dim, vocab_dim, ...) goes with rc's form "
                    "Transformer(model_dim, ..., custom_decoder=...)"
                )
            self.decoder = decoder
        else:
            if decoder_layer is None:
                if dec_causal_self_attention is None:
                    dec_causal_self_attention = _square_self_attention(
                        CausalSelfAttention, model_dim, num_heads=num_heads, att_dropout=att_dropout
                    )
                decoder_layer = TransformerDecoderLayer(
                    model_dim,
                    **layer_options,
                    causal_self_attention=dec_causal_self_attention,
                    enc_dec_attention=cross_attention
                    if cross_attention is not None
                    else (dot_attention),
                )
            elif dec_causal_self_attention is not None or cross_attention is not None:
                raise TypeError(
                    f"{what}: decoder_layer= is copied as given; dec_causal_self_attention=/"
                    "cross_attention= would be ignored, leave them out"
                )
            if (
                not isinstance(decoder_layer, TransformerDecoderLayer)
                or not decoder_layer.predecessor_form
            ):
                raise TypeError(
                    f"{what}: decoder_layer must be the predecessor's form "
                    "TransformerDecoderLayer(model_dim, causal_self_attention=..., "
                    f"enc_dec_attention=..., ff_dim=...), got {decoder_layer!r}"
                )
            self.decoder = TransformerDecoder(
                decoder_layer=decoder_layer,
                num_layers=num_decoder_layers,
                norm=_make_norm(norm, model_dim, norm_eps),
            )
        self.output_projection = Linear(model_dim, target_dim)
        self.model_dim = model_dim
        self.in_dim = model_dim
        self.num_heads = num_heads
        self.norm = norm
        self.norm_eps = norm_eps

    def _form_error(self, call: str) -> TypeError:
        if self.predecessor_form:
            return TypeError(
                f"Transformer: {call} belongs to rc's form; this model has the predecessor's "
                "form (built with model_dim= as keyword and none of in_dim/custom_encoder/"
                "custom_decoder): call it as model(source, source_spatial_axis=..., "
                "target=labels, target_spatial_axis=...), which returns (memory, logits, None, "
                f"state) (called at {user_location(4)})"
            )
        return TypeError(
            f"Transformer: {call} belongs to the predecessor's form; this model has rc's form "
            "(built with model_dim positionally, in_dim, custom_encoder or custom_decoder): "
            "call it as model(source, source_spatial_dim=..., target=labels, "
            "target_spatial_dim=...), which returns the logits; for the predecessor's form "
            "build Transformer(model_dim=..., target_dim=..., ...) with model_dim as keyword "
            f"(called at {user_location(4)})"
        )

    def _check_target(self, target: object, what: str) -> Tensor:
        labels = as_tensor(target, f"{what} target")
        if labels.sparse_dim != self.target_dim:
            raise DimMismatchError(
                f"{what}: target must be labels with sparse_dim {_dim_str(self.target_dim)}, got "
                f"{target!r} (called at {user_location(4)})"
                + lookalike_dims_note([self.target_dim, labels.sparse_dim])
            )
        return labels

    def default_initial_state(self, *, batch_dims: Sequence[Dim]) -> LayerState:
        """The predecessor's form's decoder loop state: ``target`` (BOS labels), ``decoder``."""
        if not self.predecessor_form:
            raise TypeError(
                "Transformer.default_initial_state belongs to the predecessor's form; rc's form "
                "keeps no state (model.search runs its own loop)"
            )
        make = getattr(self.decoder, "default_initial_state", None)
        if make is None:
            raise TypeError(
                f"Transformer: the decoder {type(self.decoder).__name__} has no "
                "default_initial_state(batch_dims=...)"
            )
        return LayerState(
            target=constant(
                value=self.target_bos_symbol, shape=list(batch_dims), sparse_dim=self.target_dim
            ),
            decoder=make(batch_dims=batch_dims),
        )

    def encode(self, source: Tensor, *, spatial_dim: Dim) -> list[CrossAttentionEncoded]:
        """rc's form: encoder output, transformed for every decoder layer's cross attention."""
        if self.predecessor_form:
            raise self._form_error("model.encode(...)")
        memory: Tensor = self.encoder(source, spatial_dim=spatial_dim)
        decoder = self.decoder
        assert isinstance(decoder, TransformerDecoder)  # rc's form (checked in __init__)
        return decoder.transform_encoder(memory, axis=spatial_dim)

    def forward(
        self,
        source: Tensor,
        *,
        source_spatial_dim: Dim | None = None,
        target: Tensor | None = None,
        target_spatial_dim: Dim | None = None,
        source_spatial_axis: Dim | None = None,
        target_spatial_axis: Dim | None = None,
        state: dict[str, Any] | None = None,
    ) -> Tensor | tuple[Tensor, Tensor, Tensor | None, LayerState]:
        """rc's form: teacher-forced logits ``[batch, target_spatial_dim, target_dim]``.

        The predecessor's form: ``(memory, logits, None, state)`` (see the class doc).
        """
        if self.predecessor_form:
            wrong = _given(
                [
                    ("source_spatial_dim=", source_spatial_dim),
                    ("target_spatial_dim=", target_spatial_dim),
                ]
            )
            if wrong:
                raise self._form_error(", ".join(wrong))
            return self._forward_predecessor(
                source,
                source_spatial_axis=source_spatial_axis,
                target=target,
                target_spatial_axis=target_spatial_axis,
                state=state,
            )
        wrong = _given(
            [
                ("source_spatial_axis=", source_spatial_axis),
                ("target_spatial_axis=", target_spatial_axis),
                ("state=", state),
            ]
        )
        if wrong:
            raise self._form_error(", ".join(wrong))
        if source_spatial_dim is None or target is None or target_spatial_dim is None:
            raise TypeError(
                "Transformer: call it as model(source, source_spatial_dim=..., target=labels, "
                f"target_spatial_dim=...) (called at {user_location(3)})"
            )
        target = self._check_target(target, "Transformer")
        require_dim(target, target_spatial_dim, "Transformer target", role="dim")
        encoded = self.encode(source, spatial_dim=source_spatial_dim)
        prev_labels = _shift_right(target, axis=target_spatial_dim, value=self.target_bos_symbol)
        out: Tensor = self.decoder(prev_labels, spatial_dim=target_spatial_dim, encoder=encoded)
        return out

    def _forward_predecessor(
        self,
        source: Tensor,
        *,
        source_spatial_axis: Dim | None,
        target: object,
        target_spatial_axis: Dim | None,
        state: dict[str, Any] | None,
    ) -> tuple[Tensor, Tensor, Tensor | None, LayerState]:
        what = "Transformer"
        if source_spatial_axis is None:
            raise TypeError(
                f"{what}: source_spatial_axis= (the source's time dim) is missing "
                f"(called at {user_location(4)})"
            )
        if target is None or (not isinstance(target, Tensor) and hasattr(target, "choice")):
            raise NotImplementedError(
                f"{what}: the predecessor's search mode (target= an nn.SearchFuncInterface, or "
                "no target) is not implemented in rc; give target=labels for teacher forcing, "
                "or decode with rc's form (Transformer(model_dim, ..., in_dim=...).search(...)) "
                f"or your own nn.Loop with nn.choice (called at {user_location(4)})"
            )
        labels = self._check_target(target, what)
        if target_spatial_axis is None:
            raise TypeError(
                f"{what}: target_spatial_axis= (the target's time dim) is missing "
                f"(called at {user_location(4)})"
            )
        require_dim(labels, target_spatial_axis, f"{what} target", role="dim")
        x = as_tensor(source, what)
        require_dim(x, self.model_dim, what)
        memory: Tensor = self.encoder(x, axis=source_spatial_axis)
        if state is None:
            remove = [d for d in (source_spatial_axis, memory.feature_dim) if d is not None]
            state = self.default_initial_state(batch_dims=memory.remaining_dims(remove=remove))
        elif not isinstance(state, dict) or set(state) != {"target", "decoder"}:
            raise TypeError(
                f"{what}: state must be an nn.LayerState(target=..., decoder=...) as from "
                f"model.default_initial_state(batch_dims=...), got {state!r:.80} "
                f"(called at {user_location(4)})"
            )
        loop = Loop(axis=target_spatial_axis)
        loop.state.target = state["target"]
        loop.state.decoder = state["decoder"]
        with loop:
            prev_target_embed = self.target_embedding(loop.state.target)
            output, loop.state.decoder = self.decoder(
                prev_target_embed,
                axis=single_step_dim,
                memory=memory,
                memory_spatial_axis=source_spatial_axis,
                state=loop.state.decoder,
            )
            logits = self.output_projection(output)
            loop.state.target = loop.unstack(labels)
            out_logits = loop.stack(logits)
        final = LayerState(target=loop.state.target, decoder=loop.state.decoder)
        return memory, out_logits, None, final

    def search(
        self,
        source: Tensor,
        *,
        source_spatial_dim: Dim,
        target: Tensor,
        beam_size: int = 4,
        max_seq_len: int = 100,
    ) -> tuple[Tensor, Dim]:
        """rc's form: beam search (``nn.choice``), the best labels ``[batch, out_time]``, ``out_time``."""
        if self.predecessor_form:
            raise NotImplementedError(
                "Transformer.search is rc's form's (Transformer(model_dim, ..., in_dim=...)); "
                "the predecessor's form has no search in rc yet (its SearchFuncInterface call "
                "is not implemented): write an nn.Loop with nn.choice over model.decoder "
                f"(called at {user_location(3)})"
            )
        target = self._check_target(target, "Transformer.search")
        encoded = self.encode(source, spatial_dim=source_spatial_dim)
        loop = Loop(max_seq_len=max_seq_len, name="search_loop")
        loop.state.label = _label_constant(self.target_dim, self.target_bos_symbol)
        with loop:
            logits: Tensor = self.decoder(
                loop.state.label, spatial_dim=single_step_dim, encoder=encoded
            )
            label = choice(logits, target=target, beam_size=beam_size, input_type="logits")
            loop.state.label = label
            loop.end(label == self.target_eos_symbol, include_eos=True)
            labels = loop.stack(label)
        return decide(labels), loop.axis
