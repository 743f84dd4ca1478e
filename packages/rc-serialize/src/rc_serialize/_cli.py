"""The ``rc-serialize`` command: build a model's RETURNN config, check it, list its parameters.

``diff``, ``migrate`` and ``graph`` (checkpoint names, pictures) live in ``_naming_cli``.

Exit codes: 0 success, 1 the check (or a checkpoint diff) found a problem, 2 bad usage or a model that
cannot be loaded or serialized.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import rc_naming
import rc_nn

from . import __version__
from ._config import ReturnnConfigPieces
from ._errors import RcSerializeError
from ._naming_cli import add_naming_commands

__all__ = ["main"]

EXAMPLE = "rc_serialize._example:build_example"


class CliError(Exception):
    """A user-facing failure: printed as ``rc-serialize: error: ...`` with exit code 2."""


def _load_factory(spec: str) -> Callable[[], Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise CliError(f"model {spec!r}: expected MODULE:FACTORY, e.g. my_models.asr:build")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: the user's own modules are importable
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CliError(f"model {spec!r}: cannot import module {module_name!r}: {exc}") from exc
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise CliError(f"model {spec!r}: module {module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def _build_model(spec: str) -> rc_nn.Module:
    factory = _load_factory(spec)
    try:
        model = factory()
    except rc_nn.RcNnError:
        raise
    except Exception as exc:
        tb = "".join(traceback.format_exception(exc)[-6:])
        raise CliError(
            f"model {spec!r}: the factory raised {type(exc).__name__}: {exc}\n{tb}"
        ) from exc
    if not isinstance(model, rc_nn.Module):
        raise CliError(
            f"model {spec!r}: the factory returned {type(model).__name__}, expected the root nn.Module "
            "(build the model, call it, mark its outputs, then return the model)"
        )
    return model


def _write_atomically(path: pathlib.Path, text: str) -> None:
    # Never leave a half-written config behind: write a temp file, then rename.
    directory = path.parent if str(path.parent) else pathlib.Path(".")
    if not directory.is_dir():
        raise CliError(f"output {str(path)!r}: directory {str(directory)!r} does not exist")
    if path.is_dir():
        raise CliError(f"output {str(path)!r}: is a directory; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise CliError(f"output {str(path)!r}: cannot write there: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise CliError(f"output {str(path)!r}: cannot write there: {exc.strerror}") from exc
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def _progress(step: int, total: int, loss: float) -> None:
    width = 20
    done = int(width * step / max(total, 1))
    print(
        f"  [{'#' * done}{'.' * (width - done)}] step {step}/{total}  loss {loss:.4f}", flush=True
    )


def _cmd_build(args: argparse.Namespace) -> int:
    with rc_naming.Root("cli"):
        model = _build_model(args.model)
        pieces = ReturnnConfigPieces(model, param_naming=args.param_naming)
    serialized = pieces.serialized
    code = pieces.config_code()
    out = pathlib.Path(args.output)
    if args.synthetic_training:
        from ._returnn_check_rnn import training_config_code

        model_dir = out.resolve().parent / f"{out.name}.model"
        code = training_config_code(code, model_dir=model_dir)
    _write_atomically(out, code)
    if args.synthetic_training:
        model_dir.mkdir(exist_ok=True)  # RETURNN's log file goes there
    print(
        f"wrote {out} ({len(serialized.network)} layers, {len(serialized.parameters)} parameters, "
        f"{len(code.splitlines())} lines)"
    )
    if not args.check:
        return 0
    from ._returnn_check import check_config

    print(f"checking {out} in RETURNN (TensorFlow backend) ...", flush=True)
    report = check_config(code, train_steps=args.train_steps, on_step=_progress)
    expected = set(serialized.variable_names.values())
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
    print(f"  checkpoint restore: {'values equal' if report.restore_ok else 'VALUES DIFFER'}")
    ok = ok and report.restore_ok
    print("check passed" if ok else "check FAILED")
    return 0 if ok else 1


def _cmd_params(args: argparse.Namespace) -> int:
    with rc_naming.Root("cli"):
        model = _build_model(args.model)
        graph = model._rc_naming_root().graph
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
        "--train-steps", type=int, default=3, help="training steps for --check (default 3)"
    )
    build.add_argument("--param-naming", choices=("predecessor", "plain"), default="predecessor")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rc-serialize`` / ``python -m rc_serialize``."""
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"rc-serialize: error: {exc}", file=sys.stderr)
        return 2
    except (rc_naming.RcNamingError, rc_nn.RcNnError, RcSerializeError) as exc:
        print(f"rc-serialize: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
