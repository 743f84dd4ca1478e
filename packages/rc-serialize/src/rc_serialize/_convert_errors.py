"""The errors of ``rc-serialize convert`` and the PyTorch parameter layouts.

Each leaf is an :class:`RcSerializeError` and the builtin a caller would expect.
"""

from __future__ import annotations

from ._checkpoint_errors import CheckpointVariableError
from ._errors import RcSerializeError

__all__ = [
    "CheckpointFormatError",
    "MissingParameterError",
    "ParameterShapeError",
    "TorchLayoutError",
    "UnexpectedParameterError",
]


class TorchLayoutError(RcSerializeError, NotImplementedError):
    """No PyTorch layout is declared for a parameter's module (e.g. LSTM weights, not yet covered).

    Examples
    --------
    >>> issubclass(TorchLayoutError, RcSerializeError), issubclass(TorchLayoutError, NotImplementedError)
    (True, True)
    """


class CheckpointFormatError(RcSerializeError, ValueError):
    """A file is not a checkpoint of the kind expected (PyTorch ``.pt`` / TF prefix).

    Examples
    --------
    >>> issubclass(CheckpointFormatError, RcSerializeError), issubclass(CheckpointFormatError, ValueError)
    (True, True)
    """


class MissingParameterError(CheckpointVariableError):
    """A checkpoint lacks parameters of the model (``LookupError``).

    Examples
    --------
    >>> issubclass(MissingParameterError, RcSerializeError), issubclass(MissingParameterError, LookupError)
    (True, True)
    """


class UnexpectedParameterError(CheckpointVariableError):
    """A checkpoint holds parameters the model does not have (``LookupError``).

    Examples
    --------
    >>> issubclass(UnexpectedParameterError, RcSerializeError), issubclass(UnexpectedParameterError, LookupError)
    (True, True)
    """


class ParameterShapeError(RcSerializeError, ValueError):
    """A checkpoint value does not have the shape of the model's parameter.

    Examples
    --------
    >>> issubclass(ParameterShapeError, RcSerializeError), issubclass(ParameterShapeError, ValueError)
    (True, True)
    """
