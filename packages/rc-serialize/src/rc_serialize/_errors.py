"""The exceptions of rc-serialize."""

from __future__ import annotations

__all__ = ["InvalidParameterNameError", "RcSerializeError"]


class RcSerializeError(Exception):
    """Base class of every error rc-serialize raises on purpose.

    Examples
    --------
    >>> issubclass(InvalidParameterNameError, RcSerializeError)
    True
    """


class InvalidParameterNameError(RcSerializeError, ValueError):
    """A canonical parameter path has a component TensorFlow cannot use in a variable name."""
