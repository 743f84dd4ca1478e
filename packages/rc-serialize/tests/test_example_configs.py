"""The example config files in examples/ run with RETURNN's own entry point."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.slow
@pytest.mark.returnn
def test_get_network_config_trains_with_python_m_returnn(tmp_path: pathlib.Path) -> None:
    """The config builds its net dict with rc at load time; RETURNN trains one epoch with it."""
    source = (EXAMPLES / "get_network_config.py").read_text()
    model_line = 'model = "/tmp/rc-get-network-example/model"'
    assert model_line in source
    config = tmp_path / "config.py"
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
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "Finished training in epoch 1" in proc.stdout + proc.stderr
    assert (tmp_path / "model.001.index").exists()
