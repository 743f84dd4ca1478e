"""The errors of the checkpoint tools (kept beside ``_errors.py`` so each concern has its module).

Each leaf is an :class:`RcSerializeError` and the builtin a caller would expect.
"""

from __future__ import annotations

from ._errors import RcSerializeError

__all__ = ["CheckpointPathError", "CheckpointVariableError"]


class CheckpointPathError(RcSerializeError, FileNotFoundError):
    """A TF checkpoint cannot be read, or the directory for a new one does not exist.

    Examples
    --------
    >>> issubclass(CheckpointPathError, RcSerializeError), issubclass(CheckpointPathError, FileNotFoundError)
    (True, True)
    """


class CheckpointVariableError(RcSerializeError, LookupError):
    """A migration mapping names variables the old checkpoint does not have.

    Examples
    --------
    >>> issubclass(CheckpointVariableError, RcSerializeError), issubclass(CheckpointVariableError, LookupError)
    (True, True)
    """
