"""Loading the user's model for the ``rc-serialize`` commands: ``MODULE:FACTORY`` to a root module.

The user's module is imported and the factory called with stdout sent to stderr; every
failure in either becomes a :class:`CliError` (one ``rc-serialize: error: ...`` line,
exit code 2) that names the user's file and line.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pathlib
import sys
import traceback
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import rc_nn

from ._errors import RcSerializeError

__all__ = ["CliError", "build_model"]


class CliError(RcSerializeError):
    """A user-facing failure: printed as ``rc-serialize: error: ...`` with exit code 2.

    Examples
    --------
    >>> isinstance(CliError("output 'x': is a directory"), RcSerializeError)
    True
    """


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


def build_model(spec: str) -> rc_nn.Module:
    """Import ``MODULE``, call ``FACTORY`` and check it returned an ``nn.Module``."""
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
