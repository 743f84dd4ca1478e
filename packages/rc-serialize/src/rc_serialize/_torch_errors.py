"""The torch backend's errors: what it cannot write yet, said at build time."""

from __future__ import annotations

from ._errors import RcSerializeError

__all__ = ["COVERAGE_DOC", "TorchNameError", "TorchNotCoveredError"]

#: Where the torch backend's coverage table lives (named in every coverage error).
COVERAGE_DOC = "docs/design/torch-backend.md (coverage table)"


class TorchNotCoveredError(RcSerializeError, NotImplementedError):
    """The model uses something the torch backend (``backend="torch"``) does not write yet.

    Raised while building the config, never by RETURNN later: the message names the
    RETURNN layer class (or the construct), where the model made it, and the coverage doc.

    Examples
    --------
    >>> issubclass(TorchNotCoveredError, RcSerializeError), issubclass(TorchNotCoveredError, NotImplementedError)
    (True, True)
    """


class TorchNameError(RcSerializeError, ValueError):
    """A parameter path component RETURNN's PyTorch backend cannot use (e.g. ``float``).

    Examples
    --------
    >>> issubclass(TorchNameError, ValueError)
    True
    """
