"""Parametrized basic layers: ``Linear``, ``Embedding`` (``LayerNorm`` is in ``_norm``)."""

from __future__ import annotations

from typing import Any

from ._array import dot
from ._dim_ops import replace_dim
from ._dim_sites import lookalike_dims_note
from ._dims import Dim
from ._errors import DimMismatchError
from ._init import Glorot
from ._module import Module
from ._parameter import Parameter
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["Embedding", "Linear"]


def _require_dim(x: Tensor, dim: Dim, what: str) -> None:
    if dim not in x.dims:
        fix = "Pass a tensor with this dim, or build the layer with the input's dim."
        if x.sparse_dim is not None and x.sparse_dim == dim and what.startswith("Linear"):
            # Old predecessor code (before returnn_common's Embedding, March 2023) fed
            # sparse indices to nn.Linear.
            fix = (
                f"The input holds indices into {_dim_str(dim)} (sparse): use "
                f"nn.Embedding({_dim_str(dim)}, out_dim) for a lookup (returnn_common's "
                "Linear took sparse input before it had Embedding; an Embedding has no bias)."
            )
        raise DimMismatchError(
            f"{what}: the input {x!r} has no dim {_dim_str(dim)} "
            f"(its dims: {', '.join(_dim_str(d) for d in x.dims)}; called at {user_location(3)}). "
            + fix
            + lookalike_dims_note([dim, *x.dims])
        )


class Linear(Module):
    """Affine transform ``x @ weight + bias`` over ``in_dim`` into ``out_dim``.

    Parameters ``weight`` [in_dim, out_dim] (Glorot uniform) and ``bias`` [out_dim] (zeros).
    ``in_dim`` may be ``out_dim`` itself (a square projection); the weight's first
    axis is then a separate dim ``"<in>:in"`` of the same size.

    Examples
    --------
    >>> import rc_nn as nn
    >>> lin = nn.Linear(nn.FeatureDim("in", 3), nn.FeatureDim("out", 4))
    >>> [name for name, _ in lin.named_parameters()]
    ['weight', 'bias']
    """

    def __init__(self, in_dim: Dim, out_dim: Dim, *, with_bias: bool = True) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = out_dim
        # in_dim == out_dim (e.g. a model-dim to model-dim projection): the weight's input
        # axis is a separate dim of the same size, and the input is renamed to it first.
        self._weight_in_dim = (
            Dim(in_dim.dimension, name=f"{in_dim.description}:in", kind=in_dim.kind)
            if in_dim == out_dim
            else in_dim
        )
        self.weight = Parameter([self._weight_in_dim, out_dim], initial=Glorot())
        self.with_bias = with_bias
        if with_bias:
            self.bias = Parameter([out_dim], initial=0.0)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` with ``in_dim`` replaced by ``out_dim``."""
        x = as_tensor(x, "Linear")
        what = f"Linear({_dim_str(self.in_dim)} -> {_dim_str(self.out_dim)})"
        _require_dim(x, self.in_dim, what)
        # The weight may have been replaced by another Linear's (aliased parameters): reduce
        # over the input axis of the weight actually held, not the one made in __init__.
        weight_in, *weight_out = self.weight.dims
        if weight_out != [self.out_dim] or weight_in.dimension != self.in_dim.dimension:
            raise DimMismatchError(
                f"{what}: its weight {self.weight!r} has dims {', '.join(_dim_str(d) for d in self.weight.dims)}, "
                f"expected [{_dim_str(self.in_dim)}, {_dim_str(self.out_dim)}] (called at {user_location(3)}). "
                "Assign a weight of a Linear with the same in_dim and out_dim."
                + lookalike_dims_note([*self.weight.dims, self.in_dim, self.out_dim])
            )
        if x.feature_dim == self.in_dim:
            return self._linear_layer(x)
        if weight_in is not self.in_dim:
            x, _ = replace_dim(x, in_dim=self.in_dim, out_dim=weight_in)
        if self.with_bias and len(x.dims) == 2 and x.dims[0] is weight_in:
            # x is [in, other]: RETURNN's dot would run a transposed 2-d matmul, and TF's
            # oneDNN graph rewrite fuses it with the bias add into a kernel that rejects
            # the broadcast [1, out] bias ("bias must be 1-dimensional", at run time;
            # docs/returnn-notes.md). With the weight first the matmul gives [out, other],
            # whose bias add is not fused. Same numbers, the output dims just come in
            # that order (dims are named).
            out = dot(self.weight, x, reduce=weight_in)
        else:
            out = dot(x, self.weight, reduce=weight_in)
        if self.with_bias:
            out = out + self.bias
        return out

    def _linear_layer(self, x: Tensor) -> Tensor:
        """One RETURNN ``linear`` layer over the feature dim ``in_dim``, on our parameters.

        ``reuse_params`` hands the layer our ``weight`` and ``bias`` as its ``W`` and
        ``b`` (the outputs of their ``variable`` layers), so it creates no variables of
        its own. Same numbers as ``dot`` + bias add, but one layer instead of two or
        three (a square weight needs no renamed input axis: ``linear`` checks sizes only).
        The layer states ``in_dim``, so RETURNN transforms that axis whichever it takes for
        the input's feature axis.
        """
        params: dict[str, Any] = {"W": {"layer_output": self.weight}}
        if self.with_bias:
            params["b"] = {"layer_output": self.bias}
        layer: dict[str, Any] = {
            "class": "linear",
            "from": x,
            # in_dim stated: RETURNN's linear layer transforms its input's feature axis, and
            # RETURNN's choice of that axis may differ from ours (e.g. after slice_nd it
            # takes the new window dim): it then replaced another dim, and a square Linear
            # gave out_dim twice (fuzz-found). With in_dim it takes that axis.
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "with_bias": self.with_bias,
            "reuse_params": {"map": params},
        }
        dims = [self.out_dim if d == self.in_dim else d for d in x.dims]
        template = make_template(dims, self.weight.dtype, feature_dim=self.out_dim)
        return make_layer_tensor(layer, template, name_hint="linear")


class Embedding(Module):
    """Lookup table: sparse indices into ``in_dim`` become vectors of ``out_dim``.

    Parameter ``weight`` [in_dim, out_dim].

    Examples
    --------
    >>> import rc_nn as nn
    >>> emb = nn.Embedding(nn.FeatureDim("vocab", 10), nn.FeatureDim("emb", 4))
    >>> [name for name, _ in emb.named_parameters()]
    ['weight']
    """

    def __init__(self, in_dim: Dim, out_dim: Dim) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.weight = Parameter([in_dim, out_dim], initial=Glorot())

    def forward(self, x: Tensor) -> Tensor:
        """Vectors for the indices ``x`` (sparse_dim ``in_dim``)."""
        x = as_tensor(x, "Embedding")
        if x.sparse_dim is None or x.sparse_dim != self.in_dim:
            raise DimMismatchError(
                f"Embedding({_dim_str(self.in_dim)}): the input {x!r} must be indices with "
                f"sparse_dim {_dim_str(self.in_dim)} (called at {user_location(2)})"
                + lookalike_dims_note([self.in_dim, x.sparse_dim, *x.dims])
            )
        dims = [*x.dims, self.out_dim]
        layer = {"class": "gather", "from": self.weight, "position": x, "axis": self.in_dim}
        return make_layer_tensor(
            layer,
            make_template(dims, self.weight.dtype, feature_dim=self.out_dim),
            name_hint="gather",
        )
