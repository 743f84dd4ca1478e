"""Round trips of the model zoo (attention, Transformer encoder, Conformer encoder) through RETURNN.

Each model: the full parameter name set is asserted literally, the ``roundtrip``
fixture proves the config in RETURNN (N4 names, template agreement for every
layer), and a few Adam steps with a CE or CTC loss on synthetic data make the
loss go down. Attention outputs are compared with a numpy reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_nn.models import (
    CausalSelfAttention,
    ConformerConvSubsample,
    ConformerEncoder,
    RelPosSelfAttention,
    SelfAttention,
    TransformerEncoder,
    TransformerEncoderLayer,
)

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
TRAIN_STEPS = 5


class Classifier(nn.Module):
    """An encoder with a per-frame softmax output layer (``output``) on top."""

    def __init__(self, encoder: nn.Module, enc_dim: nn.Dim, classes: nn.Dim) -> None:
        super().__init__()
        self.encoder = encoder
        self.output = nn.Linear(enc_dim, classes)

    def forward(self, x: nn.Tensor, **kwargs: Any) -> Any:
        out = self.encoder(x, **kwargs)
        if isinstance(out, tuple):
            return self.output(out[0]), out[1]
        return self.output(out)


def _frame_ce_setup(in_size: int = 6) -> tuple[nn.Tensor, nn.Tensor, nn.Dim, nn.Dim, nn.Dim]:
    time = nn.SpatialDim("time")
    feat = nn.FeatureDim("feat", in_size)
    classes = nn.FeatureDim("classes", 5)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    y = nn.get_extern_data(nn.Data("classes", dim_tags=[nn.batch_dim, time], sparse_dim=classes))
    return x, y, time, feat, classes


def _train_and_check(roundtrip: RoundTripFn, model: nn.Module) -> Any:
    result = roundtrip(model, train_steps=TRAIN_STEPS)
    losses = result.report.losses
    assert len(losses) == TRAIN_STEPS
    assert losses[-1] < losses[0], losses
    return result


def _tf_names(paths: set[str]) -> set[str]:
    return {p.replace(".", "/") + "/param" for p in paths}


# ---------------------------------------------------------------------------
# Attention


ATT_NAMES = {"qkv.weight", "qkv.bias", "proj.weight", "proj.bias"}


@pytest.mark.parametrize("cls", [SelfAttention, CausalSelfAttention, RelPosSelfAttention])
def test_self_attention_variants_train(roundtrip: RoundTripFn, cls: type) -> None:
    x, y, time, feat, classes = _frame_ce_setup()
    model_dim = nn.FeatureDim("model", 8)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.input = nn.Linear(feat, model_dim)
            self.att = cls(
                model_dim,
                model_dim,
                key_dim_total=model_dim,
                value_dim_total=model_dim,
                num_heads=2,
                att_dropout=0.1,
            )
            self.output = nn.Linear(model_dim, classes)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            h = self.input(x)
            return self.output(h + self.att(h, axis=time))

    net = Net()
    logits = net(x)
    logits.mark_as_default_output()
    nn.reduce_sum(
        nn.cross_entropy(estimated=logits, target=y, estimated_type="logits"), axis=time
    ).mark_as_loss("ce")
    expected = {"input.weight", "input.bias", "output.weight", "output.bias"} | {
        f"att.{n}" for n in ATT_NAMES
    }
    if cls is RelPosSelfAttention:
        expected |= {"att.linear_pos.weight", "att.pos_bias_u", "att.pos_bias_v"}
    assert {name for name, _ in net.named_parameters()} == expected
    result = _train_and_check(roundtrip, net)
    assert result.report.variable_names == _tf_names(expected)


def _rel_shift(x: numpy.ndarray) -> numpy.ndarray:
    """The predecessor's (Transformer-XL) shift: [..., T, 2T-1] scores per relative position
    to [..., T, T] scores per key frame: pad one zero column in front, read the buffer as
    [2T, T], drop the first row, read it as [T, 2T-1], keep the first T columns. Entry
    (i, j) ends up at relative position j - i (written out, not derived from our gather).
    """
    *batch, frames, positions = x.shape
    padded = numpy.concatenate([numpy.zeros([*batch, frames, 1]), x], axis=-1)
    padded = padded.reshape(*batch, positions + 1, frames)[..., 1:, :]
    return padded.reshape(*batch, frames, positions)[..., :frames]


def _numpy_attention(
    x: numpy.ndarray,
    lens: numpy.ndarray,
    params: dict[str, numpy.ndarray],
    heads: int,
    *,
    causal: bool = False,
    rel_pos: bool = False,
) -> numpy.ndarray:
    """Reference multi-head self-attention on [B, T, F] (predecessor's qkv layout)."""
    batch, frames, size = x.shape
    dk = size // heads
    qkv = (x @ params["qkv.weight"] + params["qkv.bias"]).reshape(batch, frames, heads, 3 * dk)
    q, k, v = qkv[..., :dk], qkv[..., dk : 2 * dk], qkv[..., 2 * dk :]
    if rel_pos:
        rel = numpy.arange(2 * frames - 1) - (frames - 1)
        inv = numpy.exp(numpy.arange(size // 2) * (-2.0 * numpy.log(10000.0) / size))
        angles = rel[:, None] * inv[None, :]
        enc = numpy.concatenate([numpy.sin(angles), numpy.cos(angles)], axis=-1)
        pos = (enc @ params["linear_pos.weight"]).reshape(2 * frames - 1, heads, dk)
        content = numpy.einsum("bihd,bjhd->bhij", q + params["pos_bias_u"], k)
        position_all = numpy.einsum("bihd,phd->bhip", q + params["pos_bias_v"], pos)
        position = _rel_shift(position_all)
        scores = (content + position) / numpy.sqrt(dk)
    else:
        scores = numpy.einsum("bihd,bjhd->bhij", q, k) / numpy.sqrt(dk)
    mask = numpy.arange(frames)[None, None, None, :] < lens[:, None, None, None]
    if causal:
        mask = mask & (numpy.arange(frames)[None, :] <= numpy.arange(frames)[:, None])[None, None]
    scores = numpy.where(mask, scores, -numpy.inf)
    weights = numpy.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    att = numpy.einsum("bhij,bjhd->bihd", weights, v).reshape(batch, frames, size)
    out: numpy.ndarray = att @ params["proj.weight"] + params["proj.bias"]
    return out


@pytest.mark.parametrize(
    ("cls", "causal", "rel_pos"),
    [
        (SelfAttention, False, False),
        (CausalSelfAttention, True, False),
        (RelPosSelfAttention, False, True),
    ],
)
def test_self_attention_numbers(
    roundtrip: RoundTripFn, cls: type, causal: bool, rel_pos: bool
) -> None:
    time, model_dim = nn.SpatialDim("time"), nn.FeatureDim("model", 8)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, model_dim]))
    att = cls(model_dim, model_dim, key_dim_total=model_dim, value_dim_total=model_dim, num_heads=2)
    rng = numpy.random.RandomState(42)
    params: dict[str, numpy.ndarray] = {}
    for name, param in att.named_parameters():
        value = rng.normal(scale=0.5, size=[d.dimension for d in param.dims]).astype("float32")
        param.initial = value
        params[name] = value.astype("float64")
    out = att(x, axis=time)
    out.mark_as_default_output()
    nn.make_layer({"class": "copy", "from": x}, name="inp", out=x.data).mark_as_output("inp")
    nn.length(time).mark_as_output("lens")
    result = roundtrip(att)
    inp, lens = result.output("inp"), result.output("lens")
    ours = result.output()  # [B, T, F]: same dim order as the input
    assert ours.shape == inp.shape
    ref = _numpy_attention(inp.astype("float64"), lens, params, 2, causal=causal, rel_pos=rel_pos)
    for b, length in enumerate(lens):
        numpy.testing.assert_allclose(ours[b, :length], ref[b, :length], rtol=1e-4, atol=1e-4)


def test_rel_pos_sign_is_the_predecessors(roundtrip: RoundTripFn) -> None:
    """Relative position ``j - i`` (key frame minus query frame), shown by behaviour.

    No reference implementation: the position scores alone decide (content scores are
    0), the learned encoding of relative position ``r`` gives score ``50 * r``, and the
    values are the inputs. With the predecessor's sign the first frame attends to the
    last valid frame of its sequence (largest ``j - i``); with ``i - j`` it would attend
    to itself.
    """
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    clipping = 8  # > max_time of the random data (7)
    att = RelPosSelfAttention(
        feat,
        None,
        key_dim_total=feat,
        value_dim_total=feat,
        num_heads=1,
        with_linear_pos=False,
        with_pos_bias=False,
        learnable_pos_emb=True,
        learnable_pos_emb_clipping=clipping,
        separate_pos_emb_per_head=False,
    )
    weight = numpy.zeros((2, 6), "float32")  # per head: [q (2), k (2), v (2)]
    weight[:, 4:6] = numpy.eye(2)  # v = x
    bias = numpy.zeros(6, "float32")
    bias[0] = 50.0  # q = [50, 0]; k = 0: no content scores
    att.qkv.weight.initial = weight
    att.qkv.bias.initial = bias
    table = numpy.zeros((2 * clipping + 1, 2), "float32")
    table[:, 0] = numpy.arange(-clipping, clipping + 1)  # row clipping + r: [r, 0]
    assert att.learned_pos_emb is not None
    att.learned_pos_emb.pos_emb.initial = table
    att(x, axis=time).mark_as_default_output()
    nn.make_layer({"class": "copy", "from": x}, name="inp", out=x.data).mark_as_output("inp")
    nn.length(time).mark_as_output("lens")
    result = roundtrip(att)
    inp, lens, out = result.output("inp"), result.output("lens"), result.output()
    if out.shape != inp.shape:  # [B, feat, T]: without proj the value dim is not moved last
        out = out.transpose(0, 2, 1)
    assert out.shape == inp.shape and inp.shape[1] == 7 and len(set(lens.tolist())) > 1
    for b, length in enumerate(lens):
        numpy.testing.assert_allclose(out[b, 0], inp[b, length - 1], atol=1e-4)
        numpy.testing.assert_allclose(out[b, length - 1], inp[b, length - 1], atol=1e-4)
        if length > 1:
            assert not numpy.allclose(out[b, 0], inp[b, 0], atol=1e-3)


# ---------------------------------------------------------------------------
# Transformer encoder


def test_transformer_encoder_names_and_training(roundtrip: RoundTripFn) -> None:
    x, y, time, feat, classes = _frame_ce_setup()
    model_dim = nn.FeatureDim("model", 8)
    enc = TransformerEncoder(
        in_dim=feat,
        model_dim=model_dim,
        num_layers=2,
        ff_dim=nn.FeatureDim("ff", 16),
        num_heads=2,
        dropout=0.1,
        att_dropout=0.1,
    )
    net = Classifier(enc, model_dim, classes)
    logits = net(x, spatial_dim=time)
    logits.mark_as_default_output()
    nn.reduce_sum(
        nn.cross_entropy(estimated=logits, target=y, estimated_type="logits"), axis=time
    ).mark_as_loss("ce")
    per_layer = {
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
    }
    expected = (
        {
            "encoder.input_projection.weight",
            "encoder.input_projection.bias",
            "encoder.norm.scale",
            "encoder.norm.bias",
            "output.weight",
            "output.bias",
        }
        | {f"encoder.layers.0.{n}" for n in per_layer}
        | {f"encoder.layers.1.{n}" for n in per_layer}
    )
    assert {name for name, _ in net.named_parameters()} == expected
    result = _train_and_check(roundtrip, net)
    assert result.report.variable_names == _tf_names(expected)
    assert "encoder/layers/1/self_attn/qkv/weight/param" in result.report.variable_names


def test_transformer_encoder_predecessor_form_post_norm(roundtrip: RoundTripFn) -> None:
    x, y, time, feat, classes = _frame_ce_setup(in_size=8)
    layer = TransformerEncoderLayer(
        feat, ff_dim=nn.FeatureDim("ff", 12), num_heads=4, norm_first=False
    )
    enc = TransformerEncoder(layer, num_layers=1)
    assert enc.norm is None and enc.input_projection is None
    net = Classifier(enc, feat, classes)
    logits = net(x, spatial_dim=time)
    logits.mark_as_default_output()
    nn.reduce_sum(
        nn.cross_entropy(estimated=logits, target=y, estimated_type="logits"), axis=time
    ).mark_as_loss("ce")
    names = {name for name, _ in net.named_parameters()}
    assert names == {"output.weight", "output.bias"} | {
        f"encoder.layers.0.{n}"
        for n in (
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
        )
    }
    _train_and_check(roundtrip, net)


# ---------------------------------------------------------------------------
# Conformer encoder

CONFORMER_LAYER_NAMES = {
    "ffn1.linear_ff.weight",
    "ffn1.linear_ff.bias",
    "ffn1.linear_out.weight",
    "ffn1.linear_out.bias",
    "ffn1_layer_norm.scale",
    "ffn1_layer_norm.bias",
    "ffn2.linear_ff.weight",
    "ffn2.linear_ff.bias",
    "ffn2.linear_out.weight",
    "ffn2.linear_out.bias",
    "ffn2_layer_norm.scale",
    "ffn2_layer_norm.bias",
    "conv_block.positionwise_conv1.weight",
    "conv_block.positionwise_conv1.bias",
    "conv_block.depthwise_conv.filter",
    "conv_block.depthwise_conv.bias",
    "conv_block.positionwise_conv2.weight",
    "conv_block.positionwise_conv2.bias",
    "conv_block.norm.running_mean",
    "conv_block.norm.running_variance",
    "conv_block.norm.gamma",
    "conv_block.norm.beta",
    "conv_layer_norm.scale",
    "conv_layer_norm.bias",
    "self_att.qkv.weight",
    "self_att.qkv.bias",
    "self_att.proj.weight",
    "self_att.proj.bias",
    "self_att.linear_pos.weight",
    "self_att.pos_bias_u",
    "self_att.pos_bias_v",
    "self_att_layer_norm.scale",
    "self_att_layer_norm.bias",
    "final_layer_norm.scale",
    "final_layer_norm.bias",
}


def test_conformer_encoder_names_and_ctc_training(
    roundtrip: RoundTripFn, golden_models: Any
) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 8)
    vocab = nn.FeatureDim("vocab", 4)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, nn.SpatialDim("labels")], sparse_dim=vocab)
    )
    model_dim = nn.FeatureDim("model", 8)
    enc = golden_models.small_conformer(feat, model_dim)
    net = Classifier(enc, model_dim, nn.FeatureDim("vocab+blank", 5))
    logits, out_time = net(x, in_spatial_dim=time)
    assert out_time is time  # no pooling over time here
    logits.mark_as_default_output()
    nn.ctc_loss(logits=logits, targets=targets, blank_index=4).mark_as_loss("ctc")
    expected = (
        {
            "encoder.input_layer.conv_layers.0.filter",
            "encoder.input_layer.conv_layers.0.bias",
            "encoder.input_layer.conv_layers.1.filter",
            "encoder.input_layer.conv_layers.1.bias",
            "encoder.input_projection.weight",
            "output.weight",
            "output.bias",
        }
        | {f"encoder.layers.0.{n}" for n in CONFORMER_LAYER_NAMES}
        | {f"encoder.layers.1.{n}" for n in CONFORMER_LAYER_NAMES}
    )
    assert {name for name, _ in net.named_parameters()} == expected
    assert len(expected) == 2 * 35 + 5 + 2
    result = _train_and_check(roundtrip, net)
    assert result.report.variable_names == _tf_names(expected)
    shapes = result.report.variable_shapes
    assert shapes["encoder/layers/0/conv_block/depthwise_conv/filter/param"] == (3, 1, 8)
    assert shapes["encoder/input_layer/conv_layers/0/filter/param"] == (3, 3, 1, 2)
    assert shapes["encoder/input_projection/weight/param"] == (2 * 3, 8)  # 8 / 2 / 2 freq x 3 ch


def test_conformer_time_subsampling_and_batch_norm_stats(roundtrip: RoundTripFn) -> None:
    """Pooling over time (derived dim), no input layer variant, running stats updated."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 4)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    model_dim = nn.FeatureDim("model", 4)
    sub = ConformerConvSubsample(
        feat, out_dims=[nn.FeatureDim("conv", 2)], filter_sizes=[(3, 3)], pool_sizes=[(2, 2)]
    )
    enc = ConformerEncoder(
        feat, model_dim, input_layer=sub, num_layers=1, num_heads=2, conv_kernel_size=5
    )
    y, out_time = enc(x, in_spatial_dim=time)
    assert out_time.description == "⌈time/2⌉"
    y.mark_as_default_output()
    nn.reduce_sum(nn.reduce_sum(y * y, axis=model_dim), axis=out_time).mark_as_loss("l2")
    result = roundtrip(enc, train_steps=2)
    out = result.output()
    assert out.shape[1] == 4 and out.shape[-1] == 4  # ceil(7 / 2) frames
    assert "layers/0/conv_block/norm/running_mean/param" in result.report.variable_names

    with nn.Root("no-input-layer"):
        x2 = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        enc2 = ConformerEncoder(feat, model_dim, input_layer=None, num_layers=1, num_heads=1)
        y2, t2 = enc2(x2, in_spatial_dim=time)
        assert t2 is time
        y2.mark_as_default_output()
        names = {name for name, _ in enc2.named_parameters()}
        assert names == {"input_projection.weight"} | {
            f"layers.0.{n}" for n in CONFORMER_LAYER_NAMES
        }
        roundtrip(enc2)
