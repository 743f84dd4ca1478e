"""Declared renames: declarations, validation and the old -> new mapping over nested objects."""

from __future__ import annotations

from typing import ClassVar

import pytest

from rc_naming import (
    InvalidNameError,
    OwnershipGraph,
    declared_renames,
    diff_names,
    rename_mapping,
    renamed,
)


class Conv:
    def __init__(self) -> None:
        self.weight = [0.0]
        self.bias = [0.0]


@renamed(conv1=("cv1", 2))
class Block:
    def __init__(self) -> None:
        self.conv1 = Conv()
        self.norm = Conv()


class Net:
    __rc_renames__: ClassVar[dict[str, object]] = {"blocks": [("layers", 3)], "head": "out"}

    def __init__(self) -> None:
        self.blocks = [Block(), Block()]
        self.head = Conv()


def model() -> tuple[OwnershipGraph, Net]:
    net = Net()
    return OwnershipGraph.from_object_tree(net), net


def test_decorator_and_class_attribute_are_the_same_declaration() -> None:
    class ByAttr:
        __rc_renames__: ClassVar[dict[str, object]] = {"conv1": [("cv1", 2)]}

    assert [(r.new, r.old, r.version) for r in declared_renames(Block)] == [("conv1", ("cv1",), 2)]
    assert [(r.new, r.old, r.version) for r in declared_renames(ByAttr)] == [("conv1", ("cv1",), 2)]


def test_subclasses_inherit_and_extend_without_touching_the_base() -> None:
    @renamed(norm="bn")
    class Sub(Block):
        pass

    assert sorted(r.new for r in declared_renames(Sub)) == ["conv1", "norm"]
    assert [r.new for r in declared_renames(Block)] == ["conv1"]


def test_chain_of_renames() -> None:
    @renamed(conv1=[("c1", 1), ("cv1", 2)])
    class Chain:
        def __init__(self) -> None:
            self.conv1 = Conv()

    obj = Chain()
    graph = OwnershipGraph.from_object_tree(obj)
    result = rename_mapping(graph, obj, ["c1.weight", "cv1.weight", "conv1.weight"])
    assert result.mapping == {"c1.weight": "conv1.weight", "cv1.weight": "conv1.weight"}
    assert result.unchanged == ("conv1.weight",)
    # A checkpoint of version 1 was written when the attribute was called cv1.
    at_v1 = rename_mapping(graph, obj, ["cv1.weight", "c1.weight"], from_version=1)
    assert at_v1.mapping == {"cv1.weight": "conv1.weight"}
    assert at_v1.unknown == ("c1.weight",)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"conv1": [("cv1", "2")]}, "must be an int"),
        ({"conv1": [("", 1)]}, "empty component"),
        ({"conv1": "conv1"}, "equals the new one"),
        ({"a.b": "c"}, "current attribute name"),
        (["conv1"], "must be a dict"),
        ({"conv1": [3]}, "bad entry"),
    ],
)
def test_bad_declarations_name_the_class_and_the_fix(table: object, message: str) -> None:
    class Bad:
        __rc_renames__ = table

    with pytest.raises(InvalidNameError, match=message) as info:
        declared_renames(Bad)
    assert "Bad.__rc_renames__" in str(info.value)


def test_decorator_validates_at_declaration() -> None:
    with pytest.raises(InvalidNameError, match="must be an int"):
        renamed(conv1=("cv1", 1.5))  # type: ignore[arg-type]


def test_renamed_module_renames_every_parameter_below_it() -> None:
    graph, net = model()
    old = [
        "layers.0.cv1.weight",
        "layers.0.cv1.bias",
        "layers.1.norm.weight",
        "out.bias",
        "head.weight",
        "nothing.here",
    ]
    result = rename_mapping(graph, net, old)
    assert result.mapping == {
        "layers.0.cv1.weight": "blocks.0.conv1.weight",
        "layers.0.cv1.bias": "blocks.0.conv1.bias",
        "layers.1.norm.weight": "blocks.1.norm.weight",
        "out.bias": "head.bias",
    }
    assert result.unchanged == ("head.weight",)
    assert result.unknown == ("nothing.here",)
    assert "Net.blocks was 'layers' before version 3" in result.reasons["layers.0.cv1.weight"]
    assert "Block.conv1 was 'cv1' before version 2" in result.reasons["layers.0.cv1.weight"]


def test_versions_select_which_renames_apply() -> None:
    graph, net = model()
    # Written by version 2: `cv1` had become `conv1` already, `layers` not yet `blocks`.
    result = rename_mapping(
        graph, net, ["layers.0.conv1.weight", "layers.0.cv1.weight"], from_version=2
    )
    assert result.mapping == {"layers.0.conv1.weight": "blocks.0.conv1.weight"}
    assert result.unknown == ("layers.0.cv1.weight",)


def test_swap_is_ambiguous_without_version_and_resolved_with_it() -> None:
    @renamed(b=("a", 2))
    class Swap:
        def __init__(self) -> None:
            self.b = Conv()
            self.a = Conv()  # a new attribute took the old name

    obj = Swap()
    graph = OwnershipGraph.from_object_tree(obj)
    result = rename_mapping(graph, obj, ["a.weight"])
    assert result.ambiguous == {"a.weight": ("a.weight", "b.weight")}
    assert result.mapping == {}
    resolved = rename_mapping(graph, obj, ["a.weight"], from_version=1)
    assert resolved.mapping == {"a.weight": "b.weight"}


def test_moved_into_submodule_with_dotted_old_name() -> None:
    @renamed(inner="block.conv")
    class Outer:
        def __init__(self) -> None:
            self.inner = Conv()

    obj = Outer()
    graph = OwnershipGraph.from_object_tree(obj)
    assert rename_mapping(graph, obj, ["block.conv.weight"]).mapping == {
        "block.conv.weight": "inner.weight"
    }


def test_renames_feed_the_diff_first() -> None:
    graph, net = model()
    new = {"blocks.0.conv1.weight": (4,), "blocks.0.norm.weight": (4,)}
    old = {"layers.0.cv1.weight": (4,), "layers.0.norm.weight": (4,)}
    renames = rename_mapping(graph, net, old).mapping
    diff = diff_names(old, new, renames=renames)
    assert {(s.old, s.new, s.kind) for s in diff.suggestions} == {
        ("layers.0.cv1.weight", "blocks.0.conv1.weight", "declared"),
        ("layers.0.norm.weight", "blocks.0.norm.weight", "declared"),
    }
    assert diff.mapping() == {
        "blocks.0.conv1.weight": "layers.0.cv1.weight",
        "blocks.0.norm.weight": "layers.0.norm.weight",
    }
