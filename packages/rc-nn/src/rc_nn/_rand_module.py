"""``nn.Random``: the predecessor's random-number module (RETURNN ``random`` layers).

The predecessor gave every call of a ``Random`` module its own random-state variable
(an auxiliary parameter ``state_var<i>``, marked ``non_critical_for_restore``). rc-nn
leaves the state to RETURNN: each ``random`` layer creates and advances its own state
variable (a RETURNN state variable, not a model parameter). The distribution of the
numbers is the same; the random streams differ, and checkpoints have no
``state_var<i>`` entries (the predecessor's are not needed to restore a model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from returnn.tensor import Dim
from returnn.util.basic import NotSpecified

from ._array import ones, zeros
from ._compat_ops import set_sparse_dim
from ._dimargs import as_dims, static_size
from ._gather import where
from ._module import Module
from ._tensor import Tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["Random", "random", "random_label", "random_truncated_normal"]

_DISTRIBUTIONS = ("uniform", "normal", "truncated_normal")
Number = int | float | Tensor


def _dtype(dtype: object, default: str) -> str:
    if dtype is NotSpecified or dtype is None:
        return default
    if not isinstance(dtype, str):
        raise TypeError(f"nn.Random: dtype must be a string such as 'float32', got {dtype!r}")
    return dtype


def _value(value: Number, what: str, dtype: str) -> Any:
    if isinstance(value, Tensor):
        if value.dims:
            raise ValueError(
                f"nn.Random: {what} must be a scalar tensor (no dims), got {value!r} "
                f"(at {user_location(3)})"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"nn.Random: {what} must be a number or a scalar tensor, got {value!r}")
    return int(value) if dtype.startswith("int") else float(value)


class Random(Module):
    """Random numbers drawn anew in every step (RETURNN ``random`` layer).

    Same methods as the predecessor's ``nn.Random``: ``uniform``, ``normal``,
    ``truncated_normal``, ``bernoulli``; the bounds may be Python numbers or scalar
    tensors. Calling the module directly (``rnd(distribution=..., shape=...)``) takes
    the ``random`` layer options.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 3)
    >>> rnd = nn.Random()
    >>> x = rnd.uniform([nn.batch_dim, f], minval=-1.0, maxval=1.0)
    >>> x.dims == (nn.batch_dim, f), x.dtype
    (True, 'float32')
    """

    def forward(
        self,
        *,
        shape: Sequence[Dim],
        distribution: str,
        dtype: str | type[NotSpecified] = NotSpecified,
        **options: Any,
    ) -> Tensor:
        """The ``random`` layer; ``options``: mean, stddev, minval, maxval, bound, seed."""
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"nn.Random: distribution must be one of {_DISTRIBUTIONS}, got {distribution!r}"
            )
        dims = as_dims(list(shape), "nn.Random", "shape", allow_empty=True)
        dtype_ = _dtype(dtype, "float32")
        layer: dict[str, Any] = {
            "class": "random",
            "shape": dims,
            "distribution": distribution,
            "dtype": dtype_,
        }
        for key, value in options.items():
            if value is NotSpecified:
                continue
            if key == "seed":
                layer["seed"] = int(value)
            elif key in ("mean", "stddev", "minval", "maxval", "bound"):
                layer[key] = _value(value, key, dtype_)
            else:
                raise TypeError(f"nn.Random: unknown option {key!r}")
        return make_layer_tensor(layer, make_template(dims, dtype_), name_hint="random")

    def uniform(
        self,
        shape: Sequence[Dim],
        dtype: str | type[NotSpecified] = NotSpecified,
        *,
        minval: Number = 0,
        maxval: Number,
    ) -> Tensor:
        """Uniform in ``[minval, maxval)``; an int dtype gives ints."""
        out: Tensor = self(
            distribution="uniform", shape=shape, dtype=dtype, minval=minval, maxval=maxval
        )
        return out

    def normal(
        self,
        shape: Sequence[Dim],
        dtype: str | type[NotSpecified] = NotSpecified,
        *,
        mean: Number = 0.0,
        stddev: Number = 1.0,
    ) -> Tensor:
        """Normal with ``mean`` and ``stddev``."""
        out: Tensor = self(
            distribution="normal", shape=shape, dtype=dtype, mean=mean, stddev=stddev
        )
        return out

    def truncated_normal(
        self,
        shape: Sequence[Dim],
        dtype: str | type[NotSpecified] = NotSpecified,
        *,
        mean: Number = 0.0,
        stddev: Number = 1.0,
    ) -> Tensor:
        """Normal cut off at two standard deviations (redrawn), as ``tf.random.truncated_normal``."""
        out: Tensor = self(
            distribution="truncated_normal", shape=shape, dtype=dtype, mean=mean, stddev=stddev
        )
        return out

    def bernoulli(
        self,
        shape: Sequence[Dim],
        dtype: str | type[NotSpecified] = NotSpecified,
        *,
        p: float | Tensor,
    ) -> Tensor:
        """1 with probability ``p``, else 0 (``uniform(0, 1) <= p``), of ``dtype`` (float32)."""
        dtype_ = _dtype(dtype, "float32")
        x = self.uniform(shape, "float32", minval=0.0, maxval=1.0)
        return where(x <= p, ones([], dtype=dtype_), zeros([], dtype=dtype_))


def random_truncated_normal(
    shape: Sequence[Dim],
    dtype: str | type[NotSpecified] = NotSpecified,
    *,
    mean: Number = 0.0,
    stddev: Number = 1.0,
) -> Tensor:
    """Truncated normal random numbers (see :meth:`Random.truncated_normal`).

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.random_truncated_normal([nn.FeatureDim("f", 2)], stddev=0.1).dtype
    'float32'
    """
    return Random().truncated_normal(shape, dtype, mean=mean, stddev=stddev)


_UNSUPPORTED_RANDOM_OPTIONS = ("algorithm", "explicit_state", "auto_update_state", "static")


def random(
    *,
    shape: Sequence[Dim],
    distribution: str,
    dtype: str | type[NotSpecified] = NotSpecified,
    **options: Any,
) -> Tensor:
    """One RETURNN ``random`` layer (the predecessor's ``nn.random``): ``distribution``
    ``"uniform"`` (``minval``, ``maxval`` or ``bound``), ``"normal"`` or
    ``"truncated_normal"`` (``mean``, ``stddev``), optional ``seed``.

    The predecessor's explicit random-state options (``explicit_state``,
    ``auto_update_state``, ``static``, ``algorithm``) are not supported: RETURNN keeps the
    state of each layer itself.

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.random(shape=[nn.FeatureDim("f", 2)], distribution="normal", stddev=0.1).dtype
    'float32'
    """
    given = [
        key
        for key in _UNSUPPORTED_RANDOM_OPTIONS
        if options.get(key, NotSpecified) is not NotSpecified
    ]
    if given:
        raise NotImplementedError(
            f"nn.random: {', '.join(given)} not supported (at {user_location()}): rc-nn lets "
            "RETURNN keep each random layer's state; leave these options away"
        )
    options = {k: v for k, v in options.items() if k not in _UNSUPPORTED_RANDOM_OPTIONS}
    out: Tensor = Random()(shape=shape, distribution=distribution, dtype=dtype, **options)
    return out


def random_label(shape: Sequence[Dim], sparse_dim: Dim, dtype: str = "int32") -> Tensor:
    """Uniform random indices into ``sparse_dim`` (the predecessor's ``nn.random_label``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> v = nn.FeatureDim("vocab", 5)
    >>> nn.random_label([nn.batch_dim], v).sparse_dim is v
    True
    """
    size = static_size(sparse_dim, "random_label", "sparse_dim")
    values = Random().uniform(shape, dtype, minval=0, maxval=size)
    return set_sparse_dim(values, sparse_dim)
