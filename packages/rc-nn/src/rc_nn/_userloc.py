"""Find the user's line of code that caused an operation, for error messages."""

from __future__ import annotations

import sys
import types

__all__ = ["user_location"]

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
