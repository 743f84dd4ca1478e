"""Export of both structures to networkx and DOT text."""

from __future__ import annotations

import networkx
from rc_naming_test_support import Obj

from rc_naming import NameTree, OwnershipGraph


def _graph() -> tuple[OwnershipGraph, Obj, Obj, Obj, Obj]:
    g = OwnershipGraph()
    root, enc, dec, w = Obj(0), Obj(1), Obj(2), Obj(3)
    g.add_node(root, label='Model "main"', created_at="m.py:1")
    g.record_assign(root, "enc", enc)
    g.record_assign(root, "dec", dec)
    g.record_assign(enc, "w", w)
    g.record_assign(dec, "w", w)
    return g, root, enc, dec, w


def test_ownership_to_networkx() -> None:
    g, root, _enc, _dec, w = _graph()
    nxg = g.to_networkx()
    assert isinstance(nxg, networkx.MultiDiGraph)
    assert nxg.nodes[0]["obj"] is root
    assert nxg.nodes[0]["label"] == 'Model "main"'
    assert nxg.nodes[0]["created_at"] == "m.py:1"
    edges = sorted((u, v, d["attr"], d["order"]) for u, v, d in nxg.edges(data=True))
    assert edges == [(0, 1, "enc", 0), (0, 2, "dec", 1), (1, 3, "w", 2), (2, 3, "w", 3)]
    nxg.remove_node(3)  # a copy: the graph is unaffected
    assert g.canonical_path(root, w) == ("enc", "w")


def test_ownership_to_dot_marks_canonical_and_alias_edges() -> None:
    g, root, *_ = _graph()
    orphan = Obj(9)
    g.add_node(orphan, label="Orphan")
    dot = g.to_dot(root)
    lines = dot.splitlines()
    assert lines[0] == "digraph ownership {"
    assert lines[-1] == "}"
    assert r'n0 [label="Model \"main\"\n<root>"];' in dot
    assert 'n1 -> n3 [label="w"];' in dot
    assert 'n2 -> n3 [label="w", style=dashed];' in dot
    assert 'n4 [label="Orphan", style=dotted];' in dot
    plain = g.to_dot()
    assert "dashed" not in plain
    assert "dotted" not in plain


def test_name_tree_exports() -> None:
    t = NameTree()
    enc = t.add(t.root, "enc")
    a = t.add(enc, "lin")
    v = t.add(enc, "group", virtual=True)
    b = t.add(v, "lin")
    out = t.add(t.root, "output", fixed=True)
    dot_before = t.to_dot()
    assert '"lin"' in dot_before
    t.finalize()
    nxg = t.to_networkx()
    assert isinstance(nxg, networkx.DiGraph)
    assert nxg.nodes[b]["name"] == "lin_1"
    assert nxg.nodes[b]["suggested"] == "lin"
    assert nxg.nodes[v]["virtual"] is True
    assert nxg.nodes[out]["fixed"] is True
    assert nxg.edges[enc, v]["index"] == 1
    assert list(nxg.successors(enc)) == [a, v]
    dot = t.to_dot()
    assert dot.startswith("digraph names {")
    assert r'label="lin_1\n(suggested lin)"' in dot
    assert 'label="(group)", style=dashed' in dot
    assert 'label="output", style=bold' in dot
    assert dot.count("->") == 5
