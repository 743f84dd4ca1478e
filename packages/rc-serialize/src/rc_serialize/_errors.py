"""The exceptions of rc-serialize."""

from __future__ import annotations

import rc_naming
import rc_nn

__all__ = [
    "BackendError",
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
    "UnreachableError",
]


class RcSerializeError(Exception):
    """Base class of every error rc-serialize raises on purpose.

    Examples
    --------
    >>> issubclass(InvalidParameterNameError, RcSerializeError)
    True
    """


class InvalidParameterNameError(RcSerializeError, ValueError):
    """A canonical parameter path has a component TensorFlow cannot use in a variable name.

    Examples
    --------
    >>> issubclass(InvalidParameterNameError, RcSerializeError), issubclass(InvalidParameterNameError, ValueError)
    (True, True)
    """


# Leaves for what the final pass raises. Each also inherits the class raised before
# rc-serialize had its own leaves, so existing ``except`` clauses keep matching.


class NotAModuleError(RcSerializeError, TypeError):
    """The object to serialize is not an ``nn.Module`` (pass the model you called).

    Examples
    --------
    >>> issubclass(NotAModuleError, RcSerializeError), issubclass(NotAModuleError, TypeError)
    (True, True)
    """


class NoOutputError(RcSerializeError, rc_nn.NoOutputError):
    """Nothing to serialize: no output or loss of this model is marked.

    Examples
    --------
    >>> issubclass(NoOutputError, RcSerializeError), issubclass(NoOutputError, rc_nn.NoOutputError)
    (True, True)
    """


class MarkInsideBlockError(RcSerializeError, rc_nn.RcNnError):
    """A tensor inside a loop, cond or masked computation is marked as output or loss.

    Examples
    --------
    >>> issubclass(MarkInsideBlockError, RcSerializeError), issubclass(MarkInsideBlockError, rc_nn.RcNnError)
    (True, True)
    """


class ControlFlowError(RcSerializeError, rc_nn.ControlFlowError):
    """A control-flow value is read where RETURNN cannot read it (a nested loop's stacked value).

    Examples
    --------
    >>> issubclass(ControlFlowError, RcSerializeError), issubclass(ControlFlowError, rc_nn.ControlFlowError)
    (True, True)
    """


class UnreachableError(RcSerializeError, rc_naming.UnreachableError):
    """A used parameter has no attribute path from the root module (rule N5).

    Examples
    --------
    >>> issubclass(UnreachableError, RcSerializeError), issubclass(UnreachableError, rc_naming.UnreachableError)
    (True, True)
    """


class RootMismatchError(RcSerializeError, rc_naming.RootMismatchError):
    """A marked output belongs to another naming root than the model.

    Examples
    --------
    >>> issubclass(RootMismatchError, RcSerializeError), issubclass(RootMismatchError, rc_naming.RootMismatchError)
    (True, True)
    """


class ParamNamingError(RcSerializeError, ValueError):
    """An unknown parameter naming style (``predecessor`` or ``plain``).

    Examples
    --------
    >>> issubclass(ParamNamingError, RcSerializeError), issubclass(ParamNamingError, ValueError)
    (True, True)
    """


class InitialValueShapeError(RcSerializeError, rc_nn.DimMismatchError):
    """A parameter's initial array does not have the parameter's shape.

    Examples
    --------
    >>> issubclass(InitialValueShapeError, RcSerializeError), issubclass(InitialValueShapeError, rc_nn.DimMismatchError)
    (True, True)
    """


class ExtraNetDictError(RcSerializeError, ValueError):
    """An extra net dict entry clashes with a layer name.

    Examples
    --------
    >>> issubclass(ExtraNetDictError, RcSerializeError), issubclass(ExtraNetDictError, ValueError)
    (True, True)
    """


class RecordVersionError(RcSerializeError, RuntimeError):
    """The installed rc-nn writes a build record version this rc-serialize cannot read.

    Examples
    --------
    >>> issubclass(RecordVersionError, RcSerializeError), issubclass(RecordVersionError, RuntimeError)
    (True, True)
    """


class BackendError(RcSerializeError, ValueError):
    """An unknown ``backend`` (``"tf"`` or ``"torch"``).

    Examples
    --------
    >>> issubclass(BackendError, ValueError)
    True
    """
