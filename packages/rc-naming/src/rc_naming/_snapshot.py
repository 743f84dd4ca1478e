"""Snapshot of a model's parameter names and shapes, for tests (pytest friendly).

:func:`assert_names_snapshot` stores the sorted ``name shape`` lines in a text file
the first time it is updated and afterwards fails with the name diff whenever they
change, so a refactor that changes checkpoint names shows up in review as a
changed snapshot file. Update the files with ``RC_NAMING_UPDATE_SNAPSHOTS=1`` in
the environment (or ``update=True``).
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping, Sequence

from rc_naming._diff import diff_names, format_shape
from rc_naming._errors import RcNamingError

__all__ = [
    "UPDATE_ENV_VAR",
    "SnapshotMismatchError",
    "assert_names_snapshot",
    "format_names_snapshot",
    "parse_names_snapshot",
]

#: Set this environment variable to ``1`` to (re)write snapshot files instead of comparing.
UPDATE_ENV_VAR = "RC_NAMING_UPDATE_SNAPSHOTS"

_HEADER = f"# rc-naming names snapshot: <name> <shape>, sorted. Update: {UPDATE_ENV_VAR}=1\n"


class SnapshotMismatchError(RcNamingError, AssertionError):
    """The names or shapes differ from the stored snapshot (an ``AssertionError`` for pytest).

    Examples
    --------
    >>> issubclass(SnapshotMismatchError, AssertionError)
    True
    """


def format_names_snapshot(names: Mapping[str, Sequence[int]]) -> str:
    """The snapshot file text for ``names`` (sorted, one ``name shape`` per line).

    Examples
    --------
    >>> print(format_names_snapshot({"lin.weight": (4, 2), "lin.bias": (2,)}), end="")
    # rc-naming names snapshot: <name> <shape>, sorted. Update: RC_NAMING_UPDATE_SNAPSHOTS=1
    lin.bias 2
    lin.weight 4x2
    """
    for name in names:
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"snapshot name {name!r} is empty or contains whitespace")
    body = "".join(f"{name} {format_shape(names[name])}\n" for name in sorted(names))
    return _HEADER + body


def parse_names_snapshot(text: str, *, source: str = "<snapshot>") -> dict[str, tuple[int, ...]]:
    """Read the text written by :func:`format_names_snapshot`.

    Examples
    --------
    >>> parse_names_snapshot("a.w 4x2\\nb scalar\\n")
    {'a.w': (4, 2), 'b': ()}
    """
    result: dict[str, tuple[int, ...]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, shape = line.rpartition(" ")
        try:
            dims = () if shape == "scalar" else tuple(int(d) for d in shape.split("x"))
        except ValueError:
            dims = None
        if not name or dims is None:
            raise ValueError(
                f"{source}:{lineno}: cannot read {raw!r}; expected '<name> <shape>' like "
                f"'enc.weight 40x64'; fix the line or rewrite the file with {UPDATE_ENV_VAR}=1"
            )
        result[name] = dims
    return result


def assert_names_snapshot(
    names: Mapping[str, Sequence[int]],
    path: str | os.PathLike[str],
    *,
    update: bool | None = None,
    renames: Mapping[str, str] | None = None,
) -> None:
    """Compare ``names`` (``name -> shape``) with the snapshot file at ``path``.

    Parameters
    ----------
    names
        the current names and shapes (e.g. of ``model.named_parameters()``).
    path
        the snapshot file (commit it next to the test).
    update
        write the file instead of comparing; default: the environment
        variable ``RC_NAMING_UPDATE_SNAPSHOTS`` is ``1``/``true``/``yes``.
    renames
        declared renames ``old -> new`` passed to the diff, so the failure
        message can say "declared rename" instead of guessing.

    Raises
    ------
    SnapshotMismatchError
        the file is missing or differs; the message holds the
        name diff and how to update the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> snap = pathlib.Path(tempfile.mkdtemp()) / "names.txt"
    >>> assert_names_snapshot({"lin.weight": (4, 2)}, snap, update=True)
    >>> assert_names_snapshot({"lin.weight": (4, 2)}, snap)
    >>> try:
    ...     assert_names_snapshot({"linear.weight": (4, 2)}, snap)
    ... except AssertionError as exc:
    ...     print(str(exc).splitlines()[1])
      suggest     lin.weight -> linear.weight  (4x2; unique-shape: the only unpaired names of this shape)
    """
    file = pathlib.Path(path)
    if update is None:
        update = os.environ.get(UPDATE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")
    text = format_names_snapshot(names)
    if update:
        file.parent.mkdir(parents=True, exist_ok=True)
        if not file.exists() or file.read_text(encoding="utf-8") != text:
            file.write_text(text, encoding="utf-8")
        return
    how = f"if the change is intended, rerun with {UPDATE_ENV_VAR}=1 and commit {file}"
    if not file.exists():
        raise SnapshotMismatchError(
            f"names snapshot {file} does not exist ({len(names)} names to store); "
            f"create it: rerun with {UPDATE_ENV_VAR}=1 and commit it"
        )
    stored = parse_names_snapshot(file.read_text(encoding="utf-8"), source=str(file))
    diff = diff_names(stored, names, renames=renames, old_label="snapshot", new_label="current")
    if not diff.ok:
        raise SnapshotMismatchError(
            f"parameter names/shapes differ from the snapshot {file}:\n{diff.format()}\n{how}"
        )
