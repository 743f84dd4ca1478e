"""Transformer benchmark model: 6 encoder + 6 decoder layers, model dim 512.

``build_transformer()`` builds and calls the model in the current naming root and
returns ``(root_module, description)``. If rc-nn has an encoder-decoder
Transformer (``nn.Transformer``) it is used. Otherwise the model is the 6-layer
``nn.TransformerEncoder`` plus a decoder-like stack written here from existing
ops: per layer causal self-attention, cross attention over the encoder output
(``nn.dot_attention``) and a feed-forward block, each pre-norm with a residual.
The description says which of the two was measured.
(``nn.Transformer`` is called with teacher forcing: the whole target sequence.)
"""

from __future__ import annotations

from typing import Any

import rc_nn as nn

NUM_LAYERS, MODEL_DIM, NUM_HEADS, FF_DIM, IN_DIM, VOCAB = 6, 512, 8, 2048, 80, 1000
DROPOUT = 0.1


def _decoder_stack_classes() -> tuple[type, type]:
    class CrossAttention(nn.Module):
        """Multi-head attention of the decoder states over the encoder output."""

        def __init__(self, dim: nn.Dim, num_heads: int) -> None:
            super().__init__()
            self.dim = dim
            self.heads = nn.SpatialDim("num_heads", num_heads)
            self.per_head = dim.div_left(num_heads)
            self.value_per_head = nn.FeatureDim("value-per-head", dim.dimension // num_heads)
            self.query = nn.Linear(dim, dim)
            self.key_value = nn.Linear(dim, 2 * dim)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x: nn.Tensor, enc: nn.Tensor, *, enc_axis: nn.Dim) -> nn.Tensor:
            q = nn.split_dims(self.query(x), axis=self.dim, dims=[self.heads, self.per_head])
            kv = self.key_value(enc)
            kv = nn.split_dims(kv, axis=2 * self.dim, dims=[self.heads, 2 * self.per_head])
            k, v = nn.split(
                kv, axis=2 * self.per_head, out_dims=[self.per_head, self.value_per_head]
            )
            att = nn.dot_attention(
                q, k, v, key_dim=self.per_head, axis=enc_axis, att_dropout=DROPOUT
            )
            att = nn.reshape(att, in_dims=[self.heads, self.value_per_head], out_dims=[self.dim])
            out: nn.Tensor = self.proj(att)
            return out

    class DecoderLayer(nn.Module):
        """Pre-norm decoder block: causal self-attention, cross attention, feed-forward."""

        def __init__(self, dim: nn.Dim, ff_dim: nn.Dim, num_heads: int) -> None:
            super().__init__()
            self.self_attn = nn.CausalSelfAttention(
                dim, dim, key_dim_total=dim, value_dim_total=dim, num_heads=num_heads
            )
            self.cross_attn = CrossAttention(dim, num_heads)
            self.linear_ff = nn.Linear(dim, ff_dim)
            self.linear_out = nn.Linear(ff_dim, dim)
            self.self_att_lin = nn.LayerNorm(dim)
            self.cross_att_lin = nn.LayerNorm(dim)
            self.ff_lin = nn.LayerNorm(dim)

        def forward(
            self, x: nn.Tensor, enc: nn.Tensor, *, axis: nn.Dim, enc_axis: nn.Dim
        ) -> nn.Tensor:
            x = x + nn.dropout(self.self_attn(self.self_att_lin(x), axis=axis), DROPOUT)
            x = x + nn.dropout(
                self.cross_attn(self.cross_att_lin(x), enc, enc_axis=enc_axis), DROPOUT
            )
            hidden = nn.relu(self.linear_ff(self.ff_lin(x)))
            return x + nn.dropout(self.linear_out(hidden), DROPOUT)

    return CrossAttention, DecoderLayer


def build_transformer(
    num_layers: int = NUM_LAYERS,
    model_dim: int = MODEL_DIM,
    num_heads: int = NUM_HEADS,
    ff_dim: int = FF_DIM,
) -> tuple[Any, str]:
    """Build and call the 6+6 Transformer; return ``(root module, what was measured)``.

    Inputs: ``data`` [batch, time, 80] features and ``classes`` [batch, out-time]
    target labels (sparse over a vocabulary of 1000); output: decoder logits.
    """
    time_dim, in_dim = nn.SpatialDim("time"), nn.FeatureDim("input", IN_DIM)
    out_time, vocab = nn.SpatialDim("out-time"), nn.FeatureDim("vocab", VOCAB)
    model, ff = nn.FeatureDim("model", model_dim), nn.FeatureDim("ff", ff_dim)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, out_time], sparse_dim=vocab, dtype="int32")
    )
    if hasattr(nn, "Transformer"):  # the encoder-decoder model of rc_nn.models
        transformer = nn.Transformer(
            model,
            target_dim=vocab,
            in_dim=in_dim,
            num_heads=num_heads,
            num_encoder_layers=num_layers,
            num_decoder_layers=num_layers,
            ff_dim=ff,
            dropout=DROPOUT,
            att_dropout=DROPOUT,
        )
        logits = transformer(
            data, source_spatial_dim=time_dim, target=targets, target_spatial_dim=out_time
        )
        logits.mark_as_default_output()
        return transformer, (
            f"nn.Transformer {num_layers}+{num_layers} layers (teacher forcing), dim {model_dim}, "
            f"{num_heads} heads, ff {ff_dim}, vocab {VOCAB}"
        )

    _, decoder_layer = _decoder_stack_classes()

    class EncoderDecoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.TransformerEncoder(
                num_layers=num_layers,
                model_dim=model,
                in_dim=in_dim,
                ff_dim=ff,
                num_heads=num_heads,
                dropout=DROPOUT,
                att_dropout=DROPOUT,
            )
            self.target_embed = nn.Embedding(vocab, model)
            self.decoder = nn.ModuleList(
                decoder_layer(model, ff, num_heads) for _ in range(num_layers)
            )
            self.decoder_norm = nn.LayerNorm(model)
            self.output_projection = nn.Linear(model, vocab)

        def forward(self, src: nn.Tensor, tgt: nn.Tensor) -> nn.Tensor:
            enc = self.encoder(src, spatial_dim=time_dim)
            x = self.target_embed(tgt)
            for layer in self.decoder:
                x = layer(x, enc, axis=out_time, enc_axis=time_dim)
            out: nn.Tensor = self.output_projection(self.decoder_norm(x))
            return out

    net = EncoderDecoder()
    net(data, targets).mark_as_default_output()
    return net, (
        f"nn.TransformerEncoder {num_layers} layers + decoder-like stack of {num_layers} layers "
        "(causal self-attention + cross attention via nn.dot_attention; "
        "rc_nn has no TransformerDecoder/Transformer yet)"
    )
