"""Attention: ``dot_attention``, multi-head self-attention, causal and relative-positional variants.

Signatures and attribute names follow the predecessor (returnn_common), so
parameters are named ``qkv.weight``, ``qkv.bias``, ``proj.weight``, ``proj.bias``
and, for ``RelPosSelfAttention``, also ``linear_pos.weight``, ``pos_bias_u`` and
``pos_bias_v``.

Layout of the fused ``qkv`` projection (as in the predecessor, so checkpoints
port): its output dim ``2 * key_dim_total + value_dim_total`` is split into
``[num_heads, 2 * key_dim_per_head + value_dim_per_head]``, and each head's part
into query, key and value.

Self-attention needs the frames twice, as queries and as keys: the keys and
values get a new dim ``"<axis>:kv"`` with the same lengths as ``axis``
(``nn.replace_dim``), and the attention weights are normalized over it
(padding frames get weight 0).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import NamedTuple, TypeVar, overload

import rc_naming

from .._array import cast, concat, dot, dropout, softmax
from .._control import Block, current_block
from .._cum_concat import cum_concat_step
from .._dim_ops import replace_dim
from .._dim_sites import lookalike_dims_note
from .._dimargs import dims_str, static_size
from .._dims import Dim, SpatialDim, single_step_dim
from .._errors import DimMismatchError
from .._gather import gather, where
from .._init import Glorot
from .._layer_checks import require_dim, require_float
from .._linear import Linear
from .._math import activation, clip_by_value, exp
from .._module import Module
from .._parameter import Parameter
from .._range import dim_value, range_over_dim
from .._shape import reshape, split_dims
from .._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from .._userloc import user_location

__all__ = [
    "CausalSelfAttention",
    "CausalSelfAttentionState",
    "CrossAttention",
    "CrossAttentionEncoded",
    "GenericSelfAttention",
    "LearnedRelativePositionalEncoding",
    "RelPosSelfAttention",
    "SelfAttention",
    "dot_attention",
    "relative_positional_encoding",
]


def dot_attention(
    query: Tensor,
    keys: Tensor,
    values: Tensor,
    *,
    key_dim: Dim,
    axis: Dim,
    att_dropout: float = 0.1,
) -> Tensor:
    """Scaled dot-product attention: ``softmax_axis(dot(q, k) / sqrt(|key_dim|))``, dotted with ``v``.

    ``query`` has ``key_dim`` (and not ``axis``); ``keys`` have ``key_dim`` and
    ``axis``; ``values`` have ``axis``. Dims shared by all (batch, heads, query
    time) are kept. ``att_dropout`` (default 0.1, the predecessor's) drops attention
    weights in training (the mask varies along ``axis`` only, as in the predecessor).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, enc_time = nn.SpatialDim("time"), nn.SpatialDim("enc-time")
    >>> k_dim, v_dim = nn.FeatureDim("key", 4), nn.FeatureDim("value", 3)
    >>> q = nn.zeros([nn.batch_dim, time, k_dim])
    >>> k = nn.zeros([nn.batch_dim, enc_time, k_dim])
    >>> v = nn.zeros([nn.batch_dim, enc_time, v_dim])
    >>> att = nn.dot_attention(q, k, v, key_dim=k_dim, axis=enc_time)
    >>> set(att.dims) == {nn.batch_dim, time, v_dim}
    True
    """
    what = f"dot_attention(key_dim={_dim_str(key_dim)}, axis={_dim_str(axis)})"
    query = as_tensor(query, f"{what} query")
    keys = as_tensor(keys, f"{what} keys")
    values = as_tensor(values, f"{what} values")
    static_size(key_dim, what, "key_dim")
    require_dim(query, key_dim, f"{what} query", role="key dim")
    require_dim(keys, key_dim, f"{what} keys", role="key dim")
    require_dim(keys, axis, f"{what} keys", role="attention axis")
    require_dim(values, axis, f"{what} values", role="attention axis")
    if axis in query.dims:
        raise DimMismatchError(
            f"{what}: the query {query!r} has the attention axis {_dim_str(axis)} itself "
            f"(dims {dims_str(query.dims)}; at {user_location()}). For self-attention give the "
            "keys and values a new dim with nn.replace_dim, or use nn.SelfAttention."
        )
    for name, tensor in (("query", query), ("keys", keys), ("values", values)):
        require_float(tensor, f"{what} {name}")
    energy = dot(query * (float(key_dim.dimension or 1) ** -0.5), keys, reduce=key_dim)
    weights = softmax(energy, axis=axis)
    weights = dropout(weights, att_dropout, axis=axis)
    return dot(weights, values, reduce=axis)


def _split_repeated(x: Tensor, *, axis: Dim, out_dims: list[Dim]) -> list[Tensor]:
    """RETURNN ``split`` into ``out_dims``, which may repeat a dim (query and key share one)."""
    whole = make_layer_tensor(
        {"class": "split", "from": x, "axis": axis, "out_dims": list(out_dims)},
        x.template,
        name_hint="split",
    )
    parts = []
    for index, part in enumerate(out_dims):
        dims = [part if d is axis else d for d in x.dims]
        feature = part if x.feature_dim is axis else x.feature_dim
        parts.append(
            Tensor(
                make_template(dims, x.dtype, feature_dim=feature),
                root=whole.root,
                name_hint=f"split_{index}",
                parent=whole,
                sub_name=str(index),
                created_at=whole.created_at,
            )
        )
    return parts


def _per_head(total: Dim, heads: int) -> Dim:
    """The per-head part of ``total``; a new dim for one head (``total / 1`` is ``total`` itself)."""
    if heads == 1:
        return Dim(total.dimension, name=f"{total.description}:per-head", kind=total.kind)
    return total.div_left(heads)


def _check_heads(
    num_heads: int | Dim, key_dim_total: Dim, value_dim_total: Dim, att_dropout: float, what: str
) -> tuple[int, Dim]:
    """Validate the head options; return the head count and the heads dim."""
    if isinstance(num_heads, Dim):
        heads = static_size(num_heads, what, "num_heads")
        heads_dim = num_heads
    elif isinstance(num_heads, int) and not isinstance(num_heads, bool) and num_heads > 0:
        heads = num_heads
        heads_dim = SpatialDim("num_heads", num_heads)
    else:
        raise ValueError(
            f"{what}: num_heads must be a positive int or a static dim, got {num_heads!r} "
            f"(at {user_location()})"
        )
    for arg, dim in (("key_dim_total", key_dim_total), ("value_dim_total", value_dim_total)):
        size = static_size(dim, what, arg)
        if size % heads:
            raise DimMismatchError(
                f"{what}: {arg} {_dim_str(dim)} is not divisible by num_heads={heads} "
                f"(at {user_location()})"
            )
    if not 0.0 <= att_dropout < 1.0:
        raise ValueError(f"{what}: att_dropout must be in [0, 1), got {att_dropout!r}")
    return heads, heads_dim


def _merge_heads(module: GenericSelfAttention | CrossAttention, att: Tensor) -> Tensor:
    """Merge the heads of ``att`` into ``value_dim_total``, then apply ``module.proj`` (if any)."""
    # reshape, not merge_dims: RETURNN's merge_dims keeps its derived dim
    # (num_heads * value_dim_per_head) in the output even with out_dim given.
    out = reshape(
        att,
        in_dims=[module.num_heads, module.value_dim_per_head],
        out_dims=[module.value_dim_total],
    )
    if module.proj is not None:
        out = module.proj(out)
    return out


class GenericSelfAttention(Module):
    """Shared set-up of the self-attention variants: the ``qkv`` and ``proj`` projections.

    Parameters
    ----------
    in_dim
        feature dim of the input.
    proj_dim
        output dim of the final projection ``proj``; ``None``: no
        projection, the output dim is ``value_dim_total``.
    key_dim_total
        query/key dim over all heads (divisible by ``num_heads``).
    value_dim_total
        value dim over all heads (divisible by ``num_heads``).
    num_heads
        number of heads (an int or a static dim).
    with_bias
        biases in ``qkv`` and ``proj``.
    att_dropout
        dropout on the attention weights (training only).

    Examples
    --------
    >>> import rc_nn as nn
    >>> d = nn.FeatureDim("model", 8)
    >>> att = nn.GenericSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> [name for name, _ in att.named_parameters()]
    ['qkv.weight', 'qkv.bias', 'proj.weight', 'proj.bias']
    """

    def __init__(
        self,
        in_dim: Dim,
        proj_dim: Dim | None,
        *,
        key_dim_total: Dim,
        value_dim_total: Dim,
        num_heads: int | Dim,
        with_bias: bool = True,
        att_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        what = type(self).__name__
        static_size(in_dim, what, "in_dim")
        if proj_dim is not None:
            static_size(proj_dim, what, "proj_dim")
        heads, heads_dim = _check_heads(
            num_heads, key_dim_total, value_dim_total, att_dropout, what
        )
        self.in_dim = in_dim
        self.out_dim = proj_dim if proj_dim is not None else value_dim_total
        self.key_dim_total = key_dim_total
        self.value_dim_total = value_dim_total
        self.num_heads = heads_dim
        self.key_dim_per_head = _per_head(key_dim_total, heads)
        self.value_dim_per_head = _per_head(value_dim_total, heads)
        self.qkv_dim_total = 2 * key_dim_total + value_dim_total
        self.qkv_dim_per_head = 2 * self.key_dim_per_head + self.value_dim_per_head
        self.qkv = Linear(in_dim, self.qkv_dim_total, with_bias=with_bias)
        self.proj: Linear | None = None
        if proj_dim is not None:
            self.proj = Linear(value_dim_total, proj_dim, with_bias=with_bias)
        self.att_dropout = float(att_dropout)

    def _check_input(self, source: Tensor, axis: Dim) -> Tensor:
        what = f"{type(self).__name__}({_dim_str(self.in_dim)})"
        source = as_tensor(source, what)
        require_dim(source, self.in_dim, what)
        require_float(source, what)
        if not isinstance(axis, Dim):
            raise TypeError(
                f"{what}: axis must be an nn.Dim (the time axis), got {axis!r} (at {user_location()})"
            )
        if axis == single_step_dim:
            return source
        require_dim(source, axis, what, role="axis")
        if axis is self.in_dim:
            raise DimMismatchError(f"{what}: axis must be the time axis, not the feature dim")
        return source

    def forward_qkv(self, source: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Project ``source`` to per-head queries, keys and values (``[..., num_heads, *_dim_per_head]``)."""
        qkv = self.qkv(source)
        qkv = split_dims(qkv, axis=self.qkv_dim_total, dims=[self.num_heads, self.qkv_dim_per_head])
        q, k, v = _split_repeated(
            qkv,
            axis=self.qkv_dim_per_head,
            out_dims=[self.key_dim_per_head, self.key_dim_per_head, self.value_dim_per_head],
        )
        return q, k, v

    def _kv_axis(self, axis: Dim) -> Dim:
        return Dim(axis.dimension, name=f"{axis.description}:kv", kind=Dim.Types.Spatial)

    def _keys_values(self, k: Tensor, v: Tensor, axis: Dim) -> tuple[Tensor, Tensor, Dim]:
        k, kv_axis = replace_dim(k, in_dim=axis, out_dim=self._kv_axis(axis))
        v, _ = replace_dim(v, in_dim=axis, out_dim=kv_axis)
        return k, v, kv_axis

    def _softmax_attend(self, energy: Tensor, v: Tensor, kv_axis: Dim) -> Tensor:
        """Softmax over ``kv_axis``, dropout, weighted sum of ``v``, heads merged."""
        weights = dropout(softmax(energy, axis=kv_axis), self.att_dropout, axis=kv_axis)
        return _merge_heads(self, dot(weights, v, reduce=kv_axis))

    def attention(self, q: Tensor, k: Tensor, v: Tensor, *, kv_axis: Dim) -> Tensor:
        """Dot attention per head over ``kv_axis``, heads merged, then ``proj``."""
        att = dot_attention(
            q, k, v, key_dim=self.key_dim_per_head, axis=kv_axis, att_dropout=self.att_dropout
        )
        return _merge_heads(self, att)

    def forward(self, source: Tensor, *, axis: Dim) -> Tensor:
        """Attend over all frames of ``axis`` (no mask besides padding)."""
        source = self._check_input(source, axis)
        q, k, v = self.forward_qkv(source)
        k, v, kv_axis = self._keys_values(k, v, axis)
        return self.attention(q, k, v, kv_axis=kv_axis)


class SelfAttention(GenericSelfAttention):
    """Multi-head self-attention over ``axis`` (every frame attends to every frame).

    Parameters ``qkv.weight``/``qkv.bias`` (fused query, key and value projection)
    and ``proj.weight``/``proj.bias``. Called as ``att(x, axis=time_dim)``; the
    output has ``proj_dim`` in place of ``in_dim``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> x = nn.zeros([nn.batch_dim, time, d])
    >>> att = nn.SelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> set(att(x, axis=time).dims) == {nn.batch_dim, time, d}
    True
    """


class CausalSelfAttentionState(NamedTuple):
    """The loop state of a step-wise ``CausalSelfAttention`` (``att.default_initial_state(...)``).

    It holds no tensors: the keys and values of the earlier frames are kept by RETURNN's
    ``cum_concat`` layers inside the loop (each carries its own previous frame and is
    reordered with the beam in search). It exists so that the predecessor's form
    ``loop.state.att = att.default_initial_state(batch_dims=[nn.batch_dim])`` and
    ``y, loop.state.att = att(x, axis=nn.single_step_dim, state=loop.state.att)`` runs
    unchanged.

    Examples
    --------
    >>> import rc_nn as nn
    >>> d = nn.FeatureDim("model", 8)
    >>> att = nn.CausalSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> att.default_initial_state(batch_dims=[nn.batch_dim])
    CausalSelfAttentionState()
    """


class CausalSelfAttention(GenericSelfAttention):
    """Self-attention where frame ``t`` only attends to frames ``<= t`` (a decoder's self-attention).

    ``att(x, axis=time_dim)`` on the whole sequence masks future frames.
    Step-wise (decoding): ``att(x_t, axis=nn.single_step_dim)`` inside an
    ``nn.Loop`` attends to the current and all earlier frames of the loop; the
    keys and values of the earlier frames are accumulated by ``nn.cum_concat_step``
    (RETURNN ``cum_concat``, which carries them from frame to frame itself and
    reorders them with the beam in search), so no explicit state is passed. Both
    forms give the same values for the same inputs (tested in RETURNN).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> att = nn.CausalSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> set(att(nn.zeros([nn.batch_dim, time, d]), axis=time).dims) == {nn.batch_dim, time, d}
    True

    Step-wise inside a loop:
        >>> x = nn.zeros([nn.batch_dim, time, d])
        >>> with nn.Loop(axis=time) as loop:
        ...     y_t = att(loop.unstack(x), axis=nn.single_step_dim)
        ...     y = loop.stack(y_t)
        >>> y_t.dims_set() == {nn.batch_dim, d}
        True

    The predecessor's form, with a loop state (then the call returns ``(out, new_state)``):
        >>> loop = nn.Loop(axis=time)
        >>> loop.state.att = att.default_initial_state(batch_dims=[nn.batch_dim])
        >>> with loop:
        ...     y_t, loop.state.att = att(loop.unstack(x), axis=nn.single_step_dim, state=loop.state.att)
        ...     y = loop.stack(y_t)
        >>> y_t.dims_set() == {nn.batch_dim, d}
        True
    """

    def default_initial_state(self, *, batch_dims: Sequence[Dim]) -> CausalSelfAttentionState:
        """The initial loop state for step-wise attention (see ``CausalSelfAttentionState``).

        ``batch_dims`` (the predecessor's argument) are checked but not needed: the
        history starts empty in every sequence.
        """
        if isinstance(batch_dims, Dim) or not all(isinstance(d, Dim) for d in batch_dims):
            raise TypeError(
                "CausalSelfAttention.default_initial_state: batch_dims must be a list of nn.Dim, "
                f"got {batch_dims!r} (called at {user_location()})"
            )
        return CausalSelfAttentionState()

    def _step(self, source: Tensor) -> Tensor:
        source = self._check_input(source, single_step_dim)
        q, k, v = self.forward_qkv(source)
        history = Dim(None, name="self-att-history", kind=Dim.Types.Spatial)
        k_accum, _ = cum_concat_step(k, out_spatial_dim=history)
        v_accum, _ = cum_concat_step(v, out_spatial_dim=history)
        return self.attention(q, k_accum, v_accum, kv_axis=history)

    @overload
    def forward(self, source: Tensor, *, axis: Dim, state: None = None) -> Tensor: ...

    @overload
    def forward(
        self, source: Tensor, *, axis: Dim, state: CausalSelfAttentionState
    ) -> tuple[Tensor, CausalSelfAttentionState]: ...

    def forward(
        self, source: Tensor, *, axis: Dim, state: CausalSelfAttentionState | None = None
    ) -> Tensor | tuple[Tensor, CausalSelfAttentionState]:
        """Attend to the current and earlier frames of ``axis`` (or, step-wise, of the loop).

        With ``state`` (from ``default_initial_state``, carried in ``loop.state``; only
        step-wise) the result is ``(out, new_state)`` as in the predecessor, else ``out``.
        """
        if state is not None:
            if not isinstance(state, CausalSelfAttentionState):
                raise TypeError(
                    "CausalSelfAttention: state must come from att.default_initial_state(...) "
                    f"(carried in loop.state), got {type(state).__name__} "
                    f"(called at {user_location(3)})"
                )
            if axis != single_step_dim:
                raise ValueError(
                    "CausalSelfAttention: a state is only used step by step "
                    "(axis=nn.single_step_dim inside nn.Loop); on a whole sequence leave it "
                    f"out (called at {user_location(3)})"
                )
            return self._step(source), CausalSelfAttentionState()
        if axis == single_step_dim:
            return self._step(source)
        source = self._check_input(source, axis)
        q, k, v = self.forward_qkv(source)
        k, v, kv_axis = self._keys_values(k, v, axis)
        energy = dot(
            q * (float(self.key_dim_per_head.dimension or 1) ** -0.5),
            k,
            reduce=self.key_dim_per_head,
        )
        query_pos = range_over_dim(axis, sparse=False)
        key_pos, _ = replace_dim(query_pos, in_dim=axis, out_dim=kv_axis)
        energy = where(key_pos <= query_pos, energy, -1e30)
        return self._softmax_attend(energy, v, kv_axis)


# Relative positional encodings are the same for every layer of a model: computed once
# per naming root, spatial dim and feature dim (as the predecessor cached them), but a
# cached encoding is reused only where its layers are visible. Layers made inside a
# control-flow block (a cond branch, a loop, a masked computation) cannot be read outside
# of it or in a sibling block, so each entry remembers the block it was made in and a call
# from a block that cannot see it makes (and caches) a new encoding there. Making it in the
# root scope instead would break for a spatial dim that only exists inside the block.
_RelPosEntry = tuple[Block | None, tuple[Tensor, Dim, Tensor]]
_REL_POS_CACHE: weakref.WeakKeyDictionary[rc_naming.Root, dict[tuple[Dim, Dim], list[_RelPosEntry]]]
_REL_POS_CACHE = weakref.WeakKeyDictionary()


def relative_positional_encoding(spatial_dim: Dim, feat_dim: Dim) -> tuple[Tensor, Dim]:
    """Sinusoidal encodings of the relative positions from ``-(T-1)`` to ``T-1`` of ``spatial_dim``.

    Returns ``(encoding [pos, feat_dim], pos)`` where ``pos`` is the derived dim
    ``2 * T - 1`` (entry ``p`` is relative position ``p - (T_max - 1)``, with
    ``T_max`` the longest sequence of the batch). The first half of ``feat_dim``
    holds ``sin(r / 10000^(2i/F))``, the second half the cosines (computed as
    ``sin(x + pi/2)``, as in the predecessor, so the float32 values agree).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> enc, pos = nn.relative_positional_encoding(time, d)
    >>> enc.dims == (pos, d), pos.description
    (True, '(time+-1)+time')
    """
    enc, pos, _ = _rel_pos_encoding(spatial_dim, feat_dim)
    return enc, pos


def _rel_pos_encoding(spatial_dim: Dim, feat_dim: Dim) -> tuple[Tensor, Dim, Tensor]:
    """The encoding, its position dim and ``T_max - 1`` (the offset of relative position 0)."""
    what = "relative_positional_encoding"
    size = static_size(feat_dim, what, "feat_dim")
    if size % 2:
        raise DimMismatchError(
            f"{what}: feat_dim {_dim_str(feat_dim)} must have an even size (sin and cos halves)"
        )
    root = rc_naming.current_root()
    entries = _REL_POS_CACHE.setdefault(root, {}).setdefault((spatial_dim, feat_dim), [])
    block = current_block(root)
    for made_in, cached in entries:
        if made_in is None or (block is not None and block.is_inside(made_in)):
            return cached
    pos_dim, offset, rel = _rel_positions(spatial_dim)
    half = feat_dim.div_left(2)
    freq_index = cast(range_over_dim(half, sparse=False), "float32")
    inv_freq = exp(freq_index * (-2.0 * math.log(10000.0) / size))
    angles = cast(rel, "float32") * inv_freq  # [pos, half]
    enc, _ = concat(
        (activation(angles, "sin"), half),
        (activation(angles + math.pi / 2.0, "sin"), half),
        out_dim=feat_dim,
    )
    entries.append((block, (enc, pos_dim, offset)))
    return enc, pos_dim, offset


def _rel_positions(spatial_dim: Dim) -> tuple[Dim, Tensor, Tensor]:
    """``(pos_dim, offset, rel)``: the dim ``2T-1``, ``T_max - 1`` and the int positions ``[pos]``."""
    pos_dim = spatial_dim - 1 + spatial_dim
    offset = dim_value(spatial_dim) - 1  # T_max - 1: scalar int
    rel = range_over_dim(pos_dim, sparse=False) - offset
    return pos_dim, offset, rel


class LearnedRelativePositionalEncoding(Module):
    """Learned encodings of the relative positions, clipped at ``clipping`` (Shaw et al., 2018).

    Parameter ``pos_emb`` ``[2 * clipping + 1, feat_dim]``: row ``clipping + r`` encodes
    relative position ``r`` in ``-clipping .. clipping``; farther positions use the first
    or last row. Same interface as ``nn.relative_positional_encoding``:
    ``enc(spatial_dim)`` returns ``(encoding [pos, feat_dim], pos)`` with ``pos`` the
    dim ``2 * T - 1`` (entry ``p`` is relative position ``p - (T_max - 1)``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> enc = nn.LearnedRelativePositionalEncoding(d, clipping=4)
    >>> [(name, p.dims[0].dimension) for name, p in enc.named_parameters()]
    [('pos_emb', 9)]
    >>> emb, pos = enc(time)
    >>> emb.dims == (pos, d)
    True
    """

    def __init__(self, feat_dim: Dim, *, clipping: int = 16, dtype: str = "float32") -> None:
        super().__init__()
        what = "LearnedRelativePositionalEncoding"
        static_size(feat_dim, what, "feat_dim")
        if not isinstance(clipping, int) or isinstance(clipping, bool) or clipping < 1:
            raise ValueError(f"{what}: clipping must be a positive int, got {clipping!r}")
        self.feat_dim = feat_dim
        self.clipping = clipping
        self.clipped_spatial_dim = SpatialDim("learned-rel-pos", 2 * clipping + 1)
        self.pos_emb = Parameter(
            [self.clipped_spatial_dim, feat_dim], dtype=dtype, initial=Glorot()
        )

    def forward(self, spatial_dim: Dim) -> tuple[Tensor, Dim]:
        """``(encoding [pos, feat_dim], pos)`` for the relative positions of ``spatial_dim``."""
        pos_dim, _offset, rel = _rel_positions(spatial_dim)
        clipped = clip_by_value(cast(rel, "float32"), -self.clipping, self.clipping)
        index = cast(clipped, "int32") + self.clipping
        emb = gather(self.pos_emb, indices=index, axis=self.clipped_spatial_dim)
        return emb, pos_dim


class RelPosSelfAttention(GenericSelfAttention):
    """Self-attention with relative positional encoding (Transformer-XL style, as in the Conformer).

    Scores per head: ``(q_i + pos_bias_u) . k_j + (q_i + pos_bias_v) . W_pos r_{j-i}``,
    scaled by ``1/sqrt(key_dim_per_head)``, where ``r`` are the encodings of the
    relative position ``j - i`` (key frame minus query frame, the predecessor's
    convention, so its checkpoints compute the same) and ``W_pos`` is ``linear_pos``
    (no bias). The encodings are sinusoidal (``nn.relative_positional_encoding``) or,
    with ``learnable_pos_emb``, learned (``learned_pos_emb``, an
    ``nn.LearnedRelativePositionalEncoding`` clipped at ``learnable_pos_emb_clipping``).

    Options as in the predecessor: ``with_linear_pos`` (``linear_pos`` from ``in_dim``;
    without it the encodings have the key dim themselves), ``with_pos_bias``
    (``pos_bias_u``, ``pos_bias_v``, both ``[num_heads, key_dim_per_head]``),
    ``separate_pos_emb_per_head`` (one encoding per head, else one shared by all heads),
    ``pos_emb_dropout`` (on the encodings, training only).

    The relative scores are picked from the ``[time, 2*time-1]`` matrix with one
    ``gather`` (indices ``j - i + T_max - 1``) instead of the pad/reshape "shift"
    trick; the result is the same.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    >>> att = nn.RelPosSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> sorted(name for name, _ in att.named_parameters())
    ['linear_pos.weight', 'pos_bias_u', 'pos_bias_v', 'proj.bias', 'proj.weight', 'qkv.bias', 'qkv.weight']
    >>> set(att(nn.zeros([nn.batch_dim, time, d]), axis=time).dims) == {nn.batch_dim, time, d}
    True
    """

    def __init__(
        self,
        in_dim: Dim,
        proj_dim: Dim | None,
        *,
        key_dim_total: Dim,
        value_dim_total: Dim,
        num_heads: int | Dim,
        with_bias: bool = True,
        with_linear_pos: bool = True,
        with_pos_bias: bool = True,
        learnable_pos_emb: bool = False,
        learnable_pos_emb_clipping: int = 16,
        separate_pos_emb_per_head: bool = True,
        pos_emb_dropout: float = 0.0,
        att_dropout: float = 0.1,
    ) -> None:
        super().__init__(
            in_dim,
            proj_dim,
            key_dim_total=key_dim_total,
            value_dim_total=value_dim_total,
            num_heads=num_heads,
            with_bias=with_bias,
            att_dropout=att_dropout,
        )
        if not 0.0 <= pos_emb_dropout < 1.0:
            raise ValueError(
                f"RelPosSelfAttention: pos_emb_dropout must be in [0, 1), got {pos_emb_dropout!r}"
            )
        self.separate_pos_emb_per_head = bool(separate_pos_emb_per_head)
        pos_key_dim = self.key_dim_total if separate_pos_emb_per_head else self.key_dim_per_head
        self.pos_key_dim = pos_key_dim
        self.pos_emb_feat_dim = in_dim if with_linear_pos else pos_key_dim
        self.linear_pos: Linear | None = None
        if with_linear_pos:
            self.linear_pos = Linear(in_dim, pos_key_dim, with_bias=False)
        self.learned_pos_emb: LearnedRelativePositionalEncoding | None = None
        if learnable_pos_emb:
            self.learned_pos_emb = LearnedRelativePositionalEncoding(
                self.pos_emb_feat_dim, clipping=learnable_pos_emb_clipping
            )
        self.pos_bias_u: Parameter | None = None
        self.pos_bias_v: Parameter | None = None
        if with_pos_bias:
            self.pos_bias_u = Parameter([self.num_heads, self.key_dim_per_head], initial=Glorot())
            self.pos_bias_v = Parameter([self.num_heads, self.key_dim_per_head], initial=Glorot())
        self.pos_emb_dropout = float(pos_emb_dropout)

    def forward(self, source: Tensor, *, axis: Dim) -> Tensor:
        """Attend over all frames of ``axis`` with relative position scores."""
        source = self._check_input(source, axis)
        if axis == single_step_dim:
            raise NotImplementedError(
                "RelPosSelfAttention step by step (axis=nn.single_step_dim) is not implemented: "
                "the relative position scores of the new frame against all earlier frames (and "
                "the bias terms) would need the loop frame index and the history; call it on the "
                "whole sequence, or use nn.CausalSelfAttention for step-wise decoding"
            )
        if self.learned_pos_emb is not None:
            enc, pos_dim = self.learned_pos_emb(axis)
            offset = dim_value(axis) - 1
        else:
            enc, pos_dim, offset = _rel_pos_encoding(axis, self.pos_emb_feat_dim)
        enc = dropout(enc, self.pos_emb_dropout, axis=list(enc.dims))
        pos = self.linear_pos(enc) if self.linear_pos is not None else enc
        if self.separate_pos_emb_per_head:
            pos = split_dims(
                pos, axis=self.key_dim_total, dims=[self.num_heads, self.key_dim_per_head]
            )
        q, k, v = self.forward_qkv(source)
        k, v, kv_axis = self._keys_values(k, v, axis)
        kph = self.key_dim_per_head
        q_u = q + self.pos_bias_u if self.pos_bias_u is not None else q
        q_v = q + self.pos_bias_v if self.pos_bias_v is not None else q
        content = dot(q_u, k, reduce=kph)  # [B, H, T, T:kv]
        position_all = dot(q_v, pos, reduce=kph)  # [B, H, T, pos]
        query_pos = range_over_dim(axis, sparse=False)
        key_pos, _ = replace_dim(query_pos, in_dim=axis, out_dim=kv_axis)
        # Relative position j - i (key minus query), shifted to the index into pos_dim.
        indices = key_pos - query_pos + offset  # [T, T:kv]
        position = gather(position_all, indices=indices, axis=pos_dim)
        scores = (content + position) * (float(kph.dimension or 1) ** -0.5)
        return self._softmax_attend(scores, v, kv_axis)


class CrossAttentionEncoded(NamedTuple):
    """Keys and values of the encoder frames for ``CrossAttention`` (``transform_encoder``).

    ``k`` ``[..., kv_axis, num_heads, key_dim_per_head]``, ``v`` ``[..., kv_axis,
    num_heads, value_dim_per_head]``, ``kv_axis`` the encoder's time dim.
    """

    k: Tensor
    v: Tensor
    kv_axis: Dim


class CrossAttention(Module):
    """Multi-head encoder-decoder attention: decoder queries attend to the encoder frames.

    Parameters (the predecessor's names): ``q`` (``query_in_dim`` ->
    ``key_dim_total``), ``kv`` (``encoder_dim`` -> ``key_dim_total +
    value_dim_total``, split per head into key and value like ``qkv`` in the
    self-attention) and ``proj`` (``value_dim_total`` -> ``proj_dim``; none if
    ``proj_dim`` is ``None``), each with ``weight`` and (``with_bias``) ``bias``.

    ``encoded = att.transform_encoder(enc, axis=enc_time)`` computes keys and
    values once (outside a decoder loop); ``att(x, encoded)`` attends for any
    query ``x`` with ``query_in_dim``: a whole sequence ``[batch, dec_time, d]``
    or one loop frame ``[batch, d]``. Padding frames of the encoder get weight 0.

    Examples
    --------
    >>> import rc_nn as nn
    >>> enc_time, dec_time = nn.SpatialDim("enc-time"), nn.SpatialDim("dec-time")
    >>> enc_dim, d = nn.FeatureDim("enc", 6), nn.FeatureDim("model", 8)
    >>> att = nn.CrossAttention(enc_dim, d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    >>> [name for name, _ in att.named_parameters()]
    ['q.weight', 'q.bias', 'kv.weight', 'kv.bias', 'proj.weight', 'proj.bias']
    >>> encoded = att.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    >>> att(nn.zeros([nn.batch_dim, dec_time, d]), encoded).dims_set() == {nn.batch_dim, dec_time, d}
    True
    """

    def __init__(
        self,
        encoder_dim: Dim,
        query_in_dim: Dim,
        proj_dim: Dim | None,
        *,
        key_dim_total: Dim,
        value_dim_total: Dim,
        num_heads: int | Dim,
        with_bias: bool = True,
        att_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        what = "CrossAttention"
        static_size(encoder_dim, what, "encoder_dim")
        static_size(query_in_dim, what, "query_in_dim")
        if proj_dim is not None:
            static_size(proj_dim, what, "proj_dim")
        heads, heads_dim = _check_heads(
            num_heads, key_dim_total, value_dim_total, att_dropout, what
        )
        self.encoder_dim = encoder_dim
        self.query_in_dim = query_in_dim
        self.out_dim = proj_dim if proj_dim is not None else value_dim_total
        self.key_dim_total = key_dim_total
        self.value_dim_total = value_dim_total
        self.num_heads = heads_dim
        self.key_dim_per_head = _per_head(key_dim_total, heads)
        self.value_dim_per_head = _per_head(value_dim_total, heads)
        self.kv_dim_total = key_dim_total + value_dim_total
        self.kv_dim_per_head = self.key_dim_per_head + self.value_dim_per_head
        self.q = Linear(query_in_dim, key_dim_total, with_bias=with_bias)
        self.kv = Linear(encoder_dim, self.kv_dim_total, with_bias=with_bias)
        self.proj: Linear | None = None
        if proj_dim is not None:
            self.proj = Linear(value_dim_total, proj_dim, with_bias=with_bias)
        self.att_dropout = float(att_dropout)

    def transform_encoder(self, encoder: Tensor, *, axis: Dim) -> CrossAttentionEncoded:
        """Per-head keys and values of all encoder frames (compute once, e.g. before a loop)."""
        what = f"CrossAttention.transform_encoder({_dim_str(self.encoder_dim)})"
        encoder = as_tensor(encoder, what)
        require_dim(encoder, self.encoder_dim, what)
        require_float(encoder, what)
        if not isinstance(axis, Dim):
            raise TypeError(
                f"{what}: axis must be the encoder's time dim, got {axis!r} (at {user_location()})"
            )
        require_dim(encoder, axis, what, role="axis")
        kv = self.kv(encoder)
        kv = split_dims(kv, axis=self.kv_dim_total, dims=[self.num_heads, self.kv_dim_per_head])
        k, v = _split_repeated(
            kv, axis=self.kv_dim_per_head, out_dims=[self.key_dim_per_head, self.value_dim_per_head]
        )
        return CrossAttentionEncoded(k, v, axis)

    def forward_query(self, source: Tensor) -> Tensor:
        """Per-head queries ``[..., num_heads, key_dim_per_head]``."""
        q = self.q(source)
        return split_dims(q, axis=self.key_dim_total, dims=[self.num_heads, self.key_dim_per_head])

    def forward(self, source: Tensor, encoder: CrossAttentionEncoded) -> Tensor:
        """Attend from ``source`` (queries) over the encoder frames of ``encoder``."""
        what = f"CrossAttention({_dim_str(self.query_in_dim)})"
        source = as_tensor(source, what)
        require_dim(source, self.query_in_dim, what)
        require_float(source, what)
        if not isinstance(encoder, CrossAttentionEncoded):
            raise TypeError(
                f"{what}: encoder must come from att.transform_encoder(enc, axis=...), got "
                f"{type(encoder).__name__} (called at {user_location(3)})"
            )
        for tensor, dims in (
            (encoder.k, (self.num_heads, self.key_dim_per_head)),
            (encoder.v, (self.num_heads, self.value_dim_per_head)),
        ):
            if any(dim not in tensor.dims for dim in dims):
                raise DimMismatchError(
                    f"{what}: the encoder keys/values {tensor!r} lack this module's head dims "
                    f"{dims_str(list(dims))}; they were made by another CrossAttention. Use "
                    f"this module's transform_encoder (called at {user_location(3)})"
                    + lookalike_dims_note([*dims, *tensor.dims])
                )
        if encoder.kv_axis in source.dims:
            raise DimMismatchError(
                f"{what}: the query {source!r} has the encoder axis {_dim_str(encoder.kv_axis)}; "
                f"the decoder needs its own time dim (called at {user_location(3)})"
            )
        q = self.forward_query(source)
        att = dot_attention(
            q,
            encoder.k,
            encoder.v,
            key_dim=self.key_dim_per_head,
            axis=encoder.kv_axis,
            att_dropout=self.att_dropout,
        )
        return _merge_heads(self, att)


_SelfAtt = TypeVar("_SelfAtt", bound=GenericSelfAttention)


def _square_self_attention(
    cls: type[_SelfAtt], dim: Dim, *, num_heads: int | Dim, att_dropout: float
) -> _SelfAtt:
    """A ``cls`` self-attention from ``dim`` to ``dim`` with key and value dims ``dim``."""
    return cls(
        dim,
        dim,
        key_dim_total=dim,
        value_dim_total=dim,
        num_heads=num_heads,
        att_dropout=att_dropout,
    )
