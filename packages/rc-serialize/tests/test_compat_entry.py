"""Predecessor entry points proven by RETURNN (issue 12): pipeline configs and checkpoints.

* examples/pipeline/returnn_config_from_serializer.py is the config i6_experiments'
  returnn_common serializer writes (ExternData, Import, Network with ``get_network``),
  import changed to ``import rc_nn as nn``: RETURNN trains two epochs with it, calling
  ``get_network`` per epoch; then ``rc-serialize diff pipeline_model:build_model`` finds
  every ``<path>/param`` variable of RETURNN's checkpoint in the model.
* examples/pipeline/predecessor_style_config.py builds the net at load time through
  ``nn.get_returnn_config().get_config_raw_dict(net)``: RETURNN trains one epoch.
* The ``#config`` extra net dict entry (pretraining) reaches RETURNN's network config.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest

import rc_nn as nn
from rc_serialize._cli import main

PIPELINE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "pipeline"


def _run_returnn(config_name: str, model_line: str, tmp_path: pathlib.Path) -> str:
    source = (PIPELINE / config_name).read_text()
    assert model_line in source
    # The config puts its own directory on sys.path for the model module: copy both.
    shutil.copy(PIPELINE / "pipeline_model.py", tmp_path / "pipeline_model.py")
    config = tmp_path / config_name
    config.write_text(source.replace(model_line, f"model = {str(tmp_path / 'model')!r}"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-m", "returnn", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "NativeOp assertion failed" not in log, log[-4000:]
    return log


@pytest.mark.slow
@pytest.mark.returnn
def test_serializer_generated_config_trains_and_checkpoint_matches_model(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _run_returnn(
        "returnn_config_from_serializer.py", 'model = "/tmp/rc-pipeline-example/model"', tmp_path
    )
    assert "Finished training in epoch 2" in log
    # get_network ran per epoch; the net dict of epoch 2 differs (its '#info' entry), so
    # RETURNN rebuilt the network with the same dim objects and went on training.
    assert "['#info'] self: 'built for epoch 1' != other: 'built for epoch 2'" in log
    # The parameters trained in epoch 1 carried over into the rebuilt network.
    scores = [float(re.search(rf"epoch {e} score: (\S+)", log).group(1)) for e in (1, 2)]  # type: ignore[union-attr]
    assert scores[1] < scores[0]
    checkpoint = tmp_path / "model.002"
    assert checkpoint.with_suffix(".002.index").exists()

    # The checkpoint RETURNN wrote holds `<path>/param` variables; the model matches it.
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(
        ["diff", "pipeline_model:build_model", "--checkpoint", str(checkpoint), "--show-matched"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "names and shapes match" in out
    for path in ("lstm.param_W (8x32)", "lstm.param_W_re (8x32)", "frontend.weight (5x8)"):
        assert f"matched     {path}" in out
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    names = {name for name, _ in tf.train.list_variables(str(checkpoint))}
    assert {"lstm/param_W/param", "lstm/param_W_re/param", "output/bias/param"} <= names


@pytest.mark.slow
@pytest.mark.returnn
def test_predecessor_style_config_trains(tmp_path: pathlib.Path) -> None:
    log = _run_returnn(
        "predecessor_style_config.py",
        'model = "/tmp/rc-predecessor-style-example/model"',
        tmp_path,
    )
    assert "Finished training in epoch 1" in log
    assert (tmp_path / "model.001.index").exists()


@pytest.mark.returnn
def test_extra_net_dict_config_entry_reaches_returnn(
    check_config: Any, tmp_path: pathlib.Path
) -> None:
    with nn.NameCtx.new_root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        net = nn.Linear(feat, nn.FeatureDim("out", 2))
        net(x).mark_as_default_output()
        nn.NameCtx.top().root.extra_net_dict["#config"] = {"batch_size": 123}
        code = nn.get_returnn_config().get_complete_py_code_str(net)
    scope: dict[str, Any] = {}
    exec(code, scope)
    assert scope["network"]["#config"] == {"batch_size": 123}
    # RETURNN constructs the network with the '#' entry beside the layers.
    report = check_config(code, tmp_dir=tmp_path)
    assert sorted(report.variable_names) == ["bias/param", "weight/param"]
