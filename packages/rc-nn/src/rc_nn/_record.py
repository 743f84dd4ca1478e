"""The build record: what a called model computes, as plain immutable data (version 1).

:func:`rc_nn.build_record` (module ``_collect``) makes one for a root module after the
user's calls. It is the contract between rc-nn and its emitters: rc-serialize's TF
emitter reads only the record (and rc-nn's / rc-naming's public API), never rc-nn's
build state. The classes here import nothing from rc-nn but the stdlib-only
``_fast_init`` (a faster constructor): they are plain data that can be printed
(:meth:`BuildRecord.dump`), compared with ``==``, hashed and pickled.

Identity inside a record is by dense integer ids in creation order (never ``id()``):
two builds of the same model give equal records.

**Backend neutrality.** The record says what is computed, not how RETURNN's TF layers
spell it where the two differ:

* A layer's ``op`` is its operation name and ``args`` its options in the record's value
  language. For version 1 the op names are RETURNN's layer classes (a vocabulary that
  RETURNN's TF layers and its backend-neutral frontend share), and ``args`` hold no
  TF-only spelling: references are :class:`LayerRef` (the ``base:``/``prev:``/``data:``
  spelling is the emitter's), nested block net dicts are :class:`BlockNetRef`, dims are
  :class:`DimRef`.
* Parameters are :class:`ParamRecord` (the TF ``variable`` layer with ``name_scope`` /
  ``param_name`` is written by the emitter), marked outputs and losses are
  :class:`MarkRecord` (``loss: "as_is"``, ``loss_opts``, ``is_output_layer`` are the
  emitter's spelling), control-flow blocks are :class:`BlockRecord` (rec ``unit``, cond
  branch and masked-computation subnetworks are the emitter's spelling).

Value language (layer ``args``, parameter ``initial``, the extra net dict): ``None``,
``bool``, ``int``, ``float``, ``str``, ``tuple``, :class:`SeqValue` (a list),
:class:`FrozenMap`, :class:`LayerRef`, :class:`DimRef`, :class:`BlockNetRef`,
:class:`LayerNameRef`, :class:`ArrayValue`, :class:`VarianceScalingInit`.

Versioning: :data:`RECORD_VERSION` is ``(major, minor)``. A minor bump adds fields with
defaults (readers ignore what they do not know); a major bump removes or renames a field
or changes a meaning. Minor versions: 1.1 added ``ParamRecord.owner`` and
``LayerRecord.expr``; 1.2 added ``LoopInfo.states`` (:class:`LoopState`).

Examples
--------
>>> rec_map = FrozenMap((("class", "copy"), ("from", LayerRef(0))))
>>> rec_map["from"], len(rec_map), dict(rec_map) == {"class": "copy", "from": LayerRef(0)}
(LayerRef(id=0), 2, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias, TypeVar

from ._fast_init import fast_init

__all__ = [
    "EXPR_OPS",
    "RECORD_VERSION",
    "ArrayValue",
    "BlockNetRef",
    "BlockRecord",
    "BuildRecord",
    "CallRecord",
    "DimRecord",
    "DimRef",
    "ExternRecord",
    "FrozenMap",
    "LayerNameRef",
    "LayerRecord",
    "LayerRef",
    "LoopInfo",
    "LoopState",
    "MarkRecord",
    "ParamRecord",
    "RootInfo",
    "SeqValue",
    "TemplateRecord",
    "VarianceScalingInit",
]

#: The version of the record's data model: ``(major, minor)``.
RECORD_VERSION: tuple[int, int] = (1, 2)

#: The operators of an ``eval`` layer's neutral expression (``LayerRecord.expr``), with
#: their operand count. A node is a tuple ``(op, *operands)``; the leaves are
#: ``("source", i)`` (the layer's i-th input, in ``from`` order) and ``("const", number)``
#: (a plain bool/int/float). Binary ops broadcast by dim like RETURNN's ``combine``;
#: ``truediv``/``floordiv``/``mod``/``pow`` follow Python/TF semantics; ``zeros_like``
#: is ``("zeros_like", x, dtype)`` with a dtype name (zeros of ``x``'s dims). Example: rc-nn's
#: ``x * 0.5`` is ``("mul", ("source", 0), ("const", 0.5))``.
EXPR_OPS: dict[str, int] = {
    "source": 1,
    "const": 1,
    "add": 2,
    "sub": 2,
    "mul": 2,
    "truediv": 2,
    "floordiv": 2,
    "mod": 2,
    "pow": 2,
    "maximum": 2,
    "minimum": 2,
    "logical_and": 2,
    "logical_or": 2,
    "squared_difference": 2,
    "sigmoid": 1,
    "logical_not": 1,
    "clip_by_value": 3,
    "zeros_like": 2,
}

K = TypeVar("K")
V = TypeVar("V")


@dataclasses.dataclass(frozen=True, slots=True)
class FrozenMap(Mapping[K, V]):
    """An immutable mapping that keeps insertion order (equality too: order matters).

    Hashable and picklable (``types.MappingProxyType`` is neither). Lookups are linear:
    the maps of a record are small (a layer's options).

    Examples
    --------
    >>> m = FrozenMap((("a", 1), ("b", 2)))
    >>> m["b"], list(m), m == FrozenMap((("b", 2), ("a", 1)))
    (2, ['a', 'b'], False)
    """

    pairs: tuple[tuple[K, V], ...] = ()

    def __getitem__(self, key: K) -> V:
        for k, v in self.pairs:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[K]:
        return (k for k, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrozenMap) and self.pairs == other.pairs

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self.pairs) + "}"


@dataclasses.dataclass(frozen=True, slots=True)
class LayerRef:
    """A reference to the output of the layer with id ``id``.

    A reference to an alias layer (e.g. a loop state's previous frame) is a reference to
    that alias; the alias record says what it stands for.

    Examples
    --------
    >>> LayerRef(3)
    LayerRef(id=3)
    """

    id: int


@dataclasses.dataclass(frozen=True, slots=True)
class DimRef:
    """A reference to the dim with id ``id`` (``BuildRecord.dims``).

    Examples
    --------
    >>> DimRef(0).id
    0
    """

    id: int


@dataclasses.dataclass(frozen=True, slots=True)
class BlockNetRef:
    """The nested net dict of the block with id ``block`` (a container layer's option).

    Examples
    --------
    >>> BlockNetRef(1).block
    1
    """

    block: int


@dataclasses.dataclass(frozen=True, slots=True)
class LayerNameRef:
    """The final scope-local *name* (not a reference) of the layer with id ``layer``.

    Examples
    --------
    >>> LayerNameRef(2).layer
    2
    """

    layer: int


@dataclasses.dataclass(frozen=True, slots=True)
class SeqValue:
    """A sequence option value; ``is_list`` keeps whether the layer option was a list.

    Examples
    --------
    >>> SeqValue((1, 2), is_list=True).items
    (1, 2)
    """

    items: tuple[Any, ...]
    is_list: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class ArrayValue:
    """A numpy array as plain data: ``dtype`` (numpy's ``dtype.str``), ``shape``, raw bytes.

    Examples
    --------
    >>> ArrayValue("<f4", (2,), bytes(8)).shape
    (2,)
    """

    dtype: str
    shape: tuple[int, ...]
    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class VarianceScalingInit:
    """A variance-scaling initializer (``rc_nn.init.VarianceScaling``) of a parameter.

    Examples
    --------
    >>> VarianceScalingInit(1.0, "fan_in", "uniform").mode
    'fan_in'
    """

    scale: float
    mode: str
    distribution: str


#: A value in the record's value language (see the module docstring).
Value: TypeAlias = (
    bool
    | int
    | float
    | str
    | tuple[Any, ...]
    | SeqValue
    | FrozenMap[Any, Any]
    | LayerRef
    | DimRef
    | BlockNetRef
    | LayerNameRef
    | ArrayValue
    | VarianceScalingInit
    | None
)


@dataclasses.dataclass(frozen=True, slots=True)
class RootInfo:
    """The root module and its naming root.

    Examples
    --------
    >>> RootInfo("default", "Linear", "model.py:3").module_type
    'Linear'
    """

    naming_root: str
    module_type: str
    created_at: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class DimRecord:
    """A dim: ``kind`` is ``batch``, ``feature`` or ``spatial``; ``size`` None when dynamic.

    ``derivation`` is ``(op kind, input dim ids)`` for a dim derived from others with
    RETURNN's dim arithmetic (``add``, ``mul``, ...), else None.

    Examples
    --------
    >>> DimRecord(0, "batch", "batch", None).kind
    'batch'
    """

    id: int
    kind: str
    description: str
    size: int | None
    derivation: tuple[str, tuple[int, ...]] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class TemplateRecord:
    """The output template of a layer: dims, dtype, sparse and feature dim.

    Examples
    --------
    >>> TemplateRecord((0, 1), "float32").dtype
    'float32'
    """

    dims: tuple[int, ...]
    dtype: str
    sparse_dim: int | None = None
    feature_dim: int | None = None
    available_for_inference: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class LayerRecord:
    """One tensor of the model: a layer, an extern input, a parameter, a sub-layer or an alias.

    ``kind``: ``"layer"``, ``"container"`` (a loop/cond/masked layer holding blocks'
    net dicts, see ``holds``), ``"extern"``, ``"param"``, ``"sub"`` (``parent`` and
    ``sub_name``), ``"alias"`` (no layer of its own: ``alias_of`` with ``alias_prefix``,
    e.g. a state's previous frame or a stacked loop output). ``op``/``args``: the operation
    and its options (None for non-layers). ``deps``: what the layer depends on, in the
    order a dependency walk must visit them (sub-layer parent, option values,
    ``init_by_layer``, extra dependencies, alias target). ``call``: the call scope it was
    made in; ``block``: the control-flow block whose net dict holds it. ``text``: how
    rc-nn prints the tensor (for error messages).

    ``expr`` (version 1.1): for an ``eval`` layer rc-nn wrote, what its TF code string
    computes as a backend-neutral expression tree (see :data:`EXPR_OPS`); None for user
    written eval code and for all other layers. ``args["eval"]`` keeps the TF spelling.

    Examples
    --------
    >>> r = LayerRecord(0, "layer", "tanh", "x.py:1", "<nn.Tensor>", TemplateRecord((), "float32"))
    >>> r.kind, r.deps
    ('layer', ())
    """

    id: int
    kind: str
    name_hint: str
    created_at: str
    text: str
    output: TemplateRecord
    op: str | None = None
    args: FrozenMap[Any, Any] | None = None
    deps: tuple[int, ...] = ()
    call: int | None = None
    block: int | None = None
    parent: int | None = None
    sub_name: str | None = None
    extern_name: str | None = None
    role: str | None = None
    alias_of: int | None = None
    alias_prefix: str = ""
    own_block: int | None = None
    usable_outside_of: int | None = None
    holds: tuple[int, ...] = ()
    expr: tuple[Any, ...] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class LoopState:
    """One tensor a loop carries from frame to frame (record 1.2; ``loop.state.<name>``).

    ``name``: the state's name, its leaves joined by ``_`` (``lstm_h`` for
    ``loop.state.lstm.h``). ``initial``: the layer with the value before the first frame
    (outside the loop). ``prev``: the alias layer (``alias_prefix="prev:"``) that reads the
    previous frame's value inside the loop, None when nothing in the record reads it.
    ``new``: the state layer of the loop's frame (a ``copy`` or ``transpose`` with the
    option ``initial_output``) whose value becomes ``prev`` in the next frame. A TF
    emitter needs none of this (it writes ``prev:`` references and ``initial_output``);
    an emitter that runs the loop itself (the torch backend) reads it here.

    Examples
    --------
    >>> LoopState("acc", initial=3, prev=6, new=13).prev
    6
    """

    name: str
    initial: int
    prev: int | None
    new: int


@dataclasses.dataclass(frozen=True, slots=True)
class LoopInfo:
    """A loop's axis and the layers that get RETURNN's fixed names when used.

    ``end`` is named ``end``; ``output_carrier`` (a copy made when a stacked value keeps
    another dynamic dim) is named ``output``; else the first used of ``exports`` (the
    stacked values) is named ``output``. ``has_output_carrier`` is true even when the
    carrier itself is not in the record. ``states`` (record 1.2): the carried states
    (:class:`LoopState`) whose frame layer is in the record, in the order they were set.

    Examples
    --------
    >>> LoopInfo(axis=0).exports
    ()
    """

    axis: int | None
    end: int | None = None
    output_carrier: int | None = None
    has_output_carrier: bool = False
    exports: tuple[int, ...] = ()
    states: tuple[LoopState, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class BlockRecord:
    """A control-flow block: a loop's unit, one branch of a cond, a masked computation unit.

    ``container`` is the layer holding the block's net dict; ``inside_container`` says
    whether the block's layers are named below it (``loop/x``) or in a scope next to it
    (``<cond>_true``, suffix ``label_suffix``). ``results``: a cond branch's or masked
    unit's results in order (named ``output``, ``result_1``, ...; None where the result
    is not in the record). ``description``: for error messages.

    Examples
    --------
    >>> BlockRecord(0, "loop", "nn.Loop", "x.py:1", "nn.Loop opened at x.py:1").parent is None
    True
    """

    id: int
    kind: str
    label: str
    created_at: str
    description: str
    parent: int | None = None
    container: int | None = None
    inside_container: bool = True
    reserved: tuple[str, ...] = ("output", "data")
    label_suffix: str = ""
    results: tuple[int | None, ...] = ()
    loop: LoopInfo | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CallRecord:
    """A scope of the call tree: a module call, a named function scope or a control block.

    ``parent``: the enclosing call scope. ``module``: a dense id per called module object;
    ``module_path``: its canonical path from the root module (``()`` for the root module
    itself, None when it is not reachable from it); ``in_root_modules``: whether it is
    one of ``root_module.modules()``. ``first_output``: the first tensor the call returned
    (when in the record). ``block``: the block a control scope opened.

    Examples
    --------
    >>> CallRecord(0, "module", "enc", "enc", "x.py:2").parent is None
    True
    """

    id: int
    kind: str
    name: str | None
    suggested: str
    created_at: str
    parent: int | None = None
    module: int | None = None
    module_type: str | None = None
    module_created_at: str | None = None
    module_path: tuple[str, ...] | None = None
    in_root_modules: bool = False
    first_output: int | None = None
    block: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ParamRecord:
    """A parameter: its layer id, canonical path and how the variable is made.

    ``path`` is None when the parameter is not reachable from the root module
    (``unreachable`` then holds rc-naming's explanation, raised by the pass that needs
    the path). ``in_model``: reachable from the root module. ``initial``: None, a
    number, :class:`ArrayValue`, :class:`VarianceScalingInit` or :class:`LayerRef`
    (``init_by_layer``). ``aliases``: the other paths the parameter is held under, one per
    further holder reachable from the root module (that holder's canonical path plus the
    attribute), in assignment order; an alias never names a second variable (N3).
    ``owner`` (record 1.1): the class name of the object that holds the parameter under
    its canonical path (the first assignment, N3; the attribute is ``path[-1]``), as the
    nearest public rc-nn class in that object's MRO (a user's ``class MyConv(nn.Conv1d)``
    gives ``"Conv1d"``, a user's plain ``nn.Module`` gives ``"Module"``); None when the
    parameter has no path or its holder is no rc-nn object. Emitters key per-module
    parameter layouts on it (issue 14).

    Examples
    --------
    >>> ParamRecord(0, ("w",), True, (1,), "float32").trainable
    True
    """

    layer: int
    path: tuple[str, ...] | None
    in_model: bool
    dims: tuple[int, ...]
    dtype: str
    trainable: bool = True
    auxiliary: bool = False
    weight_decay: float | None = None
    non_critical_for_restore: bool = False
    initial: Any = None
    unreachable: str | None = None
    aliases: tuple[tuple[str, ...], ...] = ()
    owner: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ExternRecord:
    """An extern data entry: its key and layer; ``declared_here``: not declared by another thread.

    Examples
    --------
    >>> ExternRecord("data", 0, True).key
    'data'
    """

    key: str
    layer: int
    declared_here: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class MarkRecord:
    """A marked output (``name`` None: the default output) or loss (``loss_scale`` set).

    Examples
    --------
    >>> MarkRecord(0, None, "x.py:3").as_error
    False
    """

    layer: int
    name: str | None
    created_at: str
    loss_scale: float | None = None
    as_error: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class BuildRecord:
    """Everything an emitter needs to know about one called model (see the module docstring).

    ``layers`` are in creation order (their ids are their positions), as are ``blocks``,
    ``calls`` (call-tree order), ``dims`` and ``marks`` (mark order). ``params`` lists
    the root module's parameters in resolution order, then other parameters the marks use.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     lin = nn.Linear(nn.FeatureDim("in", 2), nn.FeatureDim("out", 3))
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, lin.in_dim]))
    ...     _ = lin(x).mark_as_default_output()
    ...     record, handles = nn.build_record(lin)
    >>> [p.path for p in record.params]
    [('weight',), ('bias',)]
    >>> record == nn.build_record(lin)[0]
    True
    """

    version: tuple[int, int]
    root: RootInfo
    layers: tuple[LayerRecord, ...]
    blocks: tuple[BlockRecord, ...]
    calls: tuple[CallRecord, ...]
    params: tuple[ParamRecord, ...]
    dims: tuple[DimRecord, ...]
    extern: tuple[ExternRecord, ...]
    marks: tuple[MarkRecord, ...]
    extra_net_dict: FrozenMap[str, Any] = FrozenMap()

    def dump(self) -> str:
        """A stable text listing of the record, one line per item (for tests and debugging)."""
        lines = [f"BuildRecord v{self.version[0]}.{self.version[1]} {self.root}"]
        for group in (
            self.dims,
            self.calls,
            self.blocks,
            self.layers,
            self.params,
            self.extern,
            self.marks,
        ):
            lines.extend(repr(item) for item in group)
        if self.extra_net_dict:
            lines.append(f"extra_net_dict {self.extra_net_dict!r}")
        return "\n".join(lines) + "\n"


# Construction speed only (the collector makes thousands of these); see ``_fast_init``.
fast_init(
    FrozenMap, LayerRef, DimRef, BlockNetRef, LayerNameRef, SeqValue, ArrayValue, VarianceScalingInit,
    DimRecord, TemplateRecord, LayerRecord, LoopState, LoopInfo, BlockRecord, CallRecord, ParamRecord,
    ExternRecord, MarkRecord,
)  # fmt: skip
