"""The exceptions of rc-nn: one base class, leaves that are also the builtin a caller expects."""

from __future__ import annotations

__all__ = [
    "AxisError",
    "DimMismatchError",
    "NoOutputError",
    "NotATensorError",
    "RcNnError",
    "UnsupportedPredecessorFeatureError",
]


class RcNnError(Exception):
    """Base class of every error rc-nn raises on purpose.

    Example:
        >>> try:
        ...     raise DimMismatchError("Linear: input has no dim 'in'")
        ... except RcNnError as exc:
        ...     print(type(exc).__name__)
        DimMismatchError
    """


class DimMismatchError(RcNnError, ValueError):
    """Dims of a tensor do not fit the operation (wrong input dim, conflicting dims, dynamic dim)."""


class AxisError(RcNnError, ValueError):
    """An axis argument is missing, ambiguous or not a dim of the tensor."""


class NotATensorError(RcNnError, TypeError):
    """A value that is not an ``nn.Tensor`` was passed where a tensor belongs."""


class NoOutputError(RcNnError, LookupError):
    """A model was serialized or checked without any marked output or loss."""


class UnsupportedPredecessorFeatureError(RcNnError, NotImplementedError):
    """A name of the predecessor (returnn_common) that rc-nn deliberately does not provide;
    the message names the replacement (see docs/compat-items.md).

    Example:
        >>> issubclass(UnsupportedPredecessorFeatureError, NotImplementedError)
        True
    """
