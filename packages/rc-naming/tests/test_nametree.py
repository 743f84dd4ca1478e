"""NameTree (N6, N7): examples and edge cases."""

from __future__ import annotations

import pytest

from rc_naming import (
    FinalizedError,
    InvalidNameError,
    InvalidTreeOperationError,
    NameCollisionError,
    NameTree,
    NotFinalizedError,
    ReferenceResolutionError,
    sanitize_name,
)


def test_suffix_rule() -> None:
    t = NameTree()
    a, b, c, d = (t.add(t.root, s) for s in ("x", "x", "x_1", "x"))
    t.finalize()
    assert [n.name for n in (a, b, c, d)] == ["x", "x_1", "x_1_1", "x_2"]


def test_reserved_names_tree_wide_and_per_scope() -> None:
    t = NameTree(reserved={"output"})
    out = t.add(t.root, "output")
    loop = t.add(t.root, "loop", reserved={"end"})
    end = t.add(loop, "end")
    inner_out = t.add(loop, "output")
    top_end = t.add(t.root, "end")  # "end" is reserved only inside the loop
    t.finalize()
    assert (out.name, end.name, inner_out.name, top_end.name) == (
        "output_1",
        "end_1",
        "output_1",
        "end",
    )


def test_fixed_nodes_take_reserved_names_first() -> None:
    t = NameTree(reserved={"output", "data"})
    early = t.add(t.root, "output")
    fixed = t.add(t.root, "output", fixed=True)
    data = t.add(t.root, "data", fixed=True)
    t.finalize()
    assert (early.name, fixed.name, data.name) == ("output_1", "output", "data")


def test_priority_decides_who_keeps_the_plain_name() -> None:
    t = NameTree()
    first = t.add(t.root, "lin")
    preferred = t.add(t.root, "lin", priority=-1)
    t.finalize()
    assert (first.name, preferred.name) == ("lin_1", "lin")


def test_virtual_levels_are_flattened_into_the_enclosing_scope() -> None:
    t = NameTree()
    a = t.add(t.root, "lin")
    group = t.add(t.root, "group", virtual=True, reserved={"x"})
    inner = t.add(group, "lin")
    deeper = t.add(t.add(group, "more", virtual=True), "lin")
    x = t.add(t.root, "x")
    sub = t.add(group, "sub")
    in_sub = t.add(sub, "lin")
    t.finalize()
    assert [n.name for n in (a, inner, deeper, x, sub, in_sub)] == [
        "lin",
        "lin_1",
        "lin_2",
        "x_1",
        "sub",
        "lin",
    ]
    assert group.name == ""
    assert group.path == ()
    assert in_sub.path == ("sub", "lin")
    assert t.root.path == ()


def test_sanitizing() -> None:
    assert sanitize_name("a/b c:d") == "a_b_c_d"
    assert sanitize_name("") == "_"
    assert sanitize_name("ok.name-1_2") == "ok.name-1_2"
    t = NameTree()
    n1 = t.add(t.root, "enc/lin")
    n2 = t.add(t.root, "enc_lin")
    n3 = t.add(t.root, "")
    t.finalize()
    assert (n1.name, n2.name, n3.name) == ("enc_lin", "enc_lin_1", "_")


def test_fixed_name_must_be_valid_and_not_virtual() -> None:
    t = NameTree()
    with pytest.raises(InvalidNameError, match="enc_lin"):
        t.add(t.root, "enc/lin", fixed=True)
    with pytest.raises(InvalidNameError, match="both fixed and virtual"):
        t.add(t.root, "x", fixed=True, virtual=True)


def test_fixed_collision_is_reported_and_finalize_is_atomic() -> None:
    t = NameTree()
    enc = t.add(t.root, "enc")
    a = t.add(enc, "output", fixed=True)
    b = t.add(t.add(enc, "g", virtual=True), "output", fixed=True)
    other = t.add(t.root, "lin")
    with pytest.raises(NameCollisionError) as info:
        t.finalize()
    text = str(info.value)
    assert "'output'" in text
    assert "enc/output" in text
    assert "scope 'enc'" in text
    assert "fix:" in text
    assert not t.finalized
    with pytest.raises(NotFinalizedError):
        _ = other.name
    b.fixed = False
    t.finalize()
    assert (a.name, b.name) == ("output", "output_1")


def test_not_finalized_and_finalized_errors() -> None:
    t = NameTree()
    a = t.add(t.root, "a")
    b = t.add(t.root, "b")
    with pytest.raises(NotFinalizedError, match="finalize"):
        _ = a.name
    with pytest.raises(NotFinalizedError):
        _ = a.path
    with pytest.raises(NotFinalizedError):
        t.reference(a, b)
    with pytest.raises(NotFinalizedError):
        t.resolve_reference(a, "b")
    t.finalize()
    for action in (
        lambda: t.add(t.root, "c"),
        lambda: t.remove(a),
        lambda: t.flatten(a),
        lambda: t.move(a, b),
        t.finalize,
    ):
        with pytest.raises(FinalizedError):
            action()
    with pytest.raises(FinalizedError):
        a.suggested = "z"
    assert isinstance(FinalizedError("x"), RuntimeError)


def test_remove_flatten_move() -> None:
    t = NameTree()
    a = t.add(t.root, "a")
    sub = t.add(t.root, "sub")
    x = t.add(sub, "x")
    y = t.add(sub, "a")
    c = t.add(t.root, "c")
    t.flatten(sub)
    assert t.root.children == [a, x, y, c]
    t.move(c, t.root, 0)
    assert t.root.children == [c, a, x, y]
    t.move(x, a)
    assert a.children == [x]
    t.remove(a)
    assert t.root.children == [c, y]
    with pytest.raises(InvalidTreeOperationError, match="removed"):
        t.add(a, "z")
    with pytest.raises(InvalidTreeOperationError):
        t.remove(t.root)
    with pytest.raises(InvalidTreeOperationError, match="root"):
        t.move(t.root, c)
    inside = t.add(c, "inside")
    with pytest.raises(InvalidTreeOperationError, match="own subtree"):
        t.move(c, inside)
    t.remove(inside)
    other = NameTree()
    with pytest.raises(InvalidTreeOperationError, match="another NameTree"):
        t.add(other.root, "z")
    t.finalize()
    assert (c.name, y.name) == ("c", "a")
    with pytest.raises(NotFinalizedError, match="removed"):
        _ = x.name


def test_references() -> None:
    t = NameTree()
    enc = t.add(t.root, "enc")
    lin = t.add(enc, "lin")
    dec = t.add(t.root, "dec")
    loop = t.add(dec, "loop")
    x = t.add(loop, "x")
    y = t.add(t.add(loop, "v", virtual=True), "y")
    data = t.add(t.root, "data", fixed=True)
    t.finalize()
    assert t.reference(x, y) == "y"
    assert t.reference(x, x, prefix="prev:") == "prev:x"
    assert t.reference(x, lin) == "base:base:enc/lin"
    assert t.reference(x, lin, prefix="prev:") == "base:base:prev:enc/lin"
    assert t.reference(x, loop) == "base:loop"
    assert t.reference(x, data, prefix="data:") == "base:base:data:data"
    assert t.reference(t.root, x) == "dec/loop/x"
    assert t.reference(lin, enc) == "base:enc"
    for ref, node in [
        ("base:base:enc/lin", lin),
        ("base:base:prev:enc/lin", lin),
        ("y", y),
        ("base:loop", loop),
    ]:
        assert t.resolve_reference(x, ref) is node
    with pytest.raises(ReferenceResolutionError, match="above the root"):
        t.resolve_reference(x, "base:base:base:enc")
    with pytest.raises(ReferenceResolutionError) as info:
        t.resolve_reference(x, "base:base:enc/nope")
    assert "'nope'" in str(info.value)
    assert "'lin'" in str(info.value)  # lists what is there
    assert not str(info.value).startswith('"')  # readable, not KeyError's quoting
    with pytest.raises(ReferenceResolutionError, match="virtual"):
        t.reference(x, y.parent)  # type: ignore[arg-type]
    with pytest.raises(ReferenceResolutionError):
        t.reference(x, t.root)


def test_suggested_is_settable_before_finalize() -> None:
    t = NameTree()
    a = t.add(t.root, "a", payload={"k": 1})
    a.suggested = "b"
    t.finalize()
    assert a.name == "b"
    assert a.payload == {"k": 1}


def test_wide_and_deep_trees() -> None:
    t = NameTree()
    nodes = [t.add(t.root, "lin") for _ in range(5000)]
    cur = t.root
    for _ in range(5000):
        cur = t.add(cur, "deep")
    t.finalize()
    assert nodes[-1].name == "lin_4999"
    assert cur.path == ("deep",) * 5000
    assert t.resolve_reference(t.root, t.reference(t.root, cur)) is cur
