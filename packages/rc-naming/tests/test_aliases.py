"""Alias introspection and the diff's unit behaviour."""

from __future__ import annotations

import pytest

from rc_naming import (
    OwnershipGraph,
    UnreachableError,
    UnresolvedNamesError,
    alias_info,
    alias_report,
    diff_names,
    format_alias_report,
)


class M:
    pass


def tied() -> tuple[OwnershipGraph, M, M, M, M]:
    root, enc, dec, w = M(), M(), M(), M()
    g = OwnershipGraph()
    g.add_node(w, label="Parameter")
    g.record_assign(dec, "weight", w)  # #0, dec not yet reachable
    g.record_assign(root, "enc", enc)  # #1
    g.record_assign(enc, "weight", w)  # #2
    g.record_assign(root, "dec", dec)  # #3
    return g, root, enc, dec, w


def test_alias_info_reports_paths_owner_and_deciding_edges() -> None:
    g, root, _enc, dec, w = tied()
    info = alias_info(g, root, w)
    # dec.weight was assigned first (#0), and dec became reachable: first assignment wins.
    assert info.path == ("dec", "weight")
    assert info.aliases == (("enc", "weight"),)
    assert info.owner is dec
    assert info.orders == (3, 0)
    assert [(e.attr, e.order, e.canonical) for e in info.parent_edges] == [
        ("weight", 0, True),
        ("weight", 2, False),
    ]
    text = info.explain()
    assert "dec.weight (Parameter): canonical path, assignments #3 -> #0" in text
    assert "alias: enc.weight" in text
    assert "#2 enc.weight (alias)" in text


def test_alias_info_of_the_root_and_unreachable_objects() -> None:
    g, root, *_ = tied()
    info = alias_info(g, root, root)
    assert info.path == () and info.owner is None and info.orders == ()
    with pytest.raises(UnreachableError):
        alias_info(g, root, M())


def test_unreachable_holder_is_shown() -> None:
    root, lonely, w = M(), M(), M()
    g = OwnershipGraph()
    g.record_assign(lonely, "w", w)
    g.record_assign(root, "w", w)
    info = alias_info(g, root, w)
    assert info.path == ("w",)
    assert "<unreachable holder>.w" in info.explain()


def test_alias_report_filters() -> None:
    g, root, enc, _dec, w = tied()
    everything = alias_report(g, root)
    assert [i.path for i in everything] == [("enc",), ("dec",), ("dec", "weight")]
    assert [i.obj for i in alias_report(g, root, only_aliased=True)] == [w]
    assert [i.obj for i in alias_report(g, root, include=lambda o: o is enc)] == [enc]
    assert "enc.weight" in format_alias_report(everything)


def test_diff_categories() -> None:
    old = {"a": (2,), "b": (3,), "c": (4,), "same": (1,), "shape": (2,)}
    new = {"a": (2,), "bb": (3,), "d": (5,), "same": (1,), "shape": (3,)}
    d = diff_names(old, new)
    assert d.matched == ("a", "same")
    assert [(m.old, m.new) for m in d.shape_mismatches] == [("shape", "shape")]
    assert [(s.old, s.new, s.kind) for s in d.suggestions] == [("b", "bb", "unique-shape")]
    assert d.missing == ("d",) and d.unexpected == ("c",)
    assert not d.ok
    assert diff_names({"x": (1,)}, {"x": [1]}).ok


def test_edit_distance_needs_a_unique_mutual_best() -> None:
    old = {"enc.cv1.w": (4,), "enc.cv2.w": (4,)}
    new = {"enc.conv1.w": (4,), "enc.conv2.w": (4,)}
    d = diff_names(old, new)
    assert {(s.old, s.new, s.kind) for s in d.suggestions} == {
        ("enc.cv1.w", "enc.conv1.w", "edit-distance"),
        ("enc.cv2.w", "enc.conv2.w", "edit-distance"),
    }
    tie = diff_names({"ab": (4,), "zz": (4,)}, {"ac": (4,), "cb": (4,)})
    assert not tie.suggestions
    assert {a.name for a in tie.ambiguous if a.side == "old"} == {"ab", "zz"}


def test_declared_rename_with_other_shape_is_a_mismatch_not_a_pair() -> None:
    d = diff_names({"cv1": (3,)}, {"conv1": (4,)}, renames={"cv1": "conv1"})
    assert not d.suggestions
    assert [m.reason for m in d.shape_mismatches] == ["declared rename of cv1"]


def test_declared_swap_beats_same_name_matching() -> None:
    d = diff_names({"a": (2,), "b": (2,)}, {"a": (2,), "b": (2,)}, renames={"a": "b", "b": "a"})
    assert {(s.old, s.new) for s in d.suggestions} == {("a", "b"), ("b", "a")}
    assert not d.matched


def test_mapping_refuses_with_every_problem_listed() -> None:
    d = diff_names({"p": (4,), "q": (4,)}, {"r": (4,), "s": (4,)})
    with pytest.raises(UnresolvedNamesError) as info:
        d.mapping()
    assert len(info.value.problems) == 4
    assert "ambiguous, candidates: p, q" in str(info.value)
    assert d.mapping(extra={"p": "r", "q": "s"}) == {"r": "p", "s": "q"}
    with pytest.raises(UnresolvedNamesError, match="not in checkpoint"):
        d.mapping(extra={"zz": "r"}, allow_unexpected=True)
    with pytest.raises(ValueError, match="unknown suggestion kind"):
        d.mapping(accept=("guess",))


def test_format_lists_every_category() -> None:
    d = diff_names({"cv1": (3,), "gone": (5,)}, {"conv1": (3,), "new": (6,)})
    text = d.format(show_matched=True)
    assert "suggest     cv1 -> conv1" in text
    assert "missing     new (6)" in text
    assert "unexpected  gone (5)" in text


def test_explicit_pairs_never_override_a_match_or_merge_two_old_names() -> None:
    """Issue 13 §4: ``--map`` with two old names onto one new one, or onto a matched name."""
    d = diff_names({"a": (2,), "b": (2,), "c": (2,)}, {"a": (2,), "x": (2,), "y": (2,)})
    assert d.matched == ("a",)
    # Two old names onto one new name: refused even when unused names are allowed.
    with pytest.raises(UnresolvedNamesError) as info:
        d.mapping(extra={"b": "x", "c": "x"}, allow_unexpected=True)
    assert "explicit mappings b -> x and c -> x: two old names onto one new name" in str(info.value)
    # An explicit pair onto a name that already matched by name: refused (it would
    # silently replace a's weights with b's).
    with pytest.raises(UnresolvedNamesError) as info:
        d.mapping(extra={"b": "a", "c": "x"}, allow_unexpected=True)
    assert "explicit mapping b -> a: a already matches a in checkpoint" in str(info.value)
    # An old name that matched, fed into a second new name: refused as well.
    with pytest.raises(UnresolvedNamesError) as info:
        d.mapping(extra={"a": "x", "c": "y"}, allow_unexpected=True)
    assert "explicit mapping a -> x: a already matches a in model" in str(info.value)
    # A pair that repeats the match is fine; the valid choice maps as asked.
    assert d.mapping(extra={"a": "a", "b": "x", "c": "y"}) == {"a": "a", "x": "b", "y": "c"}


def test_explicit_pair_wins_over_an_accepted_suggestion() -> None:
    d = diff_names({"lin.w": (3,), "other": (4,)}, {"model.lin.w": (3,), "new": (4,)})
    kinds = {s.kind for s in d.suggestions}
    assert kinds and all(s.old in ("lin.w", "other") for s in d.suggestions)
    accept = tuple(sorted(kinds))
    base = d.mapping(accept)
    assert base == {"model.lin.w": "lin.w", "new": "other"}
    # Redirecting one suggestion's old name: the suggestion is dropped, never doubled;
    # its new name is then reported missing instead of silently keeping the old pair.
    with pytest.raises(UnresolvedNamesError) as info:
        d.mapping(accept, extra={"other": "model.lin.w"})
    assert "shapes differ" in str(info.value)
    assert "missing in checkpoint: new (4)" in str(info.value)
