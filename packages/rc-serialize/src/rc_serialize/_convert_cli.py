"""The ``rc-serialize convert`` subcommand: TF checkpoint <-> RETURNN PyTorch checkpoint.

Exit codes as for the other subcommands: 0 success, 2 bad usage, a model that cannot be
loaded, or a checkpoint that does not fit the model (the error names what and how to fix).
"""

from __future__ import annotations

import argparse
from typing import Any

import rc_naming

from ._cli_model import CliError, build_model
from ._convert import convert_checkpoint

__all__ = ["add_convert_command"]


def add_convert_command(sub: Any, *, default_model: str) -> None:
    """Register ``convert`` on the subparsers object ``sub``."""
    convert = sub.add_parser(
        "convert",
        help="convert a model's checkpoint between RETURNN's TF and PyTorch backends",
        description="TF checkpoint prefix (e.g. net-model/network.003) -> PyTorch .pt file, or "
        ".pt file -> TF checkpoint prefix; the direction follows the input. Names are the "
        "model's canonical names; conv filters are transposed as declared per module type.",
    )
    convert.add_argument(
        "model", nargs="?", default=default_model, help=f"MODULE:FACTORY (default: {default_model})"
    )
    convert.add_argument(
        "--checkpoint", required=True, help="input: TF checkpoint prefix or PyTorch .pt file"
    )
    convert.add_argument(
        "-o", "--output", required=True, help="output: .pt file, or TF checkpoint prefix"
    )
    convert.add_argument("--param-naming", choices=("predecessor", "plain"), default="predecessor")
    convert.add_argument(
        "--epoch",
        type=int,
        default=None,
        help="epoch written into the .pt file (default: from the TF prefix's .NNN suffix)",
    )
    convert.set_defaults(func=_cmd_convert)


def _cmd_convert(args: argparse.Namespace) -> int:
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        try:
            result = convert_checkpoint(
                model,
                args.checkpoint,
                args.output,
                param_naming=args.param_naming,
                epoch=args.epoch,
            )
        except ModuleNotFoundError as exc:
            raise CliError(
                f"convert needs TensorFlow and PyTorch ({exc}); install them, e.g. "
                "`pip install tensorflow-cpu torch`"
            ) from exc
    where = "PyTorch checkpoint" if result.to == "torch" else "TF checkpoint"
    notes = [f"step {result.step}" if result.step is not None else "no step"]
    if result.epoch is not None:
        notes.append(f"epoch {result.epoch}")
    if result.ignored:
        notes.append(f"{len(result.ignored)} optimizer variables not carried over")
    print(f"wrote {where} {result.output} ({result.parameters} parameters, {', '.join(notes)})")
    return 0
