"""Naming roots (rule N1): a default root plus explicit, nestable ones.

The stack of open explicit roots lives in a :class:`contextvars.ContextVar`
holding an immutable tuple. A class-level stack would leak a root opened in one
thread or asyncio task into all others; a context variable gives each thread
(fresh context) and each task (copied context) its own view for free.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from types import TracebackType

from rc_naming._errors import RootMismatchError
from rc_naming._ownership import OwnershipGraph

__all__ = ["Root", "check_same_root", "current_root", "default_root", "reset_default_root"]

_serials = itertools.count(1)
_auto_names = itertools.count(2)
_open_roots: contextvars.ContextVar[tuple[Root, ...]] = contextvars.ContextVar(
    "rc_naming_open_roots", default=()
)
_default_lock = threading.Lock()
# A one-slot list instead of a module global rebound with `global`.
_default: list[Root] = []


class Root:
    """A naming root: one independent model with its own ownership graph.

    Use it as a context manager to make it the current root for a block; outside
    of any block the process-wide default root is current.

    Examples
    --------
    >>> from rc_naming import Root, current_root, default_root
    >>> with Root("second model") as r:
    ...     current_root() is r
    True
    >>> current_root() is default_root()
    True
    """

    name: str
    graph: OwnershipGraph
    serial: int

    def __init__(self, name: str | None = None) -> None:
        self.serial = next(_serials)
        # Auto names start at 2 so that the first explicit root reads as the
        # second one next to the default root.
        self.name = name if name is not None else f"root-{next(_auto_names)}"
        self.graph = OwnershipGraph()

    def __repr__(self) -> str:
        return f"Root({self.name!r}, serial={self.serial})"

    def __enter__(self) -> Root:
        _open_roots.set((*_open_roots.get(), self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack = _open_roots.get()
        if not stack or stack[-1] is not self:
            innermost = stack[-1] if stack else None
            raise RuntimeError(
                f"closing {self!r}, but the innermost open root here is {innermost!r}; "
                "explicit roots must be closed in the reverse order of opening, in the "
                "same thread or task (use `with Root(): ...`)"
            )
        _open_roots.set(stack[:-1])


def default_root() -> Root:
    """Return the process-wide default root, creating it on first use.

    Examples
    --------
    >>> from rc_naming import default_root
    >>> default_root() is default_root()
    True
    """
    if _default:
        return _default[0]
    with _default_lock:
        if not _default:
            _default.append(Root("default"))
        return _default[0]


def reset_default_root() -> Root:
    """Replace the default root by a fresh one and return it.

    Objects created under the old default root keep pointing to it, so mixing
    them with new ones raises :class:`RootMismatchError` where checked.

    Examples
    --------
    >>> from rc_naming import default_root, reset_default_root
    >>> old = default_root()
    >>> new = reset_default_root()
    >>> new is default_root() and new is not old
    True
    """
    with _default_lock:
        root = Root("default")
        if _default:
            _default[0] = root
        else:
            _default.append(root)
        return root


def current_root() -> Root:
    """Return the innermost explicit root open in this thread/task, else the default root.

    Examples
    --------
    >>> from rc_naming import Root, current_root
    >>> with Root("outer") as outer:
    ...     with Root("inner") as inner:
    ...         assert current_root() is inner
    ...     current_root() is outer
    True
    """
    stack = _open_roots.get()
    if stack:
        return stack[-1]
    return default_root()


def check_same_root(expected: Root, actual: Root, *, what: str) -> None:
    """Raise :class:`RootMismatchError` unless ``actual`` is ``expected``.

    ``what`` says which object was used where, e.g. ``"tensor 'x' used in module 'enc'"``.

    Examples
    --------
    >>> from rc_naming import Root, check_same_root
    >>> r = Root("model")
    >>> check_same_root(r, r, what="tensor 'x'")  # same root: no error
    """
    if expected is actual:
        return
    raise RootMismatchError(
        f"{what} belongs to naming root {actual.name!r} (serial {actual.serial}) but is used "
        f"under naming root {expected.name!r} (serial {expected.serial}); objects of two roots "
        "cannot be mixed. Fix: create all objects of one model under the same root (inside "
        "one `with Root(): ...` block, or all outside any block for the default root), and "
        "do not keep objects across `reset_default_root()`.",
        expected=expected,
        actual=actual,
    )
