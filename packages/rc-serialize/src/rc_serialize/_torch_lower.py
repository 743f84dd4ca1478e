"""The torch backend's lowering registry and the context a lowering writes code with.

A *lowering* turns one recorded layer (``LayerRecord`` with ``kind == "layer"``) into
straight-line Python statements of the config's generated forward code, written with
``returnn.frontend`` (``rf``). Lowerings are registered per RETURNN layer class
(``LayerRecord.op``) with :func:`register`::

    @register("activation")
    def _activation(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
        opts = ctx.options({"from", "activation"})
        return [ctx.assign(f"rf.relu({ctx.value(opts['from'])})")]

The contract (also in docs/design/torch-backend.md):

* the statements assign the layer's value to ``ctx.out`` (a local variable); helper
  variables are named with :meth:`LowerCtx.fresh`;
* every value of the record is written with :meth:`LowerCtx.value` (layer references,
  dims, literals: the one escaping path), never pasted as text;
* an option the lowering does not implement is refused by :meth:`LowerCtx.options`
  (or :meth:`LowerCtx.error`): a clear build-time error, never a config that fails later;
* a dim RF creates at run time (a conv's output spatial dim, ...) is bound to a local
  variable with :meth:`LowerCtx.bind_dim` by the lowering that creates it; later
  references to that dim (:meth:`LowerCtx.dim`) use the variable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from returnn.tensor import Dim

import rc_nn

from ._code import DimNamer
from ._pycode import scalar_literal, str_literal
from ._torch_errors import COVERAGE_DOC, TorchNotCoveredError

__all__ = [
    "LowerCtx",
    "Lowering",
    "covered_ops",
    "lowering_of",
    "register",
    "register_sub",
    "sub_lowering_of",
]

#: A lowering: the statements computing ``ctx.out`` from a recorded layer.
Lowering = Callable[[rc_nn.LayerRecord, "LowerCtx"], list[str]]

_REGISTRY: dict[str, Lowering] = {}
_SUB_REGISTRY: dict[str, Lowering] = {}


def register(*ops: str) -> Callable[[Lowering], Lowering]:
    """Register a lowering for the RETURNN layer classes ``ops`` (a decorator).

    Examples
    --------
    >>> @register("my_test_op")
    ... def _lower(layer, ctx):
    ...     return [ctx.assign("None")]
    >>> lowering_of("my_test_op") is _lower
    True
    >>> del _REGISTRY["my_test_op"]
    """

    def decorate(function: Lowering) -> Lowering:
        for op in ops:
            if op in _REGISTRY:
                raise ValueError(f"a torch lowering for {op!r} is registered already")
            _REGISTRY[op] = function
        return function

    return decorate


def register_sub(*ops: str) -> Callable[[Lowering], Lowering]:
    """Register a lowering for the sub-layers (``kind == "sub"``) of the layer classes ``ops``.

    The lowering reads ``layer.parent`` (its value is computed before) and ``layer.sub_name``.

    Examples
    --------
    >>> @register_sub("my_test_op")
    ... def _lower(layer, ctx):
    ...     return [ctx.assign(f"{ctx.var(layer.parent)}[0]")]
    >>> sub_lowering_of("my_test_op") is _lower
    True
    >>> del _SUB_REGISTRY["my_test_op"]
    """

    def decorate(function: Lowering) -> Lowering:
        for op in ops:
            if op in _SUB_REGISTRY:
                raise ValueError(f"a torch sub-layer lowering for {op!r} is registered already")
            _SUB_REGISTRY[op] = function
        return function

    return decorate


def sub_lowering_of(op: str) -> Lowering | None:
    """The registered lowering of the sub-layers of the layer class ``op`` (None if none)."""
    return _SUB_REGISTRY.get(op)


def lowering_of(op: str) -> Lowering | None:
    """The registered lowering of the layer class ``op`` (None when not covered)."""
    return _REGISTRY.get(op)


def covered_ops() -> list[str]:
    """The layer classes the torch backend writes, sorted."""
    return sorted(_REGISTRY)


def layer_var(layer_id: int) -> str:
    """The local variable holding the value of the layer with id ``layer_id``."""
    return f"x{layer_id}"


class LowerCtx:
    """What a lowering may use: references, dims, literals, templates, errors.

    One context serves a whole forward function; :attr:`layer` is the layer being lowered.
    """

    def __init__(
        self,
        record: rc_nn.BuildRecord,
        dims: tuple[Dim, ...],
        namer: DimNamer,
        runtime_dims: Collection[int],
    ) -> None:
        self.record = record
        self._dims = dims
        self._dim_index = {id(d): i for i, d in enumerate(dims)}
        self._namer = namer
        self._runtime = frozenset(runtime_dims)
        self._bound: dict[int, str] = {}
        self._layer: rc_nn.LayerRecord | None = None

    @property
    def layer(self) -> rc_nn.LayerRecord:
        """The layer being lowered."""
        assert self._layer is not None, "no layer is being lowered"
        return self._layer

    @property
    def runtime_dims(self) -> frozenset[int]:
        """The ids of the dims RF makes at run time (bound by the lowering that makes them)."""
        return self._runtime

    def begin_function(self) -> None:
        """Start a new generated function: no run-time dim is bound in it yet."""
        self._bound.clear()

    def needs_binding(self, dim: int | rc_nn.DimRef | Dim) -> bool:
        """Whether ``dim`` is made at run time and not bound yet in this function."""
        index = self._index_of(dim)
        return index is not None and index in self._runtime and index not in self._bound

    def begin(self, layer: rc_nn.LayerRecord) -> None:
        """Start lowering ``layer`` (the emitter calls this)."""
        self._layer = layer

    @property
    def out(self) -> str:
        """The local variable the lowering assigns the layer's value to."""
        return layer_var(self.layer.id)

    def assign(self, expr: str) -> str:
        """The statement ``<out> = expr``."""
        return f"{self.out} = {expr}"

    def fresh(self, suffix: str) -> str:
        """A local helper variable of this layer (``suffix``: a fixed identifier, no user text)."""
        assert suffix.isidentifier() and suffix.isascii(), suffix
        return f"{self.out}_{suffix}"

    def var(self, layer_id: int) -> str:
        """The variable holding the value of layer ``layer_id`` (computed before this one)."""
        return layer_var(layer_id)

    def template(self, layer_id: int | None = None) -> rc_nn.TemplateRecord:
        """The output template rc-nn recorded (this layer's when ``layer_id`` is None)."""
        return self.record.layers[self.layer.id if layer_id is None else layer_id].output

    def dim(self, dim: int | rc_nn.DimRef | Dim) -> str:
        """The code of a dim: a config-level ``Dim``, a run-time bound variable, or a constant."""
        index = self._index_of(dim)
        if index is None:
            assert isinstance(dim, Dim)
            return self._namer.ref(dim)
        bound = self._bound.get(index)
        if bound is not None:
            return bound
        if index in self._runtime:
            info = self.record.dims[index]
            raise self.error(
                f"uses the dim {info.description!r}, which RF creates at run time, but no "
                "lowering before it binds that dim (LowerCtx.bind_dim)"
            )
        return self._namer.ref(self._dims[index])

    def dims(self, dims: Iterable[int | rc_nn.DimRef | Dim]) -> str:
        """The code of a list of dims, e.g. ``[batch_dim, time_dim]``."""
        return "[" + ", ".join(self.dim(d) for d in dims) + "]"

    def bind_dim(self, dim: int | rc_nn.DimRef | Dim) -> str:
        """Bind a dim RF creates at run time to a fresh local variable, returned.

        The lowering assigns the variable (e.g. ``x3, d5 = rf.pool1d(...)``); later
        references to the dim use it.
        """
        index = self._index_of(dim)
        if index is None:
            raise self.error("binds a dim that is not in the build record")
        name = f"d{index}"
        self._bound[index] = name
        return name

    def _index_of(self, dim: int | rc_nn.DimRef | Dim) -> int | None:
        if isinstance(dim, int):
            return dim
        if isinstance(dim, rc_nn.DimRef):
            return dim.id
        return self._dim_index.get(id(dim))

    def literal(self, value: bool | int | float | str | None) -> str:
        """A scalar literal, through the config writer's escaping path."""
        code = scalar_literal(value)
        if code is None:
            raise self.error(f"has the option value {type(value).__name__}, no scalar")
        return code

    def value(self, value: Any) -> str:
        """The code of a record value: layer refs, dims, scalars, lists, tuples, maps."""
        code = scalar_literal(value)
        if code is not None:
            return code
        if isinstance(value, rc_nn.LayerRef):
            return self.var(value.id)
        if isinstance(value, rc_nn.DimRef | Dim):
            return self.dim(value)
        if isinstance(value, rc_nn.SeqValue):
            items = [self.value(v) for v in value.items]
            return self._sequence(items, is_list=value.is_list)
        if isinstance(value, tuple):
            return self._sequence([self.value(v) for v in value], is_list=False)
        if isinstance(value, rc_nn.FrozenMap):
            pairs = [f"{self.value(k)}: {self.value(v)}" for k, v in value.pairs]
            return "{" + ", ".join(pairs) + "}"
        raise self.error(f"has an option value of type {type(value).__name__} it cannot write")

    @staticmethod
    def _sequence(items: list[str], *, is_list: bool) -> str:
        if is_list:
            return "[" + ", ".join(items) + "]"
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"

    def options(self, allowed: Collection[str], required: Collection[str] = ()) -> dict[str, Any]:
        """The layer's options (without ``class``); refuses options the lowering does not know."""
        args = dict(self.layer.args.pairs) if self.layer.args is not None else {}
        args.pop("class", None)
        unknown = [key for key in args if key not in allowed]
        if unknown:
            raise self.error(
                f"has the option {unknown[0]!r} (= {args[unknown[0]]!r}), which its torch "
                f"lowering does not implement (known: {', '.join(sorted(allowed))})"
            )
        missing = [key for key in required if key not in args]
        if missing:
            raise self.error(f"lacks the option {missing[0]!r} its torch lowering needs")
        return args

    def error(self, what: str) -> TorchNotCoveredError:
        """A clear build-time error about the layer being lowered (raise it)."""
        return layer_error(self.layer, what)


def layer_error(layer: rc_nn.LayerRecord, what: str) -> TorchNotCoveredError:
    """``TorchNotCoveredError`` naming the layer class, where it was made, and the coverage doc."""
    op = layer.op or layer.kind
    text = f" {layer.text}" if layer.text else ""
    return TorchNotCoveredError(
        f"the torch backend cannot write the RETURNN layer class {str_literal(op)}{text} "
        f"(created at {layer.created_at}): it {what}. Coverage: {COVERAGE_DOC}; build this model "
        "with the TF backend (backend='tf', the default) meanwhile"
    )
