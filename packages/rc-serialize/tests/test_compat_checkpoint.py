"""A predecessor-written checkpoint carries over to rc (issue 12, section 4): names AND values.

The golden sets' ``params.npz`` hold every TF variable of a returnn_common model under
the name returnn_common's RETURNN network gave it (``<path>/param`` style, e.g.
``layers/0/fw/param_W``). Written as a TF checkpoint by plain TensorFlow (plus
``global_step``, as RETURNN saves it), that is the checkpoint a predecessor training
run leaves behind, made without any rc code. Then:

1. ``rc-serialize diff MODULE:FACTORY --checkpoint ...`` (the command the migration
   guide gives) says every name and shape matches, exit 0;
2. RETURNN loads the checkpoint into the network of rc's config
   (``TFNetwork.load_params_from_file``, what ``load``/``import_model_train_epoch1``
   do) and computes the golden outputs from it.
"""

from __future__ import annotations

import json
import os
import pathlib
import runpy
import types
from typing import Any

import numpy
import pytest

import rc_naming
import rc_nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._cli import main
from rc_serialize._returnn_check import (
    _behavior_version_of,
    _construct,
    _load_config,
    _quiet_returnn_log,
)

_REPO = pathlib.Path(__file__).resolve().parents[3]
_MODELS = ("blstm", "conv_bn_ln")  # LSTM params; batch norm's non-trainable running stats


def _golden_dir(name: str) -> pathlib.Path:
    env = os.environ.get("RC_GOLDEN_DIR")
    bases = [pathlib.Path(env)] if env else []
    bases += [b.parent / "shared" / "golden" / "returnn_common" for b in (_REPO, *_REPO.parents)]
    for base in bases:
        if (base / name / "model.py").is_file():
            return base / name
    pytest.skip(f"golden set {name!r} not found (see test_golden_returnn_common.py)")


def _write_predecessor_checkpoint(tf: types.ModuleType, params: dict[str, Any], path: str) -> None:
    """The checkpoint a predecessor run leaves: its variables by name, plus global_step."""
    graph = tf.Graph()
    with graph.as_default():
        variables = [tf.compat.v1.Variable(value, name=name) for name, value in params.items()]
        step = tf.compat.v1.Variable(numpy.int64(80), name="global_step", trainable=False)
        saver = tf.compat.v1.train.Saver([*variables, step])
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, path, write_meta_graph=False)


def _factory_module(tmp_path: pathlib.Path, model_dir: pathlib.Path) -> str:
    """A ``MODULE:FACTORY`` for the golden model: runs its ``build(nn)`` with rc_nn."""
    module = f"golden_factory_{model_dir.name}"  # one per model: imports are cached
    (tmp_path / f"{module}.py").write_text(
        "import runpy\n\nimport rc_nn\n\n\n"
        "def build_model():\n"
        f"    return runpy.run_path({str(model_dir / 'model.py')!r})['build'](rc_nn)\n"
    )
    return f"{module}:build_model"


def _outputs_from_checkpoint(
    tf: types.ModuleType, code: str, checkpoint: str, tmp: pathlib.Path, inputs: dict[str, Any]
) -> tuple[Any, Any]:
    _quiet_returnn_log()
    path = tmp / "returnn_config.py"
    path.write_text(code, encoding="utf-8")
    config = _load_config(path)
    with _behavior_version_of(config):
        built = _construct(config, train=False, search=False, seed=1)
        network = built.network
        with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
            network.initialize_params(session)
            network.load_params_from_file(checkpoint, session=session)
            data = network.extern_data.data["data"]
            time_dim = data.dims[1]
            feed = {
                data.placeholder: inputs["data"].astype(data.dtype),
                time_dim.dyn_size_ext.raw_tensor: inputs["seq_lens"].astype(
                    time_dim.dyn_size_ext.dtype
                ),
            }
            batch = network.extern_data.get_batch_info(allow_none=True)
            batch_value = getattr(batch, "dim", None)
            dynamic_batch = batch_value is not None and not isinstance(batch_value, int)
            if dynamic_batch and batch_value.op.type == "Placeholder":
                feed[batch_value] = inputs["data"].shape[0]
            out = network.get_default_output_layer().output.copy_as_batch_spatial_major()
            lens = out.dims[1].dyn_size_ext.raw_tensor
            return session.run((out.placeholder, lens), feed_dict=feed)


@pytest.mark.parametrize("name", _MODELS)
def test_predecessor_checkpoint_diff_and_values(
    name: str,
    returnn_tf: types.ModuleType,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model_dir = _golden_dir(name)
    params = dict(numpy.load(model_dir / "params.npz"))
    inputs = dict(numpy.load(model_dir / "inputs.npz"))
    outputs = dict(numpy.load(model_dir / "outputs.npz"))
    tolerance = float(
        json.loads((model_dir / "meta.json").read_text())["tolerance"]["max_abs_diff"]
    )
    checkpoint = str(tmp_path / "model.080")
    _write_predecessor_checkpoint(returnn_tf, params, checkpoint)
    assert params and all(n.endswith("/param") for n in params)  # the predecessor's TF names

    # 1. The guide's command: every name and shape of the model is in the checkpoint.
    monkeypatch.syspath_prepend(str(tmp_path))
    factory = _factory_module(tmp_path, model_dir)
    code = main(["diff", factory, "--checkpoint", checkpoint, "--show-matched"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "names and shapes match" in out
    assert out.count("matched ") >= len(params), out

    # 2. RETURNN loads it into rc's network, which computes the predecessor's outputs.
    with rc_naming.Root("checkpoint"):
        root = runpy.run_path(str(model_dir / "model.py"))["build"](rc_nn)
        config_code = get_returnn_config_serialized(root)
    got, got_lens = _outputs_from_checkpoint(returnn_tf, config_code, checkpoint, tmp_path, inputs)
    want, want_lens = outputs["output"], outputs["out_seq_lens"]
    numpy.testing.assert_array_equal(got_lens, want_lens)
    diff = max(float(numpy.abs(got[b, :n] - want[b, :n]).max()) for b, n in enumerate(want_lens))
    assert diff <= tolerance, f"{name}: max abs diff {diff:.3g} > {tolerance:g}"
    # Not trivially equal: the loaded values matter (fresh init gives other outputs).
    assert float(numpy.abs(want).max()) > 10 * tolerance
