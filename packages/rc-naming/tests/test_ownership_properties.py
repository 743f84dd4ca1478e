"""Property tests of rule N3 on random object graphs, one property per test."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

from hypothesis import given
from hypothesis import strategies as st
from rc_naming_test_support import ATTRS, Obj, Op, build, follow, programs, snapshot_cases

from rc_naming import OwnershipGraph, UnreachableError

if TYPE_CHECKING:
    from rc_naming import Resolution


def _paths(res: Resolution) -> dict[int, tuple[str, ...]]:
    out: dict[int, tuple[str, ...]] = {}
    for path, obj in res.items():
        assert isinstance(obj, Obj)
        out[obj.ident] = path
    return out


def _real_reachable(root: Obj) -> set[int]:
    """Objects reachable by following real attributes (plain BFS)."""
    seen = {id(root): root}
    todo = deque([root])
    while todo:
        obj = todo.popleft()
        for value in vars(obj).values():
            if isinstance(value, Obj) and id(value) not in seen:
                seen[id(value)] = value
                todo.append(value)
    return {o.ident for o in seen.values()}


@given(programs())
def test_every_canonical_path_is_a_real_attribute_chain(program: tuple[list[Op], int]) -> None:
    ops, n = program
    graph, objs, _ = build(ops, n)
    res = graph.resolve(objs[0])
    for path, obj in res.items():
        assert follow(objs[0], path) is obj
    assert set(_paths(res)) == _real_reachable(objs[0])


@given(programs())
def test_canonical_paths_are_unique(program: tuple[list[Op], int]) -> None:
    ops, n = program
    graph, objs, _ = build(ops, n)
    items = list(graph.resolve(objs[0]).items())
    paths = [path for path, _ in items]
    assert len(set(paths)) == len(paths)
    assert len({id(obj) for _, obj in items}) == len(items)


@given(programs())
def test_canonical_paths_match_the_reference_model(program: tuple[list[Op], int]) -> None:
    ops, n = program
    graph, objs, ref = build(ops, n)
    expected = ref.all_canonical()
    assert _paths(graph.resolve(objs[0])) == expected
    for x in range(n):
        if x in expected:
            assert graph.canonical_path(objs[0], objs[x]) == expected[x]
            assert graph.alias_paths(objs[0], objs[x])[0] == expected[x]
        else:
            try:
                graph.canonical_path(objs[0], objs[x])
            except UnreachableError:
                pass
            else:
                raise AssertionError(f"object {x} should be unreachable")


@given(programs(), st.integers(0, 7))
def test_canonical_paths_from_any_root(program: tuple[list[Op], int], root_pick: int) -> None:
    ops, n = program
    root = root_pick % n
    graph, objs, ref = build(ops, n)
    assert _paths(graph.resolve(objs[root])) == ref.all_canonical(root)


@given(programs())
def test_items_order_is_preorder_by_assignment(program: tuple[list[Op], int]) -> None:
    # Preorder with children in assignment order is the same as sorting by the
    # sequence of assignment numbers along each canonical path.
    ops, n = program
    graph, objs, ref = build(ops, n)
    got = [obj.ident for _, obj in graph.resolve(objs[0]).items()]  # type: ignore[attr-defined]

    def key(x: int) -> tuple[int, ...]:
        node, orders = 0, []
        for attr in ref.canonical(x) or ():
            child, order = ref.edges[(node, attr)]
            orders.append(order)
            node = child
        return tuple(orders)

    assert got == sorted(ref.all_canonical(), key=key)


@given(programs(acyclic=True), st.data())
def test_adding_an_alias_never_moves_an_existing_name(
    program: tuple[list[Op], int], data: st.DataObject
) -> None:
    # An alias is a new reference to an object that already has a name. (With
    # cycles this can fail; see test_alias_that_bypasses_a_cycle_moves_a_name.)
    ops, n = program
    graph, objs, _ = build(ops, n)
    before = _paths(graph.resolve(objs[0]))
    named = sorted(before)
    child = data.draw(st.sampled_from(named[1:])) if len(named) > 1 else None
    if child is None:
        return
    parent = data.draw(st.integers(0, child - 1))
    objs[parent].alias = objs[child]
    graph.record_assign(objs[parent], "alias", objs[child])
    after = _paths(graph.resolve(objs[0]))
    for ident, path in before.items():
        assert after[ident] == path


@given(programs(acyclic=True), st.data())
def test_removing_the_owning_attribute_moves_the_name_to_the_next_oldest_parent(
    program: tuple[list[Op], int], data: st.DataObject
) -> None:
    ops, n = program
    graph, objs, ref = build(ops, n)
    before = _paths(graph.resolve(objs[0]))
    candidates = sorted(before)[1:]
    if not candidates:
        return
    x = data.draw(st.sampled_from(candidates))
    owner_attr = before[x][-1]
    owner = next(
        p for p, a in ref.parents(x) if a == owner_attr and ref.canonical(p) == before[x][:-1]
    )
    remaining = [(p, a) for p, a in ref.parents(x) if (p, a) != (owner, owner_attr)]
    delattr(objs[owner], owner_attr)
    graph.record_delete(objs[owner], owner_attr)
    after = _paths(graph.resolve(objs[0]))
    next_parents = [(p, a) for p, a in remaining if p in before]
    if next_parents:
        p, a = next_parents[0]
        assert after[x] == (*before[p], a)
    else:
        assert x not in after


def _snapshot(ops: list[Op], n: int) -> list[tuple[tuple[str, ...], int]]:
    graph, objs, _ = build(ops, n)
    return [(path, obj.ident) for path, obj in graph.resolve(objs[0]).items()]  # type: ignore[attr-defined]


@given(programs())
def test_same_graph_built_twice_gives_identical_results(program: tuple[list[Op], int]) -> None:
    ops, n = program
    assert _snapshot(ops, n) == _snapshot(ops, n)
    g1, o1, _ = build(ops, n)
    g2, o2, _ = build(ops, n)
    assert g1.to_dot(o1[0]) == g2.to_dot(o2[0])


# -- determinism across processes and hash seeds ------------------------------------

_CHILD_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from rc_naming_test_support import snapshot_cases
json.dump(snapshot_cases(json.load(sys.stdin)), sys.stdout)
"""


def _random_cases(seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    graphs = []
    for _ in range(40):
        n = rnd.randint(2, 9)
        ops: list[list[Any]] = []
        for _ in range(rnd.randint(0, 30)):
            if rnd.random() < 0.8:
                ops.append(["assign", rnd.randrange(n), rnd.choice(ATTRS), rnd.randrange(n)])
            else:
                ops.append(["delete", rnd.randrange(n), rnd.choice(ATTRS)])
        graphs.append([ops, n])
    # Names that compete for the same final name (equal after sanitizing, or a
    # suffix of another) in few, crowded scopes: any order that depended on
    # string hashing would show up here.
    names = ["lin", "lin", "lin_1", "a/b", "a_b", "a:b", "a b", "output", "data", "", "_", "end"]
    trees = []
    for _ in range(20):
        nodes = []
        for i in range(rnd.randint(1, 25)):
            virtual = rnd.random() < 0.2
            priority = rnd.choice([0, 0, 0, 1])
            nodes.append([rnd.randint(0, min(i, 3)), rnd.choice(names), virtual, False, priority])
        trees.append({"reserved": ["output", "data", "end"], "nodes": nodes})
    return {"graphs": graphs, "trees": trees}


def _run_child(cases: dict[str, Any], hashseed: str) -> Any:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD_SCRIPT, os.path.dirname(__file__)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout)


def test_identical_results_in_subprocesses_under_different_hash_seeds() -> None:
    cases = _random_cases(20261126)
    here = json.loads(json.dumps(snapshot_cases(cases)))
    assert _run_child(cases, "0") == here
    assert _run_child(cases, "4242") == here
    assert any(len(entry) > 2 for entry in here if isinstance(entry, list))


# -- from_object_tree on plain objects, lists and dicts -----------------------------


@st.composite
def object_trees(draw: st.DrawFn) -> tuple[object, list[object]]:
    """Random structures of objects, lists and dicts with shared parts and cycles."""
    n = draw(st.integers(1, 10))
    kinds = [draw(st.sampled_from(["obj", "list", "dict"])) for _ in range(n)]
    kinds[0] = "obj"
    nodes: list[Any] = [
        Obj(i) if k == "obj" else [] if k == "list" else {} for i, k in enumerate(kinds)
    ]
    for _ in range(draw(st.integers(0, 25))):
        parent = draw(st.integers(0, n - 1))
        child = nodes[draw(st.integers(0, n - 1))]
        holder = nodes[parent]
        if isinstance(holder, Obj):
            setattr(holder, draw(st.sampled_from(ATTRS)), child)
        elif isinstance(holder, list):
            holder.append(child)
        else:
            holder[draw(st.sampled_from([*ATTRS, 1, 2]))] = child
    return nodes[0], nodes


def _first_discovery_paths(root: object) -> dict[int, tuple[str, ...]]:
    """Plain recursive preorder walk: an object's path is where the walk first meets it."""
    found: dict[int, tuple[str, ...]] = {id(root): ()}

    def kids(obj: object) -> list[tuple[str, object]]:
        if isinstance(obj, list):
            return [(str(i), v) for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            return [(str(k), v) for k, v in obj.items()]
        return list(vars(obj).items())

    def walk(obj: object, path: tuple[str, ...]) -> None:
        for attr, child in kids(obj):
            if isinstance(child, Obj | list | dict) and id(child) not in found:
                found[id(child)] = (*path, attr)
                walk(child, (*path, attr))

    walk(root, ())
    return found


@given(object_trees())
def test_from_object_tree_paths_follow_attributes_and_items(
    tree: tuple[object, list[object]],
) -> None:
    root, _ = tree
    graph = OwnershipGraph.from_object_tree(root)
    res = graph.resolve(root)
    got = {}
    for path, obj in res.items():
        assert follow(root, path) is obj
        got[id(obj)] = path
    assert got == _first_discovery_paths(root)
