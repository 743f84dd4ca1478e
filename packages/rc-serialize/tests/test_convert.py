"""``rc-serialize convert`` (issue 14): RETURNN TF checkpoints <-> RETURNN PyTorch checkpoints.

* The per-module layouts are proven by values: a model's conv layers (Conv1d, depthwise
  Conv1d, Conv2d, TransposedConv1d) run in RETURNN's TF backend, their RETURNN-written
  checkpoint is converted, loaded into ``returnn.frontend``'s own conv modules on the
  torch backend, and the outputs are equal.
* TF -> torch -> TF is bit-exact on a RETURNN-written checkpoint of the golden
  ``conformer_encoder`` (Linear, Conv2d, depthwise Conv1d, LayerNorm, BatchNorm,
  relative-position attention biases) after training steps; the ``.pt`` keys are
  ``named_parameters()``.
* Every user-causable failure is a clear error.

Needs PyTorch (marker ``torch``) and RETURNN's TF backend (marker ``returnn``).
"""

from __future__ import annotations

import importlib.util
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

GOLDEN_DIR = pathlib.Path(__file__).resolve().parent / "golden_configs"


def _golden_models() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rc_serialize_golden_load", GOLDEN_DIR / "_load.py"
    )
    assert spec is not None and spec.loader is not None
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    models: types.ModuleType = loader.load_models()
    return models


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
    from returnn.tensor import Dim, batch_dim  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    rf.select_backend_torch()
    time, width = Dim(T, name="time"), Dim(W, name="width")
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
    xt = rf.convert_to_tensor(torch.tensor(x), dims=[batch_dim, time, width, feat])
    batch_dim.dyn_size_ext = None
    x1 = rf.reduce_mean(xt, axis=width)
    results = {}
    with torch.no_grad():
        y1, _ = mods["conv1"](x1, in_spatial_dim=time)
        dw, _ = mods["depthwise"](y1, in_spatial_dim=time)
        y2, (t2, w2) = mods["conv2"](xt, in_spatial_dims=[time, width])
        yt, tt = mods["tconv"](x1, in_spatial_dim=time)
    results["conv1"] = y1.copy_compatible_to_dims_raw([batch_dim, time, out])
    results["depthwise"] = dw.copy_compatible_to_dims_raw([batch_dim, time, out])
    results["conv2"] = y2.copy_compatible_to_dims_raw([batch_dim, t2, w2, out])
    results["tconv"] = yt.copy_compatible_to_dims_raw([batch_dim, tt, out])
    return {k: v.numpy() for k, v in results.items()}


def test_conv_layouts_give_returnn_frontends_values(
    tmp_path: pathlib.Path, returnn_tf: Any
) -> None:
    with nn.Root():
        time, width = nn.SpatialDim("time"), nn.SpatialDim("width", W)
        feat, out = nn.FeatureDim("in", IN), nn.FeatureDim("out", OUT)
        model = _Convs(time, width, feat, out)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, width, feat]))
        for name, y in model(x).items():
            y.mark_as_output(name)
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
        time, width = nn.SpatialDim("time"), nn.SpatialDim("width", W)
        feat, out = nn.FeatureDim("in", IN), nn.FeatureDim("out", OUT)
        model = _Convs(time, width, feat, out)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, width, feat]))
        for name, y in model(x).items():
            y.mark_as_output(name)
        result = rc_serialize.convert_checkpoint(model, tmp_path / "tf" / "net.001", tmp_path / "net.pt")
    assert (result.to, result.parameters, result.epoch) == ("torch", 8, 1)
    state = torch.load(tmp_path / "net.pt", weights_only=True)["model"]
    rf_out = _rf_outputs(state, data)
    for name in tf_out:
        assert tf_out[name].shape == rf_out[name].shape, name
        assert np.abs(tf_out[name] - rf_out[name]).max() <= 1e-5, name
        assert np.abs(tf_out[name]).max() > 0.01, name  # not vacuous
