"""Collect, part 2: the dependency walk; option values, dims and templates as plain data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
from returnn.tensor import Dim

from ._control import Block, BlockNet, ControlTensor, LayerNameOf
from ._errors import RcNnError
from ._parameter import Parameter
from ._record import (
    ArrayValue,
    BlockNetRef,
    DimRecord,
    DimRef,
    FrozenMap,
    LayerNameRef,
    LayerRef,
    SeqValue,
    TemplateRecord,
)
from ._tensor import Tensor

__all__ = ["BlockIds", "RecordValueError", "Values", "closure", "direct_deps"]


_SCALARS = frozenset({str, int, float, bool, type(None)})
# The tensor classes options hold most (exact type check first; subclasses still work).
_TENSORS = frozenset({Tensor, Parameter, ControlTensor})


def direct_deps(tensor: Tensor, named: list[Tensor] | None = None) -> list[Tensor]:
    """What the final pass must keep for ``tensor``, in the order a walk pushes them.

    ``named`` (if given) receives the tensors the options refer to besides values: dict
    keys and ``LayerNameOf`` targets.
    """
    deps: list[Tensor] = []
    if tensor.parent is not None:
        deps.append(tensor.parent)
    if tensor.layer_dict is not None:
        _walk(tensor.layer_dict, deps, [] if named is None else named)
    if isinstance(tensor, Parameter) and isinstance(tensor.initial, Tensor):
        deps.append(tensor.initial)  # the variable's init_by_layer
    if isinstance(tensor, ControlTensor):
        deps.extend(tensor.extra_deps)
        if tensor.alias is not None:
            deps.append(tensor.alias)
    return deps


def _walk(value: object, deps: list[Tensor], named: list[Tensor]) -> None:
    """The tensors among the values of ``value`` in order (as ``iter_tensors``), and the
    tensors it names otherwise (dict keys, ``LayerNameOf``)."""
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind in _TENSORS or isinstance(value, Tensor):
        deps.append(value)  # type: ignore[arg-type]  # a Tensor (exact type checked)
    elif kind is dict or isinstance(value, dict):
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str and isinstance(key, Tensor):
                named.append(key)
            if type(item) not in _SCALARS:
                _walk(item, deps, named)
    elif kind is list or kind is tuple or isinstance(value, list | tuple):
        for item in value:  # type: ignore[attr-defined]
            if type(item) not in _SCALARS:
                _walk(item, deps, named)
    elif isinstance(value, LayerNameOf):
        named.append(value.tensor)


def closure(roots: list[Tensor]) -> tuple[list[Tensor], dict[int, list[Tensor]]]:
    """Everything ``roots`` refer to, in creation order, and each tensor's direct deps."""
    seen: dict[int, Tensor] = {}
    deps: dict[int, list[Tensor]] = {}
    stack = list(roots)
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen[id(tensor)] = tensor
        named: list[Tensor] = []
        own = deps[id(tensor)] = direct_deps(tensor, named)
        stack.extend(own)
        stack.extend(named)
    return sorted(seen.values(), key=lambda t: t.seq), deps


class RecordValueError(RcNnError, TypeError):
    """A layer option holds an object the build record cannot represent as plain data.

    ``value`` is the object, ``where`` the layer (or other place) that holds it.

    Examples
    --------
    >>> RecordValueError("x", value=1j, where="layer y").where
    'layer y'
    """

    def __init__(self, message: str, *, value: object = None, where: str = "") -> None:
        super().__init__(message)
        self.value = value
        self.where = where


class BlockIds:
    """Dense ids of control-flow blocks in the order they are met (parents first)."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.blocks: list[Block] = []

    def __call__(self, block: Block) -> int:
        known = self.ids.get(id(block))
        if known is None:
            if block.parent is not None:
                self(block.parent)
            known = self.ids[id(block)] = len(self.blocks)
            self.blocks.append(block)
        return known


class Values:
    """Turns option values into the record's value language; numbers dims as they are met.

    ``dims[i]`` is the ``Dim`` of dim id ``i`` and ``records[i]`` its record.
    """

    def __init__(self, layer_ids: dict[int, int], block_id: Callable[[Block], int]) -> None:
        self.layer_ids = layer_ids
        self.block_id = block_id
        self.dim_ids: dict[int, int] = {}
        self.dims: list[Dim] = []
        self.records: list[DimRecord] = []
        self.templates: dict[tuple[Any, ...], TemplateRecord] = {}
        self.raw_templates: dict[tuple[Any, ...], TemplateRecord] = {}
        # One (frozen, equal) reference object per layer and per dim, shared by all uses.
        self.layer_refs: dict[int, LayerRef] = {}
        self.dim_refs: dict[int, DimRef] = {}

    def _map(self, value: dict[Any, Any], where: str | Tensor) -> FrozenMap[Any, Any]:
        pairs = []
        scalars, tensors, ids = _SCALARS, _TENSORS, self.layer_ids
        refs, dim_refs = self.layer_refs, self.dim_refs
        for key, item in value.items():
            if type(key) is not str and isinstance(key, Tensor):
                key = LayerRef(ids[id(key)])  # noqa: PLW2901
            kind = type(item)
            if kind in scalars:
                pairs.append((key, item))
            elif kind in tensors:  # the commonest option values inline: tensors and dims
                layer = ids[id(item)]
                ref = refs.get(layer)
                if ref is None:
                    ref = refs[layer] = LayerRef(layer)
                pairs.append((key, ref))
            elif kind is Dim:
                dim = self.dim(item)
                dim_ref = dim_refs.get(dim)
                if dim_ref is None:
                    dim_ref = dim_refs[dim] = DimRef(dim)
                pairs.append((key, dim_ref))
            else:
                pairs.append((key, self.value(item, where)))
        return FrozenMap(tuple(pairs))

    def template(self, tensor: Tensor) -> TemplateRecord:
        data = tensor.template
        dims, sparse, feature = data.dims, data.sparse_dim, data.feature_dim
        dtype = data.dtype
        dtype = dtype if type(dtype) is str else str(dtype)
        available = bool(data.available_for_inference)
        # Keyed by the dims' identities first: every dim in such a key was numbered (and is
        # kept in ``self.dims``) when the key was stored, so no id is reused meanwhile.
        raw = (tuple(map(id, dims)), dtype, id(sparse), id(feature), available)
        known = self.raw_templates.get(raw)
        if known is not None:
            return known
        key = (
            tuple([self.dim(d) for d in dims]),
            dtype,
            None if sparse is None else self.dim(sparse),
            None if feature is None else self.dim(feature),
            available,
        )
        # Equal templates share one (frozen) record: most layers repeat a few shapes.
        known = self.templates.get(key)
        if known is None:
            known = self.templates[key] = TemplateRecord(*key)
        self.raw_templates[raw] = known
        return known

    def dim(self, dim: Dim) -> int:
        known = self.dim_ids.get(id(dim))
        if known is not None:
            return known
        op = dim.derived_from_op
        derivation = None
        if op is not None:
            derivation = (str(op.kind), tuple(self.dim(d) for d in op.inputs))
        index = self.dim_ids[id(dim)] = len(self.dims)
        self.dims.append(dim)
        if dim.is_batch_dim():
            kind = "batch"
        else:
            kind = "feature" if dim.kind == Dim.Types.Feature else "spatial"
        self.records.append(DimRecord(index, kind, str(dim.description), dim.dimension, derivation))
        return index

    def value(self, value: object, where: str | Tensor) -> Any:
        """``value`` in the record's value language (``where``: the layer, for errors)."""
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is dict:
            return self._map(value, where)  # type: ignore[arg-type]
        if kind is list:
            scalars = _SCALARS
            return SeqValue(
                tuple([v if type(v) in scalars else self.value(v, where) for v in value]),  # type: ignore[attr-defined]
                is_list=True,
            )
        if kind is Dim:
            dim = self.dim(value)
            dim_ref = self.dim_refs.get(dim)
            if dim_ref is None:
                dim_ref = self.dim_refs[dim] = DimRef(dim)
            return dim_ref
        if kind in _TENSORS:
            layer = self.layer_ids[id(value)]
            ref = self.layer_refs.get(layer)
            if ref is None:
                ref = self.layer_refs[layer] = LayerRef(layer)
            return ref
        if value is None or isinstance(value, bool | int | float | str | numpy.generic):
            return value
        if isinstance(value, Tensor):
            return LayerRef(self.layer_ids[id(value)])
        if isinstance(value, Dim):
            return DimRef(self.dim(value))
        if isinstance(value, dict):
            return self._map(value, where)
        if isinstance(value, list):
            return SeqValue(tuple(self.value(v, where) for v in value), is_list=True)
        if isinstance(value, tuple):
            return tuple(self.value(v, where) for v in value)
        if isinstance(value, BlockNet):
            return BlockNetRef(self.block_id(value.block))
        if isinstance(value, LayerNameOf):
            return LayerNameRef(self.layer_ids[id(value.tensor)])
        if isinstance(value, numpy.ndarray) and not value.dtype.hasobject:
            array = numpy.ascontiguousarray(value)
            return ArrayValue(array.dtype.str, tuple(array.shape), array.tobytes())
        if isinstance(where, Tensor):
            where = f"{where.name_hint} (created at {where.created_at})"
        raise RecordValueError(
            f"{where}: the value {value!r} of type {type(value).__name__} is not plain data "
            "(numbers, strings, lists, tuples, dicts, tensors, dims, numpy arrays); pass one "
            "of those to the layer",
            value=value,
            where=where,
        )
