"""TF-free tests of the model zoo: templates, parameter names, errors for wrong inputs."""

from __future__ import annotations

import pytest

import rc_nn as nn
from rc_nn.models import (
    CausalSelfAttention,
    ConformerConvBlock,
    ConformerConvSubsample,
    ConformerEncoder,
    ConformerEncoderLayer,
    ConformerPositionwiseFeedForward,
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


def test_causal_self_attention_step_needs_loop_and_a_valid_state() -> None:
    x, time, feat = _input()
    att = CausalSelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2)
    with pytest.raises(NotImplementedError, match=r"inside an nn\.Loop"):
        att(nn.zeros([nn.batch_dim, feat]), axis=nn.single_step_dim)
    with pytest.raises(TypeError, match=r"state must come from att\.default_initial_state"):
        att(x, axis=time, state=object())  # type: ignore[call-overload]
    state = att.default_initial_state(batch_dims=[nn.batch_dim])
    with pytest.raises(ValueError, match="only used step by step"):
        att(x, axis=time, state=state)
    with pytest.raises(TypeError, match="batch_dims must be a list"):
        att.default_initial_state(batch_dims=nn.batch_dim)  # type: ignore[arg-type]


def test_causal_self_attention_loop_state_form() -> None:
    """The predecessor's form: state in loop.state, the call returns (out, new_state)."""
    x, time, feat = _input()
    att = CausalSelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2)
    loop = nn.Loop(axis=time)
    loop.state.att = att.default_initial_state(batch_dims=[nn.batch_dim])
    with loop:
        y, loop.state.att = att(loop.unstack(x), axis=nn.single_step_dim, state=loop.state.att)
        out = loop.stack(y)
    assert isinstance(loop.state.att, nn.CausalSelfAttentionState)
    assert out.dims_set() == {time, nn.batch_dim, feat}


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


def test_relative_positional_encoding_cache_respects_control_flow_blocks() -> None:
    """A cached encoding is reused only where its layers are visible (fuzz-found bug: one made
    in a cond branch was reused outside of it, a ControlFlowError at the first use)."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 4)
    x = nn.zeros([nn.batch_dim, time, feat])
    flag = nn.reduce_sum(x, axis=[nn.batch_dim, time, feat]) > 0.0
    with nn.Cond(flag) as cond:
        in_true, pos_true = relative_positional_encoding(time, feat)
        assert relative_positional_encoding(time, feat)[0] is in_true  # same block: cached
        cond.true = x
        in_false, pos_false = relative_positional_encoding(time, feat)
        cond.false = x
    assert in_false is not in_true  # a sibling branch cannot read the true branch's layers
    assert pos_false is pos_true  # but the dim of the relative positions is the same
    outside, _ = relative_positional_encoding(time, feat)
    assert outside is not in_true and outside is not in_false
    outer = nn.SpatialDim("outer")
    frames = nn.zeros([nn.batch_dim, outer])
    with nn.Loop(axis=outer) as loop:
        assert relative_positional_encoding(time, feat)[0] is outside  # nested: sees the root's
        loop.stack(loop.unstack(frames))
    # the root's encoding is usable in any later op
    assert (outside * 2.0).dims == outside.dims


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
        "self_att_norm.scale",
        "self_att_norm.bias",
        "ff_norm.scale",
        "ff_norm.bias",
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


def test_single_head_attention() -> None:
    x, time, feat = _input()
    att = RelPosSelfAttention(feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=1)
    assert att.key_dim_per_head is not feat and att.key_dim_per_head.dimension == 8
    assert att(x, axis=time).dims == (nn.batch_dim, time, feat)


# ---------------------------------------------------------------------------
# Conformer


def test_conformer_feed_forward_and_conv_block() -> None:
    x, time, feat = _input(4)
    ffn = ConformerPositionwiseFeedForward(
        feat, ff_dim=nn.FeatureDim("ff", 8), dropout=0.1, activation=nn.swish
    )
    assert ffn(x).dims == (nn.batch_dim, time, feat)
    block = ConformerConvBlock(feat, kernel_size=5)
    assert isinstance(block.norm, nn.BatchNorm)
    assert block(x, spatial_dim=time).dims == (nn.batch_dim, time, feat)
    assert [name for name, _ in block.named_parameters()] == [
        "positionwise_conv1.weight",
        "positionwise_conv1.bias",
        "depthwise_conv.filter",
        "depthwise_conv.bias",
        "positionwise_conv2.weight",
        "positionwise_conv2.bias",
        "norm.running_mean",
        "norm.running_variance",
        "norm.gamma",
        "norm.beta",
    ]
    assert [d.dimension for d in block.depthwise_conv.filter.dims] == [5, 1, 4]
    assert block.depthwise_conv.groups == 4
    with_ln = ConformerConvBlock(feat, kernel_size=3, norm=nn.LayerNorm(feat))
    assert {name for name, _ in with_ln.named_parameters()} >= {"norm.scale", "norm.bias"}
    with pytest.raises(ValueError, match="kernel_size must be 1 positive int"):
        ConformerConvBlock(feat, kernel_size=0)
    with pytest.raises(TypeError, match=r"norm must be an nn\.Module"):
        ConformerConvBlock(feat, kernel_size=3, norm="batch")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dropout must be in"):
        ConformerPositionwiseFeedForward(feat, ff_dim=feat * 2, dropout=-0.1)


def test_conformer_conv_subsample_dims() -> None:
    x, time, feat = _input(40)
    c1, c2 = nn.FeatureDim("c1", 32), nn.FeatureDim("c2", 64)
    sub = ConformerConvSubsample(
        feat, out_dims=[c1, c2], filter_sizes=[(3, 3), (3, 3)], pool_sizes=[(1, 2), (3, 2)]
    )
    y, out_time = sub(x, in_spatial_dim=time)
    assert y.dims == (nn.batch_dim, out_time, sub.out_dim)
    assert sub.out_dim.dimension == 10 * 64
    assert out_time.description == "⌈time/3⌉"
    strided = ConformerConvSubsample(
        feat, out_dims=[c1], filter_sizes=[3], strides=[(2, 1)], padding="valid"
    )
    y2, t2 = strided(x, in_spatial_dim=time)
    assert strided.out_dim.dimension == 38 * 32 and y2.dims == (nn.batch_dim, t2, strided.out_dim)
    with pytest.raises(ValueError, match="filter_sizes must be a list of 2"):
        ConformerConvSubsample(feat, out_dims=[c1, c2], filter_sizes=[(3, 3)])
    with pytest.raises(ValueError, match="2 pool_sizes for 1 conv layers"):
        ConformerConvSubsample(feat, out_dims=[c1], filter_sizes=[3], pool_sizes=[2, 2])
    with pytest.raises(nn.DimMismatchError, match=r"has no input dim feat\(40\)"):
        sub(nn.zeros([nn.batch_dim, time, nn.FeatureDim("other", 40)]), in_spatial_dim=time)


def test_conformer_encoder_names_and_errors() -> None:
    x, time, feat = _input(8)
    model = nn.FeatureDim("model", 8)
    sub = ConformerConvSubsample(
        feat, out_dims=[nn.FeatureDim("c", 2)], filter_sizes=[(3, 3)], pool_sizes=[(2, 2)]
    )
    enc = ConformerEncoder(feat, model, input_layer=sub, num_layers=2, num_heads=2)
    y, out_time = enc(x, in_spatial_dim=time)
    assert y.dims == (nn.batch_dim, out_time, model)
    names = [name for name, _ in enc.named_parameters()]
    assert names[:5] == [
        "input_layer.conv_layers.0.filter",
        "input_layer.conv_layers.0.bias",
        "input_projection.weight",
        "layers.0.ffn1.linear_ff.weight",
        "layers.0.ffn1.linear_ff.bias",
    ]
    assert len(names) == 2 + 1 + 2 * 35
    assert enc.layers[0].ffn1.linear_ff.out_dim.dimension == 32  # default ff_dim 4 * model
    assert enc.layers[0].conv_block.depthwise_conv.filter_size == [32]  # default kernel size
    layer = ConformerEncoderLayer(model, num_heads=2, conv_kernel_size=3)
    enc2 = ConformerEncoder(feat, model, input_layer=None, num_layers=1, encoder_layer=layer)
    assert enc2.layers[0].self_att is not layer.self_att
    with pytest.raises(nn.DimMismatchError, match="encoder_layer has out_dim"):
        ConformerEncoder(
            feat, nn.FeatureDim("m2", 8), input_layer=None, num_layers=1, encoder_layer=layer
        )
    with pytest.raises(ValueError, match="num_layers must be a positive int"):
        ConformerEncoder(feat, model, input_layer=None, num_layers=0)
    with pytest.raises(TypeError, match="needs an out_dim attribute"):
        ConformerEncoder(feat, model, input_layer=nn.Sequential(), num_layers=1)
    with pytest.raises(nn.DimMismatchError, match="has no spatial dim"):
        enc(x, in_spatial_dim=nn.SpatialDim("other"))
    with pytest.raises(nn.DimMismatchError, match=r"has no input dim feat\(8\)"):
        enc(nn.zeros([nn.batch_dim, time, model]), in_spatial_dim=time)
