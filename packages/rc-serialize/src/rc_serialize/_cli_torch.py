"""``rc-serialize build --backend torch``: write the config for RETURNN's PyTorch backend."""

from __future__ import annotations

import argparse
import pathlib

import rc_naming

from ._cli_model import CliError, build_model
from ._cli_output import check_output_path, write_atomically
from ._config import get_returnn_config_serialized

__all__ = ["build_torch"]


def build_torch(args: argparse.Namespace) -> int:
    """Write the torch config of ``args.model`` to ``args.output`` (atomically)."""
    for flag, given in (
        ("--check", args.check),
        ("--synthetic-training", args.synthetic_training),
        ("--train-steps", args.train_steps is not None),
    ):
        if given:
            raise CliError(
                f"{flag} works with --backend tf only for now (it runs RETURNN's TF backend). "
                "To prove a torch config, use rc_serialize.testing.compare_backends and "
                "train_torch_config (see docs/design/torch-backend.md), or leave out "
                f"{flag}"
            )
    out = pathlib.Path(args.output)
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        code = get_returnn_config_serialized(model, backend="torch")
    check_output_path(out)
    write_atomically(out, code)
    parameters = code.count("\n    _add_param(model, ")
    print(f"wrote {out} (torch backend, {parameters} parameters, {len(code.splitlines())} lines)")
    return 0
