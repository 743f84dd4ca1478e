"""rc-nn 0.2 took over the predecessor's (returnn_common) parameter names; rc 0.1 names migrate.

Every name that changed against rc-nn 0.1 is a declared rename (``rc_naming.renamed``),
so ``rc_naming.rename_mapping`` (and ``rc-serialize migrate``) maps an rc 0.1
checkpoint's names to the new ones. The 0.1 names are written out literally here.
"""

from __future__ import annotations

import pytest

import rc_naming
import rc_nn as nn


def _mapping(model: nn.Module, old_names: list[str]) -> rc_naming.RenameMapping:
    graph = model._rc_naming_root().graph
    return rc_naming.rename_mapping(graph, model, old_names)


def test_lstm_names_and_renames_from_rc_0_1() -> None:
    lstm = nn.LSTM(nn.FeatureDim("in", 3), nn.FeatureDim("out", 4))
    assert [name for name, _ in lstm.named_parameters()] == ["param_W_re", "param_W", "param_b"]
    result = _mapping(lstm, ["ff_weight", "rec_weight", "bias"])
    assert result.mapping == {
        "ff_weight": "param_W",
        "rec_weight": "param_W_re",
        "bias": "param_b",
    }
    assert not result.ambiguous and not result.unknown
    # Only for checkpoints written before version 2 (rc-nn 0.2).
    assert rc_naming.rename_mapping(
        lstm._rc_naming_root().graph, lstm, ["ff_weight"], from_version=2
    ).unknown == ("ff_weight",)


def test_blstm_encoder_renames_below_module_paths() -> None:
    enc = nn.BlstmEncoder(
        nn.FeatureDim("in", 3), nn.FeatureDim("lstm", 4), num_layers=2, time_reduction=1
    )
    old = [
        f"layers.{i}.{d}.{p}"
        for i in (0, 1)
        for d in ("fw", "bw")
        for p in ("ff_weight", "rec_weight", "bias")
    ]
    result = _mapping(enc, old)
    assert result.mapping["layers.1.bw.ff_weight"] == "layers.1.bw.param_W"
    assert result.mapping["layers.0.fw.rec_weight"] == "layers.0.fw.param_W_re"
    assert result.mapping["layers.0.fw.bias"] == "layers.0.fw.param_b"
    assert len(result.mapping) == len(old)
    assert set(result.mapping.values()) == {name for name, _ in enc.named_parameters()}


def test_transformer_encoder_norm_renames() -> None:
    d = nn.FeatureDim("model", 8)
    att = nn.SelfAttention(d, d, key_dim_total=d, value_dim_total=d, num_heads=2)
    layer = nn.TransformerEncoderLayer(d, self_attention=att, ff_dim=nn.FeatureDim("ff", 16))
    enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(d))
    names = {name for name, _ in enc.named_parameters()}
    assert {"layers.0.self_att_norm.scale", "layers.1.ff_norm.bias", "norm.scale"} <= names
    assert not any(".norm1." in n or ".norm2." in n for n in names)
    old = ["layers.0.norm1.scale", "layers.0.norm2.bias", "layers.1.norm1.bias", "norm.scale"]
    result = _mapping(enc, old)
    assert result.mapping == {
        "layers.0.norm1.scale": "layers.0.self_att_norm.scale",
        "layers.0.norm2.bias": "layers.0.ff_norm.bias",
        "layers.1.norm1.bias": "layers.1.self_att_norm.bias",
    }
    assert result.unchanged == ("norm.scale",)


def test_transformer_decoder_layer_norm_renames() -> None:
    enc_dim, d = nn.FeatureDim("enc", 6), nn.FeatureDim("model", 8)
    layer = nn.TransformerDecoderLayer(enc_dim, d, ff_dim=nn.FeatureDim("ff", 16), num_heads=2)
    result = _mapping(layer, ["norm1.scale", "norm2.scale", "norm3.bias"])
    assert result.mapping == {
        "norm1.scale": "self_att_norm.scale",
        "norm2.scale": "cross_att_norm.scale",
        "norm3.bias": "ff_norm.bias",
    }


def test_conformer_names_are_the_predecessors() -> None:
    """The golden Conformer's names (returnn_common), for a model built with the same options."""
    feat, d = nn.FeatureDim("input", 40), nn.FeatureDim("model", 64)
    enc = nn.ConformerEncoder(
        feat,
        d,
        ff_dim=nn.FeatureDim("ff", 128),
        input_layer=nn.ConformerConvSubsample(
            feat,
            out_dims=[nn.FeatureDim("conv1", 8), nn.FeatureDim("conv2", 16)],
            filter_sizes=[(3, 3), (3, 3)],
            pool_sizes=[(2, 1), (2, 1)],
        ),
        num_heads=4,
        num_layers=1,
    )
    shapes = {
        name: tuple(dim.dimension for dim in param.dims) for name, param in enc.named_parameters()
    }
    assert shapes["input_layer.conv_layers.0.filter"] == (3, 3, 1, 8)
    assert shapes["input_projection.weight"] == (640, 64)
    assert shapes["layers.0.conv_block.depthwise_conv.filter"] == (32, 1, 64)
    assert shapes["layers.0.self_att.pos_bias_u"] == (4, 16)
    assert shapes["layers.0.self_att.linear_pos.weight"] == (64, 64)
    assert {n for n in shapes if n.startswith("layers.0.conv_block.norm.")} == {
        f"layers.0.conv_block.norm.{p}"
        for p in ("running_mean", "running_variance", "gamma", "beta")
    }
    assert len(shapes) == 4 + 1 + 35
    # The predecessor's conv-module norm: batch norm without masking.
    norm = enc.layers[0].conv_block.norm
    assert isinstance(norm, nn.BatchNorm) and norm.use_mask is False


def test_rel_pos_self_attention_options() -> None:
    d = nn.FeatureDim("model", 8)
    plain = nn.RelPosSelfAttention(
        d,
        d,
        key_dim_total=d,
        value_dim_total=d,
        num_heads=2,
        with_linear_pos=False,
        with_pos_bias=False,
        learnable_pos_emb=True,
        learnable_pos_emb_clipping=3,
        separate_pos_emb_per_head=False,
    )
    shapes = {n: tuple(x.dimension for x in p.dims) for n, p in plain.named_parameters()}
    assert shapes == {
        "qkv.weight": (8, 24),
        "qkv.bias": (24,),
        "proj.weight": (8, 8),
        "proj.bias": (8,),
        "learned_pos_emb.pos_emb": (7, 4),  # 2 * clipping + 1, key dim per head
    }
    time = nn.SpatialDim("time")
    out = plain(nn.zeros([nn.batch_dim, time, d]), axis=time)
    assert out.dims_set() == {nn.batch_dim, time, d}


def test_transposed_conv3d_has_parameters_but_no_call() -> None:
    a, b, c = nn.SpatialDim("a", 2), nn.SpatialDim("b", 2), nn.SpatialDim("c", 2)
    ch, out = nn.FeatureDim("ch", 2), nn.FeatureDim("out", 3)
    conv = nn.TransposedConv3d(ch, out, 2)
    assert [n for n, _ in conv.named_parameters()] == ["filter", "bias"]
    with pytest.raises(NotImplementedError, match="1-D and 2-D only"):
        conv(nn.zeros([nn.batch_dim, a, b, c, ch]), in_spatial_dims=[a, b, c])


def test_make_conv_out_spatial_dims() -> None:
    time, freq = nn.SpatialDim("time"), nn.SpatialDim("freq", 40)
    same = nn.make_conv_out_spatial_dims([time, freq], filter_size=3, padding="same")
    assert same[0] is time and same[1] is freq
    valid = nn.make_conv_out_spatial_dims(
        [time, freq], filter_size=[3, 5], padding="valid", strides=[1, 2]
    )
    assert valid[0] is not time and valid[1].dimension == 18  # (40 - 4) / 2
