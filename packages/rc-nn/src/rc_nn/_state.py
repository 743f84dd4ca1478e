"""Per-root build state: the call tree, extern data, marked outputs and losses.

Each naming root (``rc_naming.Root``) gets its own state, so two models built
under two roots never see each other's layers. The current call scope lives in
a context variable, so threads and asyncio tasks building at once stay apart.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

import rc_naming

if TYPE_CHECKING:
    from ._tensor import Tensor

__all__ = [
    "BuildState",
    "CallInfo",
    "OutputMark",
    "current_scope",
    "module_calls",
    "open_scope",
    "state_of",
]


@dataclasses.dataclass(eq=False)
class CallInfo:
    """Payload of a call-tree node: a module call, a named function scope or a control-flow block."""

    kind: str  # "module", "function", "loop", "cond", "masked"
    module: object | None = None
    name: str | None = None
    created_at: str = "<unknown>"
    control: object | None = None  # the Loop / Cond object for control-flow scopes
    outputs: list[Tensor] = dataclasses.field(default_factory=list)  # tensors the call returned


@dataclasses.dataclass(eq=False)
class OutputMark:
    """A tensor marked as output (``name`` None: the default output) or as loss."""

    tensor: Tensor
    name: str | None
    created_at: str
    loss_scale: float | None = None  # None: not a loss
    as_error: bool = False


@dataclasses.dataclass(eq=False)
class BuildState:
    """Everything recorded while a model is built under one root."""

    root: rc_naming.Root
    tree: rc_naming.NameTree
    extern_data: dict[str, Tensor] = dataclasses.field(default_factory=dict)
    marks: list[OutputMark] = dataclasses.field(default_factory=list)
    # Batch-major views of time-major tensors read inside loops, by id of the viewed tensor
    # (see rc_nn._control.loop_read); the tree keeps the viewed tensors alive.
    batch_major_views: dict[int, Tensor] = dataclasses.field(default_factory=dict)
    # Extra top-level net dict entries (e.g. "#config" for pretraining), written by
    # rc-serialize through its one escaping path (see rc_nn.extra_net_dict).
    extra_net_dict: dict[str, object] = dataclasses.field(default_factory=dict)
    # Thread ident that declared each extern data key (for the error when another thread
    # declares the same key differently in a shared root, e.g. the default one).
    extern_threads: dict[str, int] = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_states: weakref.WeakKeyDictionary[rc_naming.Root, BuildState] = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()

# Stack of (root, scope node) for the calls currently running in this context.
_scope_stack: contextvars.ContextVar[tuple[tuple[rc_naming.Root, rc_naming.NameNode], ...]] = (
    contextvars.ContextVar("rc_nn_scope_stack", default=())
)


def state_of(root: rc_naming.Root) -> BuildState:
    """The build state of ``root``, created on first use.

    Examples
    --------
    >>> state_of(rc_naming.current_root()).root is rc_naming.current_root()
    True
    """
    state = _states.get(root)
    if state is None:
        # Threads share the default root: two of them must never create two states for it.
        with _states_lock:
            state = _states.get(root)
            if state is None:
                state = BuildState(root=root, tree=rc_naming.NameTree())
                _states[root] = state
    return state


def module_calls(root: rc_naming.Root, *, outermost: bool = False) -> Iterator[CallInfo]:
    """The module calls recorded under ``root``, outer calls before the calls inside them.

    ``outermost``: only the calls made outside any module call.

    Examples
    --------
    >>> list(module_calls(rc_naming.Root("empty")))
    []
    """
    state = _states.get(root)
    if state is None:
        return
    for node in state.tree.iter_nodes():
        info = node.payload
        if not _is_module_call(info):
            continue
        if outermost:
            parent = node.parent
            while parent is not None and not _is_module_call(parent.payload):
                parent = parent.parent
            if parent is not None:
                continue
        assert isinstance(info, CallInfo)
        yield info


def _is_module_call(payload: object) -> bool:
    return isinstance(payload, CallInfo) and payload.kind == "module"


def current_scope(root: rc_naming.Root) -> rc_naming.NameNode:
    """The innermost open call scope of ``root`` in this context (its tree's top if none)."""
    for scope_root, node in reversed(_scope_stack.get()):
        if scope_root is root:
            return node
    return state_of(root).tree.root


@contextlib.contextmanager
def open_scope(
    root: rc_naming.Root, info: CallInfo, suggested: str
) -> Iterator[rc_naming.NameNode]:
    """Add a call node under the current scope of ``root`` and make it current for the block."""
    state = state_of(root)
    node = state.tree.add(current_scope(root), suggested, payload=info)
    token = _scope_stack.set((*_scope_stack.get(), (root, node)))
    try:
        yield node
    finally:
        _scope_stack.reset(token)
