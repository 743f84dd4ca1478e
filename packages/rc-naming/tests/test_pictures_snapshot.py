"""Golden-file tests of the pictures (text tree, DOT) and unit tests of the snapshot helper.

Rewrite the golden files after an intended change with
``RC_NAMING_UPDATE_GOLDEN=1 pytest packages/rc-naming/tests/test_pictures_snapshot.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rc_naming import (
    GraphvizNotFoundError,
    NameNode,
    NameTree,
    OwnershipGraph,
    SnapshotMismatchError,
    assert_names_snapshot,
    call_tree_dot,
    call_tree_text,
    format_names_snapshot,
    model_dot,
    module_tree_dot,
    module_tree_text,
    parse_names_snapshot,
    render_dot,
    write_picture,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RC_NAMING_UPDATE_GOLDEN", "") in ("1", "true", "yes")


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing; create it with RC_NAMING_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path} differs; if intended, rerun with RC_NAMING_UPDATE_GOLDEN=1"


class Param:
    def __init__(self, *shape: int) -> None:
        self.shape = shape


class Linear:
    def __init__(self, n_in: int, n_out: int) -> None:
        self.weight = Param(n_in, n_out)
        self.bias = Param(n_out)


class Block:
    def __init__(self) -> None:
        self.norm = Param(8)
        self.ff = Linear(8, 16)


class Model:
    def __init__(self) -> None:
        self.embed = Linear(4, 8)
        self.blocks = [Block(), Block()]
        self.out = Linear(8, 4)
        self.out_tied = self.embed.weight  # alias of a parameter
        self.first = self.blocks[0]  # alias of a module


def is_node(obj: object) -> bool:
    return isinstance(obj, Param | Linear | Block | Model | list)


def describe(obj: object) -> str | None:
    return "x".join(map(str, obj.shape)) if isinstance(obj, Param) else None


def model() -> tuple[OwnershipGraph, Model]:
    m = Model()
    return OwnershipGraph.from_object_tree(m, is_node=is_node), m


def call_tree(m: Model) -> NameTree:
    tree = NameTree(reserved=["output", "data"])
    embed = tree.add(tree.root, "embed", payload=m.embed)
    tree.add(embed, "dot")
    for block in m.blocks:
        call = tree.add(tree.root, "block", payload=block)
        tree.add(call, "ff", payload=block.ff)
    loop = tree.add(tree.root, "loop", virtual=True)
    tree.add(loop, "output")
    tree.add(tree.root, "output", fixed=True, payload=m.out)
    tree.finalize()
    return tree


def describe_call(node: NameNode) -> str | None:
    return type(node.payload).__name__ if node.payload is not None else None


def test_module_tree_text_golden() -> None:
    graph, m = model()
    check_golden("module_tree.txt", module_tree_text(graph, m, describe=describe) + "\n")


def test_module_tree_dot_golden() -> None:
    graph, m = model()
    check_golden("module_tree.dot", module_tree_dot(graph, m, describe=describe))


def test_call_tree_text_and_dot_golden() -> None:
    _, m = model()
    tree = call_tree(m)
    text = call_tree_text(tree, describe=describe_call)
    check_golden("call_tree.txt", text + "\n")
    check_golden("call_tree.dot", call_tree_dot(tree, describe=describe_call))


def test_model_dot_golden() -> None:
    graph, m = model()
    dot = model_dot(
        graph,
        m,
        call_tree(m),
        describe=describe,
        describe_call=describe_call,
        call_target=lambda node: node.payload,
        title="Model",
    )
    check_golden("model.dot", dot)


def test_pictures_are_deterministic_and_show_aliases() -> None:
    graph, m = model()
    text = module_tree_text(graph, m, describe=describe)
    assert "out_tied -> embed.weight  (alias)" in text
    assert "first -> blocks.0  (alias)" in text
    graph2, m2 = model()
    assert module_tree_dot(graph2, m2) == module_tree_dot(graph, m)


def test_call_tree_include_lifts_children_of_dropped_nodes() -> None:
    _, m = model()
    tree = call_tree(m)
    text = call_tree_text(tree, include=lambda node: not isinstance(node.payload, Block))
    assert "block" not in text
    assert text.count("ff") == 2


def test_render_needs_dot_and_explains_the_fix(tmp_path: Path) -> None:
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        render_dot("digraph { a }", dot_binary=str(tmp_path / "no-dot"))
    with pytest.raises(ValueError, match="cannot tell the picture format"):
        write_picture(tmp_path / "model.jpeg", dot_text="digraph { a }")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
def test_render_svg_and_png(tmp_path: Path) -> None:
    graph, m = model()
    dot = module_tree_dot(graph, m, describe=describe)
    assert write_picture(tmp_path / "m.svg", dot_text=dot) == "svg"
    assert "<svg" in (tmp_path / "m.svg").read_text()
    assert write_picture(tmp_path / "m.png", dot_text=dot) == "png"
    assert (tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")


def test_snapshot_roundtrip_and_failure_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = tmp_path / "snap" / "names.txt"
    names = {"enc.weight": (4, 8), "enc.bias": (8,), "scale": ()}
    monkeypatch.delenv("RC_NAMING_UPDATE_SNAPSHOTS", raising=False)
    with pytest.raises(SnapshotMismatchError, match="does not exist"):
        assert_names_snapshot(names, snap)
    monkeypatch.setenv("RC_NAMING_UPDATE_SNAPSHOTS", "1")
    assert_names_snapshot(names, snap)
    monkeypatch.delenv("RC_NAMING_UPDATE_SNAPSHOTS")
    assert parse_names_snapshot(snap.read_text()) == names
    assert snap.read_text() == format_names_snapshot(names)
    assert_names_snapshot(dict(reversed(list(names.items()))), snap)  # order does not matter
    changed = {"encoder.weight": (4, 8), "encoder.bias": (8,), "scale": (2,)}
    with pytest.raises(AssertionError) as info:
        assert_names_snapshot(changed, snap)
    message = str(info.value)
    assert "shape       scale: scalar in snapshot, 2 in current" in message
    assert "enc.weight -> encoder.weight" in message
    assert "RC_NAMING_UPDATE_SNAPSHOTS=1" in message
    assert_names_snapshot(changed, snap, update=True)
    assert_names_snapshot(changed, snap)


def test_snapshot_rejects_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("enc.weight forty\n")
    with pytest.raises(ValueError, match=r"bad.txt:1: cannot read"):
        assert_names_snapshot({"enc.weight": (4,)}, bad)
