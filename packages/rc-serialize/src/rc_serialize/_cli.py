"""The ``rc-serialize`` command: build a model's RETURNN config, check it, list its parameters.

``diff``, ``migrate`` and ``graph`` (checkpoint names, pictures) live in ``_naming_cli``.

Exit codes: 0 success, 1 the check (or a checkpoint diff) found a problem, 2 bad usage or a model that
cannot be loaded or serialized.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import math
import os
import pathlib
import signal
import stat
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
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


def _user_site(tb: TracebackType | None) -> str:
    """``file:line`` of the innermost frame outside importlib and this package (the user's code)."""
    site = ""
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename.startswith("<frozen") or filename == __file__:
            continue
        site = f"{filename}:{lineno}"
    return site


class _StdoutToStderr(io.TextIOBase):
    """Forwards the factory's prints to stderr (so ``graph`` output on stdout stays clean)."""

    def __init__(self) -> None:
        self.written = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self.written = True
            sys.stderr.write(text)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


@contextlib.contextmanager
def _user_code(spec: str, what: str) -> Iterator[None]:
    """Run the user's code with stdout sent to stderr; ``sys.exit`` in it becomes a clear error."""
    redirect = _StdoutToStderr()
    try:
        with contextlib.redirect_stdout(redirect):
            yield
    except SystemExit as exc:
        where = _user_site(exc.__traceback__)
        raise CliError(
            f"model {spec!r}: {what} called sys.exit({exc.code!r})"
            + (f" at {where}" if where else "")
            + "; a factory must return the model, not exit"
        ) from None
    finally:
        if redirect.written:
            print(
                f"rc-serialize: warning: model {spec!r}: {what} printed to stdout; "
                "its output was sent to stderr",
                file=sys.stderr,
            )


def _module_name_hint(module_name: str) -> str:
    path = pathlib.Path(module_name)
    if path.suffix == ".py" or "/" in module_name or os.sep in module_name:
        dotted = ".".join(path.with_suffix("").parts) if not path.is_absolute() else path.stem
        return (
            f"{module_name!r} is a file path; give the dotted module name instead "
            f"(e.g. {dotted}:FACTORY) and run from the directory that contains it, "
            "or add that directory to PYTHONPATH"
        )
    return (
        f"no module {module_name!r} importable from {os.getcwd()!r}; run from the directory "
        "that contains it, use its dotted name (package.module), or add its directory to PYTHONPATH"
    )


def _load_factory(spec: str) -> Callable[[], Any]:
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise CliError(f"model {spec!r}: expected MODULE:FACTORY, e.g. my_models.asr:build")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: the user's own modules are importable
    try:
        with _user_code(spec, f"importing {module_name!r}"):
            module = importlib.import_module(module_name)
    except CliError:
        raise
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise CliError(f"model {spec!r}: {_module_name_hint(module_name)}") from None
        raise CliError(
            f"model {spec!r}: importing {module_name!r} failed at "
            f"{_user_site(exc.__traceback__)}: {type(exc).__name__}: {exc}"
        ) from None
    except SyntaxError as exc:
        raise CliError(
            f"model {spec!r}: syntax error in {exc.filename}:{exc.lineno}: {exc.msg}"
        ) from None
    except Exception as exc:  # any error in the user's module is reported the same way
        raise CliError(
            f"model {spec!r}: importing {module_name!r} failed at "
            f"{_user_site(exc.__traceback__)}: {type(exc).__name__}: {exc}"
        ) from None
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise CliError(f"model {spec!r}: module {module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def _build_model(spec: str) -> rc_nn.Module:
    factory = _load_factory(spec)
    try:
        with _user_code(spec, "the factory"):
            model = factory()
    except (rc_nn.RcNnError, CliError):
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


def _check_output_path(path: pathlib.Path) -> None:
    directory = path.parent if str(path.parent) else pathlib.Path(".")
    if not directory.is_dir():
        raise CliError(f"output {str(path)!r}: directory {str(directory)!r} does not exist")
    if path.is_dir():
        raise CliError(f"output {str(path)!r}: is a directory; give a file name")


def _file_mode_for(path: pathlib.Path) -> int:
    """An existing file keeps its mode; a new one gets 0666 less the umask, like ``open``."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomically(path: pathlib.Path, text: str) -> None:
    # Never leave a half-written config behind: write a temp file, then rename. A symlink
    # is written through (its target is replaced), so the link stays a link.
    if path.is_symlink():
        path = path.resolve()
    _check_output_path(path)
    directory = path.parent if str(path.parent) else pathlib.Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise CliError(f"output {str(path)!r}: cannot write there: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _file_mode_for(path))
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
    with rc_naming.Root("cli"):
        model = _build_model(args.model)
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
        from ._returnn_check_rnn import training_config_code

        code = training_config_code(code, model_dir=model_dir)
    _check_output_path(out)
    summary = (
        f"{out} ({len(serialized.network)} layers, {len(serialized.parameters)} parameters, "
        f"{len(code.splitlines())} lines)"
    )
    if args.check and not _check(code, serialized, out=out, args=args):
        print(f"check FAILED: {out} was not written (an existing file is left as it was)")
        return 1
    _write_atomically(out, code)
    if args.synthetic_training:
        model_dir.mkdir(exist_ok=True)  # RETURNN's log file goes there
    print(f"wrote {summary}")
    return 0


def _check(code: str, serialized: Any, *, out: pathlib.Path, args: argparse.Namespace) -> bool:
    """Prove ``code`` in RETURNN before it is written; print what was found."""
    try:
        from ._returnn_check import ReturnnCheckError, check_config
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise CliError(_MISSING_CHECK_DEPS.format(exc=exc)) from exc
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
    if args.train_steps > 0:
        if len(report.losses) != args.train_steps:
            ok = False
            print(
                f"  training: MISSING: {len(report.losses)} of {args.train_steps} steps ran "
                "(RETURNN found no loss to minimize)"
            )
        bad = [
            (step, loss)
            for step, loss in enumerate(report.losses, start=1)
            if not math.isfinite(loss)
        ]
        if bad:
            ok = False
            steps = ", ".join(f"step {step}: {loss}" for step, loss in bad)
            print(
                f"  training: NON-FINITE LOSS ({steps}). Look for log/sqrt/division of values "
                "that can be 0 or negative, or lower the learning rate"
            )
    if ok:
        print("check passed")
    return ok


_MISSING_CHECK_DEPS = (
    "--check needs RETURNN's TensorFlow backend, which is not installed ({exc}). Install it "
    "with `pip install 'rc-serialize[check]'` (brings returnn, tensorflow-cpu and dm-tree; about "
    "1 GB of disk; RETURNN compiles its native ops with a C++ compiler such as g++ on first use)"
)


def _cmd_params(args: argparse.Namespace) -> int:
    with rc_naming.Root("cli"):
        model = _build_model(args.model)
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
