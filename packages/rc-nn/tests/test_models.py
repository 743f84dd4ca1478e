"""TF-free tests of the model zoo: templates, parameter names, errors for wrong inputs."""

from __future__ import annotations

import pytest

import rc_nn as nn
from rc_nn.models import (
    CausalSelfAttention,
    RelPosSelfAttention,
    SelfAttention,
    TransformerEncoder,
    TransformerEncoderLayer,
    dot_attention,
    relative_positional_encoding,
)

THIS_FILE = __file__


def _input(feat_size: int = 8) -> tuple[nn.Tensor, nn.Dim, nn.Dim]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", feat_size)
    return nn.zeros([nn.batch_dim, time, feat]), time, feat


# ---------------------------------------------------------------------------
# Attention


def test_dot_attention_template() -> None:
    time, enc_time = nn.SpatialDim("time"), nn.SpatialDim("enc")
    key, value = nn.FeatureDim("key", 4), nn.FeatureDim("value", 3)
    q = nn.zeros([nn.batch_dim, time, key])
    k = nn.zeros([nn.batch_dim, enc_time, key])
    v = nn.zeros([nn.batch_dim, enc_time, value])
    out = dot_attention(q, k, v, key_dim=key, axis=enc_time, att_dropout=0.1)
    assert set(out.dims) == {nn.batch_dim, time, value}


def test_dot_attention_errors() -> None:
    time, enc_time = nn.SpatialDim("time"), nn.SpatialDim("enc")
    key, value = nn.FeatureDim("key", 4), nn.FeatureDim("value", 3)
    q = nn.zeros([nn.batch_dim, time, key])
    k = nn.zeros([nn.batch_dim, enc_time, key])
    v = nn.zeros([nn.batch_dim, enc_time, value])
    with pytest.raises(nn.DimMismatchError, match="has no key dim") as info:
        dot_attention(q, v, v, key_dim=key, axis=enc_time)
    assert THIS_FILE in str(info.value)
    with pytest.raises(nn.DimMismatchError, match="has no attention axis"):
        dot_attention(q, k, v, key_dim=key, axis=nn.SpatialDim("other"))
    with pytest.raises(nn.DimMismatchError, match="replace_dim"):
        dot_attention(q, nn.zeros([nn.batch_dim, time, key]), q, key_dim=key, axis=time)
    with pytest.raises(nn.DimMismatchError, match="static"):
        dot_attention(q, k, v, key_dim=nn.SpatialDim("dyn"), axis=enc_time)


@pytest.mark.parametrize("cls", [SelfAttention, CausalSelfAttention, RelPosSelfAttention])
def test_self_attention_template_and_names(cls: type) -> None:
    x, time, feat = _input()
    out_dim = nn.FeatureDim("out", 6)
    key, value = nn.FeatureDim("key", 4), nn.FeatureDim("value", 6)
    att = cls(feat, out_dim, key_dim_total=key, value_dim_total=value, num_heads=2)
    y = att(x, axis=time)
    assert set(y.dims) == {nn.batch_dim, time, out_dim}
    names = {name for name, _ in att.named_parameters()}
    expected = {"qkv.weight", "qkv.bias", "proj.weight", "proj.bias"}
    if cls is RelPosSelfAttention:
        expected |= {"linear_pos.weight", "pos_bias_u", "pos_bias_v"}
        assert att.pos_bias_u.dims == (att.num_heads, att.key_dim_per_head)
    assert names == expected
    assert att.qkv.weight.dims[-1].dimension == 2 * 4 + 6
    assert att.key_dim_per_head.dimension == 2 and att.value_dim_per_head.dimension == 3


def test_self_attention_without_proj() -> None:
    x, time, feat = _input()
    value = nn.FeatureDim("value", 4)
    att = SelfAttention(feat, None, key_dim_total=feat, value_dim_total=value, num_heads=2)
    assert att.proj is None
    assert set(att(x, axis=time).dims) == {nn.batch_dim, time, value}
    assert {name for name, _ in att.named_parameters()} == {"qkv.weight", "qkv.bias"}


def test_self_attention_errors() -> None:
    x, time, feat = _input()
    with pytest.raises(nn.DimMismatchError, match="not divisible by num_heads=3"):
        SelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=3)
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        SelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=0)
    with pytest.raises(ValueError, match="att_dropout"):
        SelfAttention(
            feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2, att_dropout=1.5
        )
    att = SelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2)
    other = nn.FeatureDim("other", 8)
    with pytest.raises(nn.DimMismatchError, match=r"has no input dim feat\(8\)") as info:
        att(nn.zeros([nn.batch_dim, time, other]), axis=time)
    assert THIS_FILE in str(info.value)
    with pytest.raises(nn.DimMismatchError, match="has no axis"):
        att(x, axis=nn.SpatialDim("elsewhere"))
    with pytest.raises(TypeError, match=r"axis must be an nn\.Dim"):
        att(x, axis=3)  # type: ignore[arg-type]


def test_causal_self_attention_step_not_implemented() -> None:
    x, time, feat = _input()
    att = CausalSelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2)
    with pytest.raises(NotImplementedError, match=r"needs nn\.Loop"):
        att(nn.zeros([nn.batch_dim, feat]), axis=nn.single_step_dim)
    with pytest.raises(NotImplementedError, match=r"needs nn\.Loop"):
        att(x, axis=time, state=object())


def test_relative_positional_encoding_cached_per_root() -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 6)
    enc, pos = relative_positional_encoding(time, feat)
    assert enc.dims == (pos, feat)
    assert pos.description == "(time+-1)+time"
    again, _ = relative_positional_encoding(time, feat)
    assert again is enc
    with nn.Root("other"):
        other, _ = relative_positional_encoding(time, feat)
    assert other is not enc
    with pytest.raises(nn.DimMismatchError, match="even size"):
        relative_positional_encoding(time, nn.FeatureDim("odd", 5))


# ---------------------------------------------------------------------------
# Transformer encoder


def test_transformer_encoder_layer_names_and_template() -> None:
    x, time, feat = _input()
    layer = TransformerEncoderLayer(feat, num_heads=2)
    assert layer.linear_ff.out_dim.dimension == 32  # default ff_dim = 4 * out_dim
    y = layer(x, spatial_dim=time)
    assert y.dims == (nn.batch_dim, time, feat)
    assert [name for name, _ in layer.named_parameters()] == [
        "self_attn.qkv.weight",
        "self_attn.qkv.bias",
        "self_attn.proj.weight",
        "self_attn.proj.bias",
        "linear_ff.weight",
        "linear_ff.bias",
        "linear_out.weight",
        "linear_out.bias",
        "norm1.scale",
        "norm1.bias",
        "norm2.scale",
        "norm2.bias",
    ]


def test_transformer_encoder_forms() -> None:
    x, time, feat = _input(5)
    model = nn.FeatureDim("model", 8)
    enc = TransformerEncoder(in_dim=feat, model_dim=model, num_layers=3, num_heads=2)
    assert enc(x, spatial_dim=time).dims == (nn.batch_dim, time, model)
    names = [name for name, _ in enc.named_parameters()]
    assert names[:2] == ["input_projection.weight", "input_projection.bias"]
    assert names[-2:] == ["norm.scale", "norm.bias"]
    assert len(names) == 2 + 3 * 12 + 2
    # the layers are copies with their own parameters
    assert enc.layers[0].linear_ff.weight is not enc.layers[1].linear_ff.weight
    layer = TransformerEncoderLayer(model, num_heads=2)
    enc2 = TransformerEncoder(layer, num_layers=2)
    assert enc2.input_projection is None and enc2.in_dim is model


def test_transformer_encoder_errors() -> None:
    x, time, feat = _input()
    with pytest.raises(TypeError, match="give either an encoder_layer"):
        TransformerEncoder(num_layers=2)
    with pytest.raises(ValueError, match="num_layers must be a positive int"):
        TransformerEncoder(model_dim=feat, num_layers=0)
    layer = TransformerEncoderLayer(feat, num_heads=2)
    with pytest.raises(nn.DimMismatchError, match="differs from the encoder layer"):
        TransformerEncoder(layer, num_layers=1, model_dim=nn.FeatureDim("m", 8))
    enc = TransformerEncoder(layer, num_layers=1)
    with pytest.raises(nn.DimMismatchError, match=r"has no input dim feat\(8\)"):
        enc(nn.zeros([nn.batch_dim, time, nn.FeatureDim("x", 8)]), spatial_dim=time)
    with pytest.raises(nn.DimMismatchError, match="has no spatial dim"):
        enc(x, spatial_dim=nn.SpatialDim("other"))
    with pytest.raises(ValueError, match="dropout must be in"):
        TransformerEncoderLayer(feat, dropout=2.0)
