"""Declared renames: a class says that one of its attributes used to have another name.

Declare them with the class attribute ``__rc_renames__`` or with the decorator
:func:`renamed` (which writes that attribute)::

    @renamed(conv1=("cv1", 2))          # conv1 is called so since version 2; before: cv1
    class Block: ...

    class Block:                         # the same, without the decorator
        __rc_renames__ = {"conv1": [("cv1", 2)]}

Each entry maps the *current* attribute name to its history: ``(old_name,
version)`` pairs, where ``version`` is the (model) version that introduced the
newer name, or ``None`` if unknown. A chain of renames lists every earlier name:
``{"conv1": [("c1", 1), ("cv1", 2)]}`` means ``c1`` until version 1, ``cv1`` until
version 2, ``conv1`` since. An old name may have several components
(``"block.cv1"``) when an attribute moved below a submodule of the same class.
Subclasses inherit their bases' declarations and may add to them.

:func:`rename_mapping` turns a list of old paths (e.g. a checkpoint's names) into
``old -> new`` paths of a model, walking the model's canonical tree: every module
on the way may contribute a rename, so a renamed module renames every parameter
below it. With ``from_version`` (the version that wrote the old names) only renames
introduced after that version apply, which also settles a swap (``a`` renamed to
``b`` and a new ``a`` added); without it, every declared old name is tried and
names that could mean two things are reported as ambiguous, never guessed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from rc_naming._errors import InvalidNameError

if TYPE_CHECKING:
    from rc_naming._ownership import OwnershipGraph

__all__ = [
    "RENAMES_ATTR",
    "Rename",
    "RenameMapping",
    "declared_renames",
    "rename_mapping",
    "renamed",
]

RENAMES_ATTR = "__rc_renames__"

_T = TypeVar("_T", bound=type)

# What a user may write for one attribute: "old", ("old", version) or a list of those.
RenameSpec = str | tuple[str, int | None] | Sequence[str | tuple[str, int | None]]


@dataclasses.dataclass(frozen=True, order=True)
class Rename:
    """One declared rename: attribute ``new`` of ``owner`` was called ``old`` before ``version``.

    Examples
    --------
    >>> Rename("Block", "conv1", ("cv1",), 2).describe()
    "Block.conv1 was 'cv1' before version 2"
    """

    owner: str
    new: str
    old: tuple[str, ...]
    version: int | None

    def describe(self) -> str:
        """A short human-readable sentence."""
        when = "" if self.version is None else f" before version {self.version}"
        return f"{self.owner}.{self.new} was {'.'.join(self.old)!r}{when}"


def _parse_entry(owner: str, new: str, entry: object) -> Rename:
    version: object = None
    if isinstance(entry, str):
        old = entry
    elif isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str):
        old, version = entry
    else:
        raise InvalidNameError(
            f"{owner}.{RENAMES_ATTR}[{new!r}]: bad entry {entry!r}; "
            "fix: write 'old_name' or ('old_name', version) or a list of those"
        )
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise InvalidNameError(
            f"{owner}.{RENAMES_ATTR}[{new!r}]: version {version!r} of {old!r} must be an int "
            "or None; fix: e.g. ('cv1', 2)"
        )
    parts = tuple(old.split("."))
    if not all(parts):
        raise InvalidNameError(
            f"{owner}.{RENAMES_ATTR}[{new!r}]: old name {old!r} has an empty component; "
            "fix: use 'name' or 'sub.name'"
        )
    if parts == (new,):
        raise InvalidNameError(
            f"{owner}.{RENAMES_ATTR}[{new!r}]: the old name equals the new one; fix: remove it"
        )
    return Rename(owner, new, parts, version)


def _parse(owner: str, table: object) -> list[Rename]:
    if not isinstance(table, Mapping):
        raise InvalidNameError(
            f"{owner}.{RENAMES_ATTR} must be a dict {{new_name: [(old_name, version), ...]}}, "
            f"got {type(table).__name__}"
        )
    result: list[Rename] = []
    for new, spec in table.items():
        if not isinstance(new, str) or not new or "." in new:
            raise InvalidNameError(
                f"{owner}.{RENAMES_ATTR}: key {new!r} must be a current attribute name "
                "(non-empty, without '.')"
            )
        single = isinstance(spec, str) or (
            isinstance(spec, tuple)
            and len(spec) == 2
            and isinstance(spec[0], str)
            and not isinstance(spec[1], str | tuple)
        )
        entries = [spec] if single else spec
        if not isinstance(entries, Sequence):
            raise InvalidNameError(
                f"{owner}.{RENAMES_ATTR}[{new!r}]: expected a list of (old_name, version), "
                f"got {spec!r}"
            )
        result.extend(_parse_entry(owner, new, e) for e in entries)
    return result


def declared_renames(cls: type) -> tuple[Rename, ...]:
    """Every rename ``cls`` declares, its bases' included, sorted by attribute and version.

    Raises :class:`InvalidNameError` for a malformed declaration (naming the class).

    Examples
    --------
    >>> class Block:
    ...     __rc_renames__ = {"conv1": [("c1", 1), ("cv1", 2)]}
    >>> [r.describe() for r in declared_renames(Block)]
    ["Block.conv1 was 'c1' before version 1", "Block.conv1 was 'cv1' before version 2"]
    """
    found: dict[tuple[str, tuple[str, ...]], Rename] = {}
    for klass in reversed(cls.__mro__):
        table = klass.__dict__.get(RENAMES_ATTR)
        if table is None:
            continue
        for r in _parse(klass.__qualname__, table):
            found[(r.new, r.old)] = Rename(cls.__qualname__, r.new, r.old, r.version)
    return tuple(
        sorted(found.values(), key=lambda r: (r.new, -1 if r.version is None else r.version))
    )


def _as_list(spec: object) -> list[object]:
    if isinstance(spec, str | tuple):
        return [spec]
    assert isinstance(spec, Sequence)
    return list(spec)


def renamed(**history: RenameSpec) -> Callable[[_T], _T]:
    """Class decorator declaring renamed attributes: ``@renamed(new=("old", version))``.

    Values: ``"old"``, ``("old", version)`` or a list of those (a chain of renames).
    The declarations are stored in the class's own ``__rc_renames__`` (merged with
    one written in the class body; bases are left untouched).

    Examples
    --------
    >>> from rc_naming import renamed, declared_renames
    >>> @renamed(conv1=("cv1", 2), norm="bn")
    ... class Block:
    ...     pass
    >>> [r.describe() for r in declared_renames(Block)]
    ["Block.conv1 was 'cv1' before version 2", "Block.norm was 'bn'"]
    """

    for new, spec in history.items():
        _parse("@renamed(...)", {new: spec})  # fail at the declaration, naming the attribute

    def decorate(cls: _T) -> _T:
        own = dict(cls.__dict__.get(RENAMES_ATTR) or {})
        for new, spec in history.items():
            previous = own.get(new)
            if previous is None:
                own[new] = spec
            else:
                own[new] = [*_as_list(previous), *_as_list(spec)]
        setattr(cls, RENAMES_ATTR, own)
        declared_renames(cls)
        return cls

    return decorate


@dataclasses.dataclass(frozen=True)
class RenameMapping:
    """The result of :func:`rename_mapping`.

    Attributes
    ----------
    mapping
        ``old path -> new path`` for every old name a declared rename changes.
    reasons
        for each key of ``mapping``, the renames applied (readable).
    ambiguous
        old paths that could mean several new paths, with the candidates.
    unchanged
        old paths that name a model object as they are.
    unknown
        old paths that name nothing in the model, with or without renames.

    Examples
    --------
    >>> RenameMapping({"a": "b"}, {"a": "X.b was 'a'"}, {}, (), ()).mapping
    {'a': 'b'}
    """

    mapping: dict[str, str]
    reasons: dict[str, str]
    ambiguous: dict[str, tuple[str, ...]]
    unchanged: tuple[str, ...]
    unknown: tuple[str, ...]


class _Tree:
    """The canonical tree of a resolution: path -> object, path -> children by attr."""

    def __init__(self, graph: OwnershipGraph, root_obj: object) -> None:
        res = graph.resolve(root_obj)
        self.objs: dict[tuple[str, ...], object] = {}
        self.children: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
        for path, obj in res.items():
            self.objs[path] = obj
            if path:
                self.children.setdefault(path[:-1], {})[path[-1]] = path
        self.renames: dict[tuple[str, ...], tuple[Rename, ...]] = {}

    def renames_at(self, path: tuple[str, ...]) -> tuple[Rename, ...]:
        cached = self.renames.get(path)
        if cached is None:
            cached = self.renames[path] = declared_renames(type(self.objs[path]))
        return cached


def _applies(r: Rename, from_version: int | None) -> bool:
    return from_version is None or r.version is None or r.version > from_version


def _match(
    tree: _Tree, comps: tuple[str, ...], from_version: int | None
) -> list[tuple[tuple[str, ...], tuple[Rename, ...]]]:
    """Every model path the old path ``comps`` can denote, with the renames used."""
    results: list[tuple[tuple[str, ...], tuple[Rename, ...]]] = []
    # Iterative DFS over (model path, index into comps, renames used).
    stack: list[tuple[tuple[str, ...], int, tuple[Rename, ...]]] = [((), 0, ())]
    while stack:
        path, i, used = stack.pop()
        if i == len(comps):
            if path in tree.objs:
                results.append((path, used))
            continue
        kids = tree.children.get(path, {})
        renames = [r for r in tree.renames_at(path) if _applies(r, from_version)]
        # With a version, a name that an applicable rename gave away (or an attribute
        # that had another name then) is not taken literally.
        blocked = from_version is not None and (
            any(r.old[0] == comps[i] for r in renames)
            or any(r.new == comps[i] and r.version is not None for r in renames)
        )
        if comps[i] in kids and not blocked:
            stack.append((kids[comps[i]], i + 1, used))
        for r in renames:
            if r.new in kids and comps[i : i + len(r.old)] == r.old:
                stack.append((kids[r.new], i + len(r.old), (*used, r)))
    return results


def rename_mapping(
    graph: OwnershipGraph,
    root_obj: object,
    old_names: Iterable[str],
    *,
    sep: str = ".",
    from_version: int | None = None,
) -> RenameMapping:
    """Map old paths (e.g. a checkpoint's) to the model's canonical paths by declared renames.

    Parameters
    ----------
    graph
        the ownership graph holding the model.
    root_obj
        the model's root object.
    old_names
        paths as text, components joined with ``sep``.
    sep
        the separator of ``old_names`` (and of the returned new paths).
    from_version
        the version that wrote ``old_names``: only renames introduced
        later apply. ``None``: all declared renames may apply.

    Examples
    --------
    >>> from rc_naming import OwnershipGraph, renamed, rename_mapping
    >>> @renamed(conv1=("cv1", 2))
    ... class Block:
    ...     def __init__(self): self.conv1 = Conv()
    >>> class Conv:
    ...     def __init__(self): self.weight = [0.0]
    >>> class Net:
    ...     __rc_renames__ = {"blocks": ["layers"]}
    ...     def __init__(self): self.blocks = [Block()]
    >>> net = Net()
    >>> g = OwnershipGraph.from_object_tree(net)
    >>> rename_mapping(g, net, ["layers.0.cv1.weight"]).mapping
    {'layers.0.cv1.weight': 'blocks.0.conv1.weight'}
    """
    tree = _Tree(graph, root_obj)
    mapping: dict[str, str] = {}
    reasons: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    unchanged: list[str] = []
    unknown: list[str] = []
    for old in old_names:
        comps = tuple(old.split(sep))
        found: dict[tuple[str, ...], tuple[Rename, ...]] = {}
        for path, used in _match(tree, comps, from_version):
            found.setdefault(path, used)
        if not found:
            unknown.append(old)
        elif len(found) > 1:
            ambiguous[old] = tuple(sorted(sep.join(p) for p in found))
        else:
            ((path, used),) = found.items()
            if path == comps:
                unchanged.append(old)
            else:
                mapping[old] = sep.join(path)
                reasons[old] = "; ".join(r.describe() for r in used)
    return RenameMapping(mapping, reasons, ambiguous, tuple(unchanged), tuple(unknown))
