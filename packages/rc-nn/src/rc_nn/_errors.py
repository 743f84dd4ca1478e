"""The exceptions of rc-nn: one base class, leaves that are also the builtin a caller expects."""

from __future__ import annotations

__all__ = [
    "AxisError",
    "DeclarationTypeError",
    "DimMismatchError",
    "DimSizeError",
    "DottedNameError",
    "ExternDataConflictError",
    "ExternDataKeyError",
    "NoOutputError",
    "NotADimError",
    "NotATensorError",
    "PredecessorNameError",
    "RcNnError",
    "TensorCopyError",
    "UnsupportedPredecessorFeatureError",
]


class RcNnError(Exception):
    """Base class of every error rc-nn raises on purpose.

    Examples
    --------
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


class NotADimError(DimMismatchError, TypeError):
    """A value that is not an ``nn.Dim`` was passed where a (static) dim belongs.

    Examples
    --------
    >>> import rc_nn as nn
    >>> try:
    ...     nn.LSTM(8, nn.FeatureDim("out", 4))
    ... except nn.NotADimError as error:
    ...     print(str(error).split(" (e.g.")[0])
    LSTM: in_dim must be a static nn.Dim
    """


class NoOutputError(RcNnError, LookupError):
    """A model was serialized or checked without any marked output or loss."""


class DottedNameError(RcNnError, ValueError):
    """A submodule or parameter assigned under a name with a ``.`` (attribute, ModuleDict key).

    ``.`` separates the components of a parameter path (``heads.en.us.bias``), so a
    component with a ``.`` would make two different parameters share one name; such
    names are refused where they are assigned.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> try:
    ...     nn.ModuleDict({"en.us": nn.Linear(f, f)})
    ... except nn.DottedNameError as exc:
    ...     print(str(exc).split(" (at ")[0])
    ModuleDict key 'en.us'
    """


class ExternDataKeyError(RcNnError, ValueError):
    """An extern data key (``nn.Data(name, ...)``) RETURNN cannot use as an input name.

    Examples
    --------
    >>> import rc_nn as nn
    >>> try:
    ...     nn.Data("prev:x", dim_tags=[nn.batch_dim])
    ... except ValueError as exc:
    ...     print(type(exc).__name__)
    ExternDataKeyError
    """


class DimSizeError(RcNnError, ValueError):
    """A dim size that is no valid size (negative, zero, too large for TensorFlow).

    Examples
    --------
    >>> import rc_nn as nn
    >>> try:
    ...     nn.FeatureDim("f", -3)
    ... except ValueError as exc:
    ...     print(type(exc).__name__)
    DimSizeError
    """


class DeclarationTypeError(RcNnError, TypeError):
    """A declaration got a value of the wrong type (a non-str key, a float or bool dim size).

    Examples
    --------
    >>> import rc_nn as nn
    >>> try:
    ...     nn.FeatureDim("f", 2.0)
    ... except TypeError as exc:
    ...     print(type(exc).__name__)
    DeclarationTypeError
    """


class ExternDataConflictError(RcNnError, ValueError):
    """An extern data key was declared again with other dims, dtype or sparse dim.

    In the default root this is usually a second model built in the same process;
    build it under ``with nn.Root(): ...`` or call ``nn.reset_default_root()`` first.
    """


class UnsupportedPredecessorFeatureError(RcNnError, NotImplementedError):
    """A name of the predecessor (returnn_common) that rc-nn deliberately does not provide;
    the message names the replacement (see docs/compat-items.md).

    Examples
    --------
    >>> issubclass(UnsupportedPredecessorFeatureError, NotImplementedError)
    True
    """


class PredecessorNameError(UnsupportedPredecessorFeatureError, AttributeError):
    """``nn.<name>`` for a public name of the predecessor that rc-nn does not provide.

    Also an ``AttributeError`` (``hasattr`` is false, ``from rc_nn import <name>`` is an
    ``ImportError``); the message names the replacement where there is one (see
    docs/compat-items.md, "Predecessor names not provided").

    Examples
    --------
    >>> import rc_nn as nn
    >>> try:
    ...     nn.abs
    ... except AttributeError as exc:
    ...     print(type(exc).__name__, "nn.abs_" in str(exc))
    PredecessorNameError True
    """


class TensorCopyError(RcNnError, TypeError):
    """``copy.deepcopy`` reached an ``nn.Tensor`` that is no parameter (a layer output).

    A layer output belongs to the graph it was built in; a copy cannot re-create it.
    Deep-copy modules before calling them (and before ``nn.weight_norm``), then apply
    such functions to the copy.

    Examples
    --------
    >>> import copy
    >>> import rc_nn as nn
    >>> x = nn.zeros([nn.batch_dim, nn.FeatureDim("f", 2)])
    >>> try:
    ...     copy.deepcopy(x)
    ... except TypeError as exc:
    ...     print(type(exc).__name__)
    TensorCopyError
    """
