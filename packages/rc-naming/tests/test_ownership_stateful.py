"""A state machine that assigns, deletes, re-assigns and resolves, checked against
the plain reference model after every step."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from rc_naming_test_support import ATTRS, Obj, RefModel, follow

from rc_naming import OwnershipGraph, UnreachableError

N = 6
nodes = st.integers(0, N - 1)
attrs = st.sampled_from(ATTRS)


class OwnershipMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.objs = [Obj(i) for i in range(N)]
        self.graph = OwnershipGraph()
        self.ref = RefModel(N)
        self.root = 0

    def _assign(self, parent: int, attr: str, child: int) -> None:
        setattr(self.objs[parent], attr, self.objs[child])
        self.graph.record_assign(self.objs[parent], attr, self.objs[child])
        self.ref.assign(parent, attr, child)

    @rule(parent=nodes, attr=attrs, child=nodes)
    def assign(self, parent: int, attr: str, child: int) -> None:
        self._assign(parent, attr, child)

    @rule(parent=nodes, attr=attrs)
    def delete(self, parent: int, attr: str) -> None:
        if attr in vars(self.objs[parent]):
            delattr(self.objs[parent], attr)
        self.graph.record_delete(self.objs[parent], attr)
        self.ref.delete(parent, attr)

    @precondition(lambda self: bool(self.ref.edges))
    @rule(data=st.data())
    def reassign(self, data: st.DataObject) -> None:
        parent, attr = data.draw(st.sampled_from(sorted(self.ref.edges)))
        old_child = self.ref.edges[(parent, attr)][0]
        child = data.draw(nodes.filter(lambda c: c != old_child))
        self._assign(parent, attr, child)

    @precondition(lambda self: bool(self.ref.edges))
    @rule(data=st.data())
    def assign_same_again(self, data: st.DataObject) -> None:
        parent, attr = data.draw(st.sampled_from(sorted(self.ref.edges)))
        self._assign(parent, attr, self.ref.edges[(parent, attr)][0])

    @rule(root=nodes)
    def switch_root(self, root: int) -> None:
        self.root = root

    @rule()
    def resolve(self) -> None:
        res = self.graph.resolve(self.objs[self.root])
        expected = self.ref.all_canonical(self.root)
        got = {obj.ident: path for path, obj in res.items()}  # type: ignore[attr-defined]
        assert got == expected
        for x in range(N):
            if x not in expected:
                try:
                    res.path(self.objs[x])
                except UnreachableError:
                    continue
                raise AssertionError(f"{x} should be unreachable")

    @invariant()
    def edges_match_the_model(self) -> None:
        for i, obj in enumerate(self.objs):
            got_children = [(a, c.ident) for a, c in self.graph.children(obj)]  # type: ignore[attr-defined]
            assert got_children == self.ref.children(i)
            got_parents = [(p.ident, a) for p, a in self.graph.parents(obj)]  # type: ignore[attr-defined]
            assert got_parents == self.ref.parents(i)

    @invariant()
    def canonical_paths_match_the_model_and_the_objects(self) -> None:
        root = self.objs[self.root]
        for x in range(N):
            expected = self.ref.canonical(x, self.root)
            try:
                got = self.graph.canonical_path(root, self.objs[x])
            except UnreachableError:
                assert expected is None
                continue
            assert got == expected
            assert follow(root, got) is self.objs[x]


OwnershipMachine.TestCase.settings = settings(
    OwnershipMachine.TestCase.settings, max_examples=100, stateful_step_count=40
)
TestOwnershipMachine = OwnershipMachine.TestCase
