"""Normalization layers: ``LayerNorm`` and ``BatchNorm`` with rc-nn's own parameters.

RETURNN's ``norm`` layer normalizes over axes; with ``scale=False, bias=False``
it creates no variables, so the scale and bias are our ``nn.Parameter`` s and
their names follow the attribute paths (rule N3).
"""

from __future__ import annotations

from typing import Any

from ._dims import Dim
from ._layer_checks import require_dim, require_float
from ._module import Module
from ._parameter import Parameter
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor

__all__ = ["LayerNorm"]


def _normalize(x: Tensor, axes: list[Dim], epsilon: float, name_hint: str) -> Tensor:
    """RETURNN ``norm`` without its own parameters: ``(x - mean) / sqrt(var + eps)`` over ``axes``."""
    layer: dict[str, Any] = {
        "class": "norm",
        "from": x,
        "axis": axes[0] if len(axes) == 1 else list(axes),
        "scale": False,
        "bias": False,
        "epsilon": float(epsilon),
    }
    return make_layer_tensor(layer, x.data, name_hint=name_hint)


class LayerNorm(Module):
    """Layer normalization over ``in_dim``, parameters ``scale`` (ones) and ``bias`` (zeros).

    Emits three RETURNN layers: ``norm`` (without its own variables), ``* scale``, ``+ bias``.

    Example:
        >>> import rc_nn as nn
        >>> [name for name, _ in nn.LayerNorm(nn.FeatureDim("d", 4)).named_parameters()]
        ['scale', 'bias']
    """

    def __init__(self, in_dim: Dim, *, eps: float = 1e-6) -> None:
        super().__init__()
        if not isinstance(in_dim, Dim):
            raise TypeError(f"LayerNorm: in_dim must be an nn.Dim, got {in_dim!r}")
        if not eps > 0.0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.in_dim = in_dim
        self.eps = eps
        self.scale = Parameter([in_dim], initial=1.0)
        self.bias = Parameter([in_dim], initial=0.0)

    def forward(self, x: Tensor) -> Tensor:
        """Normalize over ``in_dim``, then scale and shift."""
        x = as_tensor(x, "LayerNorm")
        what = f"LayerNorm({_dim_str(self.in_dim)})"
        require_dim(x, self.in_dim, what)
        require_float(x, what)
        normed = _normalize(x, [self.in_dim], self.eps, "norm")
        return normed * self.scale + self.bias
