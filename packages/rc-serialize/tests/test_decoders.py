"""Decoders through RETURNN: LSTM single-step mode, LSTM attention encoder-decoder,
step-wise causal self-attention, Transformer decoder and encoder-decoder (training and
beam search).

Every model goes through the ``roundtrip`` fixture (RETURNN constructs the emitted
config, runs forward and training steps, the variable names equal
``named_parameters()``, our templates equal RETURNN's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn

Roundtrip = Callable[..., Any]


def _data(*dims: nn.Dim, name: str = "data") -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[nn.batch_dim, *dims]))


def _valid_frames(values: numpy.ndarray, expected: numpy.ndarray, lengths: numpy.ndarray) -> None:
    """Compare ``[T, B, ...]`` arrays on the frames within each sequence's length."""
    for b, n in enumerate(lengths):
        numpy.testing.assert_allclose(values[:n, b], expected[:n, b], rtol=1e-5, atol=1e-6)


# -- LSTM single-step mode -------------------------------------------------------------------


class _LstmBothWays(nn.Module):
    """One LSTM run over the whole sequence (native op) and step by step in a loop."""

    def __init__(self, feat: nn.Dim, hidden: nn.Dim) -> None:
        super().__init__()
        self.lstm = nn.LSTM(feat, hidden)

    def forward(
        self, x: nn.Tensor, time: nn.Dim
    ) -> tuple[nn.Tensor, nn.Tensor, nn.Tensor, nn.Tensor]:
        full, full_state = self.lstm(x, spatial_dim=time)
        loop = nn.Loop(axis=time)
        loop.state.lstm = self.lstm.default_initial_state()
        with loop:
            h, loop.state.lstm = self.lstm(
                loop.unstack(x), state=loop.state.lstm, spatial_dim=nn.single_step_dim
            )
            steps = loop.stack(h)
        return full, steps, full_state.c, loop.state.lstm.c


def test_lstm_single_step_equals_full_sequence(roundtrip: Roundtrip) -> None:
    time, feat, hidden = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("h", 4)
    x = _data(time, feat)
    net = _LstmBothWays(feat, hidden)
    full, steps, full_c, step_c = net(x, time)
    full.mark_as_default_output()
    steps.mark_as_output("steps")
    full_c.mark_as_output("full_c")
    step_c.mark_as_output("step_c")
    nn.length(time).mark_as_output("lengths")
    nn.reduce_sum(steps * steps, axis=[time, hidden]).mark_as_loss("l2")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_names == {
        "lstm/param_W/param",
        "lstm/param_W_re/param",
        "lstm/param_b/param",
    }
    assert result.serialized.network["output"]["unit"] == "nativelstm2"
    full_values, step_values = result.output(), result.output("steps")  # both [T, B, h]
    assert full_values.shape == step_values.shape
    _valid_frames(step_values, full_values, result.output("lengths"))
    # the final cell state (native op's last state == loop.state after the last frame)
    numpy.testing.assert_allclose(result.output("step_c"), result.output("full_c"), rtol=1e-5)


# -- LSTM attention encoder-decoder ----------------------------------------------------------


LSTM_AED_PARAMS = {
    *(
        f"encoder.layers.{i}.{d}.{p}"
        for i in (0, 1)
        for d in ("fw", "bw")
        for p in ("param_W", "param_W_re", "param_b")
    ),
    "decoder.enc_ctx.weight",
    "decoder.enc_ctx.bias",
    "decoder.target_embed.weight",
    "decoder.s.param_W",
    "decoder.s.param_W_re",
    "decoder.s.param_b",
    "decoder.s_transformed.weight",
    "decoder.energy.weight",
    "decoder.readout_in.weight",
    "decoder.readout_in.bias",
    "decoder.output_prob.weight",
    "decoder.output_prob.bias",
}


def _targets(vocab: nn.Dim, time: nn.Dim) -> nn.Tensor:
    return nn.get_extern_data(
        nn.Data(
            "classes",
            dim_tags=[nn.batch_dim, time],
            sparse_dim=vocab,
            available_for_inference=False,
        )
    )


def _variables(names: set[str]) -> set[str]:
    return {name.replace(".", "/") + "/param" for name in names}


def test_lstm_attention_encoder_decoder_trains(roundtrip: Roundtrip, golden_models: Any) -> None:
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    out_time = nn.SpatialDim("out-time")
    x, targets = _data(time, feat), _targets(vocab, out_time)
    model = golden_models.lstm_aed(feat, vocab)
    assert {name for name, _ in model.named_parameters()} == LSTM_AED_PARAMS
    logits = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    logits.mark_as_default_output()
    nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits").mark_as_loss("ce")
    result = roundtrip(model, train_steps=5)
    assert result.report.variable_names == _variables(LSTM_AED_PARAMS)
    losses = result.report.losses
    assert losses[-1] < losses[0], losses
    assert result.output().shape[1:] == (3, 5)  # [out-time, batch, vocab]


def test_lstm_attention_encoder_decoder_beam_search(
    roundtrip: Roundtrip, golden_models: Any
) -> None:
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    x, targets = _data(time, feat), _targets(vocab, nn.SpatialDim("out-time"))
    model = golden_models.lstm_aed(feat, vocab)
    labels, _out_time = model.search(
        x, source_spatial_dim=time, target=targets, beam_size=3, max_seq_len=6
    )
    labels.mark_as_default_output()
    # Loop layers reading the time-major BLSTM output read it batch-major (rc_nn loop_read),
    # so their templates agree with RETURNN's under search as well as in training.
    result = roundtrip(model, search=True)
    assert result.report.variable_names == _variables(LSTM_AED_PARAMS)
    unit = result.serialized.network["search_loop"]["unit"]
    assert any(layer.get("class") == "choice" for layer in unit.values())
    decided = result.output()
    assert decided.shape[0] == 3 and decided.ndim == 2  # [batch, out-time], best of the beam
    assert decided.dtype.kind == "i" and decided.max() < 5


# -- Step-wise causal self-attention ---------------------------------------------------------


class _CausalBothWays(nn.Module):
    """One CausalSelfAttention on the whole sequence (masked) and step by step in a loop."""

    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.att = nn.CausalSelfAttention(
            feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2, att_dropout=0.0
        )

    def forward(self, x: nn.Tensor, time: nn.Dim) -> tuple[nn.Tensor, nn.Tensor]:
        full = self.att(x, axis=time)
        loop = nn.Loop(axis=time)
        with loop:
            y_t = self.att(loop.unstack(x), axis=nn.single_step_dim)
            steps = loop.stack(y_t)
        return full, steps


def test_causal_self_attention_step_equals_full_sequence(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 4)
    x = _data(time, feat)
    net = _CausalBothWays(feat)
    full, steps = net(x, time)
    full.mark_as_default_output()
    steps.mark_as_output("steps")
    nn.length(time).mark_as_output("lengths")
    result = roundtrip(net)
    assert result.report.variable_names == _variables(
        {f"att.{m}.{p}" for m in ("qkv", "proj") for p in ("weight", "bias")}
    )
    unit = result.serialized.network["loop"]["unit"]
    assert sum(layer["class"] == "cum_concat" for layer in unit.values()) == 2
    full_values = result.output()  # [B, T, F]
    step_values = result.output("steps")  # [T, B, F]
    _valid_frames(step_values, full_values.transpose(1, 0, 2), result.output("lengths"))


# -- Transformer -----------------------------------------------------------------------------


def _transformer(feat: nn.Dim, vocab: nn.Dim) -> nn.Transformer:
    return nn.Transformer(
        nn.FeatureDim("model", 8),
        target_dim=vocab,
        in_dim=feat,
        num_encoder_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        ff_dim=nn.FeatureDim("ff", 12),
        dropout=0.0,
        att_dropout=0.0,
    )


def _linear(prefix: str, *, bias: bool = True) -> set[str]:
    return {f"{prefix}.weight", *([f"{prefix}.bias"] if bias else [])}


def _norm(prefix: str) -> set[str]:
    return {f"{prefix}.scale", f"{prefix}.bias"}


TRANSFORMER_PARAMS = {
    *_linear("encoder.input_projection"),
    *_linear("encoder.layers.0.self_attn.qkv"),
    *_linear("encoder.layers.0.self_attn.proj"),
    *_linear("encoder.layers.0.linear_ff"),
    *_linear("encoder.layers.0.linear_out"),
    *_norm("encoder.layers.0.self_att_norm"),
    *_norm("encoder.layers.0.ff_norm"),
    *_norm("encoder.norm"),
    "decoder.input_embedding.weight",
    *(
        name
        for i in (0,)
        for name in (
            *_linear(f"decoder.layers.{i}.self_attn.qkv"),
            *_linear(f"decoder.layers.{i}.self_attn.proj"),
            *_linear(f"decoder.layers.{i}.cross_attn.q"),
            *_linear(f"decoder.layers.{i}.cross_attn.kv"),
            *_linear(f"decoder.layers.{i}.cross_attn.proj"),
            *_linear(f"decoder.layers.{i}.linear_ff"),
            *_linear(f"decoder.layers.{i}.linear_out"),
            *_norm(f"decoder.layers.{i}.self_att_norm"),
            *_norm(f"decoder.layers.{i}.cross_att_norm"),
            *_norm(f"decoder.layers.{i}.ff_norm"),
        )
    ),
    *_norm("decoder.final_layer_norm"),
    "decoder.logits.weight",
}


def test_transformer_trains_with_teacher_forcing(roundtrip: Roundtrip) -> None:
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    out_time = nn.SpatialDim("out-time")
    x, targets = _data(time, feat), _targets(vocab, out_time)
    model = _transformer(feat, vocab)
    assert {name for name, _ in model.named_parameters()} == TRANSFORMER_PARAMS
    logits = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    logits.mark_as_default_output()
    nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits").mark_as_loss("ce")
    result = roundtrip(model, train_steps=5)
    assert result.report.variable_names == _variables(TRANSFORMER_PARAMS)
    losses = result.report.losses
    assert losses[-1] < losses[0], losses
    assert result.output().shape[0] == 3 and result.output().shape[2] == 5  # [B, out-time, V]


def test_transformer_beam_search(roundtrip: Roundtrip) -> None:
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    x, targets = _data(time, feat), _targets(vocab, nn.SpatialDim("out-time"))
    model = _transformer(feat, vocab)
    labels, _out_time = model.search(
        x, source_spatial_dim=time, target=targets, beam_size=3, max_seq_len=6
    )
    labels.mark_as_default_output()
    result = roundtrip(model, search=True)
    assert result.report.variable_names == _variables(TRANSFORMER_PARAMS)
    unit = result.serialized.network["search_loop"]["unit"]
    classes = [layer["class"] for layer in unit.values()]
    assert classes.count("choice") == 1 and classes.count("cum_concat") == 2  # k and v
    decided = result.output()
    assert decided.shape[0] == 3 and decided.ndim == 2
    assert decided.dtype.kind == "i" and decided.max() < 5


def test_transformer_decoder_step_equals_full_sequence(
    roundtrip: Roundtrip, golden_models: Any
) -> None:
    enc_time, enc_dim = nn.SpatialDim("enc-time"), nn.FeatureDim("enc", 4)
    time, vocab = nn.SpatialDim("out-time"), nn.FeatureDim("vocab", 5)
    enc = _data(enc_time, enc_dim)
    labels = nn.get_extern_data(nn.Data("labels", dim_tags=[nn.batch_dim, time], sparse_dim=vocab))
    net = golden_models.DecoderBothWays(enc_dim, vocab, num_layers=1)
    full, steps = net(enc, enc_time, labels, time)
    full.mark_as_default_output()
    steps.mark_as_output("steps")
    nn.length(time).mark_as_output("lengths")
    result = roundtrip(net)
    full_values = result.output()  # [B, T, V]
    _valid_frames(result.output("steps"), full_values.transpose(1, 0, 2), result.output("lengths"))


# -- Transformer, the predecessor's form ----------------------------------------------------


class _PredecessorTransformerBothWays(nn.Module):
    """returnn_common's nn.Transformer (its decoder loop) and the same from its parts.

    The parts: the decoder over the whole sequence (``state=None``, causal) on the
    embedded labels shifted right with BOS, i.e. what each loop step sees.
    """

    def __init__(self, model: nn.Dim, vocab: nn.Dim, *, norm_first: bool) -> None:
        super().__init__()
        self.transformer = nn.Transformer(
            model_dim=model,
            target_dim=vocab,
            target_bos_symbol=2,
            num_heads=2,
            num_encoder_layers=1,
            num_decoder_layers=2,
            ff_dim=nn.FeatureDim("ff", 12),
            dropout=0.0,
            att_dropout=0.0,
            norm_first=norm_first,
        )

    def forward(
        self, x: nn.Tensor, time: nn.Dim, targets: nn.Tensor, out_time: nn.Dim
    ) -> tuple[nn.Tensor, nn.Tensor]:
        t = self.transformer
        memory, logits, labels, _state = t(
            x, source_spatial_axis=time, target=targets, target_spatial_axis=out_time
        )
        assert labels is None
        prev, _ = nn.prev_target_seq(targets, spatial_dim=out_time, bos_idx=2, out_one_longer=False)
        dec, _ = t.decoder(
            t.target_embedding(prev),
            axis=out_time,
            memory=memory,
            memory_spatial_axis=time,
            state=None,
        )
        return logits, t.output_projection(dec)


@pytest.mark.parametrize("norm_first", [True, False])
def test_predecessor_transformer_loop_equals_parts_and_trains(
    roundtrip: Roundtrip, norm_first: bool
) -> None:
    time, out_time = nn.SpatialDim("time"), nn.SpatialDim("out-time")
    model, vocab = nn.FeatureDim("model", 8), nn.FeatureDim("vocab", 5)
    x, targets = _data(time, model), _targets(vocab, out_time)
    net = _PredecessorTransformerBothWays(model, vocab, norm_first=norm_first)
    logits, parts = net(x, time, targets, out_time)
    logits.mark_as_default_output()
    parts.mark_as_output("parts")
    nn.length(out_time).mark_as_output("lengths")
    nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits").mark_as_loss("ce")
    result = roundtrip(net, train_steps=5)
    names = result.report.variable_names
    assert "transformer/target_embedding/weight/param" in names
    assert "transformer/output_projection/bias/param" in names
    assert not any("cross_attn" in n or "input_embedding" in n for n in names)
    losses = result.report.losses
    assert losses[-1] < losses[0], losses
    assert logits.dims == (out_time, nn.batch_dim, vocab)  # stacked by the loop
    assert parts.dims == (nn.batch_dim, out_time, vocab)
    _valid_frames(
        result.output(),
        result.output("parts").transpose(1, 0, 2),
        result.output("lengths"),
    )


# -- Transformer decoder, the predecessor's form ---------------------------------------------


class _PredecessorDecoder(nn.Module):
    """returnn_common's TransformerDecoder(decoder_layer=, num_layers=, norm=), two ways.

    Step by step in a loop with the decoder state in ``loop.state`` (the predecessor's
    only way) and over the whole sequence (``state=None``, causal).
    """

    def __init__(self, model: nn.Dim) -> None:
        super().__init__()
        att = nn.CausalSelfAttention(
            model, model, key_dim_total=model, value_dim_total=model, num_heads=2
        )
        layer = nn.TransformerDecoderLayer(
            model,
            causal_self_attention=att,
            enc_dec_attention=nn.dot_attention,
            ff_dim=nn.FeatureDim("ff", 12),
            dropout=0.0,
        )
        self.decoder = nn.TransformerDecoder(
            decoder_layer=layer, num_layers=2, norm=nn.LayerNorm(model)
        )

    def forward(
        self, x: nn.Tensor, time: nn.Dim, memory: nn.Tensor, enc_time: nn.Dim
    ) -> tuple[nn.Tensor, nn.Tensor]:
        full, no_state = self.decoder(
            x, axis=time, memory=memory, memory_spatial_axis=enc_time, state=None
        )
        assert no_state is None
        loop = nn.Loop(axis=time)
        loop.state.dec = self.decoder.default_initial_state(batch_dims=[nn.batch_dim])
        with loop:
            y, loop.state.dec = self.decoder(
                loop.unstack(x),
                axis=nn.single_step_dim,
                memory=memory,
                memory_spatial_axis=enc_time,
                state=loop.state.dec,
            )
            steps = loop.stack(y)
        return full, steps


def test_transformer_decoder_predecessor_form(roundtrip: Roundtrip) -> None:
    """The predecessor's names (cross attention = nn.dot_attention, no parameters); step == full."""
    time, enc_time, model = (
        nn.SpatialDim("time"),
        nn.SpatialDim("enc-time"),
        nn.FeatureDim("model", 8),
    )
    x = _data(time, model)
    memory = _data(enc_time, model, name="memory")
    net = _PredecessorDecoder(model)
    full, steps = net(x, time, memory, enc_time)
    full.mark_as_default_output()
    steps.mark_as_output("steps")
    nn.length(time).mark_as_output("lengths")
    names = {name for name, _ in net.named_parameters()}
    per_layer = [
        "self_attn.qkv.weight",
        "self_attn.qkv.bias",
        "self_attn.proj.weight",
        "self_attn.proj.bias",
        "linear_ff.weight",
        "linear_ff.bias",
        "linear_out.weight",
        "linear_out.bias",
        *(
            f"{n}.{p}"
            for n in ("self_att_norm", "cross_att_norm", "ff_norm")
            for p in ("scale", "bias")
        ),
    ]
    assert names == {
        *(f"decoder.layers.{i}.{p}" for i in (0, 1) for p in per_layer),
        "decoder.norm.scale",
        "decoder.norm.bias",
    }
    result = roundtrip(net)
    full_values = result.output()  # [B, T, F]
    _valid_frames(result.output("steps"), full_values.transpose(1, 0, 2), result.output("lengths"))
