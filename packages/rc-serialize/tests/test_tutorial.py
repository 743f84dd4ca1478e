"""The tutorial's code (``docs/tutorial/``, shown on the docs site's tutorial page) runs as written.

The page includes these files with ``literalinclude``, so what a reader copies is what runs
here: the parameter listing and config (``write_config.py``, whose output the page shows from
``write_config.out``; ``naming.py`` and ``naming.out`` on the naming rules page), then every command of ``train.sh``: ``rc-serialize build --check``,
training with ``python -m returnn``, and the checkpoint check against ``named_parameters()``.
"""

from __future__ import annotations

import os
import pathlib
import shlex
import shutil
import subprocess
import sys

import pytest

TUTORIAL = pathlib.Path(__file__).resolve().parents[3] / "docs" / "tutorial"


def _copy(tmp_path: pathlib.Path) -> pathlib.Path:
    work = tmp_path / "tutorial"
    shutil.copytree(
        TUTORIAL, work, ignore=shutil.ignore_patterns("__pycache__", "*.config", "*.config.model")
    )
    return work


def _run(argv: list[str], cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)  # the scripts import their neighbour (tagger.py) from cwd only
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def _commands(script: pathlib.Path) -> list[list[str]]:
    """The commands of a shell script of one command per line and comments."""
    commands = []
    for line in script.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            argv = shlex.split(line)
            # The same programs, from this interpreter's environment.
            if argv[0] == "rc-serialize":
                argv = [sys.executable, "-m", "rc_serialize", *argv[1:]]
            elif argv[0] == "python":
                argv = [sys.executable, *argv[1:]]
            commands.append(argv)
    return commands


def test_train_script_is_plain_commands() -> None:
    """``train.sh`` holds only commands this test knows how to run (no pipes, no variables)."""
    commands = _commands(TUTORIAL / "train.sh")
    assert [argv[1:3] for argv in commands] == [
        ["-m", "rc_serialize"],
        ["-m", "rc_serialize"],
        ["-m", "returnn"],
        ["check_checkpoint.py", "train.config.model/model.001"],
    ]
    assert not any(set(arg) & set("|&;$<>`") for argv in commands for arg in argv)


def test_write_config_prints_what_the_page_shows(tmp_path: pathlib.Path) -> None:
    """Step 1 needs no TensorFlow; its output is the one the tutorial page shows."""
    work = _copy(tmp_path)
    proc = _run([sys.executable, "write_config.py"], work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == (TUTORIAL / "write_config.out").read_text(encoding="utf-8")
    config = (work / "tutorial.config").read_text(encoding="utf-8")
    assert config.startswith("#!rnn.py\n")
    assert '"ctc": {"class": "ctc_loss"' in config
    assert "tensorflow" not in proc.stderr.lower()


def test_naming_example_prints_what_the_naming_rules_page_shows(tmp_path: pathlib.Path) -> None:
    """The naming rules page shows ``naming.py`` and its output ``naming.out``."""
    proc = _run([sys.executable, "naming.py"], _copy(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == (TUTORIAL / "naming.out").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.returnn
def test_tutorial_trains_and_checkpoint_names_are_named_parameters(tmp_path: pathlib.Path) -> None:
    """Every command of ``train.sh``: RETURNN check, 3 training steps, checkpoint = parameters."""
    work = _copy(tmp_path)
    outputs = []
    for argv in _commands(TUTORIAL / "train.sh"):
        proc = _run(argv, work)
        assert proc.returncode == 0, f"{shlex.join(argv)}:\n{(proc.stdout + proc.stderr)[-4000:]}"
        outputs.append(proc.stdout + proc.stderr)
    check, build, train, names = outputs
    assert "TF variables: 16 names equal the canonical parameter names" in check
    assert "checkpoint: 16 names equal the canonical parameter names" in check
    assert "check passed" in check and (work / "tutorial.config").exists()
    assert "wrote train.config" in build
    assert "finished after 3 steps" in train and "Finished training in epoch 1" in train
    assert (work / "train.config.model" / "model.001.index").exists()
    assert (
        "train.config.model/model.001: 16 parameters, names and shapes equal named_parameters()"
        in names
    )
