"""The ``rc-serialize`` command: build a model's RETURNN config, check it, list its parameters.

``diff``, ``migrate`` and ``graph`` (checkpoint names, pictures) live in ``_naming_cli``, ``convert``
(TF <-> PyTorch checkpoints) in ``_convert_cli``; loading
the user's model in ``_cli_model``, writing files in ``_cli_output``, ``build --check`` in
``_cli_check``.

Exit codes: 0 success, 1 the check (or a checkpoint diff) found a problem, 2 bad usage or a model that
cannot be loaded or serialized.
"""

from __future__ import annotations

import argparse
import pathlib
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import rc_naming
import rc_nn

from ._cli_check import check_before_writing
from ._cli_model import CliError, build_model
from ._cli_output import check_output_path, write_atomically
from ._cli_torch import build_torch
from ._config import ReturnnConfigPieces
from ._convert_cli import add_convert_command
from ._errors import RcSerializeError
from ._naming_cli import add_naming_commands
from ._returnn_check_rnn import training_config_code
from ._version import __version__

__all__ = ["main"]

EXAMPLE = "rc_serialize.example:build_example"


def _has_loss(network: Any) -> bool:
    """Whether any layer of a (nested) RETURNN net dict is marked as a loss."""
    for layer in network.values():
        if not isinstance(layer, dict):
            continue
        if layer.get("loss") is not None:
            return True
        sub = layer.get("subnetwork") or layer.get("unit")
        if isinstance(sub, dict) and _has_loss(sub):
            return True
    return False


def _cmd_build(args: argparse.Namespace) -> int:
    if args.backend == "torch":
        return build_torch(args)
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        pieces = ReturnnConfigPieces(model, param_naming=args.param_naming)
    serialized = pieces.serialized
    code = pieces.config_code()
    out = pathlib.Path(args.output)
    has_loss = _has_loss(serialized.network)
    if args.synthetic_training and not has_loss:
        raise CliError(
            f"model {args.model!r}: --synthetic-training needs a loss, but no output is marked as "
            'a loss. Mark one with `loss.mark_as_loss("name")`, or leave out --synthetic-training'
        )
    if args.train_steps is None:  # not given: train where there is something to train
        args.train_steps = 3 if has_loss else 0
        if args.check and not has_loss:
            print("no loss is marked: --check constructs, runs and checkpoints without training")
    elif args.check and args.train_steps > 0 and not has_loss:
        raise CliError(
            f"model {args.model!r}: --check was asked to train {args.train_steps} steps, but no "
            'output is marked as a loss. Mark one with `loss.mark_as_loss("name")`, or pass '
            "--train-steps 0 to check construction, forward and checkpoints only"
        )
    model_dir = out.resolve().parent / f"{out.name}.model"
    if args.synthetic_training:
        code = training_config_code(code, model_dir=model_dir)
    check_output_path(out)
    summary = (
        f"{out} ({len(serialized.network)} layers, {len(serialized.parameters)} parameters, "
        f"{len(code.splitlines())} lines)"
    )
    if args.check and not check_before_writing(code, serialized, out=out, args=args):
        print(f"check FAILED: {out} was not written (an existing file is left as it was)")
        return 1
    write_atomically(out, code)
    if args.synthetic_training:
        model_dir.mkdir(exist_ok=True)  # RETURNN's log file goes there
    print(f"wrote {summary}")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        graph = rc_nn.naming_root_of(model).graph
        rows = []
        for path, param in model.named_parameters():
            shape = [d.dimension for d in param.dims]
            count = 1
            for size in shape:
                count *= int(size or 0)
            aliases = [".".join(p) for p in graph.alias_paths(model, param) if ".".join(p) != path]
            rows.append(
                (path, "x".join(str(s) for s in shape) or "scalar", count, ", ".join(aliases))
            )
    widths = [
        max([len(h)] + [len(str(r[i])) for r in rows])
        for i, h in enumerate(("name", "shape", "count", "aliases"))
    ]
    header = ("name", "shape", "count", "aliases")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    total = sum(r[2] for r in rows)
    print(f"{len(rows)} parameters, {total} elements")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rc-serialize", description="RETURNN configs from rc-nn models."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="write the RETURNN config of a model")
    build.add_argument(
        "model", nargs="?", default=EXAMPLE, help=f"MODULE:FACTORY (default: {EXAMPLE})"
    )
    build.add_argument("-o", "--output", required=True, help="config file to write (atomically)")
    build.add_argument(
        "--check", action="store_true", help="construct, run, train and restore in RETURNN"
    )
    build.add_argument(
        "--train-steps",
        type=int,
        default=None,
        help="training steps for --check (default: 3 if a loss is marked, else 0); "
        "asking for steps without a loss is an error",
    )
    build.add_argument(
        "--verbose",
        action="store_true",
        help="with --check: print the net dict and RETURNN's full traceback when RETURNN fails",
    )
    build.add_argument("--param-naming", choices=("predecessor", "plain"), default="predecessor")
    build.add_argument(
        "--backend",
        choices=("tf", "torch"),
        default="tf",
        help="tf: a net dict for RETURNN's TF backend; torch: get_model/train_step/forward_step "
        "for RETURNN's PyTorch backend (--check trains it; docs/design/torch-backend.md)",
    )
    build.add_argument(
        "--synthetic-training",
        action="store_true",
        help="append settings for one short training epoch on random data, so that "
        "`python -m returnn OUTPUT` runs the config as it is",
    )
    build.set_defaults(func=_cmd_build)
    params = sub.add_parser("params", help="table of parameter names, shapes, sizes and aliases")
    params.add_argument(
        "model", nargs="?", default=EXAMPLE, help=f"MODULE:FACTORY (default: {EXAMPLE})"
    )
    params.set_defaults(func=_cmd_params)
    add_naming_commands(sub, default_model=EXAMPLE)
    add_convert_command(sub, default_model=EXAMPLE)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rc-serialize`` / ``python -m rc_serialize``."""
    args = _parser().parse_args(argv)
    previous = _exit_cleanly_on_sigterm()
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"rc-serialize: error: {exc}", file=sys.stderr)
        return 2
    except (rc_naming.RcNamingError, rc_nn.RcNnError, RcSerializeError) as exc:
        print(f"rc-serialize: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_system_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _exit_cleanly_on_sigterm() -> Any:
    """SIGTERM unwinds like Ctrl-C, so temp files are removed (only in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_system_exit)
