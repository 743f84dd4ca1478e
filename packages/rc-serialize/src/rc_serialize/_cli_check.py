"""``rc-serialize build --check``: prove a config in RETURNN before it is written, and report."""

from __future__ import annotations

import argparse
import math
import pathlib
from typing import Any

from ._cli_model import CliError
from ._returnn_check import CheckReport, ReturnnCheckError, check_config

__all__ = ["check_before_writing"]


def _progress(step: int, total: int, loss: float) -> None:
    width = 20
    done = int(width * step / max(total, 1))
    print(
        f"  [{'#' * done}{'.' * (width - done)}] step {step}/{total}  loss {loss:.4f}", flush=True
    )


def check_before_writing(
    code: str, serialized: Any, *, out: pathlib.Path, args: argparse.Namespace
) -> bool:
    """Prove ``code`` in RETURNN before it is written; print what was found."""
    print(f"checking the config for {out} in RETURNN (TensorFlow backend) ...", flush=True)
    try:
        report = check_config(code, train_steps=args.train_steps, on_step=_progress)
    except ReturnnCheckError as exc:
        print(exc.summary if not args.verbose else str(exc))
        if not args.verbose:
            print("  (run with --verbose for the net dict and RETURNN's full traceback)")
        return False
    except ModuleNotFoundError as exc:
        raise CliError(_MISSING_CHECK_DEPS.format(exc=exc)) from exc
    ok = _names_match(set(serialized.variable_names.values()), report)
    print(f"  checkpoint restore: {'values equal' if report.restore_ok else 'VALUES DIFFER'}")
    ok = ok and report.restore_ok
    if args.train_steps > 0:
        ok = _training_ok(report, args.train_steps) and ok
    if ok:
        print("check passed")
    return ok


def _names_match(expected: set[str], report: CheckReport) -> bool:
    """Print whether the TF variables and the checkpoint have exactly the expected names."""
    ok = True
    for label, names in (
        ("TF variables", report.variable_names),
        ("checkpoint", report.restored_variable_names),
    ):
        if names == expected:
            print(f"  {label}: {len(names)} names equal the canonical parameter names")
        else:
            ok = False
            print(f"  {label}: MISMATCH with the canonical parameter names")
            for name in sorted(expected - names):
                print(f"    missing:    {name}")
            for name in sorted(names - expected):
                print(f"    unexpected: {name}")
    return ok


def _training_ok(report: CheckReport, train_steps: int) -> bool:
    """Print whether every training step ran and gave a finite loss."""
    ok = True
    if len(report.losses) != train_steps:
        ok = False
        print(
            f"  training: MISSING: {len(report.losses)} of {train_steps} steps ran "
            "(RETURNN found no loss to minimize)"
        )
    bad = [
        (step, loss) for step, loss in enumerate(report.losses, start=1) if not math.isfinite(loss)
    ]
    if bad:
        ok = False
        steps = ", ".join(f"step {step}: {loss}" for step, loss in bad)
        print(
            f"  training: NON-FINITE LOSS ({steps}). Look for log/sqrt/division of values "
            "that can be 0 or negative, or lower the learning rate"
        )
    return ok


_MISSING_CHECK_DEPS = (
    "--check needs RETURNN's TensorFlow backend, which is not installed ({exc}). Install it "
    "with `pip install 'rc-serialize[check]'` (brings returnn, tensorflow-cpu and dm-tree; about "
    "1 GB of disk; RETURNN compiles its native ops with a C++ compiler such as g++ on first use)"
)
