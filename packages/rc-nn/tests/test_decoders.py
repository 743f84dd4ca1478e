"""TF-free tests of the decoders: LSTM single-step mode, step-wise causal self-attention,
cross attention, Transformer decoder / encoder-decoder, LSTM attention encoder-decoder.

Templates, parameter names, the emitted layer dicts and errors; RETURNN runs them in
``packages/rc-serialize/tests/test_decoders.py``.
"""

from __future__ import annotations

import pytest

import rc_nn as nn
from rc_nn.models._lstm_attention import _time_reductions

THIS_FILE = __file__


def _labels(vocab: nn.Dim, time: nn.Dim, name: str = "labels") -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[nn.batch_dim, time], sparse_dim=vocab))


def _classes_in(tensor: nn.Tensor) -> set[str]:
    """Layer classes of ``tensor`` and everything it depends on (through layer dicts)."""
    seen: set[int] = set()
    classes: set[str] = set()
    todo = [tensor]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.layer_dict is not None:
            classes.add(str(t.layer_dict.get("class")))
            stack: list[object] = list(t.layer_dict.values())
            while stack:
                item = stack.pop()
                if isinstance(item, nn.Tensor):
                    todo.append(item)
                elif isinstance(item, list | tuple):
                    stack.extend(item)
                elif isinstance(item, dict):
                    stack.extend(item.values())
        parent = getattr(t, "parent", None)
        if isinstance(parent, nn.Tensor):
            todo.append(parent)
    return classes


# -- LSTM single-step mode -------------------------------------------------------------------


def test_lstm_single_step_in_loop() -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("h", 4)
    x = nn.zeros([nn.batch_dim, time, feat])
    lstm = nn.LSTM(feat, hid)
    loop = nn.Loop(axis=time)
    loop.state.lstm = lstm.default_initial_state()
    with loop:
        h, loop.state.lstm = lstm(
            loop.unstack(x), state=loop.state.lstm, spatial_dim=nn.single_step_dim
        )
        c = loop.state.lstm.c
        ys = loop.stack(h)
    assert h.dims_set() == {nn.batch_dim, hid} and c.dims_set() == {nn.batch_dim, hid}
    assert ys.dims == (time, nn.batch_dim, hid)
    classes = _classes_in(h)
    # our ops on our parameters, not the native op
    assert {"dot", "split", "activation", "combine"} <= classes
    assert "rec" not in classes
    assert [name for name, _ in lstm.named_parameters()] == ["param_W_re", "param_W", "param_b"]


def test_lstm_single_step_without_state_starts_from_zeros() -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("h", 4)
    x = nn.zeros([nn.batch_dim, time, feat])
    lstm = nn.LSTM(feat, hid)
    with nn.Loop(axis=time) as loop:
        h, state = lstm(loop.unstack(x), spatial_dim=nn.single_step_dim)
        _ = loop.stack(h)
    assert state.h is h and state.c.dims_set() == {nn.batch_dim, hid}


def test_lstm_single_step_state_errors() -> None:
    feat, hid = nn.FeatureDim("f", 3), nn.FeatureDim("h", 4)
    lstm = nn.LSTM(feat, hid)
    x_t = nn.zeros([nn.batch_dim, feat])
    bad = nn.zeros([nn.batch_dim, nn.FeatureDim("other", 4)])
    with pytest.raises(nn.DimMismatchError, match=r"h\(4\)") as info:
        lstm(x_t, state=nn.LstmState(h=bad, c=bad), spatial_dim=nn.single_step_dim)
    assert THIS_FILE in str(info.value)
    with pytest.raises(ValueError, match="single step"):
        lstm(x_t, spatial_dim=nn.single_step_dim, direction=-1)


def test_lstm_backward_direction_layer_option() -> None:
    time, feat, hid = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("h", 4)
    y, _ = nn.LSTM(feat, hid)(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time, direction=-1)
    assert y.layer_dict is not None and y.layer_dict["direction"] == -1
    y2, _ = nn.LSTM(feat, hid)(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time)
    assert y2.layer_dict is not None and "direction" not in y2.layer_dict


# -- cum_concat_step and step-wise causal self-attention -------------------------------------


def test_cum_concat_step_template_and_errors() -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = nn.zeros([nn.batch_dim, time, feat])
    with pytest.raises(NotImplementedError, match=r"inside an nn\.Loop"):
        nn.cum_concat_step(nn.zeros([nn.batch_dim, feat]))
    with nn.Loop(axis=time) as loop:
        x_t = loop.unstack(x)
        acc, hist = nn.cum_concat_step(x_t)
        with pytest.raises(nn.AxisError, match="must be dynamic"):
            nn.cum_concat_step(x_t, out_spatial_dim=nn.FeatureDim("static", 3))
        with pytest.raises(nn.AxisError, match=r"new nn\.Dim"):
            nn.cum_concat_step(x_t, out_spatial_dim=feat)
        _ = loop.stack(nn.reduce_sum(acc, axis=hist))
    assert acc.dims == (nn.batch_dim, hist, feat) and hist.dimension is None
    assert acc.layer_dict is not None and acc.layer_dict["class"] == "cum_concat"
    assert acc.layer_dict["out_spatial_dim"] is hist


def test_causal_self_attention_step_uses_cum_concat() -> None:
    time, d = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    x = nn.zeros([nn.batch_dim, time, d])
    att = nn.CausalSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    with nn.Loop(axis=time) as loop:
        y_t = att(loop.unstack(x), axis=nn.single_step_dim)
        y = loop.stack(y_t)
    assert y_t.dims_set() == {nn.batch_dim, d}
    assert y.dims_set() == {time, nn.batch_dim, d}
    assert "cum_concat" in _classes_in(y_t)
    # same parameters as the whole-sequence form
    assert [n for n, _ in att.named_parameters()] == [
        "qkv.weight",
        "qkv.bias",
        "proj.weight",
        "proj.bias",
    ]


# -- Cross attention -------------------------------------------------------------------------


def _cross(
    num_heads: int = 2,
) -> tuple[nn.CrossAttention, nn.Tensor, nn.Dim, nn.Dim, nn.Dim, nn.Dim]:
    enc_time, dec_time = nn.SpatialDim("enc-time"), nn.SpatialDim("dec-time")
    enc_dim, d = nn.FeatureDim("enc", 6), nn.FeatureDim("model", 8)
    att = nn.CrossAttention(enc_dim, d, d, key_dim_total=d, value_dim_total=d, num_heads=num_heads)
    enc = nn.zeros([nn.batch_dim, enc_time, enc_dim])
    return att, enc, enc_time, dec_time, enc_dim, d


def test_cross_attention_names_and_dims() -> None:
    att, enc, enc_time, dec_time, _enc_dim, d = _cross()
    assert [n for n, _ in att.named_parameters()] == [
        "q.weight",
        "q.bias",
        "kv.weight",
        "kv.bias",
        "proj.weight",
        "proj.bias",
    ]
    assert att.kv.out_dim.dimension == 16
    encoded = att.transform_encoder(enc, axis=enc_time)
    assert encoded.kv_axis is enc_time
    assert encoded.k.dims_set() == {nn.batch_dim, enc_time, att.num_heads, att.key_dim_per_head}
    assert encoded.v.dims_set() == {nn.batch_dim, enc_time, att.num_heads, att.value_dim_per_head}
    full = att(nn.zeros([nn.batch_dim, dec_time, d]), encoded)
    assert full.dims_set() == {nn.batch_dim, dec_time, d}
    step = att(nn.zeros([nn.batch_dim, d]), encoded)
    assert step.dims_set() == {nn.batch_dim, d}


def test_cross_attention_without_projection_one_head() -> None:
    enc_time, enc_dim = nn.SpatialDim("enc-time"), nn.FeatureDim("enc", 6)
    q_dim, k_dim, v_dim = nn.FeatureDim("q", 5), nn.FeatureDim("k", 4), nn.FeatureDim("v", 3)
    att = nn.CrossAttention(
        enc_dim, q_dim, None, key_dim_total=k_dim, value_dim_total=v_dim, num_heads=1
    )
    assert att.proj is None and att.out_dim is v_dim
    encoded = att.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    assert att(nn.zeros([nn.batch_dim, q_dim]), encoded).dims_set() == {nn.batch_dim, v_dim}


def test_cross_attention_errors() -> None:
    att, enc, enc_time, _dec_time, enc_dim, d = _cross()
    with pytest.raises(TypeError, match="transform_encoder") as info:
        att(nn.zeros([nn.batch_dim, d]), enc)
    assert THIS_FILE in str(info.value)
    encoded = att.transform_encoder(enc, axis=enc_time)
    with pytest.raises(nn.DimMismatchError, match="encoder axis"):
        att(nn.zeros([nn.batch_dim, enc_time, d]), encoded)
    with pytest.raises(nn.DimMismatchError, match=r"model\(8\)"):
        att(nn.zeros([nn.batch_dim, enc_dim]), encoded)
    with pytest.raises(nn.DimMismatchError, match="not divisible"):
        nn.CrossAttention(enc_dim, d, d, key_dim_total=d, value_dim_total=d, num_heads=3)
    with pytest.raises(nn.DimMismatchError, match="no axis"):
        att.transform_encoder(enc, axis=nn.SpatialDim("elsewhere"))


# -- Transformer decoder and encoder-decoder -------------------------------------------------


def test_transformer_decoder_layer_names_and_modes() -> None:
    enc_time, dec_time = nn.SpatialDim("enc-time"), nn.SpatialDim("dec-time")
    enc_dim, d = nn.FeatureDim("enc", 6), nn.FeatureDim("model", 8)
    layer = nn.TransformerDecoderLayer(enc_dim, d, ff_dim=nn.FeatureDim("ff", 12), num_heads=2)
    prefixes = sorted({name.rsplit(".", 1)[0] for name, _ in layer.named_parameters()})
    assert prefixes == [
        "cross_att_norm",
        "cross_attn.kv",
        "cross_attn.proj",
        "cross_attn.q",
        "ff_norm",
        "linear_ff",
        "linear_out",
        "self_att_norm",
        "self_attn.proj",
        "self_attn.qkv",
    ]
    encoded = layer.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    full = layer(nn.zeros([nn.batch_dim, dec_time, d]), spatial_dim=dec_time, encoder=encoded)
    assert full.dims_set() == {nn.batch_dim, dec_time, d}
    x = nn.zeros([nn.batch_dim, dec_time, d])
    with nn.Loop(axis=dec_time) as loop:
        step = layer(loop.unstack(x), spatial_dim=nn.single_step_dim, encoder=encoded)
        _ = loop.stack(step)
    assert step.dims_set() == {nn.batch_dim, d}
    post = nn.TransformerDecoderLayer(enc_dim, d, num_heads=2, norm_first=False)
    post_encoded = post.transform_encoder(
        nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time
    )
    assert post(x, spatial_dim=dec_time, encoder=post_encoded).dims_set() == {
        nn.batch_dim,
        dec_time,
        d,
    }


def test_transformer_decoder_layer_errors() -> None:
    enc_dim, d = nn.FeatureDim("enc", 6), nn.FeatureDim("model", 8)
    with pytest.raises(TypeError, match="CausalSelfAttention"):
        nn.TransformerDecoderLayer(
            enc_dim,
            d,
            num_heads=2,
            self_attention=nn.SelfAttention(  # type: ignore[arg-type]
                d, d, key_dim_total=d, value_dim_total=d, num_heads=2
            ),
        )
    other = nn.FeatureDim("other", 6)
    with pytest.raises(nn.DimMismatchError, match="cross_attention"):
        nn.TransformerDecoderLayer(
            enc_dim,
            d,
            num_heads=2,
            cross_attention=nn.CrossAttention(
                other, d, d, key_dim_total=d, value_dim_total=d, num_heads=2
            ),
        )
    layer = nn.TransformerDecoderLayer(enc_dim, d, num_heads=2)
    enc_time = nn.SpatialDim("e")
    encoded = layer.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    with pytest.raises(nn.DimMismatchError, match="spatial dim"):
        layer(nn.zeros([nn.batch_dim, d]), spatial_dim=nn.SpatialDim("t"), encoder=encoded)
    other_layer = nn.TransformerDecoderLayer(enc_dim, d, num_heads=2)
    with pytest.raises(nn.DimMismatchError, match="another CrossAttention"):
        dec_time = nn.SpatialDim("dec-time")
        other_layer(nn.zeros([nn.batch_dim, dec_time, d]), spatial_dim=dec_time, encoder=encoded)


def test_transformer_decoder_full_and_errors() -> None:
    enc_time, dec_time = nn.SpatialDim("enc-time"), nn.SpatialDim("dec-time")
    enc_dim, vocab, d = nn.FeatureDim("enc", 6), nn.FeatureDim("vocab", 5), nn.FeatureDim("d", 8)
    dec = nn.TransformerDecoder(enc_dim, vocab, d, num_layers=2, num_heads=2)
    assert dec.input_embedding_scale == pytest.approx(8**0.5)
    assert "logits.bias" not in dict(dec.named_parameters())
    encoded = dec.transform_encoder(nn.zeros([nn.batch_dim, enc_time, enc_dim]), axis=enc_time)
    assert len(encoded) == 2
    logits = dec(_labels(vocab, dec_time), spatial_dim=dec_time, encoder=encoded)
    assert logits.dims_set() == {nn.batch_dim, dec_time, vocab}
    with pytest.raises(nn.DimMismatchError, match="sparse_dim") as info:
        dec(nn.zeros([nn.batch_dim, dec_time, d]), spatial_dim=dec_time, encoder=encoded)
    assert THIS_FILE in str(info.value)
    with pytest.raises(TypeError, match="one entry per layer"):
        dec(_labels(vocab, dec_time, "labels2"), spatial_dim=dec_time, encoder=encoded[:1])
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerDecoder(enc_dim, vocab, d, num_layers=0)
    copied = nn.TransformerDecoder(
        enc_dim,
        vocab,
        decoder_layer=nn.TransformerDecoderLayer(enc_dim, d, num_heads=2),
        num_layers=2,
    )
    weights = [p for n, p in copied.named_parameters() if n.endswith("self_attn.qkv.weight")]
    assert len(weights) == 2 and weights[0] is not weights[1]  # fresh parameters per copy


def test_transformer_forward_and_search_templates() -> None:
    time, out_time = nn.SpatialDim("time"), nn.SpatialDim("out-time")
    feat, vocab, d = nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5), nn.FeatureDim("d", 8)
    model = nn.Transformer(
        d, target_dim=vocab, in_dim=feat, num_encoder_layers=1, num_decoder_layers=1, num_heads=2
    )
    x = nn.zeros([nn.batch_dim, time, feat])
    targets = _labels(vocab, out_time, "classes")
    logits = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    assert logits.dims_set() == {nn.batch_dim, out_time, vocab}
    assert "shift_axis" in _classes_in(logits)
    labels, search_time = model.search(
        x, source_spatial_dim=time, target=targets, beam_size=3, max_seq_len=5
    )
    assert labels.dims == (nn.batch_dim, search_time) and labels.sparse_dim is vocab
    assert labels.layer_dict is not None and labels.layer_dict["class"] == "decide"
    with pytest.raises(nn.DimMismatchError, match="sparse_dim"):
        model(
            x,
            source_spatial_dim=time,
            target=nn.zeros([nn.batch_dim, out_time]),
            target_spatial_dim=out_time,
        )
    with pytest.raises(nn.DimMismatchError, match="vocab"):
        nn.Transformer(
            d,
            target_dim=nn.FeatureDim("other-vocab", 5),
            custom_decoder=nn.TransformerDecoder(d, vocab, d, num_layers=1, num_heads=2),
            custom_encoder=nn.TransformerEncoder(model_dim=d, num_layers=1, num_heads=2),
        )


def _predecessor_transformer_params(num_layers: int) -> set[str]:
    """The predecessor's ``nn.Transformer`` parameter names (from its checkpoints)."""
    names = {
        "target_embedding.weight",
        "output_projection.weight",
        "output_projection.bias",
        "encoder.norm.scale",
        "encoder.norm.bias",
        "decoder.norm.scale",
        "decoder.norm.bias",
    }
    for i in range(num_layers):
        for part in ("encoder", "decoder"):
            for sub in ("self_attn.qkv", "self_attn.proj", "linear_ff", "linear_out"):
                names |= {f"{part}.layers.{i}.{sub}.weight", f"{part}.layers.{i}.{sub}.bias"}
            norms = ["self_att_norm", "ff_norm"] + (["cross_att_norm"] if part == "decoder" else [])
            for norm in norms:
                names |= {f"{part}.layers.{i}.{norm}.scale", f"{part}.layers.{i}.{norm}.bias"}
    return names


def test_transformer_predecessor_form() -> None:
    time, out_time = nn.SpatialDim("time"), nn.SpatialDim("out-time")
    vocab, d = nn.FeatureDim("vocab", 5), nn.FeatureDim("d", 8)
    model = nn.Transformer(
        model_dim=d,
        target_dim=vocab,
        num_heads=2,
        num_encoder_layers=2,
        num_decoder_layers=2,
        ff_dim=nn.FeatureDim("ff", 12),
    )
    assert model.predecessor_form
    params = dict(model.named_parameters())
    assert set(params) == _predecessor_transformer_params(2)
    assert params["target_embedding.weight"].dims == (vocab, d)
    assert params["output_projection.weight"].dims == (d, vocab)
    assert (
        params["decoder.layers.0.linear_ff.weight"]
        is not params["decoder.layers.1.linear_ff.weight"]
    )
    x = nn.zeros([nn.batch_dim, time, d])
    targets = _labels(vocab, out_time, "pred_targets")
    memory, logits, labels, state = model(
        x, source_spatial_axis=time, target=targets, target_spatial_axis=out_time
    )
    assert memory.dims_set() == {nn.batch_dim, time, d}
    assert logits.dims_set() == {nn.batch_dim, out_time, vocab}
    assert labels is None
    assert isinstance(state, nn.LayerState) and set(state) == {"target", "decoder"}
    assert state["target"].sparse_dim is vocab
    # the BOS label of the first step: the initial state of the decoder loop
    init = model.default_initial_state(batch_dims=[nn.batch_dim])
    assert init["target"].dims == (nn.batch_dim,) and init["target"].sparse_dim is vocab
    assert init["target"].layer_dict is not None and init["target"].layer_dict["value"] == 0
    # a given initial state is used
    out = model(
        x, source_spatial_axis=time, target=targets, target_spatial_axis=out_time, state=init
    )
    assert len(out) == 4


def test_transformer_predecessor_form_components() -> None:
    d, vocab = nn.FeatureDim("d", 8), nn.FeatureDim("vocab", 5)
    ff = nn.FeatureDim("ff", 6)
    enc_att = nn.SelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    dec_att = nn.CausalSelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    model = nn.Transformer(
        model_dim=d,
        target_dim=vocab,
        num_encoder_layers=1,
        num_decoder_layers=1,
        ff_dim=ff,
        enc_self_attention=enc_att,
        dec_causal_self_attention=dec_att,
    )
    assert set(dict(model.named_parameters())) == _predecessor_transformer_params(1)
    # copied (fresh parameters), as in the predecessor
    assert model.encoder.layers[0].self_attn is not enc_att
    layer = nn.TransformerDecoderLayer(
        d, causal_self_attention=dec_att, enc_dec_attention=nn.dot_attention, ff_dim=ff
    )
    model = nn.Transformer(model_dim=d, target_dim=vocab, num_decoder_layers=3, decoder_layer=layer)
    assert len(model.decoder.layers) == 3
    decoder = nn.TransformerDecoder(decoder_layer=layer, num_layers=1, norm=nn.LayerNorm(d))
    model = nn.Transformer(model_dim=d, target_dim=vocab, num_encoder_layers=1, decoder=decoder)
    assert model.decoder is decoder


def test_transformer_form_errors() -> None:
    time, out_time = nn.SpatialDim("time"), nn.SpatialDim("out-time")
    feat, vocab, d = nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5), nn.FeatureDim("d", 8)
    rc_layer = nn.TransformerDecoderLayer(d, d, num_heads=2)
    with pytest.raises(TypeError, match="use one form"):
        nn.Transformer(d, target_dim=vocab, decoder_layer=rc_layer)
    with pytest.raises(TypeError, match="predecessor's form TransformerDecoderLayer"):
        nn.Transformer(model_dim=d, target_dim=vocab, decoder_layer=rc_layer)
    with pytest.raises(TypeError, match="model_dim is given twice"):
        nn.Transformer(d, model_dim=d, target_dim=vocab)
    with pytest.raises(TypeError, match="would be ignored"):
        nn.Transformer(
            model_dim=d,
            target_dim=vocab,
            encoder=nn.TransformerEncoder(model_dim=d, num_layers=1, num_heads=2),
            enc_self_attention=nn.SelfAttention(
                d, d, key_dim_total=d, value_dim_total=d, num_heads=2
            ),
        )
    pred = nn.Transformer(
        model_dim=d, target_dim=vocab, num_heads=2, num_encoder_layers=1, num_decoder_layers=1
    )
    rc = nn.Transformer(
        d, target_dim=vocab, in_dim=feat, num_heads=2, num_encoder_layers=1, num_decoder_layers=1
    )
    assert not rc.predecessor_form
    x, x_feat = nn.zeros([nn.batch_dim, time, d]), nn.zeros([nn.batch_dim, time, feat])
    targets = _labels(vocab, out_time, "form_targets")
    with pytest.raises(TypeError, match="this model has the predecessor's form"):
        pred(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    with pytest.raises(TypeError, match="this model has rc's form"):
        rc(x_feat, source_spatial_axis=time, target=targets, target_spatial_axis=out_time)
    with pytest.raises(NotImplementedError, match="search mode"):
        pred(x, source_spatial_axis=time)
    with pytest.raises(NotImplementedError, match=r"Transformer\.search"):
        pred.search(x, source_spatial_dim=time, target=targets)
    with pytest.raises(TypeError, match="default_initial_state belongs"):
        rc.default_initial_state(batch_dims=[nn.batch_dim])
    with pytest.raises(nn.DimMismatchError, match="has no input dim"):
        pred(x_feat, source_spatial_axis=time, target=targets, target_spatial_axis=out_time)
    with pytest.raises(nn.DimMismatchError, match="sparse_dim"):
        pred(
            x,
            source_spatial_axis=time,
            target=nn.zeros([nn.batch_dim, out_time], dtype="int32"),
            target_spatial_axis=out_time,
        )
    with pytest.raises(TypeError, match=r"target_spatial_axis= .* is missing"):
        pred(x, source_spatial_axis=time, target=targets)
    with pytest.raises(TypeError, match=r"state must be an nn\.LayerState"):
        pred(
            x,
            source_spatial_axis=time,
            target=targets,
            target_spatial_axis=out_time,
            state={"decoder": {}},
        )


# -- LSTM attention encoder-decoder ----------------------------------------------------------


def test_time_reduction_factors() -> None:
    # As the predecessor: entry i pools after layer i; too many entries merge the first.
    assert _time_reductions(6, 6, False) == [3, 2]
    assert _time_reductions(6, 2, False) == [6]
    assert _time_reductions(8, 6, False) == [2, 2, 2]
    assert _time_reductions(1, 1, False) == []
    assert _time_reductions([2, 1, 3], 4, False) == [2, 1, 3]  # a 1 keeps its position
    assert _time_reductions([2, 1, 3], 3, False) == [2, 3]
    assert _time_reductions(6, 2, True) == [3, 2]
    assert _time_reductions(2, 1, True) == [2]
    with pytest.raises(ValueError, match="at least two layers"):
        _time_reductions(2, 1, False)


def test_blstm_encoder_pool_last_and_l2() -> None:
    time, feat, dim = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("lstm", 4)
    enc = nn.BlstmEncoder(feat, dim, num_layers=1, time_reduction=2, allow_pool_last=True)
    out, out_time = enc(nn.zeros([nn.batch_dim, time, feat]), in_spatial_dim=time)
    assert out_time.description == "⌈time/2⌉" and out.dims_set() == {
        nn.batch_dim,
        out_time,
        enc.out_dim,
    }
    assert {p.weight_decay for p in enc.parameters()} == {0.0001}  # the predecessor's l2
    assert {
        p.weight_decay
        for p in nn.BlstmEncoder(feat, dim, num_layers=1, time_reduction=1, l2=0.0).parameters()
    } == {None}
    with pytest.raises(NotImplementedError, match="rec_weight_dropout"):
        nn.BlstmEncoder(feat, dim, num_layers=2, rec_weight_dropout=0.1)
    with pytest.raises(TypeError, match="time dim is missing"):
        enc(nn.zeros([nn.batch_dim, time, feat]))


def test_blstm_encoder_names_and_dims() -> None:
    time, feat, dim = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("lstm", 4)
    enc = nn.BlstmEncoder(feat, dim, num_layers=3, time_reduction=[2, 2], dropout=0.1)
    names = [n for n, _ in enc.named_parameters()]
    assert len(names) == 18 and names[:6] == [
        "layers.0.fw.param_W_re",
        "layers.0.fw.param_W",
        "layers.0.fw.param_b",
        "layers.0.bw.param_W_re",
        "layers.0.bw.param_W",
        "layers.0.bw.param_b",
    ]
    out, out_time = enc(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time)
    assert out.dims_set() == {nn.batch_dim, out_time, enc.out_dim}
    assert out_time != time and out_time.dimension is None  # pooled twice by 2
    assert enc.out_dim.dimension == 8


def _aed(feat: nn.Dim, vocab: nn.Dim) -> nn.LstmAttentionEncoderDecoder:
    return nn.LstmAttentionEncoderDecoder(
        feat,
        vocab,
        encoder_dim=nn.FeatureDim("enc", 4),
        num_layers=2,
        time_reduction=2,
        embed_dim=nn.FeatureDim("embed", 3),
        lstm_dim=nn.FeatureDim("s", 5),
        att_key_dim=nn.FeatureDim("key", 4),
        readout_dim=nn.FeatureDim("readout", 6),
        att_num_heads=2,
    )


def test_lstm_attention_encoder_decoder_templates() -> None:
    time, out_time = nn.SpatialDim("time"), nn.SpatialDim("out-time")
    feat, vocab = nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    model = _aed(feat, vocab)
    assert model.decoder.att_dim.dimension == 16  # 2 heads x (4 + 4)
    x = nn.zeros([nn.batch_dim, time, feat])
    targets = _labels(vocab, out_time, "classes")
    logits = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    assert logits.dims == (out_time, nn.batch_dim, vocab)
    labels, search_time = model.search(
        x, source_spatial_dim=time, target=targets, beam_size=2, max_seq_len=4
    )
    assert labels.dims == (nn.batch_dim, search_time)
    assert labels.layer_dict is not None and labels.layer_dict["class"] == "decide"


def test_lstm_attention_decoder_errors() -> None:
    enc_dim, vocab = nn.FeatureDim("enc", 4), nn.FeatureDim("vocab", 5)
    small = {
        "embed_dim": nn.FeatureDim("e", 2),
        "lstm_dim": nn.FeatureDim("s", 2),
        "att_key_dim": nn.FeatureDim("k", 2),
    }
    with pytest.raises(nn.DimMismatchError, match="even size"):
        nn.LstmAttentionDecoder(enc_dim, vocab, readout_dim=nn.FeatureDim("r", 3), **small)
    dec = nn.LstmAttentionDecoder(enc_dim, vocab, readout_dim=nn.FeatureDim("r", 4), **small)
    enc_time = nn.SpatialDim("enc-time")
    encoded = dec.transform_encoder(
        nn.zeros([nn.batch_dim, enc_time, enc_dim]), spatial_dim=enc_time
    )
    with pytest.raises(nn.DimMismatchError, match="sparse_dim") as info:
        dec(
            nn.zeros([nn.batch_dim], dtype="int32"),
            encoder=encoded,
            state=dec.default_initial_state(),
        )
    assert THIS_FILE in str(info.value)
    label = nn.get_extern_data(nn.Data("label", dim_tags=[nn.batch_dim], sparse_dim=vocab))
    with pytest.raises(TypeError, match="transform_encoder"):
        dec(label, encoder=encoded.enc, state=dec.default_initial_state())
    with pytest.raises(TypeError, match="LstmAttentionDecoderState"):
        dec(label, encoder=encoded, state=None)
    with pytest.raises(nn.DimMismatchError, match=r"dynamic|static"):
        nn.LstmAttentionDecoder(enc_dim, nn.SpatialDim("dyn"), **small)
