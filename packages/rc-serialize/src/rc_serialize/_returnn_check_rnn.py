"""Run RETURNN's own entry point (``python -m returnn``) on a config, in a subprocess.

This complements :func:`rc_serialize._returnn_check.check_config` (which drives
``TFNetwork`` directly): here RETURNN's real training loop, dataset pipeline,
optimizer set-up and checkpoint saving run exactly as a user would run them. The data
comes from RETURNN's ``DummyGenericDataset``, which generates random data from the
config's own ``extern_data`` (dims, dtypes, sparse dims).

No TensorFlow is imported in this process; only the subprocess imports it.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import subprocess
import sys
import textwrap

from ._errors import RcSerializeError

__all__ = [
    "ReturnnSubprocessError",
    "ReturnnTimeoutError",
    "RnnRun",
    "run_returnn_training",
    "training_config_code",
]


class ReturnnSubprocessError(RcSerializeError, RuntimeError):
    """``python -m returnn`` failed; the message holds the tail of its output.

    Examples
    --------
    >>> issubclass(ReturnnSubprocessError, RcSerializeError)
    True
    """


class ReturnnTimeoutError(ReturnnSubprocessError, subprocess.TimeoutExpired):
    """``python -m returnn`` ran longer than its timeout (also a ``subprocess.TimeoutExpired``).

    Examples
    --------
    >>> error = ReturnnTimeoutError(["python", "-m", "returnn"], 1.0, output="log tail")
    >>> isinstance(error, subprocess.TimeoutExpired), error.timeout
    (True, 1.0)
    """

    def __init__(self, cmd: list[str], timeout: float, *, output: str) -> None:
        subprocess.TimeoutExpired.__init__(self, cmd, timeout, output=output)
        self.args = (str(self),)

    def __str__(self) -> str:
        tail = "\n".join(str(self.output or "").splitlines()[-80:])
        return f"{' '.join(self.cmd)} did not finish within {self.timeout} s; output tail:\n{tail}"


@dataclasses.dataclass
class RnnRun:
    """Result of :func:`run_returnn_training`.

    Attributes
    ----------
    checkpoint
        the checkpoint prefix RETURNN saved after the epoch (``.../model.001``).
    variable_names
        variables in that checkpoint, minus ``global_step``.
    output
        RETURNN's combined stdout and stderr.
    """

    checkpoint: pathlib.Path
    variable_names: set[str]
    output: str


def training_config_code(
    config_code: str,
    *,
    model_dir: pathlib.Path,
    num_seqs: int = 6,
    max_seqs: int = 2,
    max_seq_len: int = 7,
    learning_rate: float = 0.01,
) -> str:
    """Append the settings for one short training epoch on random data to ``config_code``.

    The config must define ``extern_data`` (with ``returnn.tensor.Dim`` dims) and
    ``network``. With the defaults, RETURNN trains 2-3 steps (``num_seqs / max_seqs``
    batches) and saves ``<model_dir>/model.001``.
    """
    settings = f"""

    # --- added by rc-serialize (--synthetic-training): one short epoch on random data ---
    backend = "tensorflow-net-dict"
    task = "train"
    device = "cpu"
    train = {{
        "class": "DummyGenericDataset",
        "data_template": extern_data,
        "num_seqs": {num_seqs},
        "seq_lens": (1, {max_seq_len}),
    }}
    dev = None
    num_epochs = 1
    batch_size = 10000
    max_seqs = {max_seqs}
    optimizer = {{"class": "adam"}}
    learning_rate = {learning_rate!r}
    model = {str(model_dir / "model")!r}
    log = [{str(model_dir / "returnn.log")!r}]
    log_verbosity = 3


    def _rc_native_ops_cpu_only():
        # A CPU build of TF next to a CUDA toolkit: RETURNN would compile its native
        # ops (LSTM, CTC) with CUDA headers and fail; compile them for the CPU only.
        from returnn.tf import native_op
        from returnn.tf.util.basic import is_tf_cuda_build

        if not is_tf_cuda_build():
            native_op.OpMaker.with_cuda = False


    _rc_native_ops_cpu_only()
    """
    return config_code.rstrip("\n") + "\n" + textwrap.dedent(settings)


def run_returnn_training(
    config_code: str,
    work_dir: pathlib.Path,
    *,
    timeout: float = 600.0,
    python: str | None = None,
) -> RnnRun:
    """Train one short epoch with ``python -m returnn <config>.py`` and list the checkpoint.

    Parameters
    ----------
    config_code
        a config defining ``extern_data`` and ``network``.
    work_dir
        gets ``returnn_train_config.py`` and ``model/`` (checkpoint and log).
    timeout
        seconds before the subprocess is killed.
    python
        interpreter with RETURNN and TF installed; ``sys.executable`` by default.

    Raises
    ------
    ReturnnSubprocessError
        RETURNN exited with an error or saved no checkpoint.
    ReturnnTimeoutError
        RETURNN ran longer than ``timeout``.
    """
    model_dir = work_dir / "model"
    model_dir.mkdir(parents=True, exist_ok=True)  # RETURNN needs the log file's directory
    config_path = work_dir / "returnn_train_config.py"
    config_path.write_text(training_config_code(config_code, model_dir=model_dir), encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [python or sys.executable, "-m", "returnn", str(config_path)]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(work_dir),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = _text(exc.stdout) + _text(exc.stderr)
        raise ReturnnTimeoutError(command, timeout, output=output) from None
    output = proc.stdout + proc.stderr
    checkpoint = model_dir / "model.001"
    if proc.returncode != 0 or not (model_dir / "model.001.index").exists():
        tail = "\n".join(output.splitlines()[-80:])
        raise ReturnnSubprocessError(
            f"python -m returnn {config_path} exited with {proc.returncode}; output tail:\n{tail}"
        )
    names = _list_checkpoint(checkpoint, python=python or sys.executable, env=env)
    return RnnRun(checkpoint=checkpoint, variable_names=names, output=output)


def _text(value: str | bytes | None) -> str:
    """The output a ``TimeoutExpired`` carries (bytes even with ``text=True``), as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def _list_checkpoint(checkpoint: pathlib.Path, *, python: str, env: dict[str, str]) -> set[str]:
    """Variable names in a TF checkpoint (minus ``global_step``).

    Uses TF in this process only if it is imported already; else reads in a subprocess.
    """
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        return {name for name, _ in tf.train.list_variables(str(checkpoint))} - {"global_step"}
    code = (
        "import sys, tensorflow as tf\n"
        "for name, _ in tf.train.list_variables(sys.argv[1]):\n"
        "    print('VAR', name)\n"
    )
    proc = subprocess.run(
        [python, "-c", code, str(checkpoint)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise ReturnnSubprocessError(f"listing {checkpoint} failed:\n{proc.stderr[-4000:]}")
    names = {line[4:] for line in proc.stdout.splitlines() if line.startswith("VAR ")}
    return names - {"global_step"}
