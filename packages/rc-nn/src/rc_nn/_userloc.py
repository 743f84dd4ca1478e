"""Find the user's line of code that caused an operation, for error messages."""

from __future__ import annotations

import sys
import types

__all__ = ["creation_site", "user_location"]

# Frames of these packages are ours, not the user's.
_OWN_PACKAGES = ("rc_nn", "rc_naming", "rc_serialize")


def user_location(skip: int = 1) -> str:
    """Return ``"file.py:12"`` of the innermost frame outside rc's own packages.

    Examples
    --------
    >>> user_location().count(":") >= 1
    True
    """
    frame: types.FrameType | None = sys._getframe(skip)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.partition(".")[0] not in _OWN_PACKAGES:
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


_NO_OBJECT = object()


def creation_site(obj: object = _NO_OBJECT) -> str:
    """``file:line`` of the user's code that created ``obj`` (or that called ``copy``).

    Like :func:`user_location`, and also skips the ``copy`` module (for deep copies)
    and ``obj``'s own methods, so a subclass ``__init__`` calling ``super().__init__()``
    reports the line that instantiated it, not the ``super()`` line.

    Examples
    --------
    >>> creation_site().count(":") >= 1
    True
    """
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        package = frame.f_globals.get("__name__", "").partition(".")[0]
        if package not in (*_OWN_PACKAGES, "copy") and (
            obj is _NO_OBJECT or frame.f_locals.get("self") is not obj
        ):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"
