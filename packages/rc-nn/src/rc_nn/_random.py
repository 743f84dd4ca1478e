"""Random tensors (RETURNN ``random`` layer): uniform, normal, Bernoulli."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from returnn.tensor import Dim

from ._dimargs import as_dims
from ._tensor import Tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["random_bernoulli", "random_normal", "random_uniform"]


def _random(dims: Sequence[Dim], what: str, dtype: str, options: dict[str, Any]) -> Tensor:
    dims_ = as_dims(dims, what, "dims", allow_empty=True)
    layer: dict[str, Any] = {"class": "random", "shape": dims_, "dtype": dtype, **options}
    return make_layer_tensor(layer, make_template(dims_, dtype), name_hint=what)


def _float_dtype(dtype: str, what: str) -> str:
    if not dtype.startswith("float"):
        raise ValueError(
            f"{what}: dtype must be a float dtype, got {dtype!r} (at {user_location()})"
        )
    return dtype


def random_uniform(
    dims: Sequence[Dim],
    *,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: str = "float32",
    seed: int | None = None,
) -> Tensor:
    """Values drawn uniformly from ``[minval, maxval)``, a new draw every run.

    Example:
        >>> import rc_nn as nn
        >>> f = nn.FeatureDim("f", 3)
        >>> nn.random_uniform([nn.batch_dim, f], minval=-1.0, maxval=1.0).dims == (nn.batch_dim, f)
        True
    """
    if not minval < maxval:
        raise ValueError(
            f"random_uniform: minval {minval} must be below maxval {maxval} (at {user_location()})"
        )
    options: dict[str, Any] = {
        "distribution": "uniform",
        "minval": float(minval),
        "maxval": float(maxval),
    }
    if seed is not None:
        options["seed"] = int(seed)
    return _random(dims, "random_uniform", _float_dtype(dtype, "random_uniform"), options)


def random_normal(
    dims: Sequence[Dim],
    *,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: str = "float32",
    seed: int | None = None,
) -> Tensor:
    """Values drawn from a normal distribution with ``mean`` and ``stddev``.

    Example:
        >>> import rc_nn as nn
        >>> nn.random_normal([nn.FeatureDim("f", 3)], stddev=0.1).dtype
        'float32'
    """
    if stddev < 0:
        raise ValueError(f"random_normal: stddev must be >= 0, got {stddev} (at {user_location()})")
    options: dict[str, Any] = {
        "distribution": "normal",
        "mean": float(mean),
        "stddev": float(stddev),
    }
    if seed is not None:
        options["seed"] = int(seed)
    return _random(dims, "random_normal", _float_dtype(dtype, "random_normal"), options)


def random_bernoulli(dims: Sequence[Dim], *, p: float = 0.5, seed: int | None = None) -> Tensor:
    """Bool values that are True with probability ``p``.

    Example:
        >>> import rc_nn as nn
        >>> nn.random_bernoulli([nn.FeatureDim("f", 3)], p=0.2).dtype
        'bool'
    """
    from ._math import compare

    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_bernoulli: p must be in [0, 1], got {p} (at {user_location()})")
    uniform = random_uniform(dims, seed=seed)
    return compare(uniform, float(p), kind="less")
