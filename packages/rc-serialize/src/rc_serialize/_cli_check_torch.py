"""``rc-serialize build --backend torch --check``: train the torch config in RETURNN first.

The check runs ``python -m returnn`` on the config with a few training steps on random
data (:func:`rc_serialize.testing.train_torch_config`), then proves what a user relies
on: every step ran with a finite loss, and both the saved checkpoint and the module
RETURNN makes from ``get_model`` hold exactly the canonical parameter names, one key each
(names only: shapes are not compared here; tests/test_torch_returnn.py proves them).
"""

from __future__ import annotations

import math
import pathlib
import re
import tempfile
from collections.abc import Mapping, Sequence

import rc_nn

from ._cli_model import CliError
from ._returnn_check import ReturnnCheckError

__all__ = ["check_torch_before_writing", "random_seq_lens"]

#: (min, max) frames of random data: long enough that a CTC loss after 6x time reduction
#: still has frames for every label of a target sequence.
_INPUT_LENS = (36, 48)
_TARGET_LENS = (2, 4)
#: Inputs that share one dynamic dim get the same fixed length (the random dataset draws
#: each key's length on its own).
_SHARED_LEN = 8


def random_seq_lens(record: rc_nn.BuildRecord) -> dict[str, tuple[int, int]]:
    """The (min, max) length of each extern input's first dynamic dim, for random data.

    Sparse inputs on a dim of their own are targets (short); inputs sharing a dim get one
    fixed length; other inputs are long.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     time = nn.SpatialDim("time")
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time]))
    ...     _ = x.mark_as_default_output()
    ...     record, _handles = nn.build_record(nn.Module())
    >>> random_seq_lens(record)
    {'data': (36, 48)}
    """
    dynamic: dict[str, int] = {}
    sparse: set[str] = set()
    for extern in record.extern:
        template = record.layers[extern.layer].output
        for dim_id in template.dims:
            dim = record.dims[dim_id]
            if dim.kind != "batch" and dim.size is None:
                dynamic[extern.key] = dim_id
                break
        if template.sparse_dim is not None:
            sparse.add(extern.key)
    users: dict[int, int] = {}
    for dim_id in dynamic.values():
        users[dim_id] = users.get(dim_id, 0) + 1
    lens: dict[str, tuple[int, int]] = {}
    for key, dim_id in dynamic.items():
        if users[dim_id] > 1:
            lens[key] = (_SHARED_LEN, _SHARED_LEN)
        else:
            lens[key] = _TARGET_LENS if key in sparse else _INPUT_LENS
    return lens


def check_torch_before_writing(
    code: str,
    *,
    names: Sequence[str],
    seq_lens: Mapping[str, tuple[int, int]],
    train_steps: int,
    verbose: bool,
) -> bool:
    """Train ``code`` ``train_steps`` steps in RETURNN (torch); print what was found."""
    from .testing import torch_model_parameters, train_torch_config  # noqa: PLC0415 - torch

    print("checking the config in RETURNN (PyTorch backend) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="rc-torch-check-") as tmp:
        try:
            training = train_torch_config(
                code, pathlib.Path(tmp), steps=train_steps, seq_lens=seq_lens
            )
            shapes = torch_model_parameters(code)
        except ReturnnCheckError as exc:
            _print_failure(str(exc), verbose)
            return False
        except ModuleNotFoundError as exc:
            raise CliError(
                f"--check with --backend torch needs PyTorch and RETURNN ({exc}); install "
                "them with `pip install 'rc-serialize[torch]'`"
            ) from exc
    ok = _steps_ok(training.losses, train_steps)
    keys = training.checkpoint_keys
    if len(keys) == len(names) and set(keys) == set(names) and set(shapes) == set(names):
        print(f"  checkpoint: {len(keys)} keys equal the canonical parameter names")
    else:
        ok = False
        print("  checkpoint: MISMATCH with the canonical parameter names")
        for name in sorted(set(names) - set(keys)):
            print(f"    missing:    {name}")
        for name in sorted(set(keys) - set(names)):
            print(f"    unexpected: {name}")
    if ok:
        print("check passed")
    return ok


def _steps_ok(losses: list[dict[str, float]], train_steps: int) -> bool:
    """Print each step's losses; whether all steps ran and every loss is finite."""
    ok = len(losses) == train_steps
    if not ok:
        print(f"  training: MISSING: {len(losses)} of {train_steps} steps ran")
    for step, values in enumerate(losses, start=1):
        bad = [name for name, value in values.items() if not math.isfinite(value)]
        shown = ", ".join(f"{name} {value:.4f}" for name, value in values.items())
        print(f"  step {step}/{train_steps}: {shown}{'  NOT FINITE' if bad else ''}")
        ok = ok and not bad and bool(values)
    if ok:
        print(f"  training: {train_steps} steps, every loss finite")
    return ok


def _print_failure(log: str, verbose: bool) -> None:
    """Say why RETURNN stopped: a non-finite loss it detected, else the end of its output."""
    found = re.search(r"Inf/nan score in step (\d+)", log)
    if found:
        print(
            f"  training: NON-FINITE LOSS in step {int(found.group(1)) + 1}: RETURNN stopped "
            f"({found.group(0)!r}); the traceback below names the config line"
        )
    else:
        print("  RETURNN failed on the config:")
    lines = log.splitlines()
    print("\n".join(lines if verbose else lines[-25:]))
    if not verbose:
        print("  (run with --verbose for RETURNN's full output)")
