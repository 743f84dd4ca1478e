"""``Parameter``: a trainable (or auxiliary) variable, named by its canonical attribute path."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy
from returnn.tensor import Dim

import rc_naming

from ._control import block_of
from ._errors import DimMismatchError, RcNnError
from ._init import VarianceScaling
from ._tensor import Tensor, _dim_str, iter_tensors, make_template
from ._userloc import creation_site, user_location

__all__ = ["Parameter"]

InitialValue = float | int | numpy.ndarray | VarianceScaling | Tensor | None


class Parameter(Tensor):
    """A model parameter: a RETURNN ``variable`` layer whose TF name is its canonical path.

    Its name is not chosen here: it is the attribute chain from the root module
    (rule N3), resolved at serialization.

    Examples
    --------
    >>> import rc_nn as nn
    >>> w = nn.Parameter([nn.FeatureDim("in", 3), nn.FeatureDim("out", 4)])
    >>> w.initial = nn.init.Glorot()
    >>> w.trainable
    True

    ``initial`` may also be a tensor with the parameter's dims and dtype, computed outside
    any loop or cond and not from parameters (RETURNN's ``init_by_layer``: the variable
    starts at that tensor's value; RETURNN initializes variables in no fixed order, so
    reading another variable is refused). E.g. ``g`` of :func:`rc_nn.weight_norm` starts
    at the norm of the static random draw that ``v`` starts at.
    """

    # Parameters carry a few more attributes than plain tensors.
    __slots__ = ("_initial", "auxiliary", "non_critical_for_restore", "trainable", "weight_decay")

    trainable: bool
    auxiliary: bool
    _initial: InitialValue
    weight_decay: float | None
    non_critical_for_restore: bool

    def __init__(
        self,
        dims: Sequence[Dim] | None = None,
        dtype: str | None = "float32",
        *,
        shape: Sequence[Dim] | None = None,
        trainable: bool | None = None,
        auxiliary: bool = False,
        initial: InitialValue = None,
        weight_decay: float | None = None,
        non_critical_for_restore: bool = False,
        sparse_dim: Dim | None = None,
    ) -> None:
        created_at = user_location(2)
        if (dims is None) == (shape is None):
            raise TypeError(
                f"Parameter at {created_at}: give the dims once, positionally or as shape= "
                "(the predecessor's name)"
            )
        if sparse_dim is not None:
            raise DimMismatchError(
                f"Parameter at {created_at}: sparse_dim is not supported: RETURNN's variable "
                "layer has no sparse dim (neither had the predecessor's nn.Parameter). Make an "
                "int parameter and read it through nn.set_sparse_dim(param, sparse_dim)."
            )
        if dtype is None:
            dtype = "float32"
        dims = list(dims if dims is not None else shape or ())
        for dim in dims:
            if not isinstance(dim, Dim):
                raise TypeError(
                    f"Parameter: dims must be nn.Dim objects, got {dim!r} (at {created_at})"
                )
            if dim.dimension is None:
                raise DimMismatchError(
                    f"Parameter with dims [{', '.join(_dim_str(d) for d in dims)}] at {created_at}: "
                    f"{_dim_str(dim)} is dynamic, but a parameter needs static dims. "
                    "Use nn.FeatureDim(name, size) for parameter dims."
                )
        if len(set(dims)) != len(dims):
            raise DimMismatchError(
                f"Parameter at {created_at}: the same dim appears twice in "
                f"[{', '.join(_dim_str(d) for d in dims)}]; create a second dim for the other axis"
            )
        root = rc_naming.current_root()
        feature = dims[-1] if dims else None
        super().__init__(
            make_template(dims, dtype, feature_dim=feature, name="param"),
            root=root,
            name_hint="param",
            created_at=created_at,
        )
        self.auxiliary = auxiliary
        self.trainable = (not auxiliary) if trainable is None else trainable
        self.initial = initial
        self.weight_decay = weight_decay
        self.non_critical_for_restore = non_critical_for_restore
        root.graph.add_node(
            self, label=f"Parameter[{', '.join(_dim_str(d) for d in dims)}]", created_at=created_at
        )

    @property
    def initial(self) -> InitialValue:
        """The initial value: a number, a numpy array, an initializer
        (:class:`rc_nn.init.VarianceScaling`), a tensor, or ``None`` (RETURNN's default 0).

        Examples
        --------
        >>> import rc_nn as nn
        >>> p = nn.Parameter([nn.FeatureDim("f", 2)])
        >>> p.initial = 0.5
        >>> p.initial
        0.5
        """
        return self._initial

    @initial.setter
    def initial(self, value: InitialValue) -> None:
        if isinstance(value, Tensor):
            _check_initial_tensor(self, value)
        self._initial = value

    def __repr__(self) -> str:
        dims = ", ".join(_dim_str(d) for d in self.dims)
        return f"<nn.Parameter [{dims}] {self.dtype} created at {self.created_at}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        # A copy is a new variable with the same spec; random initializers then
        # draw fresh values in RETURNN, constants are copied.
        if isinstance(self.initial, Tensor):
            raise RcNnError(
                f"cannot copy {self!r}: its initial value is the tensor {self.initial!r} "
                f"(created at {self.initial.created_at}), which a copy cannot re-create; set the "
                "copy's initial value yourself (copy a parameter with a numeric initial value)"
            )
        new = Parameter(
            self.dims,
            self.dtype,
            trainable=self.trainable,
            auxiliary=self.auxiliary,
            initial=copy.deepcopy(self.initial, memo),
            weight_decay=self.weight_decay,
            non_critical_for_restore=self.non_critical_for_restore,
        )
        memo[id(self)] = new
        new.created_at = creation_site(new)
        new.root.graph.add_node(new, created_at=new.created_at)
        return new

    def variable_layer_options(self) -> dict[str, Any]:
        """The RETURNN ``variable`` layer options (without naming options).

        Deprecated: rc-serialize writes this spelling from the parameter's build record
        (``rc_nn.ParamRecord``); kept for existing callers.

        Examples
        --------
        >>> import rc_nn as nn
        >>> p = nn.Parameter([nn.FeatureDim("f", 2)], initial=1.0)
        >>> p.variable_layer_options()["init"]
        1.0
        """
        opts: dict[str, Any] = {"class": "variable", "shape": list(self.dims)}
        if self.dtype != "float32":
            opts["dtype"] = self.dtype
        if not self.trainable:
            opts["trainable"] = False
        initial = self.initial
        if isinstance(initial, VarianceScaling):
            opts["init"] = initial.to_returnn()
        elif isinstance(initial, Tensor):
            opts["init_by_layer"] = initial
        elif isinstance(initial, numpy.ndarray):
            if initial.shape != tuple(d.dimension for d in self.dims):
                raise DimMismatchError(
                    f"{self!r}: initial array has shape {initial.shape}, "
                    f"but the parameter has shape {tuple(d.dimension for d in self.dims)}"
                )
            opts["init"] = initial
        elif initial is not None:
            opts["init"] = float(initial) if self.dtype.startswith("float") else int(initial)
        if self.weight_decay:
            opts["L2"] = float(self.weight_decay)
        if self.non_critical_for_restore:
            opts["non_critical_for_restore"] = True
        return opts


def _check_initial_tensor(param: Parameter, value: Tensor) -> None:
    """A tensor as initial value: same root, dims and dtype; not inside a loop or cond."""
    where = user_location(3)
    rc_naming.check_same_root(
        param.root, value.root, what=f"initial value {value!r} of {param!r} (at {where})"
    )
    if set(value.dims) != set(param.dims) or len(value.dims) != len(param.dims):
        raise DimMismatchError(
            f"initial value of {param!r} at {where}: the tensor has dims "
            f"[{', '.join(_dim_str(d) for d in value.dims)}], the parameter "
            f"[{', '.join(_dim_str(d) for d in param.dims)}]; they must be the same dims"
        )
    if value.dtype != param.dtype:
        raise DimMismatchError(
            f"initial value of {param!r} at {where}: dtype {value.dtype}, the parameter "
            f"{param.dtype}; cast it with nn.cast(x, {param.dtype!r})"
        )
    seen: set[int] = set()
    stack = [value]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if isinstance(tensor, Parameter):
            raise RcNnError(
                f"initial value of {param!r} at {where}: {value!r} is computed from the "
                f"parameter {tensor!r}; RETURNN initializes variables in no fixed order, so an "
                "initial value must not read a parameter. Compute it from the same constant or "
                "random tensor that parameter starts at."
            )
        if tensor.parent is not None:
            stack.append(tensor.parent)
        if tensor.layer_dict is not None:
            stack.extend(iter_tensors(list(tensor.layer_dict.values())))
    block = block_of(value)
    if block is not None:
        raise RcNnError(
            f"initial value of {param!r} at {where}: {value!r} belongs to {block.describe()}; "
            "a parameter's initial value must be computed outside any loop or cond"
        )
