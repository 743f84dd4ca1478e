"""Basic behaviour of every public piece, one example each."""

from __future__ import annotations

import rc_naming
from rc_naming import (
    NameTree,
    OwnershipGraph,
    Root,
    current_root,
    default_root,
    render_path,
    reset_default_root,
)


def test_version_and_public_surface() -> None:
    assert rc_naming.__version__ == "0.1.0"
    for name in rc_naming.__all__:
        assert getattr(rc_naming, name) is not None


def test_roots_basics() -> None:
    assert current_root() is default_root()
    with Root("explicit") as root:
        assert current_root() is root
        assert root.graph is not default_root().graph
    assert current_root() is default_root()
    new = reset_default_root()
    assert current_root() is new


def test_first_assignment_wins() -> None:
    class M:
        pass

    root, enc, dec, w = M(), M(), M(), M()
    g = OwnershipGraph()
    g.record_assign(enc, "weight", w)
    g.record_assign(dec, "weight", w)
    g.record_assign(root, "dec", dec)
    g.record_assign(root, "enc", enc)
    assert g.canonical_path(root, w) == ("enc", "weight")
    assert render_path(g.canonical_path(root, w), "/") == "enc/weight"
    assert g.alias_paths(root, w) == [("enc", "weight"), ("dec", "weight")]


def test_name_tree_basics() -> None:
    tree = NameTree(reserved={"output"})
    a = tree.add(tree.root, "lin")
    b = tree.add(tree.root, "lin")
    out = tree.add(tree.root, "output", fixed=True)
    tree.finalize()
    assert (a.name, b.name, out.name) == ("lin", "lin_1", "output")
    assert tree.reference(a, b) == "lin_1"
    assert tree.resolve_reference(a, "lin_1") is b
