"""Collect: the one place that reads rc-nn's build state, making a :class:`BuildRecord`.

:func:`build_record` snapshots the root's marks, extern data and extra net dict under
the build state's lock, walks what they depend on, and turns tensors, blocks, calls,
dims and parameters into the plain data of ``_record``. Live objects that emitters
hand back to their callers (parameters, dims, tensors) go into :class:`RecordHandles`,
which is neither compared nor pickled.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy
from returnn.tensor import Dim

import rc_naming

from ._collect_values import BlockIds, RecordValueError, Values, closure
from ._control import Block, BlockNet, ControlTensor, block_of_node
from ._errors import RcNnError
from ._init import VarianceScaling
from ._module import Module
from ._parameter import Parameter
from ._record import (
    RECORD_VERSION,
    BlockRecord,
    BuildRecord,
    CallRecord,
    ExternRecord,
    FrozenMap,
    LayerRecord,
    LoopInfo,
    LoopState,
    MarkRecord,
    ParamRecord,
    RootInfo,
    VarianceScalingInit,
)
from ._state import BuildState, CallInfo, OutputMark, state_of
from ._tensor import Tensor

__all__ = ["NotAModuleError", "RecordHandles", "RecordValueError", "build_record"]

_CONTAINER_ROLES = ("loop", "cond", "masked")


#: Alias paths kept per object (ParamRecord.aliases); chains can grow exponentially.
_MAX_ALIASES = 32


def public_rc_nn_class(cls: type) -> str | None:
    """The name of the nearest public rc-nn class in ``cls``'s MRO (None if there is none).

    Examples
    --------
    >>> import rc_nn as nn
    >>> MyConv = type("MyConv", (nn.Conv1d,), {"__module__": "user_model"})
    >>> public_rc_nn_class(MyConv), public_rc_nn_class(nn.Module), public_rc_nn_class(dict)
    ('Conv1d', 'Module', None)
    """
    name = _PUBLIC_CLASS.get(cls, "")
    if name != "":
        return name
    found: str | None = None
    for klass in cls.__mro__:
        module = klass.__module__
        if (module == "rc_nn" or module.startswith("rc_nn.")) and not klass.__name__.startswith(
            "_"
        ):
            found = klass.__name__
            break
    _PUBLIC_CLASS[cls] = found
    return found


# Per-class cache of public_rc_nn_class (a model has few holder classes, many parameters).
_PUBLIC_CLASS: dict[type, str | None] = {}


class NotAModuleError(RcNnError, TypeError):
    """:func:`build_record` was given something that is not an ``nn.Module``."""


@dataclasses.dataclass(eq=False)
class RecordHandles:
    """Live objects behind a record's ids, for emitters to hand back to their callers.

    ``layers[i]`` is the tensor of layer ``i``, ``dims[i]`` the ``Dim`` of dim ``i``,
    ``params`` the ``Parameter`` by layer id, ``unreachable`` rc-naming's error for a
    parameter not reachable from the root module (by layer id). Never compared, never
    pickled; emitters must not read build state from them.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     lin = nn.Linear(nn.FeatureDim("in", 2), nn.FeatureDim("out", 3))
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, lin.in_dim]))
    ...     _ = lin(x).mark_as_default_output()
    ...     record, handles = nn.build_record(lin)
    >>> handles.params[record.params[0].layer] is lin.weight
    True
    """

    layers: tuple[Tensor, ...]
    dims: tuple[Dim, ...]
    params: dict[int, Parameter]
    unreachable: dict[int, rc_naming.UnreachableError]

    def __reduce__(self) -> Any:
        raise TypeError("RecordHandles hold live objects and cannot be pickled")


@dataclasses.dataclass
class _Snapshot:
    marks: list[OutputMark]
    extern: dict[str, Tensor]
    threads: dict[str, int]
    extra: dict[str, object]


def _snapshot(state: BuildState) -> _Snapshot:
    # Taken under the lock extern declarations take, so the record is one consistent
    # state even while other threads build in the same (default) root.
    with state.lock:
        return _Snapshot(
            list(state.marks),
            dict(state.extern_data),
            dict(state.extern_threads),
            dict(state.extra_net_dict),
        )


def build_record(root_module: Module) -> tuple[BuildRecord, RecordHandles]:
    """The build record of the model ``root_module`` after its calls, and its handles.

    Raises rc-naming's error when a marked tensor belongs to another naming root.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     feat = nn.FeatureDim("f", 2)
    ...     model = nn.Linear(feat, feat)
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    ...     _ = model(x).mark_as_default_output()
    ...     record, _ = nn.build_record(model)
    >>> [layer.kind for layer in record.layers]
    ['param', 'param', 'extern', 'layer']
    >>> record.layers[record.marks[0].layer].op
    'linear'
    """
    if not isinstance(root_module, Module):
        raise NotAModuleError(
            f"build_record needs an nn.Module (the model you called), got "
            f"{type(root_module).__name__}"
        )
    return _Collector(root_module).run()


class _Collector:
    def __init__(self, root_module: Module) -> None:
        self.root_module = root_module
        self.root = root_module._rc_naming_root()
        self.state = state_of(self.root)
        self.snap = _snapshot(self.state)
        self.resolution = self.root.graph.resolve(root_module)
        self.paths: dict[int, tuple[str, ...]] = {}
        self.all_paths: dict[int, list[tuple[str, ...]]] = {}
        self.layer_ids: dict[int, int] = {}
        self.tensors: list[Tensor] = []
        self.deps: dict[int, list[Tensor]] = {}
        # No reference back to the collector from its helpers: no cycle keeps the
        # model's tensors alive for the cyclic garbage collector.
        self._block = BlockIds()
        self.values = Values(self.layer_ids, self._block)
        self.call_ids: dict[int, int] = {}
        self.scope_blocks: dict[int, int | None] = {}
        self.marked = {id(m.tensor) for m in self.snap.marks}

    def run(self) -> tuple[BuildRecord, RecordHandles]:
        for mark in self.snap.marks:
            if mark.tensor.root is not self.root:
                rc_naming.check_same_root(
                    self.root,
                    mark.tensor.root,
                    what=f"output {mark.tensor!r} marked at {mark.created_at}",
                )
        model_params = self._model_params()
        roots = [m.tensor for m in self.snap.marks] + list(self.snap.extern.values())
        self.tensors, self.deps = closure(roots + model_params)
        self.layer_ids.update((id(t), i) for i, t in enumerate(self.tensors))
        calls = self._calls()
        layers = tuple(self._layer(t) for t in self.tensors)
        params, handles_params, unreachable = self._params(model_params)
        record = BuildRecord(
            version=RECORD_VERSION,
            root=RootInfo(
                self.root.name,
                type(self.root_module).__name__,
                self.root.graph.created_at(self.root_module),
            ),
            layers=layers,
            blocks=self._block_records(),
            calls=calls,
            params=params,
            dims=tuple(self.values.records),
            extern=self._extern(),
            marks=tuple(self._mark(m) for m in self.snap.marks),
            extra_net_dict=FrozenMap(
                tuple(
                    (k, self.values.value(v, "the extra net dict"))
                    for k, v in self.snap.extra.items()
                )
            ),
        )
        handles = RecordHandles(
            tuple(self.tensors), tuple(self.values.dims), handles_params, unreachable
        )
        return record, handles

    # -- parameters, extern data, marks ---------------------------------------------------

    def _model_params(self) -> list[Tensor]:
        """The root module's parameters in resolution order; fills ``self.paths`` (the
        canonical path of every object reachable from the root module, by ``id``)."""
        params: dict[int, Tensor] = {}
        for path, obj in self.resolution.items():
            self.paths.setdefault(id(obj), path)
            if isinstance(obj, Parameter):
                params.setdefault(id(obj), obj)
        return list(params.values())

    def _params(
        self, model_params: list[Tensor]
    ) -> tuple[
        tuple[ParamRecord, ...], dict[int, Parameter], dict[int, rc_naming.UnreachableError]
    ]:
        ordered = list(model_params)
        in_model = {id(p) for p in ordered}
        ordered += [t for t in self.tensors if isinstance(t, Parameter) and id(t) not in in_model]
        records: list[ParamRecord] = []
        handles: dict[int, Parameter] = {}
        unreachable: dict[int, rc_naming.UnreachableError] = {}
        for param in ordered:
            assert isinstance(param, Parameter)
            layer = self.layer_ids[id(param)]
            handles[layer] = param
            path = self.paths.get(id(param))
            reason: str | None = None
            if path is None:
                try:
                    path = self.resolution.path(param)
                except rc_naming.UnreachableError as exc:
                    unreachable[layer] = exc
                    reason = str(exc)
            records.append(self._param_record(param, layer, path, reason))
        return tuple(records), handles, unreachable

    def _param_record(
        self, param: Parameter, layer: int, path: tuple[str, ...] | None, reason: str | None
    ) -> ParamRecord:
        initial: Any = param.initial
        if isinstance(initial, VarianceScaling):
            initial = VarianceScalingInit(
                float(initial.scale), str(initial.mode), str(initial.distribution)
            )
        else:
            initial = self.values.value(initial, param)
        return ParamRecord(
            layer=layer,
            path=path,
            in_model=id(param) in self.paths,
            dims=tuple(self.values.dim(d) for d in param.dims),
            dtype=str(param.dtype),
            trainable=bool(param.trainable),
            auxiliary=bool(param.auxiliary),
            weight_decay=param.weight_decay,
            non_critical_for_restore=bool(param.non_critical_for_restore),
            initial=initial,
            unreachable=reason,
            aliases=self._aliases(param, path),
            owner=self._owner(param, path),
        )

    def _owner(self, param: Parameter, path: tuple[str, ...] | None) -> str | None:
        """The public rc-nn class of the object holding ``param`` at ``path`` (ParamRecord.owner)."""
        if not path:
            return None
        for holder, attr in self.root.graph.parents(param):
            if attr == path[-1] and (
                self.paths.get(id(holder)) == path[:-1]
                or (holder is self.root_module and len(path) == 1)
            ):
                return public_rc_nn_class(type(holder))
        return None

    def _aliases(
        self, param: Parameter, path: tuple[str, ...] | None
    ) -> tuple[tuple[str, ...], ...]:
        """The parameter's other paths from the root module (see ParamRecord)."""
        if path is None:
            return ()
        return tuple(p for p in self._all_paths(param, frozenset()) if p != path)

    def _all_paths(self, obj: object, seen: frozenset[int]) -> list[tuple[str, ...]]:
        """Every attribute chain from the root module to ``obj``, canonical search order.

        At most ``_MAX_ALIASES`` per object: the number of chains can grow exponentially.
        """
        if obj is self.root_module:
            return [()]
        known = self.all_paths.get(id(obj))
        if known is not None:
            return known
        parents = self.root.graph.parents(obj)
        if len(parents) == 1 and id(parents[0][0]) not in seen:  # the common case: one holder
            holder, attr = parents[0]
            # A holder met before (a module's other parameters): its paths as known.
            above = [()] if holder is self.root_module else self.all_paths.get(id(holder))
            if above is None:
                above = self._all_paths(holder, seen | {id(obj)})
            one = [(*p, attr) for p in above]
            self.all_paths[id(obj)] = one
            return one
        found: list[tuple[str, ...]] = []
        inner = seen | {id(obj)}
        for holder, attr in parents:
            if id(holder) not in self.paths or id(holder) in seen:
                continue  # not reachable from the root module, or a cycle
            above = [()] if holder is self.root_module else self.all_paths.get(id(holder))
            for holder_path in self._all_paths(holder, inner) if above is None else above:
                path = (*holder_path, attr)
                if len(found) < _MAX_ALIASES and path not in found:
                    found.append(path)
        self.all_paths[id(obj)] = found  # with a cycle: the chains that avoid it
        return found

    def _extern(self) -> tuple[ExternRecord, ...]:
        me = threading.get_ident()
        return tuple(
            ExternRecord(key, self.layer_ids[id(t)], self.snap.threads.get(key, me) == me)
            for key, t in self.snap.extern.items()
        )

    def _mark(self, mark: OutputMark) -> MarkRecord:
        return MarkRecord(
            layer=self.layer_ids[id(mark.tensor)],
            name=mark.name,
            created_at=mark.created_at,
            loss_scale=mark.loss_scale,
            as_error=mark.as_error,
        )

    # -- calls and blocks -----------------------------------------------------------------

    def _calls(self) -> tuple[CallRecord, ...]:
        module_ids: dict[int, int] = {}
        calls: list[CallRecord] = []
        for node in self.state.tree.iter_nodes():
            info = node.payload
            if not isinstance(info, CallInfo):
                continue
            call_id = self.call_ids[id(node)] = len(calls)
            parent = node.parent
            while parent is not None and id(parent) not in self.call_ids:
                parent = parent.parent
            block = self._block(info.control) if isinstance(info.control, Block) else None
            module = info.module
            first = info.outputs[0] if info.outputs else None
            calls.append(
                CallRecord(
                    id=call_id,
                    kind=info.kind,
                    name=info.name,
                    suggested=node.suggested,
                    created_at=info.created_at,
                    parent=self.call_ids[id(parent)] if parent is not None else None,
                    module=None
                    if module is None
                    else module_ids.setdefault(id(module), len(module_ids)),
                    module_type=None if module is None else type(module).__name__,
                    module_created_at=None
                    if module is None
                    else self.root.graph.created_at(module),
                    module_path=None if module is None else self._module_path(module),
                    # root_module.modules() are the modules reachable from it
                    in_root_modules=module is not None and id(module) in self.paths,
                    first_output=None if first is None else self.layer_ids.get(id(first)),
                    block=block,
                )
            )
        return tuple(calls)

    def _module_path(self, module: object) -> tuple[str, ...] | None:
        return () if module is self.root_module else self.paths.get(id(module))

    def _block_of(self, tensor: Tensor) -> int | None:
        if isinstance(tensor, ControlTensor) and tensor.block is not None:
            return self._block(tensor.block)
        if tensor.parent is not None:
            return self._block_of(tensor.parent)
        node = tensor.node
        if node is None:
            return None
        key = id(node.parent)
        if key not in self.scope_blocks:
            block = block_of_node(node)
            self.scope_blocks[key] = None if block is None else self._block(block)
        return self.scope_blocks[key]

    def _block_records(self) -> tuple[BlockRecord, ...]:
        records = []
        for index, block in enumerate(self._block.blocks):
            container = block.container
            results = getattr(block, "results", ())
            records.append(
                BlockRecord(
                    id=index,
                    kind=block.kind,
                    label=block.label,
                    created_at=block.created_at,
                    description=block.describe(),
                    parent=None if block.parent is None else self._block.ids[id(block.parent)],
                    container=None if container is None else self.layer_ids.get(id(container)),
                    inside_container=block.inside_container,
                    reserved=tuple(block.reserved),
                    label_suffix=block.label_suffix(),
                    results=tuple(self.layer_ids.get(id(t)) for t in results),
                    loop=self._loop_info(block),
                )
            )
        return tuple(records)

    def _loop_info(self, block: Block) -> LoopInfo | None:
        loop = getattr(block, "loop", None)
        if block.kind != "loop" or loop is None:
            return None
        end, carrier = loop._end, loop._output_carrier
        ids = self.layer_ids
        return LoopInfo(
            axis=None if loop.axis is None else self.values.dim(loop.axis),
            end=None if end is None else ids.get(id(end)),
            output_carrier=None if carrier is None else ids.get(id(carrier)),
            has_output_carrier=carrier is not None,
            exports=tuple(ids[id(t)] for t in loop._exports if id(t) in ids),
            states=self._loop_states(loop),
        )

    def _loop_states(self, loop: Any) -> tuple[LoopState, ...]:
        ids = self.layer_ids
        states = []
        for state in loop._states().values():
            for leaf in state.leaves:
                if leaf.copy is None or id(leaf.copy) not in ids:
                    continue
                states.append(
                    LoopState(
                        name="_".join((state.name, *leaf.path)),
                        initial=ids[id(leaf.initial)],
                        prev=None if leaf.prev is None else ids.get(id(leaf.prev)),
                        new=ids[id(leaf.copy)],
                    )
                )
        return tuple(states)

    # -- layers ---------------------------------------------------------------------------

    def _layer(self, tensor: Tensor) -> LayerRecord:
        # One pass per tensor, the commonest case (a plain layer, no control flow) without
        # helper calls; fields by position, in LayerRecord's field order.
        ids = self.layer_ids
        layer_dict = tensor.layer_dict
        parent = tensor.parent
        kind = _kind(tensor)
        args = op = None
        if layer_dict is not None and kind != "param":
            args = self.values.value(layer_dict, tensor)
            layer_class = layer_dict.get("class")
            op = layer_class if isinstance(layer_class, str) else None
        # rc-nn's own eval layers carry a neutral expression (a side field, see Tensor.expr)
        expr = getattr(tensor, "expr", None) if op == "eval" else None
        node = tensor.node
        scope = None if node is None else node.parent
        # The text is for error messages that may print the tensor: a parameter with an
        # initial array, a stacked loop output, a marked tensor.
        if isinstance(tensor, Parameter):
            needs_text = isinstance(tensor.initial, numpy.ndarray)
        else:
            needs_text = isinstance(tensor, ControlTensor) and tensor.role == "stack"
        common = (
            ids[id(tensor)],
            kind,
            tensor.name_hint,
            tensor.created_at,
            repr(tensor) if needs_text or id(tensor) in self.marked else "",
            self.values.template(tensor),
            op,
            args,
            tuple([ids[id(t)] for t in self.deps[id(tensor)]]),
            None if scope is None else self.call_ids.get(id(scope)),
            self._block_of(tensor),
            None if parent is None else ids[id(parent)],
            tensor.sub_name,
            tensor.extern_name,
        )
        if not isinstance(tensor, ControlTensor):
            return LayerRecord(*common) if expr is None else LayerRecord(*common, expr=expr)
        block = tensor.block
        outside = tensor.outside_of
        return LayerRecord(
            *common,
            role=tensor.role,
            alias_of=None if tensor.alias is None else ids[id(tensor.alias)],
            alias_prefix=tensor.alias_prefix,
            own_block=None if block is None else self._block(block),
            usable_outside_of=None if outside is None else self._block(outside),
            holds=self._holds(tensor),
            expr=expr,
        )

    def _holds(self, tensor: ControlTensor) -> tuple[int, ...]:
        if tensor.role not in _CONTAINER_ROLES:
            return ()
        blocks = []
        for value in (tensor.layer_dict or {}).values():
            if isinstance(value, BlockNet):
                blocks.append(self._block(value.block))
            elif isinstance(value, dict):
                blocks.extend(
                    self._block(v.block) for v in value.values() if isinstance(v, BlockNet)
                )
        return tuple(blocks)


def _kind(tensor: Tensor) -> str:
    if tensor.extern_name is not None:
        return "extern"
    if tensor.parent is not None:
        return "sub"
    if isinstance(tensor, Parameter):
        return "param"
    if isinstance(tensor, ControlTensor):
        if tensor.layer_dict is None:
            return "alias"
        if tensor.role in _CONTAINER_ROLES:
            return "container"
    return "layer"
