"""The classic attention encoder-decoder for ASR: BLSTM encoder, LSTM attention decoder, beam search.

* ``BlstmSingleLayer(in_dim, dim)``: a forward LSTM ``fw`` and a backward LSTM
  ``bw`` (RETURNN native LSTM, ``direction: -1``), outputs concatenated to
  ``dim + dim``. ``BlstmEncoder(in_dim, dim, *, num_layers, time_reduction,
  dropout)``: ``layers.<i>`` with max pooling over time between layers (as the
  predecessor's ``BlstmEncoder``).
* ``LstmAttentionDecoder(encoder_dim, target_dim, ...)``: one label per step,
  MLP (additive) attention over the encoder frames, an LSTM state ``s`` fed
  with the previous label's embedding and the previous attention context, a
  maxout readout and the output logits. Parameter names follow the RETURNN
  baseline setups: ``enc_ctx``, ``target_embed``, ``s``, ``s_transformed``,
  ``energy``, ``readout_in``, ``output_prob``.
* ``LstmAttentionEncoderDecoder``: ``encoder`` + ``decoder``; ``model(...)``
  gives the logits of every target frame with teacher forcing (a loop over the
  target frames), ``model.search(...)`` decodes with ``nn.choice`` beam search
  (RETURNN's search flag) and returns the best label sequence.

The decoder step runs inside ``nn.Loop``: the LSTM uses its single-step mode
(``nn.single_step_dim``) and the decoder state (``LstmAttentionDecoderState``)
is carried by ``loop.state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from .._array import concat, dot, dropout, reduce_max, softmax, zeros
from .._containers import ModuleList
from .._dim_sites import lookalike_dims_note
from .._dimargs import static_dim
from .._dims import Dim, FeatureDim, SpatialDim, batch_dim, single_step_dim
from .._errors import DimMismatchError
from .._layer_checks import require_dim, require_float
from .._linear import Embedding, Linear
from .._loop import Loop
from .._lstm import LSTM, LstmState
from .._math import tanh
from .._module import Module
from .._pool import pool1d
from .._search import choice, decide
from .._shape import reshape, split_dims
from .._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from .._userloc import user_location

__all__ = [
    "BlstmEncoder",
    "BlstmSingleLayer",
    "LstmAttentionDecoder",
    "LstmAttentionDecoderState",
    "LstmAttentionEncoded",
    "LstmAttentionEncoderDecoder",
]


def _positive_int(value: object, what: str, arg: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what}: {arg} must be a positive int, got {value!r}")
    return value


def _time_reductions(
    time_reduction: int | Sequence[int], num_layers: int, allow_pool_last: bool
) -> list[int]:
    """Pool sizes after each layer (as the predecessor): an int is factored into primes, largest first.

    Entry ``i`` pools after layer ``i``; there are at most ``num_layers - 1`` entries
    (``num_layers`` with ``allow_pool_last``), else the first ones are merged.
    """
    if isinstance(time_reduction, bool):
        raise ValueError("BlstmEncoder: time_reduction must be an int or a list of ints")
    if isinstance(time_reduction, int):
        n = _positive_int(time_reduction, "BlstmEncoder", "time_reduction")
        factors: list[int] = []
        factor = 2
        while n > 1:
            while n % factor == 0:
                factors.insert(0, factor)
                n //= factor
            factor += 1
    else:
        factors = [_positive_int(f, "BlstmEncoder", "time_reduction") for f in time_reduction]
    if num_layers == 1 and not allow_pool_last and any(f > 1 for f in factors):
        raise ValueError(
            f"BlstmEncoder: time_reduction {factors} needs at least two layers (pooling is done "
            "between layers), or allow_pool_last=True"
        )
    limit = num_layers if allow_pool_last else num_layers - 1
    while len(factors) > limit:
        factors[:2] = [factors[0] * factors[1]]
    return factors


class BlstmSingleLayer(Module):
    """One bidirectional LSTM layer: ``fw`` and ``bw`` (``nn.LSTM``), outputs concatenated.

    ``layer(x, spatial_dim=time)`` returns ``[time, batch, dim + dim]``
    (time-major, as RETURNN's rec layer returns it).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, dim = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("lstm", 4)
    >>> layer = nn.BlstmSingleLayer(feat, dim)
    >>> [name for name, _ in layer.named_parameters()][:3]
    ['fw.param_W_re', 'fw.param_W', 'fw.param_b']
    >>> layer(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time).dims_set() == {
    ...     time, nn.batch_dim, layer.out_dim}
    True
    """

    def __init__(self, in_dim: Dim, dim: Dim) -> None:
        super().__init__()
        self.in_dim = static_dim(in_dim, "BlstmSingleLayer", "in_dim")
        self.dim = static_dim(dim, "BlstmSingleLayer", "dim")
        self.out_dim = dim + dim
        self.fw = LSTM(in_dim, dim)
        self.bw = LSTM(in_dim, dim)

    def forward(self, x: Tensor, *, spatial_dim: Dim) -> Tensor:
        """Both directions over ``spatial_dim``, concatenated on the feature dim."""
        fw, _ = self.fw(x, spatial_dim=spatial_dim)
        bw, _ = self.bw(x, spatial_dim=spatial_dim, direction=-1)
        out, _ = concat((fw, self.dim), (bw, self.dim), out_dim=self.out_dim)
        return out


class BlstmEncoder(Module):
    """A multi-layer BLSTM encoder with max pooling over time between the layers.

    ``time_reduction`` (int, factored into pool sizes, largest first, or a list
    of pool sizes, entry ``i`` after layer ``i``) downsamples the time axis between
    the layers (``pool1d`` max, ``padding="same"``), and with ``allow_pool_last``
    also after the last layer; ``dropout`` is applied to the input of every layer
    but the first; ``l2`` is the weight decay of every parameter (the predecessor's
    default 1e-4). ``enc(x, in_spatial_dim=time)`` (or ``spatial_dim=time``) returns
    ``(out, out_time)`` with ``out`` ``[out_time, batch, dim + dim]``.

    ``dim`` defaults to a new ``FeatureDim("lstm-dim", 1024)``.

    Parameter names: ``layers.<i>.fw.param_W``, ``layers.<i>.fw.param_W_re``,
    ``layers.<i>.fw.param_b`` and the same for ``bw``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, dim = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("lstm", 4)
    >>> enc = nn.BlstmEncoder(feat, dim, num_layers=2, time_reduction=2)
    >>> out, out_time = enc(nn.zeros([nn.batch_dim, time, feat]), in_spatial_dim=time)
    >>> out_time.description, enc.out_dim.dimension
    ('⌈time/2⌉', 8)
    """

    def __init__(
        self,
        in_dim: Dim,
        dim: Dim | None = None,
        *,
        num_layers: int = 6,
        time_reduction: int | Sequence[int] = 6,
        allow_pool_last: bool = False,
        l2: float = 0.0001,
        dropout: float = 0.3,
        rec_weight_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        what = "BlstmEncoder"
        if dim is None:
            dim = FeatureDim("lstm-dim", 1024)
        static_dim(in_dim, what, "in_dim")
        static_dim(dim, what, "dim")
        self.num_layers = _positive_int(num_layers, what, "num_layers")
        if not isinstance(dropout, int | float) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"{what}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        if rec_weight_dropout:
            raise NotImplementedError(
                f"{what}: rec_weight_dropout is not implemented (neither in the predecessor); "
                "leave it 0"
            )
        if isinstance(l2, bool) or not isinstance(l2, int | float) or l2 < 0:
            raise ValueError(f"{what}: l2 must be a non-negative number, got {l2!r}")
        self.allow_pool_last = bool(allow_pool_last)
        self.time_reduction = _time_reductions(time_reduction, num_layers, self.allow_pool_last)
        self.in_dim = in_dim
        self.dim = dim
        first = BlstmSingleLayer(in_dim, dim)
        self.out_dim = first.out_dim
        self.layers = ModuleList(
            [first] + [BlstmSingleLayer(self.out_dim, dim) for _ in range(num_layers - 1)]
        )
        self.l2 = float(l2)
        if self.l2:
            for param in self.parameters():
                param.weight_decay = self.l2

    def forward(
        self, x: Tensor, *, in_spatial_dim: Dim | None = None, spatial_dim: Dim | None = None
    ) -> tuple[Tensor, Dim]:
        """Encode ``x`` ``[batch, time, in_dim]``; returns ``(out, out_spatial_dim)``.

        The time dim is ``in_spatial_dim`` (the predecessor's keyword) or ``spatial_dim``.
        """
        what = f"BlstmEncoder({_dim_str(self.in_dim)} -> {_dim_str(self.out_dim)})"
        if in_spatial_dim is not None and spatial_dim is not None and in_spatial_dim != spatial_dim:
            raise TypeError(f"{what}: give the time dim once (in_spatial_dim= or spatial_dim=)")
        time = in_spatial_dim if in_spatial_dim is not None else spatial_dim
        if time is None:
            raise TypeError(
                f"{what}: the time dim is missing: enc(x, in_spatial_dim=time) "
                f"(called at {user_location(3)})"
            )
        x = as_tensor(x, what)
        require_dim(x, self.in_dim, what)
        require_dim(x, time, what, role="spatial dim")
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = dropout(x, self.dropout, axis=self.out_dim)
            x = layer(x, spatial_dim=time)
            if index < len(self.time_reduction) and self.time_reduction[index] > 1:
                x, time = pool1d(
                    x,
                    mode="max",
                    pool_size=self.time_reduction[index],
                    padding="same",
                    in_spatial_dim=time,
                )
        return x, time


class LstmAttentionEncoded(NamedTuple):
    """The encoder side of the attention, computed once before the decoder loop.

    ``enc`` ``[..., spatial_dim, encoder_dim]`` (the values), ``enc_ctx``
    ``[..., spatial_dim, att_key_dim]`` (the keys), ``spatial_dim`` the
    encoder's time dim.
    """

    enc: Tensor
    enc_ctx: Tensor
    spatial_dim: Dim


class LstmAttentionDecoderState(NamedTuple):
    """The decoder state carried from label to label: LSTM state ``s`` and attention context ``att``."""

    s: LstmState
    att: Tensor


class LstmAttentionDecoder(Module):
    """One step of the LSTM attention decoder (MLP attention, maxout readout).

    Per step, with ``y`` the previous label:
    ``s = LSTM_s([target_embed(y), att_prev])``;
    ``energy = energy(tanh(enc_ctx + s_transformed(s)))`` ``[batch, enc_time, heads]``;
    ``att = sum_t softmax_t(energy) * enc`` (heads merged into ``att_dim``);
    ``readout = max over pairs of readout_in([s, target_embed(y), att])``;
    ``logits = output_prob(readout)``.

    Use: ``encoded = dec.transform_encoder(enc, spatial_dim=enc_time)`` once,
    ``loop.state.dec = dec.default_initial_state()``, then in the loop
    ``logits, loop.state.dec = dec(prev_label, encoder=encoded, state=loop.state.dec)``.

    Dims left out get new feature dims of the predecessor setups' sizes (embed 621,
    LSTM 1024, attention key 1024, readout 1024).

    Parameters: ``enc_ctx.weight``/``bias``, ``target_embed.weight``,
    ``s.param_W``/``param_W_re``/``param_b``, ``s_transformed.weight``,
    ``energy.weight``, ``readout_in.weight``/``bias``, ``output_prob.weight``/``bias``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> enc_dim, vocab = nn.FeatureDim("enc", 6), nn.FeatureDim("vocab", 5)
    >>> dec = nn.LstmAttentionDecoder(enc_dim, vocab, embed_dim=nn.FeatureDim("emb", 3),
    ...     lstm_dim=nn.FeatureDim("s", 4), att_key_dim=nn.FeatureDim("key", 4),
    ...     readout_dim=nn.FeatureDim("readout", 6))
    >>> sorted({name.split(".")[0] for name, _ in dec.named_parameters()})
    ['enc_ctx', 'energy', 'output_prob', 'readout_in', 's', 's_transformed', 'target_embed']
    """

    def __init__(
        self,
        encoder_dim: Dim,
        target_dim: Dim,
        *,
        embed_dim: Dim | None = None,
        lstm_dim: Dim | None = None,
        att_key_dim: Dim | None = None,
        readout_dim: Dim | None = None,
        att_num_heads: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        what = "LstmAttentionDecoder"
        embed_dim = embed_dim or FeatureDim("embed", 621)
        lstm_dim = lstm_dim or FeatureDim("lstm", 1024)
        att_key_dim = att_key_dim or FeatureDim("enc-key", 1024)
        readout_dim = readout_dim or FeatureDim("readout", 1024)
        for arg, dim in (
            ("encoder_dim", encoder_dim),
            ("target_dim", target_dim),
            ("embed_dim", embed_dim),
            ("lstm_dim", lstm_dim),
            ("att_key_dim", att_key_dim),
            ("readout_dim", readout_dim),
        ):
            static_dim(dim, what, arg)
        if int(readout_dim.dimension or 0) % 2:
            raise DimMismatchError(
                f"{what}: readout_dim {_dim_str(readout_dim)} must have an even size (maxout "
                f"over pairs; at {user_location()})"
            )
        heads = _positive_int(att_num_heads, what, "att_num_heads")
        if not isinstance(dropout, int | float) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"{what}: dropout must be in [0, 1), got {dropout!r}")
        self.encoder_dim = encoder_dim
        self.target_dim = target_dim
        self.embed_dim = embed_dim
        self.lstm_dim = lstm_dim
        self.att_key_dim = att_key_dim
        self.readout_dim = readout_dim
        self.dropout = float(dropout)
        self.att_heads_dim = SpatialDim("att-heads", heads)
        self.att_dim = FeatureDim("att", heads * int(encoder_dim.dimension or 0))
        self.s_in_dim = embed_dim + self.att_dim
        self.readout_in_dim = lstm_dim + embed_dim + self.att_dim
        self.maxout_dim = FeatureDim("readout-maxout", int(readout_dim.dimension or 0) // 2)
        self.maxout_pair_dim = SpatialDim("readout-pair", 2)

        self.enc_ctx = Linear(encoder_dim, att_key_dim)
        self.target_embed = Embedding(target_dim, embed_dim)
        self.s = LSTM(self.s_in_dim, lstm_dim)
        self.s_transformed = Linear(lstm_dim, att_key_dim, with_bias=False)
        self.energy = Linear(att_key_dim, self.att_heads_dim, with_bias=False)
        self.readout_in = Linear(self.readout_in_dim, readout_dim)
        self.output_prob = Linear(self.maxout_dim, target_dim)

    def transform_encoder(self, encoder: Tensor, *, spatial_dim: Dim) -> LstmAttentionEncoded:
        """Keys of the attention (``enc_ctx``), computed once over all encoder frames."""
        what = "LstmAttentionDecoder.transform_encoder"
        encoder = as_tensor(encoder, what)
        require_dim(encoder, self.encoder_dim, what)
        require_dim(encoder, spatial_dim, what, role="spatial dim")
        require_float(encoder, what)
        return LstmAttentionEncoded(encoder, self.enc_ctx(encoder), spatial_dim)

    def default_initial_state(self) -> LstmAttentionDecoderState:
        """Zeros: LSTM state and the previous attention context ``[batch, att_dim]``.

        Examples
        --------
        >>> import rc_nn as nn
        >>> dec = nn.LstmAttentionDecoder(nn.FeatureDim("enc", 2), nn.FeatureDim("v", 3),
        ...     embed_dim=nn.FeatureDim("e", 2), lstm_dim=nn.FeatureDim("s", 2),
        ...     att_key_dim=nn.FeatureDim("k", 2), readout_dim=nn.FeatureDim("r", 2))
        >>> dec.default_initial_state().att.dims == (nn.batch_dim, dec.att_dim)
        True
        """
        return LstmAttentionDecoderState(
            s=self.s.default_initial_state(), att=zeros([batch_dim, self.att_dim])
        )

    def forward(
        self,
        prev_label: Tensor,
        *,
        encoder: LstmAttentionEncoded,
        state: LstmAttentionDecoderState,
    ) -> tuple[Tensor, LstmAttentionDecoderState]:
        """One step: logits ``[batch, target_dim]`` for the next label, and the new state."""
        what = "LstmAttentionDecoder"
        prev_label = as_tensor(prev_label, f"{what} prev_label")
        if prev_label.sparse_dim != self.target_dim:
            raise DimMismatchError(
                f"{what}: prev_label must be labels with sparse_dim {_dim_str(self.target_dim)}, "
                f"got {prev_label!r} (called at {user_location(3)})"
                + lookalike_dims_note([self.target_dim, prev_label.sparse_dim])
            )
        if not isinstance(encoder, LstmAttentionEncoded):
            raise TypeError(
                f"{what}: encoder must come from dec.transform_encoder(enc, spatial_dim=...), "
                f"got {type(encoder).__name__} (called at {user_location(3)})"
            )
        if not isinstance(state, LstmAttentionDecoderState):
            raise TypeError(
                f"{what}: state must be an LstmAttentionDecoderState (dec.default_initial_state() "
                f"or the state returned by the previous step), got {type(state).__name__} "
                f"(called at {user_location(3)})"
            )
        emb = dropout(self.target_embed(prev_label), self.dropout, axis=self.embed_dim)
        s_in, _ = concat((emb, self.embed_dim), (state.att, self.att_dim), out_dim=self.s_in_dim)
        s, s_state = self.s(s_in, state=state.s, spatial_dim=single_step_dim)
        energy_in = encoder.enc_ctx + self.s_transformed(s)
        energy = self.energy(tanh(energy_in))  # [batch, enc_time, heads]
        weights = softmax(energy, axis=encoder.spatial_dim)
        att = dot(weights, encoder.enc, reduce=encoder.spatial_dim)  # [batch, heads, enc]
        att = reshape(att, in_dims=[self.att_heads_dim, self.encoder_dim], out_dims=[self.att_dim])
        readout_in, _ = concat(
            (s, self.lstm_dim),
            (emb, self.embed_dim),
            (att, self.att_dim),
            out_dim=self.readout_in_dim,
        )
        readout_in = self.readout_in(readout_in)
        pairs = split_dims(
            readout_in, axis=self.readout_dim, dims=[self.maxout_dim, self.maxout_pair_dim]
        )
        readout = reduce_max(pairs, axis=self.maxout_pair_dim)
        readout = dropout(readout, self.dropout, axis=self.maxout_dim)
        logits = self.output_prob(readout)
        return logits, LstmAttentionDecoderState(s=s_state, att=att)


def _bos_labels(target_dim: Dim, bos: int) -> Tensor:
    """``[batch]`` int32 labels, all ``bos``, with sparse dim ``target_dim``."""
    layer: dict[str, Any] = {
        "class": "constant",
        "value": bos,
        "shape": [batch_dim],
        "dtype": "int32",
        "sparse_dim": target_dim,
    }
    return make_layer_tensor(
        layer, make_template([batch_dim], "int32", sparse_dim=target_dim), name_hint="bos"
    )


def _check_target(target: Tensor, target_dim: Dim, what: str) -> Tensor:
    target = as_tensor(target, f"{what} target")
    if target.sparse_dim != target_dim:
        raise DimMismatchError(
            f"{what}: target must be labels with sparse_dim {_dim_str(target_dim)}, got "
            f"{target!r} (called at {user_location(4)})"
            + lookalike_dims_note([target_dim, target.sparse_dim])
        )
    return target


class LstmAttentionEncoderDecoder(Module):
    """BLSTM encoder + LSTM attention decoder (the classic attention ASR baseline).

    * ``model(source, source_spatial_dim=t, target=labels, target_spatial_dim=s)``:
      teacher forcing, a loop over the target frames (the previous label is the
      ground truth, ``target_bos_symbol`` before the first); returns the logits
      ``[s, batch, target_dim]``. Train with
      ``nn.cross_entropy(estimated=logits, target=labels, estimated_type="logits")``.
    * ``model.search(source, source_spatial_dim=t, target=labels, beam_size=4,
      max_seq_len=...)``: beam search with ``nn.choice`` (with RETURNN's search flag;
      without it, ``choice`` follows ``target``), ending at ``target_eos_symbol``
      (included); returns ``(labels [batch, out_time], out_time)`` after ``nn.decide``.

    Parameter names: ``encoder.layers.<i>.{fw,bw}.*`` and ``decoder.*`` (see
    ``BlstmEncoder`` and ``LstmAttentionDecoder``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> feat, vocab = nn.FeatureDim("in", 3), nn.FeatureDim("vocab", 5)
    >>> small = nn.FeatureDim("small", 4)
    >>> model = nn.LstmAttentionEncoderDecoder(feat, vocab, encoder_dim=small, num_layers=1,
    ...     time_reduction=1, embed_dim=small, lstm_dim=small, att_key_dim=small, readout_dim=small)
    >>> len(list(model.parameters()))
    18
    """

    def __init__(
        self,
        in_dim: Dim,
        target_dim: Dim,
        *,
        encoder_dim: Dim | None = None,
        num_layers: int = 6,
        time_reduction: int | Sequence[int] = 6,
        encoder_dropout: float = 0.3,
        embed_dim: Dim | None = None,
        lstm_dim: Dim | None = None,
        att_key_dim: Dim | None = None,
        readout_dim: Dim | None = None,
        att_num_heads: int = 1,
        decoder_dropout: float = 0.0,
        target_bos_symbol: int = 0,
        target_eos_symbol: int = 0,
    ) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.target_dim = static_dim(target_dim, "LstmAttentionEncoderDecoder", "target_dim")
        self.target_bos_symbol = int(target_bos_symbol)
        self.target_eos_symbol = int(target_eos_symbol)
        self.encoder = BlstmEncoder(
            in_dim,
            encoder_dim,
            num_layers=num_layers,
            time_reduction=time_reduction,
            dropout=encoder_dropout,
        )
        self.decoder = LstmAttentionDecoder(
            self.encoder.out_dim,
            target_dim,
            embed_dim=embed_dim,
            lstm_dim=lstm_dim,
            att_key_dim=att_key_dim,
            readout_dim=readout_dim,
            att_num_heads=att_num_heads,
            dropout=decoder_dropout,
        )

    def encode(self, source: Tensor, *, spatial_dim: Dim) -> LstmAttentionEncoded:
        """Encoder output transformed for the attention (computed once per sequence)."""
        enc, enc_time = self.encoder(source, spatial_dim=spatial_dim)
        return self.decoder.transform_encoder(enc, spatial_dim=enc_time)

    def forward(
        self,
        source: Tensor,
        *,
        source_spatial_dim: Dim,
        target: Tensor,
        target_spatial_dim: Dim,
    ) -> Tensor:
        """Teacher-forced logits ``[target_spatial_dim, batch, target_dim]``."""
        target = _check_target(target, self.target_dim, "LstmAttentionEncoderDecoder")
        require_dim(target, target_spatial_dim, "LstmAttentionEncoderDecoder target", role="dim")
        encoded = self.encode(source, spatial_dim=source_spatial_dim)
        loop = Loop(axis=target_spatial_dim, name="decoder_loop")
        loop.state.label = _bos_labels(self.target_dim, self.target_bos_symbol)
        loop.state.decoder = self.decoder.default_initial_state()
        with loop:
            logits, loop.state.decoder = self.decoder(
                loop.state.label, encoder=encoded, state=loop.state.decoder
            )
            loop.state.label = loop.unstack(target)
            return loop.stack(logits)

    def search(
        self,
        source: Tensor,
        *,
        source_spatial_dim: Dim,
        target: Tensor,
        beam_size: int = 12,
        max_seq_len: int = 100,
    ) -> tuple[Tensor, Dim]:
        """Beam search (``nn.choice``): the best label sequence ``[batch, out_time]`` and ``out_time``.

        ``target`` is the extern data of the labels (``nn.choice`` follows it
        without RETURNN's search flag).
        """
        target = _check_target(target, self.target_dim, "LstmAttentionEncoderDecoder.search")
        encoded = self.encode(source, spatial_dim=source_spatial_dim)
        loop = Loop(max_seq_len=max_seq_len, name="search_loop")
        loop.state.label = _bos_labels(self.target_dim, self.target_bos_symbol)
        loop.state.decoder = self.decoder.default_initial_state()
        with loop:
            logits, loop.state.decoder = self.decoder(
                loop.state.label, encoder=encoded, state=loop.state.decoder
            )
            label = choice(logits, target=target, beam_size=beam_size, input_type="logits")
            loop.state.label = label
            loop.end(label == self.target_eos_symbol, include_eos=True)
            labels = loop.stack(label)
        return decide(labels), loop.axis
