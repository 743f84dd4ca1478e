"""Normalization layers: ``LayerNorm`` and ``BatchNorm`` with rc-nn's own parameters.

Both use RETURNN's fused layer (``layer_norm``, ``batch_norm``), which always
creates its variables itself (``<layer>/scale``, ``<layer>/batch_norm/v2_mean``
etc.). Its generic ``reuse_params`` option maps
each of them to the output of another layer (``{"layer_output": ...}``); the
output of a ``variable`` layer is the ``tf.Variable`` itself, so RETURNN's
running-statistics updates (``assign_add``) write into our auxiliary
parameters. No names of RETURNN's choosing remain: the scale, bias and statistics
are our ``nn.Parameter`` s, named by their attribute paths (rule N3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._array import reduce, stop_gradient
from ._dims import Dim
from ._errors import DimMismatchError
from ._layer_checks import require_dim, require_float
from ._math import rsqrt, square
from ._module import Module
from ._parameter import Parameter
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["BatchNorm", "LayerNorm", "Normalize", "moments", "normalize"]


def _axes(axis: Dim | Sequence[Dim], what: str) -> list[Dim]:
    axes = [axis] if isinstance(axis, Dim) else list(axis)
    if not axes or not all(isinstance(d, Dim) for d in axes):
        raise TypeError(f"{what}: axis must be an nn.Dim or a list of them, got {axis!r}")
    return axes


def moments(x: Tensor, axis: Dim | Sequence[Dim]) -> tuple[Tensor, Tensor]:
    """Mean and variance of ``x`` over ``axis`` (padding frames excluded), as the predecessor.

    The variance is ``mean((x - stop_gradient(mean))^2)`` (the same gradient).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    >>> mean, var = nn.moments(nn.zeros([nn.batch_dim, time, f]), axis=f)
    >>> mean.dims_set() == var.dims_set() == {nn.batch_dim, time}
    True
    """
    axes = _axes(axis, "moments")
    x = as_tensor(x, "moments")
    mean = reduce(x, mode="mean", axis=axes)
    variance = reduce(square(x - stop_gradient(mean)), mode="mean", axis=axes)
    return mean, variance


def normalize(a: Tensor, *, axis: Dim | Sequence[Dim], epsilon: float = 1e-6) -> Tensor:
    """``(a - mean) / sqrt(variance + epsilon)`` over ``axis`` (see ``moments``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 3)
    >>> nn.normalize(nn.zeros([nn.batch_dim, f]), axis=f).dims_set() == {nn.batch_dim, f}
    True
    """
    if not epsilon > 0.0:
        raise ValueError(f"normalize: epsilon must be positive, got {epsilon!r}")
    mean, variance = moments(a, axis=axis)
    return (as_tensor(a, "normalize") - mean) * rsqrt(variance + epsilon)


class Normalize(Module):
    """``normalize`` with a trainable ``scale`` (ones) and ``bias`` (zeros) of ``param_shape``.

    The predecessor's module: ``Normalize(param_shape=f)`` called as ``norm(x, axis=...)``
    (the statistics axis is given at call time). ``scale=False`` / ``bias=False`` leave
    the parameter out.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 3)
    >>> norm = nn.Normalize(param_shape=f)
    >>> [name for name, _ in norm.named_parameters()]
    ['scale', 'bias']
    >>> norm(nn.zeros([nn.batch_dim, f]), axis=f).dims_set() == {nn.batch_dim, f}
    True
    """

    def __init__(
        self,
        *,
        param_shape: Dim | Sequence[Dim],
        epsilon: float = 1e-6,
        scale: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        dims = _axes(param_shape, "Normalize param_shape")
        if not epsilon > 0.0:
            raise ValueError(f"Normalize: epsilon must be positive, got {epsilon!r}")
        self.epsilon = float(epsilon)
        self.param_shape = dims
        self.scale: Parameter | None = None
        if scale:
            self.scale = Parameter(dims, initial=1.0)
        self.bias: Parameter | None = Parameter(dims, initial=0.0) if bias else None

    def forward(self, a: Tensor, *, axis: Dim | Sequence[Dim]) -> Tensor:
        """Normalize ``a`` over ``axis``, then scale and shift."""
        a = as_tensor(a, "Normalize")
        for dim in self.param_shape:
            if dim not in a.dims:
                raise DimMismatchError(
                    f"Normalize: the input {a!r} has no dim {_dim_str(dim)} of param_shape "
                    f"(called at {user_location(3)})"
                )
        out = normalize(a, axis=axis, epsilon=self.epsilon)
        if self.scale is not None:
            out = self.scale * out
        if self.bias is not None:
            out = out + self.bias
        return out


class LayerNorm(Module):
    """Layer normalization over ``in_dim``, parameters ``scale`` (ones) and ``bias`` (zeros).

    Emits one RETURNN ``layer_norm`` layer whose ``scale`` and ``bias`` variables are
    ours (``reuse_params``, as for ``BatchNorm`` below).

    Examples
    --------
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
        # RETURNN's layer_norm (mean and variance over in_dim, then * scale + bias) in one
        # layer; reuse_params hands it our parameters instead of creating its own.
        layer: dict[str, Any] = {
            "class": "layer_norm",
            "from": x,
            "in_dim": self.in_dim,
            "epsilon": float(self.eps),
            "reuse_params": {
                "map": {
                    "scale": {"layer_output": self.scale},
                    "bias": {"layer_output": self.bias},
                }
            },
        }
        return make_layer_tensor(layer, x.template, name_hint="layer_norm")


# RETURNN's batch_norm variable names (param_version 2), relative to the layer's scope.
_BN_MEAN, _BN_VAR = "batch_norm/v2_mean", "batch_norm/v2_variance"
_BN_GAMMA, _BN_BETA = "batch_norm/v2_gamma", "batch_norm/v2_beta"


class BatchNorm(Module):
    """Batch normalization over all dims but ``in_dim`` (RETURNN ``batch_norm``).

    Parameters: ``running_mean`` (zeros) and ``running_variance`` (ones), both
    auxiliary (not trained; updated by RETURNN with ``momentum`` whenever the
    layer runs in training), and with ``affine`` the trained ``gamma`` (ones)
    and ``beta`` (zeros). In training the statistics of the current batch are
    used; otherwise the running statistics. With ``use_mask`` the padding frames of
    the first dynamic dim (RETURNN masks one time axis) are excluded from the batch
    statistics; a tensor without dynamic dims (e.g. ``[batch, f]``) has none. For the
    masked statistics ``in_dim`` is moved after the other static dims, so the output
    can have the input's dims in another order.

    Examples
    --------
    >>> import rc_nn as nn
    >>> bn = nn.BatchNorm(nn.FeatureDim("d", 4))
    >>> [name for name, _ in bn.named_parameters()]
    ['running_mean', 'running_variance', 'gamma', 'beta']
    """

    def __init__(
        self,
        in_dim: Dim,
        *,
        affine: bool = True,
        momentum: float = 0.1,
        epsilon: float = 1e-3,
        use_mask: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(in_dim, Dim):
            raise TypeError(f"BatchNorm: in_dim must be an nn.Dim, got {in_dim!r}")
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f"BatchNorm: momentum must be in (0, 1], got {momentum!r}")
        if not epsilon > 0.0:
            raise ValueError(f"BatchNorm: epsilon must be positive, got {epsilon!r}")
        self.in_dim = in_dim
        self.affine = bool(affine)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.use_mask = bool(use_mask)
        self.running_mean = Parameter([in_dim], auxiliary=True, initial=0.0)
        self.running_variance = Parameter([in_dim], auxiliary=True, initial=1.0)
        if self.affine:
            self.gamma = Parameter([in_dim], initial=1.0)
            self.beta = Parameter([in_dim], initial=0.0)

    def forward(self, x: Tensor) -> Tensor:
        """Normalize ``x`` per ``in_dim`` entry; the dims of ``x`` (maybe reordered)."""
        x = as_tensor(x, "BatchNorm")
        what = f"BatchNorm({_dim_str(self.in_dim)})"
        require_dim(x, self.in_dim, what)
        require_float(x, what)
        # RETURNN's masked statistics (masked_time) flatten the batch and the time axis
        # together, which asserts a time axis: only where there is padding to exclude, i.e.
        # a dynamic dim next to the batch dim (without batch, a dynamic dim spans the
        # longest sequence and has no padding per sequence).
        masked = (
            self.use_mask
            and any(d.is_batch_dim() for d in x.dims)
            and any(d.dimension is None and not d.is_batch_dim() for d in x.dims)
        )
        if masked:
            x = _with_time_axis(_in_dim_last_static(x, self.in_dim))
        param_map: dict[str, Any] = {
            _BN_MEAN: {"layer_output": self.running_mean},
            _BN_VAR: {"layer_output": self.running_variance},
        }
        if self.affine:
            param_map[_BN_GAMMA] = {"layer_output": self.gamma}
            param_map[_BN_BETA] = {"layer_output": self.beta}
        layer: dict[str, Any] = {
            "class": "batch_norm",
            "from": x,
            "in_dim": self.in_dim,
            "use_shift": self.affine,
            "use_std": self.affine,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "masked_time": masked,
            "param_version": 2,
            "update_sample_only_in_training": True,
            "delay_sample_update": True,
            "reuse_params": {"map": param_map},
        }
        template = make_template(x.dims, x.dtype, feature_dim=self.in_dim)
        return make_layer_tensor(layer, template, name_hint="batch_norm")


def _in_dim_last_static(x: Tensor, in_dim: Dim) -> Tensor:
    """``x``, transposed if needed so that no static dim comes after ``in_dim``.

    RETURNN's masked batch statistics flatten batch and time into one axis, and the
    flattened tensor forgets the layer's feature axis (``copy_time_flattened`` falls
    back to the default: the last static axis). With another static dim after
    ``in_dim`` the moments are taken per entry of that dim and do not fit the statistics
    of ``in_dim`` (TF "Cannot reshape a tensor with N elements to shape [M]", in
    training only). Moving ``in_dim`` to the end avoids it; dims are named, so the order
    of the output does not matter.
    """
    index = x.dims.index(in_dim)
    if all(d.dimension is None for d in x.dims[index + 1 :]):
        return x
    dims = [d for d in x.dims if d != in_dim] + [in_dim]
    layer = {"class": "transpose", "from": x, "perm": dims}
    return make_layer_tensor(layer, make_template(dims, x.dtype), name_hint="transpose")


def _with_time_axis(x: Tensor) -> Tensor:
    """``x`` with its first dynamic dim stated as RETURNN's time axis (``reinterpret_data``).

    RETURNN masks the padding of its time axis only, and asserts one. Which dim that is
    follows RETURNN's per-layer rules, which rc does not track (e.g. ``merge_dims`` of
    the time dim and a static dim gives a dynamic dim but no time axis), so it is set
    here: the first dynamic spatial dim, else the first dynamic dim (RETURNN's default).
    """
    dynamic = [d for d in x.dims if d.dimension is None and not d.is_batch_dim()]
    spatial = [d for d in dynamic if d.is_spatial_dim()]
    time = (spatial or dynamic)[0]
    layer = {"class": "reinterpret_data", "from": x, "set_axes": {"T": time}}
    feature = x.feature_dim if x.feature_dim is not time else None
    template = make_template(x.dims, x.dtype, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="time_axis")
