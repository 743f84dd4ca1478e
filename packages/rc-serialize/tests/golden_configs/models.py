"""The golden models: small factories whose configs are stored next to this file.

Each factory builds and calls one model under the current naming root and returns
its root module (build only: no TensorFlow). :func:`render` gives the two golden
texts of a model: its config (``get_returnn_config_serialized``, with rc-serialize's
version in the header replaced by ``<version>``) and its parameter table (canonical
path, TF variable name, shape). ``tools/regen_golden_configs.py`` writes them;
``tests/test_golden_configs.py`` compares them byte for byte. Load this module with
``_load.load_models()`` (a unique module name; the tests folder is no package).
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable
from typing import Any

import numpy

import rc_nn as nn
import rc_serialize
from rc_serialize import ParamNaming, build_network, get_returnn_config_serialized
from rc_serialize._example import build_example

HERE = pathlib.Path(__file__).resolve().parent


def _data(*dims: nn.Dim, name: str = "data", sparse_dim: nn.Dim | None = None) -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[nn.batch_dim, *dims], sparse_dim=sparse_dim))


class _Fn(nn.Module):
    """A root module without parameters of its own that runs ``fn``."""

    def __init__(self, fn: Callable[..., Any], **modules: nn.Module) -> None:
        super().__init__()
        for key, module in modules.items():
            setattr(self, key, module)
        self.fn = fn

    def forward(self, *args: Any) -> Any:
        return self.fn(self, *args)


# -- shared modules (the model of test_determinism.py) ---------------------------------------


class _Block(nn.Module):
    def __init__(self, d: nn.Dim, h: nn.Dim) -> None:
        super().__init__()
        self.up = nn.Linear(d, h)
        self.down = nn.Linear(h, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        out: nn.Tensor = x + self.down(nn.relu(self.up(self.norm(x))))
        return out


class _Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        d, h = nn.FeatureDim("model", 6), nn.FeatureDim("hidden", 7)
        self.blocks = nn.ModuleList([_Block(d, h) for _ in range(3)])
        for block in self.blocks:
            block.up.weight = self.blocks[0].up.weight  # shared by all blocks
        self.extra = {"a": 1, "b": 2}
        self.tied = self.blocks[1].down.bias

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        for block in self.blocks:
            x = block(x) + self.tied
        return x


def shared() -> nn.Module:
    time = nn.SpatialDim("time")
    net = _Shared()
    x = _data(time, net.blocks[0].norm.in_dim)
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_mean(nn.square(y), axis=net.blocks[0].norm.in_dim).mark_as_loss("l2", scale=0.1)
    return net


# -- single layers -----------------------------------------------------------------------------


def linear_norms() -> nn.Module:
    time, feat, hidden = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("h", 4)
    x = _data(time, feat)

    def run(self: Any, x: nn.Tensor) -> nn.Tensor:
        h = self.lin(x)
        out: nn.Tensor = self.bn(self.ln(h))
        return out

    net = _Fn(run, lin=nn.Linear(feat, hidden), ln=nn.LayerNorm(hidden), bn=nn.BatchNorm(hidden))
    net(x).mark_as_default_output()
    return net


def convs() -> nn.Module:
    time, width = nn.SpatialDim("time"), nn.SpatialDim("width", 6)
    feat, mid, out = nn.FeatureDim("in", 2), nn.FeatureDim("mid", 3), nn.FeatureDim("out", 4)
    x = _data(time, width, feat)

    def run(self: Any, x: nn.Tensor) -> tuple[nn.Tensor, nn.Tensor]:
        y2, _dims2 = self.conv2(x, in_spatial_dims=[time, width])
        y1, _time1 = self.conv1(nn.reduce_mean(x, axis=width), in_spatial_dim=time)
        return y2, y1

    net = _Fn(
        run,
        conv1=nn.Conv1d(feat, out, 3, padding="same"),
        conv2=nn.Conv2d(feat, mid, (3, 2), padding="valid", strides=(1, 2)),
    )
    y2, y1 = net(x)
    y2.mark_as_default_output()
    y1.mark_as_output("conv1d")
    return net


# -- attention family --------------------------------------------------------------------------


def _attention(cls: type) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("model", 4)
        x = _data(time, feat)
        att = cls(
            feat, feat, key_dim_total=feat, value_dim_total=feat, num_heads=2, att_dropout=0.1
        )
        net = _Fn(lambda self, x: x + self.att(x, axis=time), att=att)
        net(x).mark_as_default_output()
        return net

    return build


def transformer_encoder() -> nn.Module:
    time, feat, classes = nn.SpatialDim("time"), nn.FeatureDim("in", 5), nn.FeatureDim("cls", 3)
    model_dim = nn.FeatureDim("model", 8)
    x = _data(time, feat)
    y = _data(time, name="classes", sparse_dim=classes)
    enc = nn.TransformerEncoder(
        in_dim=feat,
        model_dim=model_dim,
        num_layers=2,
        ff_dim=nn.FeatureDim("ff", 16),
        num_heads=2,
        dropout=0.1,
        att_dropout=0.1,
    )
    net = _Fn(
        lambda self, x: self.output(self.encoder(x, spatial_dim=time)),
        encoder=enc,
        output=nn.Linear(model_dim, classes),
    )
    logits = net(x)
    logits.mark_as_default_output()
    nn.reduce_sum(
        nn.cross_entropy(estimated=logits, target=y, estimated_type="logits"), axis=time
    ).mark_as_loss("ce")
    return net


class DecoderBothWays(nn.Module):
    """A TransformerDecoder over whole label sequences and step by step in a loop.

    Also used by ``test_decoders.py`` (through the ``golden_models`` fixture).
    """

    def __init__(self, enc_dim: nn.Dim, vocab: nn.Dim, *, num_layers: int = 2) -> None:
        super().__init__()
        self.decoder = nn.TransformerDecoder(
            enc_dim,
            vocab,
            nn.FeatureDim("model", 8),
            num_layers=num_layers,
            num_heads=2,
            dropout=0.0,
            att_dropout=0.0,
        )

    def forward(
        self, enc: nn.Tensor, enc_time: nn.Dim, labels: nn.Tensor, time: nn.Dim
    ) -> tuple[nn.Tensor, nn.Tensor]:
        encoded = self.decoder.transform_encoder(enc, axis=enc_time)
        full = self.decoder(labels, spatial_dim=time, encoder=encoded)
        with nn.Loop(axis=time) as loop:
            logits = self.decoder(
                loop.unstack(labels), spatial_dim=nn.single_step_dim, encoder=encoded
            )
            steps = loop.stack(logits)
        return full, steps


def transformer_decoder() -> nn.Module:
    enc_time, enc_dim = nn.SpatialDim("enc-time"), nn.FeatureDim("enc", 4)
    time, vocab = nn.SpatialDim("out-time"), nn.FeatureDim("vocab", 5)
    enc = _data(enc_time, enc_dim)
    labels = _data(time, name="labels", sparse_dim=vocab)
    net = DecoderBothWays(enc_dim, vocab)
    full, steps = net(enc, enc_time, labels, time)
    full.mark_as_default_output()
    steps.mark_as_output("steps")
    return net


def small_conformer(feat: nn.Dim, model_dim: nn.Dim, *, num_layers: int = 2) -> nn.ConformerEncoder:
    """A small Conformer (2 blocks) with its conv front end (also used by ``test_models.py``)."""
    sub = nn.ConformerConvSubsample(
        feat,
        out_dims=[nn.FeatureDim("conv1", 2), nn.FeatureDim("conv2", 3)],
        filter_sizes=[(3, 3), (3, 3)],
        pool_sizes=[(1, 2), (1, 2)],
    )
    return nn.ConformerEncoder(
        feat,
        model_dim,
        ff_dim=nn.FeatureDim("ff", 16),
        input_layer=sub,
        num_layers=num_layers,
        num_heads=2,
        conv_kernel_size=3,
        dropout=0.1,
        att_dropout=0.1,
    )


def conformer_encoder(*, num_layers: int = 2) -> nn.Module:
    """``small_conformer`` with an output layer and a CTC loss (the torch tests use 12 blocks)."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 8)
    vocab = nn.FeatureDim("vocab", 4)
    x = _data(time, feat)
    targets = _data(nn.SpatialDim("labels"), name="classes", sparse_dim=vocab)
    model_dim = nn.FeatureDim("model", 8)
    enc = small_conformer(feat, model_dim, num_layers=num_layers)
    out_dim = nn.FeatureDim("vocab+blank", 5)

    def run(self: Any, x: nn.Tensor) -> nn.Tensor:
        h, _out_time = self.encoder(x, in_spatial_dim=time)
        out: nn.Tensor = self.output(h)
        return out

    net = _Fn(run, encoder=enc, output=nn.Linear(model_dim, out_dim))
    logits = net(x)
    logits.mark_as_default_output()
    nn.ctc_loss(logits=logits, targets=targets, blank_index=4).mark_as_loss("ctc")
    return net


# -- recurrent models --------------------------------------------------------------------------


def blstm() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)
    enc = nn.BlstmEncoder(
        feat, nn.FeatureDim("lstm", 4), num_layers=2, time_reduction=2, dropout=0.1
    )

    def run(self: Any, x: nn.Tensor) -> tuple[nn.Tensor, nn.Dim]:
        out: tuple[nn.Tensor, nn.Dim] = self.encoder(x, in_spatial_dim=time)
        return out

    net = _Fn(run, encoder=enc)
    y, _out_time = net(x)
    y.mark_as_default_output()
    return net


def lstm_aed(feat: nn.Dim, vocab: nn.Dim) -> nn.LstmAttentionEncoderDecoder:
    """A small LSTM attention encoder-decoder (also used by ``test_decoders.py``)."""
    return nn.LstmAttentionEncoderDecoder(
        feat,
        vocab,
        encoder_dim=nn.FeatureDim("enc-lstm", 4),
        num_layers=2,
        time_reduction=2,
        encoder_dropout=0.0,
        embed_dim=nn.FeatureDim("embed", 3),
        lstm_dim=nn.FeatureDim("dec-lstm", 5),
        att_key_dim=nn.FeatureDim("att-key", 4),
        readout_dim=nn.FeatureDim("readout", 6),
    )


def _targets(vocab: nn.Dim, time: nn.Dim) -> nn.Tensor:
    return nn.get_extern_data(
        nn.Data(
            "classes",
            dim_tags=[nn.batch_dim, time],
            sparse_dim=vocab,
            available_for_inference=False,
        )
    )


def lstm_attention_decoder() -> nn.Module:
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    out_time = nn.SpatialDim("out-time")
    x, targets = _data(time, feat), _targets(vocab, out_time)
    model = lstm_aed(feat, vocab)
    logits = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    logits.mark_as_default_output()
    nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits").mark_as_loss("ce")
    return model


def lstm_attention_search() -> nn.Module:
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    x, targets = _data(time, feat), _targets(vocab, nn.SpatialDim("out-time"))
    model = lstm_aed(feat, vocab)
    labels, _out_time = model.search(
        x, source_spatial_dim=time, target=targets, beam_size=3, max_seq_len=6
    )
    labels.mark_as_default_output()
    return model


def transformer_zoo() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    vocab, out_time = nn.FeatureDim("vocab", 5), nn.SpatialDim("out-time")
    x, targets = _data(time, feat), _targets(vocab, out_time)
    model = nn.Transformer(
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
    out = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    logits = out[0] if isinstance(out, tuple) else out
    logits.mark_as_default_output()
    return model


# -- control flow ------------------------------------------------------------------------------


def nested_loop() -> nn.Module:
    time, width, feat = nn.SpatialDim("time"), nn.SpatialDim("width"), nn.FeatureDim("f", 3)
    x = _data(time, width, feat)

    def run(self: Any, x: nn.Tensor) -> nn.Tensor:
        with nn.Loop(axis=time) as outer:
            x_t = outer.unstack(x)
            inner = nn.Loop(axis=width)
            inner.state.h = nn.zeros([nn.batch_dim, feat])
            with inner:
                inner.state.h = self.lin(inner.unstack(x_t)) + inner.state.h
                y_t = inner.stack(inner.state.h)
            return outer.stack(y_t)

    net = _Fn(run, lin=nn.Linear(feat, feat))
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y, axis=[time, width, feat]).mark_as_loss("sum")
    return net


def loop_output_carrier() -> nn.Module:
    """An end-driven loop stacking a frame that keeps the input's time: "output" carrier."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = _data(time, feat)

    def run(self: Any, x: nn.Tensor) -> tuple[nn.Tensor, nn.Tensor]:
        loop = nn.Loop(max_seq_len=4)
        loop.state.h = x
        with loop:
            loop.state.h = nn.tanh(self.lin(loop.state.h))
            loop.end(loop.iteration >= 2, include_eos=True)
            frames = loop.stack(loop.state.h)  # [steps, B, time, F]
            last = loop.last(loop.state.h)
        return frames, last

    net = _Fn(run, lin=nn.Linear(feat, feat))
    frames, last = net(x)
    frames.mark_as_default_output()
    last.mark_as_output("last")
    return net


def cond() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)

    def run(self: Any, x: nn.Tensor) -> nn.Tensor:
        total = nn.reduce_sum(x, axis=[nn.batch_dim, time, feat])
        with nn.Cond(total > 0.0) as c:
            a = self.lin(x)
            c.true = {"y": nn.tanh(a), "z": a * 2.0}
            b = self.lin(self.other(x))
            c.false = {"y": b, "z": -b}
        out: nn.Tensor = c.result["y"] + c.result["z"]
        return out

    net = _Fn(run, lin=nn.Linear(feat, feat), other=nn.Linear(feat, feat))
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y * y, axis=[time, feat]).mark_as_loss("l2")
    return net


def masked_computation() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = _data(time, feat)

    def run(self: Any, x: nn.Tensor) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            with nn.MaskedComputation(mask=nn.reduce_sum(x_t, axis=feat) > 0.0):
                loop.state.acc = loop.state.acc + self.lin(x_t)
            return loop.stack(loop.state.acc)

    net = _Fn(run, lin=nn.Linear(feat, feat))
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y * y, axis=[time, feat]).mark_as_loss("l2")
    return net


# -- parameters, inputs, losses, extras ----------------------------------------------------------


def unused_params() -> nn.Module:
    """N4: parameters of the model that no output uses still get variables."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)
    net = _Fn(
        lambda self, x: self.used(x),
        used=nn.Linear(feat, feat),
        unused=nn.Linear(feat, nn.FeatureDim("spare", 2)),
    )
    net(x).mark_as_default_output()
    return net


def init_by_layer() -> nn.Module:
    """A weight-normed Linear: ``g`` starts at the norm of ``v``'s random value."""
    time, feat, out_dim = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("out", 2)
    x = _data(time, feat)
    lin = nn.Linear(feat, out_dim)
    lin.bias.initial = numpy.array([0.25, -0.5], "float32")
    net = _Fn(lambda self, x: self.lin(x), lin=lin)
    net.wn = nn.weight_norm(lin)
    net(x).mark_as_default_output()
    return net


def sparse_extern() -> nn.Module:
    time, vocab, emb = nn.SpatialDim("time"), nn.FeatureDim("vocab", 7), nn.FeatureDim("emb", 3)
    labels = _data(time, name="labels", sparse_dim=vocab)
    net = _Fn(lambda self, x: self.emb(x), emb=nn.Embedding(vocab, emb))
    net(labels).mark_as_default_output()
    return net


def losses() -> nn.Module:
    time, feat, classes = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("cls", 4)
    x = _data(time, feat)
    y = _data(time, name="classes", sparse_dim=classes)
    net = _Fn(lambda self, x: self.out(x), out=nn.Linear(feat, classes))
    logits = net(x)
    logits.mark_as_default_output()
    ce = nn.cross_entropy(estimated=logits, target=y, estimated_type="logits")
    ce.mark_as_loss("ce", scale=0.5)
    frame_error = nn.cast(nn.reduce_max(logits, axis=classes) > 0.0, dtype="float32")
    frame_error.mark_as_loss("fer", as_error=True)
    nn.reduce_sum(nn.square(logits), axis=classes).mark_as_loss("l2", scale=1e-3)
    return net


def extra_net_dict() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)
    net = _Fn(lambda self, x: self.lin(x), lin=nn.Linear(feat, feat))
    net(x).mark_as_default_output()
    nn.extra_net_dict()["#config"] = {"learning_rate": 0.1, "note": 'quote " and \\ backslash'}
    nn.extra_net_dict()["#copy_param_mode"] = "subset"
    return net


@dataclasses.dataclass(frozen=True)
class GoldenModel:
    """One golden model: its factory and the ``param_naming`` style it is serialized with."""

    build: Callable[[], nn.Module]
    param_naming: str = "predecessor"


MODELS: dict[str, GoldenModel] = {
    "example": GoldenModel(build_example),
    "shared": GoldenModel(shared),
    "shared_plain_naming": GoldenModel(shared, param_naming="plain"),
    "linear_norms": GoldenModel(linear_norms),
    "convs": GoldenModel(convs),
    "self_attention": GoldenModel(_attention(nn.SelfAttention)),
    "causal_self_attention": GoldenModel(_attention(nn.CausalSelfAttention)),
    "rel_pos_self_attention": GoldenModel(_attention(nn.RelPosSelfAttention)),
    "transformer_encoder": GoldenModel(transformer_encoder),
    "transformer_decoder": GoldenModel(transformer_decoder),
    "transformer_zoo": GoldenModel(transformer_zoo),
    "conformer_encoder": GoldenModel(conformer_encoder),
    "blstm": GoldenModel(blstm),
    "lstm_attention_decoder": GoldenModel(lstm_attention_decoder),
    "lstm_attention_search": GoldenModel(lstm_attention_search),
    "nested_loop": GoldenModel(nested_loop),
    "loop_output_carrier": GoldenModel(loop_output_carrier),
    "cond": GoldenModel(cond),
    "masked_computation": GoldenModel(masked_computation),
    "unused_params": GoldenModel(unused_params),
    "init_by_layer": GoldenModel(init_by_layer),
    "sparse_extern": GoldenModel(sparse_extern),
    "losses": GoldenModel(losses),
    "extra_net_dict": GoldenModel(extra_net_dict),
}

_VERSION_IN_HEADER = f"rc-serialize {rc_serialize.__version__}."


def normalise_config(code: str) -> str:
    """Replace rc-serialize's version in the config's header comment by ``<version>``."""
    head, sep, rest = code.partition("\n")
    second, sep2, body = rest.partition("\n")
    if _VERSION_IN_HEADER not in second:
        raise AssertionError(f"unexpected config header: {head!r} / {second!r}")
    second = second.replace(_VERSION_IN_HEADER, "rc-serialize <version>.", 1)
    return f"{head}{sep}{second}{sep2}{body}"


def _shape(param: nn.Parameter) -> str:
    return "(" + ", ".join(str(dim.dimension) for dim in param.dims) + ")"


def render(name: str) -> tuple[str, str]:
    """The golden config text and parameter table of the model ``name`` (built here)."""
    model = MODELS[name]
    with nn.Root():
        root = model.build()
        code = get_returnn_config_serialized(root, param_naming=model.param_naming)
        serialized = build_network(root, param_naming=ParamNaming(model.param_naming))
    lines = [
        f"{path}\t{serialized.variable_names[path]}\t{_shape(param)}\n"
        for path, param in serialized.parameters.items()
    ]
    return normalise_config(code), "".join(lines)


def golden_paths(name: str) -> tuple[pathlib.Path, pathlib.Path]:
    """Where the golden config and parameter table of ``name`` are stored."""
    return HERE / f"{name}.config.py", HERE / f"{name}.params.txt"
