"""Property tests of NameTree: unique, non-reserved final names and exact references."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rc_naming import NameCollisionError, NameNode, NameTree, sanitize_name

NAMES = ["lin", "lin_1", "lin_2", "output", "data", "end", "a/b", "x y", "", "Lin", "lin:0"]
VALID = ["lin", "lin_1", "output", "data", "end", "Lin"]
RESERVED = ["output", "data", "end", "lin_1"]


@st.composite
def tree_specs(draw: st.DrawFn) -> dict[str, Any]:
    nodes = []
    for i in range(draw(st.integers(0, 30))):
        virtual = draw(st.booleans()) and draw(st.booleans())
        fixed = not virtual and draw(st.integers(0, 5)) == 0
        nodes.append(
            {
                "parent": draw(st.integers(0, i)),
                "name": draw(st.sampled_from(VALID if fixed else NAMES)),
                "virtual": virtual,
                "fixed": fixed,
                "priority": draw(st.integers(-1, 1)),
                "reserved": draw(st.lists(st.sampled_from(RESERVED), max_size=2)),
            }
        )
    ops = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["flatten", "move", "remove"]),
                st.integers(0, 30),
                st.integers(0, 30),
                st.one_of(st.none(), st.integers(0, 3)),
            ),
            max_size=4,
        )
    )
    reserved = draw(st.lists(st.sampled_from(RESERVED), max_size=3))
    return {"nodes": nodes, "ops": ops, "reserved": reserved}


def build_tree(spec: dict[str, Any]) -> tuple[NameTree, list[NameNode]]:
    tree = NameTree(reserved=spec["reserved"])
    nodes = [tree.root]
    for node in spec["nodes"]:
        nodes.append(
            tree.add(
                nodes[node["parent"]],
                node["name"],
                virtual=node["virtual"],
                fixed=node["fixed"],
                priority=node["priority"],
                reserved=node["reserved"],
            )
        )
    alive = list(nodes)

    def in_tree(node: NameNode) -> bool:
        return any(node is n for n in tree.iter_nodes())

    for kind, i, j, index in spec["ops"]:
        if not nodes[1:]:
            break
        node = nodes[1 + i % (len(nodes) - 1)]
        if not in_tree(node):
            continue
        if kind == "flatten":
            tree.flatten(node)
        elif kind == "remove":
            tree.remove(node)
        else:
            target = nodes[j % len(nodes)]
            if in_tree(target) and not any(target is n for n in node.iter_subtree()):
                tree.move(node, target, index)
    alive = [n for n in alive if in_tree(n)]
    return tree, alive


def scopes(tree: NameTree) -> list[tuple[NameNode, list[NameNode], set[str]]]:
    """Every scope with its members and reserved names, written plainly (recursion)."""
    out = []

    def members(node: NameNode, reserved: set[str]) -> list[NameNode]:
        found = []
        for child in node.children:
            if child.virtual:
                reserved |= child.reserved
                found += members(child, reserved)
            else:
                found.append(child)
        return found

    for scope in tree.iter_nodes():
        if scope.virtual:
            continue
        reserved = set(tree.reserved) | set(scope.reserved)
        out.append((scope, members(scope, reserved), reserved))
    return out


def _fixed_clash(tree: NameTree) -> bool:
    for _, members, _ in scopes(tree):
        fixed = [m.suggested for m in members if m.fixed]
        if len(fixed) != len(set(fixed)):
            return True
    return False


def finalized(spec: dict[str, Any]) -> tuple[NameTree, list[NameNode]] | None:
    tree, alive = build_tree(spec)
    clash = _fixed_clash(tree)
    try:
        tree.finalize()
    except NameCollisionError:
        assert clash
        return None
    assert not clash
    return tree, alive


@given(tree_specs())
def test_final_names_are_unique_among_siblings(spec: dict[str, Any]) -> None:
    result = finalized(spec)
    if result is None:
        return
    tree, _ = result
    for _, members, _ in scopes(tree):
        names = [m.name for m in members]
        assert len(names) == len(set(names))


@given(tree_specs())
def test_final_names_are_never_reserved_unless_fixed(spec: dict[str, Any]) -> None:
    result = finalized(spec)
    if result is None:
        return
    tree, _ = result
    for _, members, reserved in scopes(tree):
        for m in members:
            if not m.fixed:
                assert m.name not in reserved


@given(tree_specs())
def test_final_names_follow_the_suffix_rule(spec: dict[str, Any]) -> None:
    result = finalized(spec)
    if result is None:
        return
    tree, _ = result
    for _, members, reserved in scopes(tree):
        taken = {m.name for m in members}
        for m in members:
            if m.fixed:
                assert m.name == m.suggested
                continue
            base = sanitize_name(m.suggested)
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+", m.name)
            if m.name != base:
                match = re.fullmatch(re.escape(base) + r"_(\d+)", m.name)
                assert match is not None, (m.name, base)
                # Every smaller suffix was taken or reserved (first free wins) ...
                for k in range(1, int(match.group(1))):
                    assert f"{base}_{k}" in taken or f"{base}_{k}" in reserved
                # ... and the plain name was not available.
                assert base in taken or base in reserved


@given(tree_specs())
def test_resolve_reference_inverts_reference_for_all_pairs(spec: dict[str, Any]) -> None:
    result = finalized(spec)
    if result is None:
        return
    tree, alive = result
    targets = [n for n in alive if n.parent is not None and not n.virtual]
    for a in alive:
        for b in targets:
            ref = tree.reference(a, b)
            assert tree.resolve_reference(a, ref) is b
            assert tree.resolve_reference(a, tree.reference(a, b, prefix="prev:")) is b


@given(tree_specs())
def test_same_tree_built_twice_gets_the_same_names(spec: dict[str, Any]) -> None:
    first = finalized(spec)
    second = finalized(spec)
    if first is None or second is None:
        assert first is second
        return
    assert [n.name for n in first[1]] == [n.name for n in second[1]]
    assert first[0].to_dot() == second[0].to_dot()
