"""The error hierarchy of rc-naming.

Every error derives from :class:`RcNamingError` and from the builtin exception a
caller would naturally catch (``ValueError``, ``LookupError``, ...), so code that
knows nothing of rc-naming still handles them sensibly.
"""

from __future__ import annotations

__all__ = [
    "FinalizedError",
    "InvalidNameError",
    "InvalidTreeOperationError",
    "NameCollisionError",
    "NotFinalizedError",
    "RcNamingError",
    "ReferenceResolutionError",
    "RootMismatchError",
    "UnreachableError",
]


class RcNamingError(Exception):
    """Base class of every error raised by rc-naming.

    Examples
    --------
    >>> try:
    ...     raise NameCollisionError("two layers want 'output'")
    ... except RcNamingError as exc:
    ...     print(type(exc).__name__)
    NameCollisionError
    """


class RootMismatchError(RcNamingError, ValueError):
    """Objects of two different naming roots were mixed.

    Examples
    --------
    >>> from rc_naming import Root, check_same_root
    >>> a, b = Root("a"), Root("b")
    >>> check_same_root(a, b, what="tensor 'x'")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.RootMismatchError: ...
    """

    def __init__(self, message: str, *, expected: object = None, actual: object = None) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class UnreachableError(RcNamingError, LookupError):
    """An object has no attribute chain from the root object (rule N5).

    ``obj`` is the unreachable object, ``holders`` the ``(holder, attr)`` pairs
    that still reference it.

    Examples
    --------
    >>> from rc_naming import OwnershipGraph
    >>> class M: pass
    >>> root, orphan = M(), M()
    >>> g = OwnershipGraph()
    >>> g.add_node(orphan, label="M.w", created_at="model.py:3")
    >>> g.canonical_path(root, orphan)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.UnreachableError: ...
    """

    def __init__(
        self,
        message: str,
        *,
        obj: object = None,
        holders: tuple[tuple[object, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.obj = obj
        self.holders = holders

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NameCollisionError(RcNamingError, ValueError):
    """Two nodes demand the same fixed name in one scope.

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree()
    >>> _ = t.add(t.root, "output", fixed=True)
    >>> _ = t.add(t.root, "output", fixed=True)
    >>> t.finalize()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.NameCollisionError: ...
    """


class InvalidNameError(RcNamingError, ValueError):
    """A name or path component cannot be used as given.

    Examples
    --------
    >>> from rc_naming import render_path
    >>> render_path(("a.b", "c"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.InvalidNameError: ...
    """


class InvalidTreeOperationError(RcNamingError, ValueError):
    """A structural change of a :class:`NameTree` that makes no sense.

    For example moving a node below itself, or using a node of another tree.

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree()
    >>> a = t.add(t.root, "a")
    >>> t.move(t.root, a)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.InvalidTreeOperationError: ...
    """


class NotFinalizedError(RcNamingError, RuntimeError):
    """A final name was asked for before :meth:`NameTree.finalize`.

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree()
    >>> t.add(t.root, "lin").name  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.NotFinalizedError: ...
    """


class FinalizedError(RcNamingError, RuntimeError):
    """A :class:`NameTree` was changed after :meth:`NameTree.finalize`.

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree()
    >>> t.finalize()
    >>> t.add(t.root, "lin")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.FinalizedError: ...
    """


class ReferenceResolutionError(RcNamingError, KeyError):
    """A layer reference could not be built or resolved.

    ``KeyError`` quotes its message in ``str()``; this class prints it plainly.

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree()
    >>> a = t.add(t.root, "a")
    >>> t.finalize()
    >>> t.resolve_reference(a, "nope")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    rc_naming.ReferenceResolutionError: ...
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
