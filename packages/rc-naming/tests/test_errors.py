"""Error classes: hierarchy, builtin bases, and what the messages say."""

from __future__ import annotations

import pytest
from rc_naming_test_support import Obj

import rc_naming
from rc_naming import (
    FinalizedError,
    InvalidNameError,
    InvalidTreeOperationError,
    NameCollisionError,
    NotFinalizedError,
    OwnershipGraph,
    RcNamingError,
    ReferenceResolutionError,
    RootMismatchError,
    UnreachableError,
)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (RootMismatchError, ValueError),
        (UnreachableError, LookupError),
        (NameCollisionError, ValueError),
        (InvalidNameError, ValueError),
        (InvalidTreeOperationError, ValueError),
        (NotFinalizedError, RuntimeError),
        (FinalizedError, RuntimeError),
        (ReferenceResolutionError, KeyError),
    ],
)
def test_every_error_has_the_base_and_a_builtin(cls: type[Exception], builtin: type) -> None:
    assert issubclass(cls, RcNamingError)
    assert issubclass(cls, builtin)
    assert issubclass(RcNamingError, Exception)
    assert cls.__name__ in rc_naming.__all__


def _model() -> tuple[OwnershipGraph, Obj, Obj, Obj, Obj]:
    g = OwnershipGraph()
    root, lin, weight, orphan_holder = Obj(0), Obj(1), Obj(2), Obj(3)
    g.add_node(root, label="Model", created_at="model.py:40")
    g.add_node(lin, label="Foo.lin", created_at="x.py:3")
    g.add_node(weight, label="Foo.lin.weight", created_at="x.py:5")
    g.add_node(orphan_holder, label="Extra", created_at="x.py:9")
    g.record_assign(lin, "weight", weight)
    g.record_assign(orphan_holder, "lin", lin)
    return g, root, lin, weight, orphan_holder


def test_unreachable_message_names_object_holders_and_fix() -> None:
    g, root, lin, weight, _holder = _model()
    with pytest.raises(UnreachableError) as info:
        g.canonical_path(root, weight)
    err = info.value
    text = str(err)
    assert "Foo.lin.weight (created at x.py:5) is not reachable" in text
    assert "Model (created at model.py:40)" in text
    assert "It is held by:" in text
    assert "Foo.lin (created at x.py:3) as 'weight', which is itself not reachable" in text
    assert "Extra (created at x.py:9)" in text  # where the broken chain starts
    assert "root.<name> = ..." in text
    assert err.obj is weight
    assert err.holders == ((lin, "weight"),)
    assert isinstance(err, LookupError)


def test_unreachable_message_when_nothing_holds_it() -> None:
    g, root, lin, weight, _ = _model()
    g.record_delete(lin, "weight")
    text = str(g.unreachable_error(root, weight))
    assert "Nothing holds it" in text
    assert "root.<name> = ..." in text


def test_unreachable_message_for_an_unknown_object() -> None:
    g, root, *_ = _model()
    text = str(g.unreachable_error(root, Obj(9)))
    assert "Obj is not reachable" in text
    assert "never recorded" in text


def test_unreachable_message_lists_a_reachable_holder_with_its_path() -> None:
    # A holder may be reachable while the object is not resolvable from a
    # resolution taken before the edge existed; the message then shows its path.
    g, root, lin, _weight, _ = _model()
    g.record_assign(root, "lin", lin)
    res = g.resolve(root)
    other = Obj(7)
    g.record_assign(lin, "extra", other)
    with pytest.raises(UnreachableError) as info:
        res.path(other)
    assert "Foo.lin (created at x.py:3) at 'lin' as 'extra'" in str(info.value)


def test_reference_error_prints_plainly() -> None:
    err = ReferenceResolutionError("no layer 'x'")
    assert str(err) == "no layer 'x'"
    assert isinstance(err, KeyError)


def test_messages_carry_a_fix_hint() -> None:
    t = rc_naming.NameTree()
    a = t.add(t.root, "a")
    with pytest.raises(NotFinalizedError, match="fix"):
        _ = a.name
    t.finalize()
    with pytest.raises(FinalizedError, match="fix"):
        t.add(t.root, "b")
    with pytest.raises(ReferenceResolutionError, match="fix"):
        t.resolve_reference(a, "b")
    with pytest.raises(InvalidNameError, match="fix"):
        rc_naming.render_path(("a.b",))
