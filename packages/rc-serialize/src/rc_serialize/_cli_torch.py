"""``rc-serialize build --backend torch``: write the config for RETURNN's PyTorch backend."""

from __future__ import annotations

import argparse
import pathlib

import rc_naming
import rc_nn

from ._cli_check_torch import check_torch_before_writing, random_seq_lens
from ._cli_model import CliError, build_model
from ._cli_output import check_output_path, write_atomically
from ._config import get_returnn_config_serialized

__all__ = ["build_torch"]


def build_torch(args: argparse.Namespace) -> int:
    """Write the torch config of ``args.model`` to ``args.output`` (atomically).

    With ``--check`` the config is first trained in RETURNN (PyTorch backend); a failed
    check writes nothing and returns 1.
    """
    if args.synthetic_training:
        raise CliError(
            "--synthetic-training works with --backend tf only for now. To train a torch "
            "config on random data, use --check (it trains a few steps in RETURNN) or "
            "tools/train_torch_config.py, or leave out --synthetic-training"
        )
    out = pathlib.Path(args.output)
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        code = get_returnn_config_serialized(model, backend="torch")
        record, _handles = rc_nn.build_record(model)
        names = [path for path, _ in model.named_parameters()]
    check_output_path(out)
    summary = f"{out} (torch backend, {len(names)} parameters, {len(code.splitlines())} lines)"
    if args.check or args.train_steps is not None:
        has_loss = any(mark.loss_scale is not None for mark in record.marks)
        steps = 3 if args.train_steps is None else args.train_steps
        if not has_loss or steps < 1 or not args.check:
            raise CliError(_check_usage(args.model, has_loss, steps, args.check))
        passed = check_torch_before_writing(
            code,
            names=names,
            seq_lens=random_seq_lens(record),
            train_steps=steps,
            verbose=args.verbose,
        )
        if not passed:
            print(f"check FAILED: {out} was not written (an existing file is left as it was)")
            return 1
    write_atomically(out, code)
    print(f"wrote {summary}")
    return 0


def _check_usage(model: str, has_loss: bool, steps: int, check: bool) -> str:
    """Why ``--check``/``--train-steps`` cannot run on the torch backend as given."""
    if not check:
        return "--train-steps works with --check only; add --check or leave out --train-steps"
    if not has_loss:
        return (
            f"model {model!r}: --check with --backend torch trains the config, but no output "
            'is marked as a loss. Mark one with `loss.mark_as_loss("name")`, or check the '
            "torch config with rc_serialize.testing.compare_backends meanwhile"
        )
    return f"--train-steps {steps}: --check with --backend torch trains at least 1 step"
