"""``Cond``: if/else on a scalar bool, computing only the branch taken (RETURNN ``cond``).

Each branch is a RETURNN ``subnetwork`` (``true_layer`` / ``false_layer``).
Results are passed out as ``cond.true = ...`` / ``cond.false = ...`` (any nested
structure of tensors, the same in both branches); ``cond.result`` is the
structure of the chosen values. The first result tensor is the branch's
``output``; further ones are ``result_1``, ``result_2``, ... in both branches
and are read as sub-layers of the cond layer (``cond/result_1``). A module
called in both branches keeps one set of parameters (they stay at the root).
"""

from __future__ import annotations

import contextlib
import types
from typing import Any

from ._control import (
    Block,
    BlockNet,
    ControlFlowError,
    ControlTensor,
    check_access,
    current_block,
    flatten_structure,
    make_layer_in,
    pack_structure,
)
from ._dim_sites import lookalike_dims_note
from ._errors import DimMismatchError
from ._state import current_scope, state_of
from ._tensor import Tensor, _dim_str, as_tensor, make_template
from ._userloc import user_location

__all__ = ["Cond"]


class _BranchBlock(Block):
    kind = "cond"
    inside_container = False  # a branch subnetwork is one level below the cond's network

    def __init__(self, cond: Cond, branch: str, created_at: str) -> None:
        super().__init__(label=f"nn.Cond ({branch} branch)", created_at=created_at)
        self.cond = cond
        self.branch = branch
        self.results: list[Tensor] = []

    def label_suffix(self) -> str:
        return self.branch

    def fixed_names(self, used: set[int]) -> dict[int, str]:
        del used
        return {id(t): _result_name(i) for i, t in enumerate(self.results)}


def _result_name(index: int) -> str:
    return "output" if index == 0 else f"result_{index}"


class Cond:
    """``with nn.Cond(condition) as cond:`` set ``cond.true`` and ``cond.false``, read ``cond.result``.

    ``condition`` is a scalar bool tensor (no dims, not even batch). Layers made
    before ``cond.true = ...`` belong to the true branch, layers made after it to
    the false branch.

    Examples
    --------
    >>> import rc_nn as nn
    >>> feat = nn.FeatureDim("f", 2)
    >>> x = nn.zeros([nn.batch_dim, feat])
    >>> with nn.Cond(nn.reduce_sum(x, axis=[nn.batch_dim, feat]) > 0.0) as cond:
    ...     cond.true = x * 2.0
    ...     cond.false = -x
    >>> cond.result.dims == (nn.batch_dim, feat)
    True
    """

    def __init__(self, condition: Tensor, *, name: str = "cond") -> None:
        self._created_at = user_location(2)
        condition = as_tensor(condition, "nn.Cond", loop_read=False)
        if condition.dtype != "bool" or condition.dims:
            raise DimMismatchError(
                f"nn.Cond: the condition must be a scalar bool tensor (no dims, not even batch; "
                f"reduce it first, e.g. nn.reduce_max(..., axis=...)), got {condition!r} "
                f"(at {self._created_at})"
            )
        self.condition = condition
        self.name = name
        self._true_block = _BranchBlock(self, "true", self._created_at)
        self._false_block = _BranchBlock(self, "false", self._created_at)
        self._container: ControlTensor | None = None
        self._stack: contextlib.ExitStack | None = None
        self._status = "new"  # new, true, false, done, closed
        self._structure: Any = None
        self._true_leaves: list[tuple[tuple[str, ...], Tensor]] = []
        self._false_leaves: list[tuple[tuple[str, ...], Tensor]] = []
        self._result: Any = None

    def __repr__(self) -> str:
        return f"<nn.Cond created at {self._created_at}>"

    def __enter__(self) -> Cond:
        if self._status != "new":
            raise ControlFlowError(
                f"{self!r} was already used in a with-block; create a new nn.Cond "
                f"(at {user_location()})"
            )
        root = self.condition.root
        parent_block = current_block(root)
        check_access([self.condition], parent_block, "nn.Cond condition")
        layer: dict[str, Any] = {
            "class": "cond",
            "from": [],
            "condition": self.condition,
            "true_layer": {
                "class": "subnetwork",
                "from": [],
                "subnetwork": BlockNet(self._true_block),
            },
            "false_layer": {
                "class": "subnetwork",
                "from": [],
                "subnetwork": BlockNet(self._false_block),
            },
        }
        container = ControlTensor(
            make_template([]),
            root=root,
            role="cond",
            layer_dict=layer,
            name_hint=self.name,
            created_at=self._created_at,
        )
        container.node = state_of(root).tree.add(current_scope(root), self.name, payload=container)
        self._container = container
        for block in (self._true_block, self._false_block):
            block.parent = parent_block
            block.container = container
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(self._true_block.opened(root, f"{self.name}_true"))
        self._status = "true"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        assert self._stack is not None
        self._stack.close()
        status, self._status = self._status, "closed"
        if exc_type is not None:
            return
        if status != "done":
            missing = "cond.true and cond.false" if status == "true" else "cond.false"
            raise ControlFlowError(
                f"{self!r}: {missing} must be set inside the with-block (at {user_location()})"
            )

    @property
    def true(self) -> Any:
        """The value of the true branch (as assigned)."""
        return pack_structure(self._structure, iter(t for _, t in self._true_leaves))

    @true.setter
    def true(self, value: Any) -> None:
        if self._status != "true":
            raise ControlFlowError(
                f"cond.true must be set once, first, inside `with cond:` ({self!r}; at "
                f"{user_location(2)})"
            )
        leaves = self._leaves(value, "cond.true")
        if len(leaves) > 1 and self._true_block.depth_in_loops() > 0:
            # The extra results are sub-layers of the cond layer (cond/result_1), which
            # RETURNN's rec unit cannot resolve while it builds its templates ("Unexpected
            # layer name 'result_1'"), in any kind of loop.
            raise ControlFlowError(
                f"cond.true: an nn.Cond inside an nn.Loop can pass out one tensor only, got "
                f"{len(leaves)} ({', '.join(_render(p) or 'result' for p, _ in leaves)}; at "
                f"{user_location(2)}). RETURNN cannot read further results of a cond layer "
                "inside a loop. Use one nn.Cond per result, or nn.where(condition, a, b) when "
                "both branches are cheap to compute."
            )
        check_access([t for _, t in leaves], self._true_block, "cond.true")
        self._structure = value
        self._true_leaves = leaves
        self._make_results(self._true_block, leaves)
        assert self._stack is not None
        self._stack.close()
        root = self._container_tensor().root
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(self._false_block.opened(root, f"{self.name}_false"))
        self._status = "false"

    @property
    def false(self) -> Any:
        """The value of the false branch (as assigned)."""
        return pack_structure(self._structure, iter(t for _, t in self._false_leaves))

    @false.setter
    def false(self, value: Any) -> None:
        if self._status != "false":
            raise ControlFlowError(
                f"cond.false must be set once, after cond.true, inside `with cond:` ({self!r}; at "
                f"{user_location(2)})"
            )
        leaves = self._leaves(value, "cond.false")
        true_paths = [p for p, _ in self._true_leaves]
        if [p for p, _ in leaves] != true_paths:
            raise DimMismatchError(
                f"cond.false has another structure than cond.true: "
                f"{[_render(p) for p, _ in leaves]} vs. {[_render(p) for p in true_paths]} "
                f"(at {user_location(2)})"
            )
        for (path, false_t), (_, true_t) in zip(leaves, self._true_leaves, strict=True):
            if set(false_t.dims) != set(true_t.dims) or false_t.dtype != true_t.dtype:
                raise DimMismatchError(
                    f"cond.false{_render(path, lead='.')}: {false_t!r} does not match cond.true's "
                    f"{true_t!r}; both branches must give the same dims "
                    f"({', '.join(_dim_str(d) for d in true_t.dims)}) and dtype "
                    f"(at {user_location(2)})" + lookalike_dims_note([*true_t.dims, *false_t.dims])
                )
        check_access([t for _, t in leaves], self._false_block, "cond.false")
        self._false_leaves = leaves
        self._make_results(self._false_block, leaves)
        assert self._stack is not None
        self._stack.close()
        self._status = "done"

    @property
    def result(self) -> Any:
        """The values of the branch taken, in the structure given to ``cond.true`` (after the block)."""
        if self._status not in ("done", "closed") or not self._false_block.results:
            raise ControlFlowError(
                f"cond.result is available once cond.true and cond.false are set (right after "
                f"cond.false = ..., inside or after the with-block; {self!r}; at "
                f"{user_location(2)})"
            )
        if self._result is None:
            container = self._container_tensor()
            outs: list[Tensor] = []
            for index, (_, leaf) in enumerate(self._true_leaves):
                if index == 0:
                    outs.append(container)
                else:
                    outs.append(
                        Tensor(
                            leaf.template,
                            root=container.root,
                            name_hint=_result_name(index),
                            parent=container,
                            sub_name=_result_name(index),
                            created_at=user_location(2),
                        )
                    )
            self._result = pack_structure(self._structure, iter(outs))
        return self._result

    # -- helpers -------------------------------------------------------------------------

    def _container_tensor(self) -> ControlTensor:
        assert self._container is not None
        return self._container

    @staticmethod
    def _leaves(value: Any, what: str) -> list[tuple[tuple[str, ...], Tensor]]:
        leaves = flatten_structure(value)
        if not leaves:
            raise ValueError(f"{what}: needs at least one tensor (at {user_location(3)})")
        out = []
        for path, leaf in leaves:
            out.append((path, as_tensor(leaf, f"{what}{_render(path, lead='.')}", loop_read=False)))
        return out

    def _make_results(
        self, block: _BranchBlock, leaves: list[tuple[tuple[str, ...], Tensor]]
    ) -> None:
        container = self._container_tensor()
        assert block.node is not None
        for index, (_, leaf) in enumerate(leaves):
            layer: dict[str, Any] = {"class": "copy", "from": leaf}
            if index:
                layer["is_output_layer"] = True
            copy = make_layer_in(
                block.node, layer, leaf.template, name_hint=_result_name(index), root=leaf.root
            )
            block.results.append(copy)
            container.extra_deps.append(copy)
        if block is self._true_block:
            container.template = leaves[0][1].template


def _render(path: tuple[str, ...], lead: str = "") -> str:
    return lead + ".".join(path) if path else ""
