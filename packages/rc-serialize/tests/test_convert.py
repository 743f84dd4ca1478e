"""``rc-serialize convert`` (issue 14): RETURNN TF checkpoints <-> RETURNN PyTorch checkpoints.

* The per-module layouts are proven by values: a model's conv layers (Conv1d, depthwise
  Conv1d, Conv2d, TransposedConv1d) run in RETURNN's TF backend, their RETURNN-written
  checkpoint is converted, loaded into ``returnn.frontend``'s own conv modules on the
  torch backend, and the outputs are equal.
* TF -> torch -> TF is bit-exact on a RETURNN-written checkpoint of the golden
  ``conformer_encoder`` (Linear, Conv2d, depthwise Conv1d, LayerNorm, BatchNorm,
  relative-position attention biases) after training steps; the ``.pt`` keys are
  ``named_parameters()``.
* TF -> torch -> TF is bit-exact on a RETURNN-written checkpoint of the golden ``blstm``;
  the LSTM weights are ``[4*out, in]`` with the gate blocks in torch's order ``i, f, j, o``.
* Every user-causable failure is a clear error.

Needs PyTorch (marker ``torch``) and RETURNN's TF backend (marker ``returnn``).
"""

from __future__ import annotations

import pathlib
import types
from typing import Any

import numpy as np
import pytest

import rc_naming
import rc_nn as nn
import rc_serialize
from rc_serialize import get_returnn_config_serialized
from rc_serialize._cli import main
from rc_serialize._convert import _write_tf, param_table
from rc_serialize._returnn_check import _behavior_version_of, _construct, _load_config

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


# -- the layouts, proven against returnn.frontend's conv modules ---------------------------

B, T, W = 2, 7, 5
IN, OUT = 2, 3


class _Convs(nn.Module):
    def __init__(self, time: nn.Dim, width: nn.Dim, feat: nn.Dim, out: nn.Dim) -> None:
        super().__init__()
        self.time, self.width = time, width
        self.conv1 = nn.Conv1d(feat, out, 3, padding="same")
        self.depthwise = nn.Conv1d(out, out, 3, padding="same", groups=OUT)
        self.conv2 = nn.Conv2d(feat, out, (3, 2), padding="valid")
        self.tconv = nn.TransposedConv1d(feat, out, 3, padding="valid", strides=2)

    def forward(self, x: nn.Tensor) -> dict[str, nn.Tensor]:
        x1 = nn.reduce_mean(x, axis=self.width)
        y1, _ = self.conv1(x1, in_spatial_dim=self.time)
        dw, _ = self.depthwise(y1, in_spatial_dim=self.time)
        y2, _ = self.conv2(x, in_spatial_dims=[self.time, self.width])
        yt, _ = self.tconv(x1, in_spatial_dim=self.time)
        return {"conv1": y1, "depthwise": dw, "conv2": y2, "tconv": yt}


def _tf_outputs(code: str, work: pathlib.Path, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run the config in RETURNN's TF backend on ``x`` and save RETURNN's checkpoint."""
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    work.mkdir(parents=True, exist_ok=True)
    path = work / "config.py"
    path.write_text(code, encoding="utf-8")
    config = _load_config(path)
    with _behavior_version_of(config):
        built = _construct(config, train=False, search=False, seed=3)
        with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
            network = built.network
            network.initialize_params(session)
            data = network.extern_data.get_default_input_data()
            feed = {data.placeholder: x, data.get_sequence_lengths(): np.full([B], T, "int32")}
            fetches = {}
            for name in ("conv1", "depthwise", "conv2", "tconv"):
                layer = network.get_layer(name)
                fetches[name] = layer.output.copy_as_batch_major().placeholder
            out: dict[str, np.ndarray] = session.run(fetches, feed_dict=feed)
            network.save_params_to_file(str(work / "net.001"), session)
    return out


def _rf_outputs(state: dict[str, Any], x: np.ndarray) -> dict[str, np.ndarray]:
    """The same convolutions with returnn.frontend's own modules on the torch backend."""
    import returnn.frontend as rf  # noqa: PLC0415  torch backend only where it is used
    from returnn.frontend import _backend as rf_backend  # noqa: PLC0415
    from returnn.tensor import Dim  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    previous = rf_backend.global_backend.__class__  # the process-wide RF backend
    rf.select_backend_torch()
    try:
        # a static batch dim of our own: the global batch_dim is left as it was
        batch, time, width = Dim(B, name="batch"), Dim(T, name="time"), Dim(W, name="width")
        feat, out = Dim(IN, name="in"), Dim(OUT, name="out")
        mods = {
            "conv1": rf.Conv1d(feat, out, 3, padding="same"),
            "depthwise": rf.Conv1d(out, out, 3, padding="same", groups=OUT),
            "conv2": rf.Conv2d(feat, out, (3, 2), padding="valid"),
            "tconv": rf.TransposedConv1d(feat, out, 3, padding="valid", strides=2),
        }
        for name, mod in mods.items():
            sub = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(name + ".")}
            rf_module_to_pt_module(mod).load_state_dict(sub, strict=True)
        xt = rf.convert_to_tensor(torch.tensor(x), dims=[batch, time, width, feat])
        x1 = rf.reduce_mean(xt, axis=width)
        results = {}
        with torch.no_grad():
            y1, _ = mods["conv1"](x1, in_spatial_dim=time)
            dw, _ = mods["depthwise"](y1, in_spatial_dim=time)
            y2, (t2, w2) = mods["conv2"](xt, in_spatial_dims=[time, width])
            yt, tt = mods["tconv"](x1, in_spatial_dim=time)
        results["conv1"] = y1.copy_compatible_to_dims_raw([batch, time, out])
        results["depthwise"] = dw.copy_compatible_to_dims_raw([batch, time, out])
        results["conv2"] = y2.copy_compatible_to_dims_raw([batch, t2, w2, out])
        results["tconv"] = yt.copy_compatible_to_dims_raw([batch, tt, out])
    finally:
        rf_backend.global_backend.__class__ = previous
    return {k: v.numpy() for k, v in results.items()}


def _called_convs() -> nn.Module:
    time, width = nn.SpatialDim("time"), nn.SpatialDim("width", W)
    feat, out = nn.FeatureDim("in", IN), nn.FeatureDim("out", OUT)
    model = _Convs(time, width, feat, out)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, width, feat]))
    for name, y in model(x).items():
        y.mark_as_output(name)
    return model


def test_conv_layouts_give_returnn_frontends_values(
    tmp_path: pathlib.Path, returnn_tf: Any
) -> None:
    with nn.Root():
        model = _called_convs()
        code = get_returnn_config_serialized(model)
        table = {e.key: e for e in param_table(model)}
    assert table["conv2.filter"].tf_shape == (3, 2, IN, OUT)
    assert table["conv2.filter"].torch_shape == (OUT, IN, 3, 2)
    assert table["depthwise.filter"].torch_shape == (OUT, 1, 3)
    assert table["tconv.filter"].tf_shape == (3, OUT, IN)
    assert table["tconv.filter"].torch_shape == (IN, OUT, 3)
    data = np.random.RandomState(4).normal(size=(B, T, W, IN)).astype("float32")
    tf_out = _tf_outputs(code, tmp_path / "tf", data)
    with nn.Root():
        model = _called_convs()
        result = rc_serialize.convert_checkpoint(
            model, tmp_path / "tf" / "net.001", tmp_path / "net.pt"
        )
    assert (result.to, result.parameters, result.epoch) == ("torch", 8, 1)
    state = torch.load(tmp_path / "net.pt", weights_only=True)["model"]
    rf_out = _rf_outputs(state, data)
    for name in tf_out:
        assert tf_out[name].shape == rf_out[name].shape, name
        assert np.abs(tf_out[name] - rf_out[name]).max() <= 1e-5, name
        assert np.abs(tf_out[name]).max() > 0.01, name  # not vacuous


# -- TF -> torch -> TF on a RETURNN-written checkpoint ------------------------------------

_SPEC = "rc_serialize_golden_models:conformer_encoder"


def test_conformer_tf_torch_tf_is_bit_exact(
    tmp_path: pathlib.Path,
    check_config: Any,
    capsys: pytest.CaptureFixture[str],
    golden_models: types.ModuleType,
) -> None:
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    models = golden_models
    with nn.Root():
        model = models.conformer_encoder()
        code = get_returnn_config_serialized(model)
        names = [name for name, _ in model.named_parameters()]
    report = check_config(code, train_steps=2, tmp_dir=tmp_path / "run")
    assert len(report.losses) == 2  # trained: the values are no longer the initial ones
    checkpoint = tmp_path / "run" / "model" / "model.ckpt"
    pt, back = tmp_path / "enc.003.pt", tmp_path / "back.003"
    args = ["convert", _SPEC, "--checkpoint"]
    assert main([*args, str(checkpoint), "-o", str(pt), "--epoch", "3"]) == 0
    assert main([*args, str(pt), "-o", str(back)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote PyTorch checkpoint {pt} ({len(names)} parameters" in printed
    assert f"wrote TF checkpoint {back} ({len(names)} parameters" in printed

    before, after = tf.train.load_checkpoint(str(checkpoint)), tf.train.load_checkpoint(str(back))
    shapes = before.get_variable_to_shape_map()
    assert set(after.get_variable_to_shape_map()) == set(shapes)
    assert len(shapes) == len(names) + 1  # + global_step
    for name in shapes:
        old, new = before.get_tensor(name), after.get_tensor(name)
        assert (old.dtype, old.shape, old.tobytes()) == (new.dtype, new.shape, new.tobytes()), name

    content = torch.load(pt, weights_only=True)
    assert list(content["model"]) == names  # keys: named_parameters(), in that order
    assert content["epoch"] == 3 and content["step"] == int(before.get_tensor("global_step"))
    state = content["model"]
    dw = "encoder.layers.0.conv_block.depthwise_conv.filter"
    tf_dw = before.get_tensor(dw.replace(".", "/") + "/param")
    assert tf_dw.shape == (3, 1, 8) and tuple(state[dw].shape) == (8, 1, 3)
    assert np.array_equal(state[dw].numpy(), tf_dw.transpose(2, 1, 0))
    conv2 = "encoder.input_layer.conv_layers.1.filter"
    assert tuple(state[conv2].shape) == (3, 2, 3, 3)
    assert np.array_equal(
        state[conv2].numpy(),
        before.get_tensor(conv2.replace(".", "/") + "/param").transpose(3, 2, 0, 1),
    )
    lin = "encoder.layers.1.ffn1.linear_ff.weight"
    assert np.array_equal(state[lin].numpy(), before.get_tensor(lin.replace(".", "/") + "/param"))


def test_blstm_tf_torch_tf_is_bit_exact_with_torch_gate_order(
    tmp_path: pathlib.Path, check_config: Any, golden_models: types.ModuleType
) -> None:
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    models = golden_models
    with nn.Root():
        model = models.blstm()  # 2 BLSTM layers with max-pool time reduction
        code = get_returnn_config_serialized(model)
        names = [name for name, _ in model.named_parameters()]
        report = check_config(code, train_steps=2, tmp_dir=tmp_path / "run")
        assert len(report.losses) == 2
        checkpoint = tmp_path / "run" / "model" / "model.ckpt"
        pt, back = tmp_path / "blstm.002.pt", tmp_path / "back.002"
        rc_serialize.convert_checkpoint(model, checkpoint, pt)
        rc_serialize.convert_checkpoint(model, pt, back)
    before, after = tf.train.load_checkpoint(str(checkpoint)), tf.train.load_checkpoint(str(back))
    shapes = before.get_variable_to_shape_map()
    assert set(after.get_variable_to_shape_map()) == set(shapes)
    assert len(shapes) == len(names) + 1  # + global_step
    for name in shapes:
        old, new = before.get_tensor(name), after.get_tensor(name)
        assert (old.dtype, old.shape, old.tobytes()) == (new.dtype, new.shape, new.tobytes()), name

    state = torch.load(pt, weights_only=True)["model"]
    assert list(state) == names
    out = 4  # FeatureDim("lstm", 4)
    for key, in_size in [("encoder.layers.0.bw.param_W", 3), ("encoder.layers.1.fw.param_W_re", 4)]:
        tf_value = before.get_tensor(key.replace(".", "/") + "/param")  # [in, 4*out]: j i f o
        assert tf_value.shape == (in_size, 4 * out)
        j, i, f, o = np.split(tf_value.T, 4)
        assert tuple(state[key].shape) == (4 * out, in_size)  # torch: [4*out, in], i f j o
        assert np.array_equal(state[key].numpy(), np.concatenate([i, f, j, o]))
        assert not np.array_equal(i, j)  # random values: a wrong block order would show
    bias = "encoder.layers.1.bw.param_b"
    j, i, f, o = np.split(before.get_tensor(bias.replace(".", "/") + "/param"), 4)
    assert np.array_equal(state[bias].numpy(), np.concatenate([i, f, j, o]))


# -- errors -------------------------------------------------------------------------------


def _linear() -> nn.Module:
    feat = nn.FeatureDim("in", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, nn.SpatialDim("time"), feat]))
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    net(x).mark_as_default_output()
    return net


_GOOD = {"weight": np.ones((3, 2), "float32"), "bias": np.zeros((2,), "float32")}


@pytest.mark.parametrize(
    ("state", "error", "words"),
    [
        ({"weight": _GOOD["weight"]}, rc_serialize.MissingParameterError, ["lacks 1", "'bias'"]),
        (
            {**_GOOD, "extra.weight": _GOOD["bias"]},
            rc_serialize.UnexpectedParameterError,
            ["does not have", "extra.weight"],
        ),
        (
            {**_GOOD, "weight": np.ones((2, 3), "float32")},
            rc_serialize.ParameterShapeError,
            ["parameter weight", "has shape (2, 3)", "shape (3, 2)", "created at"],
        ),
    ],
)
def test_torch_checkpoint_that_does_not_fit_the_model(
    tmp_path: pathlib.Path, state: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    path = tmp_path / "bad.pt"
    torch.save({"model": {k: torch.tensor(v) for k, v in state.items()}, "step": 1}, path)
    with nn.Root():
        model = _linear()
        with pytest.raises(error) as info:
            rc_serialize.convert_checkpoint(model, path, tmp_path / "out")
    assert all(word in str(info.value) for word in words), str(info.value)
    assert not list(tmp_path.glob("out*"))  # nothing written


@pytest.mark.parametrize(
    ("variables", "error", "words"),
    [
        ({"weight/param": _GOOD["weight"]}, rc_serialize.MissingParameterError, ["'bias/param'"]),
        (
            {
                "weight/param": _GOOD["weight"],
                "bias/param": _GOOD["bias"],
                "x/param": _GOOD["bias"],
            },
            rc_serialize.UnexpectedParameterError,
            ["x/param"],
        ),
        (
            {"weight/param": _GOOD["weight"], "bias/param": np.zeros((3,), "float32")},
            rc_serialize.ParameterShapeError,
            ["parameter bias", "has shape (3,)", "shape (2,)"],
        ),
    ],
)
def test_tf_checkpoint_that_does_not_fit_the_model(
    tmp_path: pathlib.Path,
    returnn_tf: Any,
    variables: dict[str, np.ndarray],
    error: type[Exception],
    words: list[str],
) -> None:
    _write_tf({**variables, "global_step": np.asarray(4, "int64")}, tmp_path / "ck.002")
    with nn.Root():
        model = _linear()
        with pytest.raises(error) as info:
            rc_serialize.convert_checkpoint(model, tmp_path / "ck.002", tmp_path / "out.pt")
    assert isinstance(info.value, LookupError | ValueError)
    assert all(word in str(info.value) for word in words), str(info.value)
    assert not (tmp_path / "out.pt").exists()


def test_tf_checkpoint_with_optimizer_slots_converts_without_them(
    tmp_path: pathlib.Path, returnn_tf: Any
) -> None:
    slots = {"weight/param/Adam": _GOOD["weight"], "beta1_power": np.asarray(0.9, "float32")}
    _write_tf(
        {"weight/param": _GOOD["weight"], "bias/param": _GOOD["bias"], **slots}, tmp_path / "ck.002"
    )
    with nn.Root():
        result = rc_serialize.convert_checkpoint(_linear(), tmp_path / "ck.002", tmp_path / "o.pt")
    assert (result.epoch, result.step, result.ignored) == (
        2,
        None,
        ("beta1_power", "weight/param/Adam"),
    )
    assert set(torch.load(tmp_path / "o.pt", weights_only=True)) == {"model", "epoch"}


def test_wrong_files_are_clear_errors(tmp_path: pathlib.Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    fake_pt = tmp_path / "fake.pt"
    fake_pt.write_text("not a torch file", encoding="utf-8")
    no_dict = tmp_path / "list.pt"
    torch.save([1, 2], no_dict)
    good = tmp_path / "good.pt"
    torch.save({"model": {k: torch.tensor(v) for k, v in _GOOD.items()}}, good)
    cases = [
        (text, tmp_path / "o.pt", rc_serialize.CheckpointFormatError, "neither a PyTorch"),
        (fake_pt, tmp_path / "o", rc_serialize.CheckpointFormatError, "cannot read PyTorch"),
        (no_dict, tmp_path / "o", rc_serialize.CheckpointFormatError, "state dict"),
        (good, tmp_path / "o.pt", rc_serialize.CheckpointFormatError, "TF checkpoint prefix"),
        (good, tmp_path / "nodir" / "o", rc_serialize.CheckpointPathError, "does not exist"),
        (tmp_path / "missing.003", tmp_path / "o.pt", rc_serialize.CheckpointPathError, ".index"),
        (tmp_path / "missing.pt", tmp_path / "o", rc_serialize.CheckpointPathError, "missing.pt"),
    ]
    for source, target, error, words in cases:
        with nn.Root():
            model = _linear()
            with pytest.raises(error, match=words):
                rc_serialize.convert_checkpoint(model, source, target)
    assert issubclass(rc_serialize.CheckpointFormatError, ValueError)


def test_zoneout_lstm_parameters_are_not_converted_yet(tmp_path: pathlib.Path) -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        lstm = nn.ZoneoutLSTM(feat, nn.FeatureDim("lstm", 4))
        y, _ = lstm(x, spatial_dim=time)
        y.mark_as_default_output()
        with pytest.raises(
            rc_serialize.TorchLayoutError, match=r"nn.ZoneoutLSTM.*later coverage step"
        ):
            param_table(lstm)
        assert issubclass(rc_serialize.TorchLayoutError, NotImplementedError)


def test_cli_error_exit_code(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "fake.pt"
    fake.write_text("x", encoding="utf-8")
    with rc_naming.Root("t"):
        code = main(["convert", "--checkpoint", str(fake), "-o", str(tmp_path / "out")])
    assert code == 2
    assert "CheckpointFormatError: cannot read PyTorch checkpoint" in capsys.readouterr().err


def test_plain_naming_round_trip(tmp_path: pathlib.Path, returnn_tf: Any) -> None:
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    rng = np.random.RandomState(2)
    values = {
        "conv/filter": rng.normal(size=(5, 3, 4)).astype("float32"),
        "conv/bias": rng.normal(size=(4,)).astype("float32"),
        "global_step": np.asarray(7, "int64"),
    }
    _write_tf(values, tmp_path / "plain.010")

    def build() -> nn.Module:
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)

        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv = nn.Conv1d(feat, nn.FeatureDim("o", 4), 5)

            def __call__(self, x: nn.Tensor) -> nn.Tensor:
                return self.conv(x, in_spatial_dim=time)[0]

        model = Model()
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model(x).mark_as_default_output()
        return model

    with nn.Root():
        model = build()
        there = rc_serialize.convert_checkpoint(
            model, tmp_path / "plain.010", tmp_path / "p.pt", param_naming="plain"
        )
        back = rc_serialize.convert_checkpoint(
            model, tmp_path / "p.pt", tmp_path / "again.010", param_naming="plain"
        )
    assert (there.epoch, there.step, back.epoch, back.step) == (10, 7, 10, 7)
    content = torch.load(tmp_path / "p.pt", weights_only=True)
    assert np.array_equal(
        content["model"]["conv.filter"].numpy(), values["conv/filter"].transpose(2, 1, 0)
    )
    reader = tf.train.load_checkpoint(str(tmp_path / "again.010"))
    assert set(reader.get_variable_to_shape_map()) == set(values)
    for name, value in values.items():
        assert reader.get_tensor(name).tobytes() == value.tobytes(), name
    with nn.Root():  # the same checkpoint under the default naming: every name differs
        with pytest.raises(rc_serialize.MissingParameterError, match="conv/filter/param"):
            rc_serialize.convert_checkpoint(build(), tmp_path / "plain.010", tmp_path / "q.pt")
