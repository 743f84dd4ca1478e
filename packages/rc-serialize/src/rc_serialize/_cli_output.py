"""Writing the files of the ``rc-serialize`` commands: atomically, never a half-written config."""

from __future__ import annotations

import os
import pathlib
import stat
import tempfile

from ._cli_model import CliError

__all__ = ["check_output_path", "write_atomically"]


def check_output_path(path: pathlib.Path) -> None:
    """Refuse an output path whose directory is missing or that is a directory."""
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


def write_atomically(path: pathlib.Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename (see the comment)."""
    # Never leave a half-written config behind: write a temp file, then rename. A symlink
    # is written through (its target is replaced), so the link stays a link.
    if path.is_symlink():
        path = path.resolve()
    check_output_path(path)
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
