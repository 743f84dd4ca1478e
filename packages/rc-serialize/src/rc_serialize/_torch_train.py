"""Train a torch config for a few steps with ``python -m returnn`` (a subprocess), for tests.

:func:`train_torch_config` appends a training setup to the config (random data of the
config's own ``extern_data`` via RETURNN's ``DummyGenericDataset``, Adam, CPU, one
data-loader worker so that RETURNN pickles the config), runs RETURNN, and returns the
per-step losses it logged and the ``state_dict`` keys of the checkpoint it saved.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Mapping

from ._pycode import number_literal, str_literal
from ._returnn_errors import ReturnnCheckError

__all__ = ["TorchTraining", "train_torch_config"]

_STEP_LINE = re.compile(r"^ep 1 train, step (\d+), (.*?), [\d.]+ sec/step", re.MULTILINE)


@dataclasses.dataclass
class TorchTraining:
    """What :func:`train_torch_config` observed.

    ``losses``: per step, each logged loss by name; ``checkpoint_keys``: the model keys
    of the saved PyTorch checkpoint; ``log``: RETURNN's output.

    Examples
    --------
    >>> TorchTraining([{"ctc": 1.0}], ["w"], "").finite()
    True
    """

    losses: list[dict[str, float]]
    checkpoint_keys: list[str]
    log: str

    def finite(self) -> bool:
        """Whether every logged loss is finite (and there is at least one)."""
        values = [v for step in self.losses for v in step.values()]
        return bool(values) and all(math.isfinite(v) for v in values)


def _training_setup(
    model_prefix: pathlib.Path, steps: int, seq_lens: Mapping[str, tuple[int, int]]
) -> str:
    lens = ", ".join(
        f"{str_literal(k)}: ({number_literal(lo)}, {number_literal(hi)})"
        for k, (lo, hi) in seq_lens.items()
    )
    return (
        "\n\n# Training setup of rc_serialize.testing.train_torch_config\n"
        'task = "train"\n'
        'train = {"class": "DummyGenericDataset", "data_template": extern_data, '
        f'"num_seqs": {number_literal(2 * steps)}, "seq_lens": {{{lens}}}}}\n'
        "num_epochs = 1\nmax_seqs = 2\nbatch_size = 1000000\n"
        'optimizer = {"class": "adam"}\nlearning_rate = 0.01\n'
        f"model = {str_literal(str(model_prefix))}\n"
        'device = "cpu"\n'
        'torch_dataloader_opts = {"num_workers": 1}\n'
        "log_verbosity = 5\n"
    )


def _parse_losses(log: str) -> list[dict[str, float]]:
    steps = []
    for match in _STEP_LINE.finditer(log):
        values = {}
        for item in match.group(2).split(", "):
            name, _, value = item.rpartition(" ")
            values[name] = float(value)
        steps.append(values)
    return steps


def train_torch_config(
    config_code: str,
    work_dir: pathlib.Path,
    *,
    steps: int = 3,
    seq_lens: Mapping[str, tuple[int, int]] | None = None,
    timeout: float = 600.0,
) -> TorchTraining:
    """Train ``steps`` steps (batches of 2 random sequences) with ``python -m returnn``.

    ``seq_lens``: the (min, max) length of each extern data key's dynamic dim (RETURNN's
    default otherwise); e.g. CTC targets shorter than the input. Raises
    :class:`ReturnnCheckError` when RETURNN fails.
    """
    import torch  # noqa: PLC0415 - PyTorch only when a check runs

    work_dir.mkdir(parents=True, exist_ok=True)
    model_prefix = work_dir / "model" / "epoch"
    config_path = work_dir / "torch_train.config"
    config_path.write_text(
        config_code + _training_setup(model_prefix, steps, seq_lens or {}), encoding="utf-8"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "returnn", str(config_path)],
        cwd=work_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise ReturnnCheckError(
            f"python -m returnn failed (exit code {result.returncode}) on {config_path}:\n"
            + log[-4000:]
        )
    checkpoint = torch.load(f"{model_prefix}.001.pt", map_location="cpu")
    return TorchTraining(_parse_losses(log), list(checkpoint["model"]), log)
