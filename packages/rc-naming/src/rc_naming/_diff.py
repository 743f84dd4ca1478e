"""Name diff: compare two ``name -> shape`` maps and suggest how their names pair up.

Typical use: the *old* map is a checkpoint's names, the *new* map the model's. The
diff reports

* ``matched``: same name, same shape;
* ``shape_mismatches``: same name (or a declared rename) but different shapes;
* ``suggestions``: an old name and a new name that probably are the same tensor,
  each with its kind and a reason. The stages run in this order, each on the names
  the earlier ones left over:

  1. ``declared``: the caller's declared renames (see :mod:`rc_naming._renames`);
     these run even before the same-name matching, so a declared swap works;
  2. ``unique-shape``: the only old and the only new name left with a given shape;
  3. ``prefix``: a common prefix added or dropped (a wrapper module), e.g.
     ``lin.weight`` -> ``model.lin.weight``; the prefix that explains most names wins;
  4. ``edit-distance``: the closest name (Levenshtein), only when both names are
     each other's unique closest candidate;

* ``missing`` (only in the new map) and ``unexpected`` (only in the old map): the
  names no stage paired;
* ``ambiguous``: for leftover names that *do* have same-shape candidates, the
  candidates, so a user can decide (nothing ambiguous is ever paired silently).

Two names whose shapes differ are never suggested as a pair.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from rc_naming._errors import RcNamingError

__all__ = [
    "DECLARED",
    "EDIT_DISTANCE",
    "PREFIX",
    "SUGGESTION_KINDS",
    "UNIQUE_SHAPE",
    "Ambiguity",
    "NameDiff",
    "ShapeMismatch",
    "Suggestion",
    "UnresolvedNamesError",
    "diff_names",
    "format_shape",
]

Shape = tuple[int, ...]
# pair(old, new, kind, reason): records a suggestion and takes both names out of the pools.
_PairFn = Callable[[str, str, str, str], None]

DECLARED = "declared"
UNIQUE_SHAPE = "unique-shape"
PREFIX = "prefix"
EDIT_DISTANCE = "edit-distance"
#: Suggestion kinds, in the order the stages run (most trustworthy first).
SUGGESTION_KINDS = (DECLARED, UNIQUE_SHAPE, PREFIX, EDIT_DISTANCE)

# Edit-distance suggestions must change at most this fraction of the longer name.
_MAX_EDIT_RATIO = 0.5


class UnresolvedNamesError(RcNamingError, ValueError):
    """A name mapping was requested but some names stay unpaired or ambiguous.

    ``problems`` lists one line per problem.

    Examples
    --------
    >>> from rc_naming import diff_names
    >>> d = diff_names({"a": (2,)}, {"b": (3,)})
    >>> try:
    ...     d.mapping()
    ... except UnresolvedNamesError as exc:
    ...     print(exc.problems[0])
    missing in checkpoint: b (3)
    """

    def __init__(self, message: str, problems: Sequence[str]) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


def format_shape(shape: Sequence[int]) -> str:
    """``(40, 64)`` as ``40x64``; a scalar as ``scalar``.

    Examples
    --------
    >>> format_shape((40, 64)), format_shape(())
    ('40x64', 'scalar')
    """
    return "x".join(str(int(d)) for d in shape) if shape else "scalar"


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """An old name that probably is the new name (same shape), and why.

    Examples
    --------
    >>> Suggestion("cv1.w", "conv1.w", (3,), "declared", "declared rename").describe()
    'cv1.w -> conv1.w  (3; declared: declared rename)'
    """

    old: str
    new: str
    shape: Shape
    kind: str
    reason: str

    def describe(self) -> str:
        """One line: ``old -> new  (shape; kind: reason)``."""
        return f"{self.old} -> {self.new}  ({format_shape(self.shape)}; {self.kind}: {self.reason})"


@dataclasses.dataclass(frozen=True)
class ShapeMismatch:
    """An old and a new name that correspond by name (or declared rename) but differ in shape.

    Examples
    --------
    >>> ShapeMismatch("w", "w", (2,), (3,), "same name").describe()
    'w: 2 in old, 3 in new (same name)'
    """

    old: str
    new: str
    old_shape: Shape
    new_shape: Shape
    reason: str

    def describe(self, old_label: str = "old", new_label: str = "new") -> str:
        """One line naming both shapes."""
        names = self.old if self.old == self.new else f"{self.old} -> {self.new}"
        return (
            f"{names}: {format_shape(self.old_shape)} in {old_label}, "
            f"{format_shape(self.new_shape)} in {new_label} ({self.reason})"
        )


@dataclasses.dataclass(frozen=True)
class Ambiguity:
    """A leftover name with several (or not clearly best) same-shape candidates.

    ``side`` is ``"old"`` (an unexpected name; candidates are missing names) or
    ``"new"`` (a missing name; candidates are unexpected names).

    Examples
    --------
    >>> Ambiguity("w", "old", ("a.w", "b.w"), (4,)).describe()
    'w (4) could be any of: a.w, b.w'
    """

    name: str
    side: str
    candidates: tuple[str, ...]
    shape: Shape

    def describe(self) -> str:
        """One line listing the candidates."""
        return (
            f"{self.name} ({format_shape(self.shape)}) could be any of: "
            f"{', '.join(self.candidates)}"
        )


@dataclasses.dataclass(frozen=True)
class NameDiff:
    """The result of :func:`diff_names`. Every old and every new name is in exactly one of
    ``matched``, ``shape_mismatches``, ``suggestions``, ``missing`` / ``unexpected``.

    Examples
    --------
    >>> from rc_naming import diff_names
    >>> d = diff_names({"cv1.w": (3, 4), "b": (4,)}, {"conv1.w": (3, 4), "b": (4,)},
    ...                renames={"cv1.w": "conv1.w"})
    >>> d.matched, [s.new for s in d.suggestions], d.ok
    (('b',), ['conv1.w'], False)
    >>> d.mapping()
    {'b': 'b', 'conv1.w': 'cv1.w'}
    """

    old: Mapping[str, Shape]
    new: Mapping[str, Shape]
    matched: tuple[str, ...]
    shape_mismatches: tuple[ShapeMismatch, ...]
    suggestions: tuple[Suggestion, ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    ambiguous: tuple[Ambiguity, ...]
    old_label: str = "checkpoint"
    new_label: str = "model"

    @property
    def ok(self) -> bool:
        """True if both maps hold exactly the same names with the same shapes."""
        return not (self.shape_mismatches or self.suggestions or self.missing or self.unexpected)

    def mapping(
        self,
        accept: Iterable[str] = (DECLARED,),
        *,
        extra: Mapping[str, str] | None = None,
        allow_unexpected: bool = False,
    ) -> dict[str, str]:
        """``new name -> old name`` for every new name, or :class:`UnresolvedNamesError`.

        Explicit pairs (``extra``) win over accepted suggestions that name the same old
        or new name (the suggestion is dropped). They never override a match: an
        explicit pair onto a name that already matched by name, or from an old name
        that already matched, is a problem, and so are two explicit pairs onto one new
        name. Each old name feeds at most one new name.

        Parameters
        ----------
        accept
            suggestion kinds to apply (default: declared renames only).
        extra
            explicit ``old -> new`` pairs chosen by the user (shapes must agree).
        allow_unexpected
            old names that nothing maps to are fine (they are dropped);
            by default they are a problem too, since they may be weights the new
            names were meant to get.

        Raises
        ------
        UnresolvedNamesError
            a new name stays without an old one, a shape differs,
            an old name is left over (unless allowed) or ``extra`` contradicts the maps.

        Examples
        --------
        >>> d = diff_names({"a": (2,), "b": (2,)}, {"a": (2,), "c": (2,)})
        >>> try:
        ...     d.mapping(extra={"a": "c", "b": "c"}, allow_unexpected=True)
        ... except UnresolvedNamesError as exc:
        ...     print(exc.problems[0])
        explicit mappings a -> c and b -> c: two old names onto one new name
        """
        accepted = set(accept)
        _check_kinds(tuple(accepted))
        result = {name: name for name in self.matched}
        problems: list[str] = []
        used_old = set(self.matched)
        pairs = sorted((extra or {}).items())
        explicit_old = {old for old, new in pairs if old != new or old not in self.matched}
        explicit_new = {new for old, new in pairs if old != new or new not in self.matched}
        for s in self.suggestions:
            if s.kind in accepted and s.old not in explicit_old and s.new not in explicit_new:
                result[s.new] = s.old
                used_old.add(s.old)
        onto: dict[str, list[str]] = defaultdict(list)
        for old, new in pairs:
            onto[new].append(old)
        for old, new in pairs:
            if old == new and old in self.matched:
                continue  # an explicit pair that says what the match already says
            if len(onto[new]) > 1:
                if old == onto[new][0]:
                    problems.append(
                        f"explicit mappings {' and '.join(f'{o} -> {new}' for o in onto[new])}: "
                        "two old names onto one new name"
                    )
                continue
            if new in self.matched:
                problems.append(
                    f"explicit mapping {old} -> {new}: {new} already matches {new} in "
                    f"{self.old_label} by name and shape; an explicit pair must not override "
                    "a match (drop the pair)"
                )
                continue
            if old in self.matched:
                problems.append(
                    f"explicit mapping {old} -> {new}: {old} already matches {old} in "
                    f"{self.new_label} by name and shape, and an old name feeds one new name "
                    "only (drop the pair)"
                )
                continue
            if old not in self.old:
                problems.append(
                    f"explicit mapping {old} -> {new}: {old} is not in {self.old_label}"
                )
            elif new not in self.new:
                problems.append(
                    f"explicit mapping {old} -> {new}: {new} is not in {self.new_label}"
                )
            elif tuple(self.old[old]) != tuple(self.new[new]):
                problems.append(
                    f"explicit mapping {old} -> {new}: shapes differ "
                    f"({format_shape(self.old[old])} vs {format_shape(self.new[new])})"
                )
            else:
                result[new] = old
                used_old.add(old)
        for new_name in sorted(self.new):
            if new_name in result:
                continue
            hint = self._hint_for_new(new_name)
            problems.append(
                f"missing in {self.old_label}: {new_name} ({format_shape(self.new[new_name])}){hint}"
            )
        if not allow_unexpected:
            for old_name in sorted(set(self.old) - used_old):
                problems.append(
                    f"unused from {self.old_label}: {old_name} ({format_shape(self.old[old_name])})"
                )
        if problems:
            raise UnresolvedNamesError(
                f"cannot map every {self.new_label} name to a {self.old_label} name "
                f"({len(problems)} problems):\n  "
                + "\n  ".join(problems)
                + "\nfix: declare the renames in the classes (__rc_renames__ / @renamed), "
                "accept more suggestion kinds, or give explicit OLD=NEW pairs",
                problems,
            )
        return result

    def _hint_for_new(self, new_name: str) -> str:
        for s in self.suggestions:
            if s.new == new_name:
                return f"; suggestion not accepted: {s.describe()}"
        for m in self.shape_mismatches:
            if m.new == new_name:
                return f"; shape mismatch: {m.describe(self.old_label, self.new_label)}"
        for a in self.ambiguous:
            if a.side == "new" and a.name == new_name:
                return f"; ambiguous, candidates: {', '.join(a.candidates)}"
        return ""

    def format(self, *, show_matched: bool = False) -> str:
        """A readable multi-line report (what ``rc-serialize diff`` prints).

        Examples
        --------
        >>> from rc_naming import diff_names
        >>> print(diff_names({"a": (2,)}, {"a": (2,)}).format())
        1 matched, 0 shape mismatches, 0 suggestions, 0 missing in checkpoint, 0 unexpected in checkpoint
        """
        lines = []
        if show_matched:
            lines += [f"  matched     {n} ({format_shape(self.new[n])})" for n in self.matched]
        for m in self.shape_mismatches:
            lines.append(f"  shape       {m.describe(self.old_label, self.new_label)}")
        for s in self.suggestions:
            lines.append(f"  suggest     {s.describe()}")
        for n in self.missing:
            lines.append(
                f"  missing     {n} ({format_shape(self.new[n])}): in {self.new_label}, "
                f"not in {self.old_label}"
            )
        for n in self.unexpected:
            lines.append(
                f"  unexpected  {n} ({format_shape(self.old[n])}): in {self.old_label}, "
                f"not in {self.new_label}"
            )
        for a in self.ambiguous:
            lines.append(f"  ambiguous   {a.describe()}")
        lines.append(
            f"{len(self.matched)} matched, {len(self.shape_mismatches)} shape mismatches, "
            f"{len(self.suggestions)} suggestions, {len(self.missing)} missing in "
            f"{self.old_label}, {len(self.unexpected)} unexpected in {self.old_label}"
        )
        return "\n".join(lines)


def _check_kinds(kinds: Iterable[str]) -> None:
    for kind in kinds:
        if kind not in SUGGESTION_KINDS:
            raise ValueError(
                f"unknown suggestion kind {kind!r}; choose from {', '.join(SUGGESTION_KINDS)}"
            )


def _levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _as_shapes(names: Mapping[str, Sequence[int]], what: str) -> dict[str, Shape]:
    result: dict[str, Shape] = {}
    for name, shape in names.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"{what}: names must be non-empty str, got {name!r}")
        try:
            result[name] = tuple(int(d) for d in shape)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{what}: shape of {name!r} must be a sequence of ints, got {shape!r}"
            ) from exc
    return result


def diff_names(
    old: Mapping[str, Sequence[int]],
    new: Mapping[str, Sequence[int]],
    *,
    renames: Mapping[str, str] | None = None,
    sep: str = ".",
    old_label: str = "checkpoint",
    new_label: str = "model",
) -> NameDiff:
    """Compare ``old`` and ``new`` (``name -> shape``) and suggest pairs (see the module doc).

    Parameters
    ----------
    old
        the reference names, e.g. a checkpoint's.
    new
        the names that should match them, e.g. the model's.
    renames
        declared renames ``old name -> new name`` (stage 1).
    sep
        separator of path components, used by the prefix stage.
    old_label
        what ``old`` is called in reports.
    new_label
        what ``new`` is called in reports.

    Examples
    --------
    >>> from rc_naming import diff_names
    >>> old = {"lin.weight": (4, 4), "out.weight": (4, 4), "lin.bias": (4,)}
    >>> new = {"model.lin.weight": (4, 4), "model.out.weight": (4, 4), "model.lin.bias": (4,)}
    >>> for s in diff_names(old, new).suggestions:
    ...     print(s.describe())
    lin.bias -> model.lin.bias  (4; unique-shape: the only unpaired names of this shape)
    lin.weight -> model.lin.weight  (4x4; prefix: prefix 'model.' added (explains 2 name(s)))
    out.weight -> model.out.weight  (4x4; prefix: prefix 'model.' added (explains 2 name(s)))
    """
    old_shapes = _as_shapes(old, old_label)
    new_shapes = _as_shapes(new, new_label)
    rest_old = dict(old_shapes)
    rest_new = dict(new_shapes)
    suggestions: list[Suggestion] = []
    mismatches: list[ShapeMismatch] = []

    def pair(o: str, n: str, kind: str, reason: str) -> None:
        suggestions.append(Suggestion(o, n, rest_old.pop(o), kind, reason))
        del rest_new[n]

    # 1. Declared renames, before same-name matching (a declared swap must win).
    if renames:
        targets: dict[str, list[str]] = defaultdict(list)
        for o, n in renames.items():
            if o in rest_old and n in rest_new and o != n:
                targets[n].append(o)
        for n in sorted(targets):
            olds = sorted(targets[n])
            if len(olds) > 1:
                continue  # reported as ambiguous below, never guessed
            o = olds[0]
            if old_shapes[o] == new_shapes[n]:
                pair(o, n, DECLARED, f"declared rename of {o}")
            else:
                mismatches.append(
                    ShapeMismatch(o, n, old_shapes[o], new_shapes[n], f"declared rename of {o}")
                )
                del rest_old[o], rest_new[n]
        declared_conflicts = {n: sorted(v) for n, v in targets.items() if len(v) > 1}
    else:
        declared_conflicts = {}

    # Same name.
    matched: list[str] = []
    for name in sorted(set(rest_old) & set(rest_new)):
        if name in declared_conflicts:
            continue
        if rest_old[name] == rest_new[name]:
            matched.append(name)
        else:
            mismatches.append(
                ShapeMismatch(name, name, rest_old[name], rest_new[name], "same name")
            )
        del rest_old[name], rest_new[name]

    # 2. Unique shape.
    by_shape_old: dict[Shape, list[str]] = defaultdict(list)
    by_shape_new: dict[Shape, list[str]] = defaultdict(list)
    for o in rest_old:
        by_shape_old[rest_old[o]].append(o)
    for n in rest_new:
        by_shape_new[rest_new[n]].append(n)
    for shape in sorted(by_shape_old, key=lambda s: (len(s), s)):
        olds, news = by_shape_old[shape], by_shape_new.get(shape, [])
        if len(olds) == 1 and len(news) == 1:
            pair(olds[0], news[0], UNIQUE_SHAPE, "the only unpaired names of this shape")

    # 3. Prefix added or dropped.
    _prefix_stage(rest_old, rest_new, sep, pair)

    # 4. Edit distance, mutual unique best.
    _edit_stage(rest_old, rest_new, pair)

    # Ambiguities among the leftovers.
    ambiguous: list[Ambiguity] = []
    for n, olds in sorted(declared_conflicts.items()):
        if n in rest_new:
            ambiguous.append(
                Ambiguity(n, "new", tuple(o for o in olds if o in rest_old), rest_new[n])
            )
    for o in sorted(rest_old):
        cands = tuple(sorted(n for n in rest_new if rest_new[n] == rest_old[o]))
        if cands:
            ambiguous.append(Ambiguity(o, "old", cands, rest_old[o]))
    for n in sorted(rest_new):
        if n in declared_conflicts:
            continue
        cands = tuple(sorted(o for o in rest_old if rest_old[o] == rest_new[n]))
        if len(cands) > 1:
            ambiguous.append(Ambiguity(n, "new", cands, rest_new[n]))

    order = {kind: i for i, kind in enumerate(SUGGESTION_KINDS)}
    return NameDiff(
        old=old_shapes,
        new=new_shapes,
        matched=tuple(matched),
        shape_mismatches=tuple(sorted(mismatches, key=lambda m: (m.new, m.old))),
        suggestions=tuple(sorted(suggestions, key=lambda s: (order[s.kind], s.new, s.old))),
        missing=tuple(sorted(rest_new)),
        unexpected=tuple(sorted(rest_old)),
        ambiguous=tuple(ambiguous),
        old_label=old_label,
        new_label=new_label,
    )


def _prefix_stage(
    rest_old: dict[str, Shape],
    rest_new: dict[str, Shape],
    sep: str,
    pair: _PairFn,
) -> None:
    # op = ("added", P): new == P + sep + old; ("dropped", P): old == P + sep + new.
    candidates: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for o, shape in rest_old.items():
        parts = o.split(sep)
        for k in range(1, len(parts)):
            short = sep.join(parts[k:])
            if rest_new.get(short) == shape:
                candidates[("dropped", sep.join(parts[:k]))].append((o, short))
    for n, shape in rest_new.items():
        parts = n.split(sep)
        for k in range(1, len(parts)):
            short = sep.join(parts[k:])
            if rest_old.get(short) == shape:
                candidates[("added", sep.join(parts[:k]))].append((short, n))
    if not candidates:
        return
    support = {op: len(pairs) for op, pairs in candidates.items()}
    # For every name, its candidate ops; a pair is taken only if its op is the unique
    # best (by support) for both of its names.
    best_old: dict[str, list[tuple[int, tuple[str, str], str]]] = defaultdict(list)
    best_new: dict[str, list[tuple[int, tuple[str, str], str]]] = defaultdict(list)
    for op, pairs in candidates.items():
        for o, n in pairs:
            best_old[o].append((support[op], op, n))
            best_new[n].append((support[op], op, o))

    def unique_best(
        options: list[tuple[int, tuple[str, str], str]],
    ) -> tuple[tuple[str, str], str] | None:
        top = max(s for s, _, _ in options)
        winners = [(op, other) for s, op, other in options if s == top]
        return winners[0] if len(winners) == 1 else None

    chosen: list[tuple[str, str, tuple[str, str]]] = []
    for o in sorted(best_old):
        b = unique_best(best_old[o])
        if b is None:
            continue
        op, n = b
        back = unique_best(best_new[n])
        if back is not None and back == (op, o):
            chosen.append((o, n, op))
    for o, n, (how, prefix) in chosen:
        pair(
            o,
            n,
            PREFIX,
            f"prefix '{prefix}{sep}' {how} (explains {support[(how, prefix)]} name(s))",
        )


def _edit_stage(rest_old: dict[str, Shape], rest_new: dict[str, Shape], pair: _PairFn) -> None:
    dist: dict[tuple[str, str], int] = {}
    for o, shape in rest_old.items():
        for n, nshape in rest_new.items():
            if shape == nshape:
                d = _levenshtein(o, n)
                if d <= _MAX_EDIT_RATIO * max(len(o), len(n)):
                    dist[(o, n)] = d
    if not dist:
        return
    by_old: dict[str, list[tuple[int, str]]] = defaultdict(list)
    by_new: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (o, n), d in dist.items():
        by_old[o].append((d, n))
        by_new[n].append((d, o))

    def unique_min(options: list[tuple[int, str]]) -> tuple[int, str, int | None] | None:
        options = sorted(options)
        if len(options) > 1 and options[0][0] == options[1][0]:
            return None
        runner_up = options[1][0] if len(options) > 1 else None
        return options[0][0], options[0][1], runner_up

    chosen = []
    for o in sorted(by_old):
        best = unique_min(by_old[o])
        if best is None:
            continue
        d, n, runner_up = best
        back = unique_min(by_new[n])
        if back is not None and back[1] == o:
            chosen.append((o, n, d, runner_up))
    for o, n, d, runner_up in chosen:
        why = f"closest name, {d} character edit(s)"
        if runner_up is not None:
            why += f" (next candidate: {runner_up})"
        pair(o, n, EDIT_DISTANCE, why)
