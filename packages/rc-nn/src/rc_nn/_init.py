"""Parameter initializers, emitted as RETURNN ``init`` options (no extra layers at runtime)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = [
    "Glorot",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Initializer",
    "VarianceScaling",
]


@dataclasses.dataclass(frozen=True)
class VarianceScaling:
    """Variance scaling initialization (TF's ``VarianceScaling``), fan computed from the param dims.

    The fan of a parameter with dims ``(..., in, out)`` is as in TF: ``in`` (times
    the receptive field of leading dims) and ``out``.

    Examples
    --------
    >>> VarianceScaling(scale=2.0, mode="fan_in").to_returnn()["mode"]
    'fan_in'
    """

    scale: float = 1.0
    mode: str = "fan_in"  # "fan_in", "fan_out", "fan_avg"
    distribution: str = "truncated_normal"  # "uniform", "truncated_normal", "untruncated_normal"

    def __post_init__(self) -> None:
        if self.mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {self.mode!r}"
            )
        if self.distribution not in ("uniform", "truncated_normal", "untruncated_normal", "normal"):
            raise ValueError(
                "VarianceScaling: distribution must be uniform, truncated_normal or "
                f"untruncated_normal, got {self.distribution!r}"
            )
        if self.scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {self.scale!r}")

    def random_layer_options(self, shape: tuple[int, ...]) -> dict[str, Any]:
        """RETURNN ``random`` layer options drawing this initializer's values for a
        parameter of ``shape`` (fans as TF computes them), as the predecessor drew them.

        Examples
        --------
        >>> GlorotUniform().random_layer_options((2, 4))["maxval"]
        1.0
        """
        if not shape:
            fan_in = fan_out = 1.0
        elif len(shape) == 1:
            fan_in = fan_out = float(shape[0])
        else:
            receptive = float(math.prod(shape[:-2]))
            fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return {"distribution": "uniform", "minval": -limit, "maxval": limit}
        if self.distribution in ("truncated_normal", "normal"):  # TF: "normal" is truncated
            # stddev of a standard normal truncated to [-2, 2]
            std = math.sqrt(scale) / 0.87962566103423978
            return {"distribution": "truncated_normal", "mean": 0.0, "stddev": std}
        return {"distribution": "normal", "mean": 0.0, "stddev": math.sqrt(scale)}

    def to_returnn(self) -> dict[str, Any]:
        """The RETURNN ``init`` option (a TF initializer config dict)."""
        return {
            "class": "VarianceScaling",
            "scale": float(self.scale),
            "mode": self.mode,
            "distribution": self.distribution,
        }


def GlorotUniform(scale: float = 1.0) -> VarianceScaling:
    """Glorot/Xavier uniform.

    Examples
    --------
    >>> GlorotUniform().mode
    'fan_avg'
    """
    return VarianceScaling(scale=scale, mode="fan_avg", distribution="uniform")


def GlorotNormal(scale: float = 1.0) -> VarianceScaling:
    """Glorot/Xavier normal (truncated)."""
    return VarianceScaling(scale=scale, mode="fan_avg", distribution="truncated_normal")


def HeUniform(scale: float = 2.0) -> VarianceScaling:
    """He/Kaiming uniform."""
    return VarianceScaling(scale=scale, mode="fan_in", distribution="uniform")


def HeNormal(scale: float = 2.0) -> VarianceScaling:
    """He/Kaiming normal (truncated)."""
    return VarianceScaling(scale=scale, mode="fan_in", distribution="truncated_normal")


Glorot = GlorotUniform
Initializer = VarianceScaling
