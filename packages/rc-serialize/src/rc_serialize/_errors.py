"""The exceptions of rc-serialize."""

from __future__ import annotations

import rc_naming
import rc_nn

__all__ = [
    "ControlFlowError",
    "ExtraNetDictError",
    "InitialValueShapeError",
    "InvalidParameterNameError",
    "MarkInsideBlockError",
    "NoOutputError",
    "NotAModuleError",
    "ParamNamingError",
    "RcSerializeError",
    "RecordVersionError",
    "RootMismatchError",
    "UnreachableParameterError",
]


class RcSerializeError(Exception):
    """Base class of every error rc-serialize raises on purpose.

    Example:
        >>> issubclass(InvalidParameterNameError, RcSerializeError)
        True
    """


class InvalidParameterNameError(RcSerializeError, ValueError):
    """A canonical parameter path has a component TensorFlow cannot use in a variable name."""


# Leaves for what the final pass raises. Each also inherits the class raised before
# rc-serialize had its own leaves, so existing ``except`` clauses keep matching.


class NotAModuleError(RcSerializeError, TypeError):
    """The object to serialize is not an ``nn.Module`` (pass the model you called)."""


class NoOutputError(RcSerializeError, rc_nn.NoOutputError):
    """Nothing to serialize: no output or loss of this model is marked."""


class MarkInsideBlockError(RcSerializeError, rc_nn.RcNnError):
    """A tensor inside a loop, cond or masked computation is marked as output or loss."""


class ControlFlowError(RcSerializeError, rc_nn.ControlFlowError):
    """A control-flow value is read where RETURNN cannot read it (a nested loop's stacked value)."""


class UnreachableParameterError(RcSerializeError, rc_naming.UnreachableError):
    """A used parameter has no attribute path from the root module (rule N5)."""


class RootMismatchError(RcSerializeError, rc_naming.RootMismatchError):
    """A marked output belongs to another naming root than the model."""


class ParamNamingError(RcSerializeError, ValueError):
    """An unknown parameter naming style (``predecessor`` or ``plain``)."""


class InitialValueShapeError(RcSerializeError, rc_nn.DimMismatchError):
    """A parameter's initial array does not have the parameter's shape."""


class ExtraNetDictError(RcSerializeError, ValueError):
    """An extra net dict entry clashes with a layer name."""


class RecordVersionError(RcSerializeError, RuntimeError):
    """The installed rc-nn writes a build record version this rc-serialize cannot read."""
