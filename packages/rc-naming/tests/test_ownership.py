"""Ownership graph and canonical paths (N3): examples and edge cases."""

from __future__ import annotations

import itertools
import time

import pytest
from rc_naming_test_support import Obj, follow

from rc_naming import InvalidNameError, OwnershipGraph, UnreachableError, render_path


def _objs(n: int) -> list[Obj]:
    return [Obj(i) for i in range(n)]


def test_children_and_parents_in_assignment_order() -> None:
    root, a, b, w = _objs(4)
    g = OwnershipGraph()
    g.record_assign(root, "b", b)
    g.record_assign(root, "a", a)
    g.record_assign(b, "w", w)
    g.record_assign(a, "w", w)
    assert [(n, o.ident) for n, o in g.children(root)] == [("b", 2), ("a", 1)]
    assert [(o.ident, n) for o, n in g.parents(w)] == [(2, "w"), (1, "w")]
    assert g.canonical_path(root, w) == ("b", "w")


def test_reassigning_the_same_child_keeps_its_order() -> None:
    root, a, b, w = _objs(4)
    g = OwnershipGraph()
    g.record_assign(root, "a", a)
    g.record_assign(root, "b", b)
    g.record_assign(a, "w", w)
    g.record_assign(b, "w", w)
    g.record_assign(a, "w", w)  # same child again: no-op
    assert g.canonical_path(root, w) == ("a", "w")
    assert [n for n, _ in g.children(root)] == ["a", "b"]


def test_reassigning_another_child_drops_the_old_edge() -> None:
    root, a, b, w = _objs(4)
    g = OwnershipGraph()
    g.record_assign(root, "a", a)
    g.record_assign(root, "b", b)
    g.record_assign(a, "w", w)
    g.record_assign(b, "w", w)
    g.record_assign(a, "w", b)  # a.w now points elsewhere
    g.record_assign(a, "w", w)  # and back: a new, younger edge
    assert g.canonical_path(root, w) == ("b", "w")
    assert [o.ident for o, _ in g.parents(w)] == [2, 1]


def test_delete_moves_the_name_and_is_idempotent() -> None:
    root, a, b, w = _objs(4)
    g = OwnershipGraph()
    g.record_assign(root, "a", a)
    g.record_assign(root, "b", b)
    g.record_assign(a, "w", w)
    g.record_assign(b, "w", w)
    g.record_delete(a, "w")
    g.record_delete(a, "w")
    g.record_delete(a, "missing")
    g.record_delete(Obj(99), "w")  # unknown parent
    assert g.canonical_path(root, w) == ("b", "w")
    g.record_delete(b, "w")
    with pytest.raises(UnreachableError):
        g.canonical_path(root, w)


def test_identity_not_equality() -> None:
    # Obj compares equal to everything and is unhashable.
    root, a, b = _objs(3)
    g = OwnershipGraph()
    g.record_assign(root, "a", a)
    g.record_assign(root, "b", b)
    assert g.canonical_path(root, a) == ("a",)
    assert g.canonical_path(root, b) == ("b",)
    assert Obj(5) not in g
    assert a in g


def test_root_not_in_graph() -> None:
    g = OwnershipGraph()
    root, other = Obj(0), Obj(1)
    g.add_node(other)
    res = g.resolve(root)
    assert res.path(root) == ()
    assert list(res.items()) == [((), root)]
    assert other not in res
    with pytest.raises(UnreachableError):
        res.path(other)


def test_items_preorder_children_in_assignment_order() -> None:
    root, enc, dec, w1, w2, shared = _objs(6)
    g = OwnershipGraph()
    g.record_assign(root, "enc", enc)
    g.record_assign(root, "dec", dec)
    g.record_assign(dec, "w", w2)
    g.record_assign(enc, "w", w1)
    g.record_assign(dec, "s", shared)
    g.record_assign(enc, "s", shared)
    items = [(render_path(p), o.ident) for p, o in g.resolve(root).items()]
    assert items == [("", 0), ("enc", 1), ("enc.w", 3), ("dec", 2), ("dec.w", 4), ("dec.s", 5)]


def test_simple_cycle_does_not_hang() -> None:
    root, a, b = _objs(3)
    g = OwnershipGraph()
    g.record_assign(root, "a", a)
    g.record_assign(a, "b", b)
    g.record_assign(b, "back", a)
    g.record_assign(b, "root", root)
    assert g.canonical_path(root, b) == ("a", "b")
    assert g.alias_paths(root, a) == [("a",)]


def test_cycle_where_canonical_paths_are_not_a_tree() -> None:
    # x and s hold each other before the root holds them: each one's first
    # parent is the other, so each is named through the other.
    root, x, s, p = _objs(4)
    g = OwnershipGraph()
    for parent, attr, child in [
        (x, "s", s),
        (s, "x", x),
        (root, "s", s),
        (root, "x", x),
        (s, "p", p),
    ]:
        setattr(parent, attr, child)
        g.record_assign(parent, attr, child)
    res = g.resolve(root)
    assert res.path(x) == ("s", "x")
    assert res.path(s) == ("x", "s")
    assert res.path(p) == ("x", "s", "p")
    # items() orders by the assignment numbers along each path.
    assert [render_path(path) for path, _ in res.items()] == ["", "s.x", "x.s", "x.s.p"]
    for path, obj in res.items():
        assert follow(root, path) is obj


def test_alias_that_bypasses_a_cycle_moves_a_name() -> None:
    # Documented limit of "an alias never moves a name": with a cycle, an alias
    # can open a path that avoids it. Here x's first parent c was only
    # reachable through x itself until root.c2 made it reachable directly.
    root, x, c = _objs(3)
    g = OwnershipGraph()
    g.record_assign(x, "c", c)
    g.record_assign(c, "x", x)
    g.record_assign(root, "x", x)
    assert g.canonical_path(root, x) == ("x",)
    g.record_assign(root, "c2", c)
    assert g.canonical_path(root, x) == ("c2", "x")


@pytest.mark.parametrize("top_down", [True, False])
def test_deep_chain_needs_no_recursion(top_down: bool) -> None:
    depth = 10_000
    nodes = _objs(depth + 1)
    g = OwnershipGraph()
    pairs = list(itertools.pairwise(nodes))
    for parent, child in pairs if top_down else reversed(pairs):
        g.record_assign(parent, "c", child)
        g.record_assign(child, "up", parent)  # back references make it cyclic
    path = g.canonical_path(nodes[0], nodes[-1])
    assert path == ("c",) * depth
    assert len(list(g.resolve(nodes[0]).items())) == depth + 1


def test_deep_chain_built_bottom_up_with_backrefs_first() -> None:
    # Every node's first parent is its child (the back reference was assigned
    # first): the worst case for the memo, still no recursion.
    depth = 10_000
    nodes = _objs(depth + 1)
    g = OwnershipGraph()
    for parent, child in itertools.pairwise(nodes):
        g.record_assign(child, "up", parent)
    for parent, child in itertools.pairwise(nodes):
        g.record_assign(parent, "c", child)
    assert g.canonical_path(nodes[0], nodes[-1]) == ("c",) * depth


def test_alias_paths_canonical_first() -> None:
    root, a, b, w = _objs(4)
    g = OwnershipGraph()
    g.record_assign(root, "b", b)
    g.record_assign(a, "w", w)
    g.record_assign(root, "a", a)
    g.record_assign(b, "w", w)
    g.record_assign(root, "w", w)
    assert g.alias_paths(root, w) == [("a", "w"), ("b", "w"), ("w",)]
    assert g.alias_paths(root, w)[0] == g.canonical_path(root, w)
    assert g.alias_paths(root, Obj(9)) == []
    assert g.alias_paths(root, root) == [()]


def test_resolution_is_a_snapshot_and_cache_invalidates() -> None:
    root, a, b = _objs(3)
    g = OwnershipGraph()
    g.record_assign(root, "a", a)
    res = g.resolve(root)
    assert g.resolve(root) is res  # cached while unchanged
    g.record_assign(root, "b", b)
    assert b not in res
    res2 = g.resolve(root)
    assert res2 is not res
    assert res2.path(b) == ("b",)
    assert len(res2) == 3


def test_render_path() -> None:
    assert render_path(("enc", "lin", "weight")) == "enc.lin.weight"
    assert render_path(("enc", "lin", "weight"), "/") == "enc/lin/weight"
    assert render_path(()) == ""
    with pytest.raises(InvalidNameError, match="contains '/'"):
        render_path(("a/b",), "/")
    with pytest.raises(InvalidNameError):
        render_path(("a", ""))


def test_attr_must_be_a_non_empty_string() -> None:
    g = OwnershipGraph()
    with pytest.raises(InvalidNameError):
        g.record_assign(Obj(0), "", Obj(1))
    with pytest.raises(InvalidNameError):
        g.record_assign(Obj(0), 3, Obj(1))  # type: ignore[arg-type]


def test_metadata() -> None:
    g = OwnershipGraph()
    p = Obj(0)
    assert g.label(p) == "Obj"
    assert g.created_at(p) is None
    g.add_node(p, label="Linear.weight", created_at="model.py:12")
    assert g.label(p) == "Linear.weight"
    assert g.created_at(p) == "model.py:12"


class _Lin:
    def __init__(self) -> None:
        self.weight = [0.0]
        self.bias = [0.0]
        self.name = "lin"  # a string: not a node
        self.size = 3


class _Net:
    def __init__(self) -> None:
        self.layers = [_Lin(), _Lin()]
        self.by_name = {"first": self.layers[0], 7: _Lin()}
        self.pair = (self.layers[1].weight, self.layers[1].bias)
        self.self_ref = self
        self.empty = {"": _Lin()}


def test_from_object_tree_plain_objects() -> None:
    net = _Net()
    g = OwnershipGraph.from_object_tree(net)
    res = g.resolve(net)
    paths = {render_path(p): o for p, o in res.items()}
    assert paths["layers.0.weight"] is net.layers[0].weight
    assert paths["by_name.7.bias"] is net.by_name[7].bias
    assert g.canonical_path(net, net.pair[0]) == ("layers", "1", "weight")
    assert g.alias_paths(net, net.pair[0]) == [("layers", "1", "weight"), ("pair", "0")]
    assert all(not isinstance(o, str | int) for o in paths.values())
    assert "empty" in paths  # the dict itself; its "" key is skipped
    assert not any(p.startswith("empty.") for p in paths)
    for path, obj in res.items():
        assert follow(net, path) is obj


def test_from_object_tree_custom_children() -> None:
    tree = {"kids": [{"kids": []}, {"kids": [{"kids": []}]}]}

    def kids(obj: object) -> list[tuple[str, object]]:
        assert isinstance(obj, dict)
        return [(f"k{i}", c) for i, c in enumerate(obj["kids"])]

    g = OwnershipGraph.from_object_tree(tree, children=kids, is_node=lambda o: True)
    assert [render_path(p) for p, _ in g.resolve(tree).items()] == ["", "k0", "k1", "k1.k0"]


def test_from_object_tree_deep_nesting() -> None:
    depth = 10_000
    outer: list[object] = []
    cur = outer
    for _ in range(depth):
        nxt: list[object] = []
        cur.append(nxt)
        cur = nxt
    g = OwnershipGraph.from_object_tree(outer)
    assert g.canonical_path(outer, cur) == ("0",) * depth


def test_resolve_is_fast_enough() -> None:
    # Smoke test for linearity; bench/bench_naming.py has the real numbers.
    g = OwnershipGraph()
    root = Obj(0)
    mods = [Obj(i) for i in range(1, 10_001)]
    params = [Obj(i) for i in range(100_000)]
    for i, m in enumerate(mods):
        g.record_assign(mods[(i - 1) // 10] if i else root, f"m{i}", m)
    for i, p in enumerate(params):
        g.record_assign(mods[i % len(mods)], f"p{i}", p)
    for i in range(10_000):
        g.record_assign(mods[(i * 7) % len(mods)], f"alias{i}", params[(i * 13) % len(params)])
    start = time.perf_counter()
    res = g.resolve(root)
    elapsed = time.perf_counter() - start
    assert len(res) == 1 + len(mods) + len(params)
    assert elapsed < 3.0, elapsed
