"""Weight reparametrizations of the predecessor: ``weight_norm``, ``weight_dropout``,
``variational_weight_noise``.

Each replaces a parameter attribute of a module by a tensor computed from new
parameters (or from the old one), before the module is called; the module's own code
is unchanged. The parameter names are the predecessor's: ``weight_norm`` gives
``<name>_normalized.g`` / ``<name>_normalized.v``; the other two keep the original
parameter as ``<name>_raw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy
from returnn.tensor import Dim
from returnn.util.basic import NotSpecified

from ._array import dropout as dropout_
from ._array import reduce
from ._compat_ops import train_flag
from ._cond import Cond
from ._dim_sites import lookalike_dims_note
from ._errors import RcNnError
from ._init import VarianceScaling
from ._math import rsqrt, sqrt, square
from ._module import Module
from ._parameter import Parameter
from ._rand_module import Random
from ._tensor import Tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = [
    "WeightNorm",
    "remove_weight_norm",
    "variational_weight_noise",
    "weight_dropout",
    "weight_norm",
]

ModuleT = TypeVar("ModuleT", bound=Module)


def _parameter_attr(module: Module, name: str, what: str) -> Parameter:
    if not isinstance(module, Module):
        raise TypeError(f"{what}: expected an nn.Module, got {type(module).__name__}")
    weight = module.__dict__.get(name)
    if not isinstance(weight, Parameter):
        got = "nothing" if weight is None else repr(weight)
        raise RcNnError(
            f"{what}: {type(module).__name__}.{name} must be an nn.Parameter, got {got} "
            f"(at {user_location(3)}); apply it once per parameter, before calling the module"
        )
    return weight


class WeightNorm(Module):
    """A weight-normalized parameter: ``v * g / ||v||`` with the norm over all dims of
    ``v`` except ``dim`` (see :func:`weight_norm`). Parameters ``g`` [dim] and ``v``
    (the weight's dims).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 4)
    >>> lin = nn.Linear(a, b)
    >>> _ = nn.weight_norm(lin, "weight", dim=b)
    >>> [n for n, _ in lin.named_parameters()]
    ['bias', 'weight_normalized.g', 'weight_normalized.v']
    """

    def __init__(self, weight: Parameter, dim: Dim | None, eps: float = 1e-6) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.g = Parameter([dim] if dim is not None else [], weight.dtype)
        self.v = Parameter(list(weight.dims), weight.dtype)
        self.norm_axes = [d for d in weight.dims if d is not dim]
        initial = weight.initial
        self.weight_initial = initial  # for remove_weight_norm
        if isinstance(initial, VarianceScaling):
            # As the predecessor: v and g start from one static random draw (RETURNN
            # `random` layer with `static=True`), v at the draw and g at its norm, so
            # that w == v at the start, whatever order RETURNN initializes them in.
            shape = tuple(int(d.dimension) for d in weight.dims if d.dimension is not None)
            layer = {
                "class": "random",
                "shape": list(weight.dims),
                "dtype": weight.dtype,
                "static": True,
                **initial.random_layer_options(shape),
            }
            initial = make_layer_tensor(
                layer, make_template(list(weight.dims), weight.dtype), name_hint="random"
            )
        self.v.initial = initial
        if isinstance(initial, int | float) and not isinstance(initial, bool):
            # the predecessor's g for a constant initial value (it treats it as a scalar)
            self.g.initial = float(numpy.sqrt(float(initial) ** 2 + eps))
        elif isinstance(initial, numpy.ndarray):
            axes = tuple(i for i, d in enumerate(weight.dims) if d is not dim)
            self.g.initial = numpy.sqrt(numpy.sum(numpy.square(initial), axis=axes) + eps).astype(
                initial.dtype
            )
        elif isinstance(initial, Tensor):
            self.g.initial = self._norm(initial)
        else:  # no initial value (RETURNN's default 0), as the predecessor
            self.g.initial = 1.0

    def forward(self) -> Tensor:
        """The weight ``v * g / sqrt(sum(v**2) + eps)``."""
        return self.compute_weight()

    def _norm_sq(self, v: Tensor) -> Tensor:
        if not self.norm_axes:
            return square(v)
        return reduce(square(v), mode="sum", axis=self.norm_axes)

    def _norm(self, v: Tensor) -> Tensor:
        """``sqrt(sum(v**2) + eps)`` over all dims but ``dim`` (the initial ``g``)."""
        return sqrt(self._norm_sq(v) + self.eps)

    def compute_weight(self) -> Tensor:
        """The weight computed from ``g`` and ``v``."""
        v: Tensor = self.v
        return v * (self.g * rsqrt(self._norm_sq(v) + self.eps))


def weight_norm(
    module: ModuleT,
    name: str = "weight",
    dim: Dim | type[NotSpecified] | None = NotSpecified,
) -> WeightNorm:
    """Weight normalization (Salimans & Kingma 2016) of ``module.<name>``.

    The parameter is replaced by ``module.<name>_normalized`` (a :class:`WeightNorm`
    with parameters ``g`` and ``v``) and ``module.<name>`` becomes the computed weight
    ``v * g / ||v||``. The norm is over all dims but ``dim`` (default: the weight's
    feature dim, i.e. per output unit for ``nn.Linear``; ``None``: one norm over the
    whole tensor). Returns the :class:`WeightNorm`, as the predecessor did.

    Call it before the module is used. The weight is computed once, where this is
    called (outside any loop or cond), and read by every call of the module.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 4)
    >>> lin = nn.Linear(a, b)
    >>> wn = nn.weight_norm(lin)
    >>> wn.g.dims == (b,)
    True
    """
    weight = _parameter_attr(module, name, "weight_norm")
    if f"{name}_normalized" in module.__dict__:
        raise RcNnError(
            f"weight_norm: {type(module).__name__}.{name} is already weight-normalized "
            f"(at {user_location()})"
        )
    dim_: Dim | None = weight.feature_dim if dim is NotSpecified else dim
    if dim_ is not None and dim_ not in weight.dims:
        raise RcNnError(
            f"weight_norm: dim {dim_!r} is not a dim of {weight!r} (at {user_location()})"
            + lookalike_dims_note([dim_, *weight.dims])
        )
    fn = WeightNorm(weight, dim_)
    delattr(module, name)
    setattr(module, f"{name}_normalized", fn)
    setattr(module, name, fn.compute_weight())
    return fn


def remove_weight_norm(module: ModuleT, name: str = "weight") -> ModuleT:
    """Undo :func:`weight_norm`: ``module.<name>`` is a plain parameter again, with the
    original initializer.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 4)
    >>> lin = nn.Linear(a, b)
    >>> _ = nn.weight_norm(lin)
    >>> [n for n, _ in nn.remove_weight_norm(lin).named_parameters()]
    ['bias', 'weight']
    """
    fn = module.__dict__.get(f"{name}_normalized")
    if not isinstance(fn, WeightNorm):
        raise RcNnError(
            f"remove_weight_norm: {type(module).__name__}.{name} is not weight-normalized "
            f"(at {user_location()})"
        )
    delattr(module, name)
    delattr(module, f"{name}_normalized")
    param = Parameter(list(fn.v.dims), fn.v.dtype)
    param.initial = fn.weight_initial
    setattr(module, name, param)
    return module


def weight_dropout(
    module: ModuleT,
    name: str,
    dropout: float,
    *,
    axis: Dim | Sequence[Dim] | None = None,
) -> ModuleT:
    """Dropout on the parameter ``module.<name>`` (in training; kept as ``<name>_raw``).

    ``axis``: the dims the dropout mask varies over (default: all dims of the weight,
    i.e. each weight entry is dropped on its own), as :func:`rc_nn.dropout`.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 4)
    >>> lin = nn.weight_dropout(nn.Linear(a, b), "weight", 0.1)
    >>> [n for n, _ in lin.named_parameters()]
    ['bias', 'weight_raw']
    """
    weight = _parameter_attr(module, name, "weight_dropout")
    if f"{name}_raw" in module.__dict__:
        raise RcNnError(f"weight_dropout: {type(module).__name__}.{name}_raw already exists")
    if not axis:
        axis = list(weight.dims)
    setattr(module, f"{name}_raw", weight)
    setattr(module, name, dropout_(weight, dropout, axis=axis))
    return module


def variational_weight_noise(module: ModuleT, name: str, weight_noise_std: float) -> ModuleT:
    """Gaussian noise with ``weight_noise_std`` added to ``module.<name>`` in training
    (an ``nn.Cond`` on the train flag; kept as ``<name>_raw``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 3), nn.FeatureDim("b", 4)
    >>> lin = nn.variational_weight_noise(nn.Linear(a, b), "weight", 0.01)
    >>> [n for n, _ in lin.named_parameters()]
    ['bias', 'weight_raw']
    """
    if not weight_noise_std > 0:
        raise ValueError(
            f"variational_weight_noise: weight_noise_std must be > 0, got {weight_noise_std!r}"
        )
    weight = _parameter_attr(module, name, "variational_weight_noise")
    if f"{name}_raw" in module.__dict__:
        raise RcNnError(
            f"variational_weight_noise: {type(module).__name__}.{name}_raw already exists"
        )
    setattr(module, f"{name}_raw", weight)
    with Cond(train_flag()) as cond:
        noise = Random().normal(list(weight.dims), weight.dtype, stddev=weight_noise_std)
        cond.true = weight + noise
        cond.false = weight
    setattr(module, name, cond.result)
    return module
