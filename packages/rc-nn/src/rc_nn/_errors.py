"""The exceptions of rc-nn: one base class, leaves that are also the builtin a caller expects."""

from __future__ import annotations

__all__ = [
    "AxisError",
    "DimMismatchError",
    "DottedNameError",
    "NoOutputError",
    "NotATensorError",
    "RcNnError",
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


class DottedNameError(RcNnError, ValueError):
    """A submodule or parameter assigned under a name with a ``.`` (attribute, ModuleDict key).

    ``.`` separates the components of a parameter path (``heads.en.us.bias``), so a
    component with a ``.`` would make two different parameters share one name; such
    names are refused where they are assigned.

    Example:
        >>> import rc_nn as nn
        >>> f = nn.FeatureDim("f", 2)
        >>> try:
        ...     nn.ModuleDict({"en.us": nn.Linear(f, f)})
        ... except nn.DottedNameError as exc:
        ...     print(str(exc).split(" (at ")[0])
        ModuleDict key 'en.us'
    """
