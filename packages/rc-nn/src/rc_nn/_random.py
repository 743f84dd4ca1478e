"""Random tensors (RETURNN ``random`` layer): uniform, normal, Bernoulli."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from returnn.tensor import Dim
from returnn.util.basic import NotSpecified

from ._dimargs import as_dims
from ._math import compare
from ._tensor import Tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["random_bernoulli", "random_normal", "random_uniform"]


def _random(dims: Sequence[Dim], what: str, dtype: str, options: dict[str, Any]) -> Tensor:
    dims_ = as_dims(list(dims) if isinstance(dims, tuple) else dims, what, "dims", allow_empty=True)
    layer: dict[str, Any] = {"class": "random", "shape": dims_, "dtype": dtype, **options}
    return make_layer_tensor(layer, make_template(dims_, dtype), name_hint=what)


def _dtype(dtype: object, default: str) -> str:
    # the predecessor passed dtype positionally, or NotSpecified for the default
    if dtype is None or dtype is NotSpecified:
        return default
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string such as 'float32', got {dtype!r}")
    return dtype


def _float_dtype(dtype: str, what: str) -> str:
    if not dtype.startswith("float"):
        raise ValueError(
            f"{what}: dtype must be a float dtype, got {dtype!r} (at {user_location()})"
        )
    return dtype


def _bound(value: float | int | Tensor, what: str, arg: str, dtype: str) -> Any:
    """A number (cast to the dtype's kind) or a scalar tensor (the predecessor allowed both)."""
    if isinstance(value, Tensor):
        if value.dims:
            raise ValueError(
                f"{what}: {arg} must be a number or a scalar tensor, got {value!r} "
                f"(at {user_location(3)})"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what}: {arg} must be a number or a scalar tensor, got {value!r}")
    return int(value) if dtype.startswith("int") else float(value)


def random_uniform(
    dims: Sequence[Dim],
    dtype: str | type[NotSpecified] = "float32",
    *,
    minval: float | int | Tensor = 0.0,
    maxval: float | int | Tensor = 1.0,
    seed: int | None = None,
) -> Tensor:
    """Values drawn uniformly from ``[minval, maxval)``, a new draw every run.

    ``dtype`` may be given positionally (the predecessor's form) and may be an int dtype
    (uniform ints); the bounds may be scalar tensors.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 3)
    >>> nn.random_uniform([nn.batch_dim, f], minval=-1.0, maxval=1.0).dims == (nn.batch_dim, f)
    True
    >>> nn.random_uniform([f], "int32", minval=0, maxval=5).dtype
    'int32'
    """
    dtype_ = _dtype(dtype, "float32")
    if not dtype_.startswith(("float", "int")):
        raise ValueError(f"random_uniform: dtype must be a float or int dtype, got {dtype_!r}")
    if not isinstance(minval, Tensor) and not isinstance(maxval, Tensor) and not minval < maxval:
        raise ValueError(
            f"random_uniform: minval {minval} must be below maxval {maxval} (at {user_location()})"
        )
    options: dict[str, Any] = {
        "distribution": "uniform",
        "minval": _bound(minval, "random_uniform", "minval", dtype_),
        "maxval": _bound(maxval, "random_uniform", "maxval", dtype_),
    }
    if seed is not None:
        options["seed"] = int(seed)
    return _random(dims, "random_uniform", dtype_, options)


def random_normal(
    dims: Sequence[Dim],
    dtype: str | type[NotSpecified] = "float32",
    *,
    mean: float | Tensor = 0.0,
    stddev: float | Tensor = 1.0,
    seed: int | None = None,
) -> Tensor:
    """Values drawn from a normal distribution with ``mean`` and ``stddev`` (numbers or
    scalar tensors; ``dtype`` may be given positionally).

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.random_normal([nn.FeatureDim("f", 3)], stddev=0.1).dtype
    'float32'
    """
    dtype_ = _float_dtype(_dtype(dtype, "float32"), "random_normal")
    if not isinstance(stddev, Tensor) and stddev < 0:
        raise ValueError(f"random_normal: stddev must be >= 0, got {stddev} (at {user_location()})")
    options: dict[str, Any] = {
        "distribution": "normal",
        "mean": _bound(mean, "random_normal", "mean", dtype_),
        "stddev": _bound(stddev, "random_normal", "stddev", dtype_),
    }
    if seed is not None:
        options["seed"] = int(seed)
    return _random(dims, "random_normal", dtype_, options)


def random_bernoulli(dims: Sequence[Dim], *, p: float = 0.5, seed: int | None = None) -> Tensor:
    """Bool values that are True with probability ``p``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.random_bernoulli([nn.FeatureDim("f", 3)], p=0.2).dtype
    'bool'
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_bernoulli: p must be in [0, 1], got {p} (at {user_location()})")
    uniform = random_uniform(dims, seed=seed)
    return compare(uniform, float(p), kind="less")
