"""The torch backend: a RETURNN config for ``backend = "torch"`` written with ``returnn.frontend``.

Reads the same build record as the TF emitter (select, reach and parameter naming are
shared passes) and writes:

* the dims and ``extern_data`` exactly as the TF config does (the same config writer);
* ``get_model``: an ``rf.Module`` tree whose parameters sit at rc's canonical paths, so
  the PyTorch ``state_dict`` keys are the canonical names joined by dots (one per
  parameter; aliases add none);
* ``train_step``: the forward code of the losses, then ``mark_as_loss`` per loss;
* ``forward_step``: the forward code of the marked outputs, then ``mark_as_output``.

The forward code is straight-line Python, one block of statements per recorded layer
in record order, written by the lowerings (``_torch_lower``); a loop's, cond's or masked
computation's container layer writes its block there as a Python ``for``/``while`` loop or
``if`` (``_torch_ops_loop``, ``_torch_ops_cond``). The config imports only
``returnn`` (and ``numpy`` for array initial values), never rc.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from returnn.tensor import Dim

import rc_nn

from . import (  # noqa: F401  (register the lowerings)
    _torch_ops_attention,
    _torch_ops_basic,
    _torch_ops_cond,
    _torch_ops_conv,
    _torch_ops_loop,
    _torch_ops_rec,
    _torch_ops_shape,
)
from ._code import DimNamer, py_code
from ._emit_tf import array_of, extern_entry
from ._final import _record_of
from ._name_layers import name_layers
from ._name_params import param_paths
from ._pycode import number_literal, str_literal
from ._reach import reach
from ._select import never_called_note, select_extern, select_marks
from ._torch_errors import COVERAGE_DOC, TorchNotCoveredError
from ._torch_layout import TorchParamLayout, torch_param_layout
from ._torch_lower import LowerCtx, layer_error, layer_var, lowering_of, sub_lowering_of
from ._torch_names import check_torch_names
from ._version import __version__

__all__ = ["TorchConfig", "torch_config"]

_HEADER = (
    "#!rnn.py\n# RETURNN config for the PyTorch backend, written by rc-serialize {version}. "
    "Do not edit: regenerate it.\n"
)
_IMPORTS = (
    "from returnn.tensor import Dim, batch_dim, single_step_dim\nimport returnn.frontend as rf\n"
)
_HELPERS = '''

def _add_param(model, path, param, initial):
    """Put ``param`` at ``path`` (attribute names) below ``model``, making sub-modules."""
    scope = model
    for name in path[:-1]:
        child = vars(scope).get(name)
        if child is None:
            child = rf.Module()
            setattr(scope, name, child)
        scope = child
    param.initial = initial
    setattr(scope, path[-1], param)


def _param(model, path):
    """The parameter at ``path`` below ``model``."""
    for name in path:
        model = getattr(model, name)
    return model
'''


class TorchConfig:
    """The pieces of a torch config (code) for one called model."""

    def __init__(self, root_module: rc_nn.Module) -> None:
        record, handles = _record_of(root_module)
        self.record = record
        self.dims: tuple[Dim, ...] = handles.dims
        selection = select_marks(record)
        self.marks = selection.marks
        used = reach(record.layers, [mark.layer for mark in self.marks])
        unused = [p.layer for p in record.params if p.in_model and p.layer not in used]
        used.update(dict.fromkeys(unused))
        self.used = used
        self.paths = param_paths(
            record, used, handles.unreachable, lambda: never_called_note(record)
        )
        self.externs = select_extern(record, used, selection.foreign_used)
        check_torch_names(record, self.paths)
        # Output and loss names: the TF config's layer names (N6), so both backends agree.
        slots = name_layers(record, self.marks, used, self.paths).mark_slots
        self.mark_names = {
            id(mark): "/".join(slot.node.path)
            for mark, slot in zip(self.marks, slots, strict=True)
            if slot.node is not None
        }
        _check_covered(record, used)
        self.namer = DimNamer(taken=("rf", "numpy"))
        extern_dims = {d for e in self.externs for d in _template_dims(record, e.layer)}
        runtime = [
            d.id
            for d in record.dims
            if d.size is None and d.kind != "batch" and d.derivation is None
            and d.id not in extern_dims
        ]  # fmt: skip
        self.ctx = LowerCtx(record, self.dims, self.namer, runtime)

    def code(self, *, behavior_version: int) -> str:
        """The whole config."""
        extern = {e.key: extern_entry(self.record, e, self.dims) for e in self.externs}
        extern_code = _dict_code(extern, self.namer)
        model_code = self._get_model()
        steps = self._steps()
        imports = _IMPORTS + ("import numpy\n" if self.namer.uses_numpy else "")
        return "".join(
            [
                _HEADER.format(version=__version__),
                imports,
                "\n",
                "".join(f"{line}\n" for line in self.namer.definitions()),
                "\n",
                'backend = "torch"\n',
                f"behavior_version = {number_literal(int(behavior_version))}\n",
                "\n",
                f"extern_data = {extern_code}\n",
                _HELPERS,
                "\n\n",
                model_code,
                steps,
            ]
        )

    def _get_model(self) -> str:
        lines = [
            "def get_model(*, epoch, step, **_kwargs):",
            '    """The model: parameters at rc\'s canonical paths (state_dict keys)."""',
            "    model = rf.Module()",
        ]
        # Record order is the root's ``named_parameters()`` order, and torch keeps a module's
        # attribute order, so the state dict lists the keys in that order too.
        for param in self.record.params:
            path = self.paths.get(param.layer)
            if path is not None:
                lines.append(
                    f"    _add_param(model, {_path_code(path)}, {self._param_code(param)})"
                )
        lines.append("    return model")
        return "\n".join(lines) + "\n"

    def _param_code(self, param: rc_nn.ParamRecord) -> str:
        layout = torch_param_layout(param, self.record)
        dims = "[" + ", ".join(self.namer.ref(self.dims[param.dims[i]]) for i in layout.axes) + "]"
        opts = [f"dtype={str_literal(param.dtype)}"]
        if not param.trainable:
            opts.append("trainable=False")
        if param.auxiliary:
            opts.append("auxiliary=True")
        if param.non_critical_for_restore:
            opts.append("non_critical_for_restore=True")
        if param.weight_decay:
            opts.append(f"weight_decay={number_literal(float(param.weight_decay))}")
        return f"rf.Parameter({dims}, {', '.join(opts)}), {self._initial_code(param, layout)}"

    def _initial_code(self, param: rc_nn.ParamRecord, layout: TorchParamLayout) -> str:
        initial = param.initial
        layer = self.record.layers[param.layer]
        if initial is None:
            return "0.0" if param.dtype.startswith("float") else "0"  # RETURNN's default
        if isinstance(initial, rc_nn.VarianceScalingInit):
            return (
                f"rf.init.VarianceScaling(scale={number_literal(float(initial.scale))}, "
                f"mode={str_literal(initial.mode)}, distribution={str_literal(initial.distribution)})"
            )
        if isinstance(initial, rc_nn.ArrayValue):
            shape = tuple(self.record.dims[d].size for d in param.dims)
            if initial.shape != shape:
                raise layer_error(
                    layer, f"has an initial array of shape {initial.shape}, not {shape}"
                )
            return py_code(layout.to_torch(array_of(initial)), self.namer)
        if isinstance(initial, rc_nn.LayerRef):
            raise layer_error(layer, "is a parameter initialized by a layer (init_by_layer)")
        return number_literal(float(initial) if param.dtype.startswith("float") else int(initial))

    def _mark_name(self, mark: rc_nn.MarkRecord) -> str:
        default = "output" if mark.name is None else mark.name
        return self.mark_names.get(id(mark), default)

    def _steps(self) -> str:
        losses = [m for m in self.marks if m.loss_scale is not None]
        outputs = [m for m in self.marks if m.loss_scale is None]
        parts = []
        if losses:
            marks = [
                f"    rf.get_run_ctx().mark_as_loss({layer_var(m.layer)}, {str_literal(self._mark_name(m))}, "
                f"scale={number_literal(float(m.loss_scale or 0.0))}, "
                f"as_error={number_literal(bool(m.as_error))})"
                for m in losses
            ]
            parts.append(
                self._step("train_step", "The losses of the model.", losses, lambda: marks)
            )
        if outputs:
            parts.append(
                self._step(
                    "forward_step", "The marked outputs.", outputs, lambda: self._outputs(outputs)
                )
            )
        return "".join(f"\n\n{part}" for part in parts)

    def _outputs(self, outputs: list[rc_nn.MarkRecord]) -> list[str]:
        """``mark_as_output`` lines (after the forward code: it binds the dims made at run time)."""
        lines = []
        for m in outputs:
            dims = self.ctx.dims(self.record.layers[m.layer].output.dims)
            name = str_literal(self._mark_name(m))
            var = layer_var(m.layer)
            lines.append(
                f"    rf.get_run_ctx().mark_as_output({var}.copy_transpose({dims}), {name}, "
                f"dims={dims})"
            )
        return lines

    def _step(
        self,
        name: str,
        doc: str,
        marks: Sequence[rc_nn.MarkRecord],
        mark_lines: Callable[[], list[str]],
    ) -> str:
        header = [
            f"def {name}(*, model, extern_data, **_kwargs):",
            f'    """{doc}"""',
        ]
        forward = self._forward_lines([m.layer for m in marks])
        return "\n".join([*header, *forward, *mark_lines()]) + "\n"

    def _forward_lines(self, targets: list[int]) -> list[str]:
        needed = reach(self.record.layers, targets)
        self.ctx.begin_function()
        lines = self._derived_dims_refresh()
        done: set[int] = set()

        def emit(layer: rc_nn.LayerRecord) -> list[str]:
            if layer.id in done:
                return []
            done.add(layer.id)
            return self._emit_layer(layer, needed, emit)

        for layer in self.record.layers:
            if layer.id in needed and layer.id not in done and layer.block is None:
                lines.extend(emit(layer))
        return [f"    {line}" for line in lines]

    @functools.cached_property
    def _extern_keys(self) -> dict[int, str]:
        return {e.layer: e.key for e in self.record.extern}

    @functools.cached_property
    def _params_by_layer(self) -> dict[int, rc_nn.ParamRecord]:
        return {p.layer: p for p in self.record.params}

    def _emit_layer(
        self, layer: rc_nn.LayerRecord, needed: dict[int, None], emit: _torch_ops_loop.EmitLayer
    ) -> list[str]:
        """One layer's statements; a loop's container writes the whole loop (``_torch_ops_loop``)."""
        var = layer_var(layer.id)
        if layer.kind == "extern":
            key = self._extern_keys[layer.id]
            return [f"{var} = extern_data[{str_literal(key)}]"]
        if layer.kind == "param":
            param = self._params_by_layer[layer.id]
            line = f"{var} = _param(model, {_path_code(self.paths[layer.id])})"
            return [line, *_torch_ops_loop.param_view_lines(param, self.ctx, needed)]
        if layer.kind == "container" and layer.op == "cond":
            return _torch_ops_cond.cond_lines(layer, self.ctx, needed, emit)
        if layer.kind == "container" and layer.op == "masked_computation":
            return _torch_ops_cond.masked_lines(layer, self.ctx, needed, emit)
        if layer.kind == "container":
            return _torch_ops_loop.loop_lines(layer, self.ctx, needed, emit)
        if layer.kind == "alias":
            self.ctx.begin(layer)
            return _torch_ops_loop.stacked_lines(layer, self.ctx)
        return self._lower(layer)

    def _derived_dims_refresh(self) -> list[str]:
        """Recompute the config-level dynamic dims derived by dim math (``time - 1``, ...).

        RETURNN resets the extern data dims per step but not the dims derived from them
        (their sizes would stay those of an earlier batch): reset each, then complete its
        sizes from this batch's (a no-op for one whose inputs have no sizes here).
        """
        runtime = set(self.ctx.runtime_dims)
        derived: list[int] = []
        for info in self.record.dims:
            if info.size is not None or info.kind == "batch" or info.derivation is None:
                continue
            inputs = info.derivation[1]
            if info.derivation[0] == "constant" or any(
                i in runtime or (i not in derived and self.record.dims[i].derivation is not None
                                 and self.record.dims[i].size is None)
                for i in inputs
            ):  # fmt: skip
                continue  # derived from a dim made at run time: no config-level dim
            derived.append(info.id)
        codes = [self.ctx.dim(i) for i in derived]
        return [f"{code}.reset_eager()" for code in codes] + [
            f"{code}.complete_dyn_size()" for code in codes
        ]

    def _lower(self, layer: rc_nn.LayerRecord) -> list[str]:
        if layer.kind == "sub" and layer.parent is not None:
            parent_op = self.record.layers[layer.parent].op
            sub_lowering = None if parent_op is None else sub_lowering_of(parent_op)
            if sub_lowering is None:
                raise layer_error(layer, f"is a sub-layer of {parent_op!r}, not covered yet")
            self.ctx.begin(layer)
            return sub_lowering(layer, self.ctx)
        if layer.kind != "layer" or layer.op is None:
            raise layer_error(
                layer, f"is a {layer.kind} layer (sub-layers and aliases are not covered)"
            )
        lowering = lowering_of(layer.op)
        if lowering is None:
            raise layer_error(layer, "has no torch lowering yet")
        self.ctx.begin(layer)
        return lowering(layer, self.ctx)


def _template_dims(record: rc_nn.BuildRecord, layer: int) -> list[int]:
    template = record.layers[layer].output
    return [*template.dims, *([] if template.sparse_dim is None else [template.sparse_dim])]


def _path_code(path: tuple[str, ...]) -> str:
    """A tuple literal of a canonical path (each component through the escaping path)."""
    parts = [str_literal(part) for part in path]
    return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _dict_code(value: dict[str, dict[str, object]], dims: DimNamer) -> str:
    if not value:
        return "{}"
    body = "".join(
        f"    {py_code(key, dims)}: {py_code(item, dims)},\n" for key, item in value.items()
    )
    return "{\n" + body + "}"


def _check_covered(record: rc_nn.BuildRecord, used: dict[int, None]) -> None:
    """Control flow but loops over an axis and conds, and an extra net dict: refused up front."""
    _torch_ops_loop.check_control_flow(record, used)
    if record.extra_net_dict:
        keys = ", ".join(str_literal(str(k)) for k in record.extra_net_dict)
        raise TorchNotCoveredError(
            f"the torch backend cannot write the extra net dict entries {keys} "
            "(nn.extra_net_dict holds TF net dict layers); "
            f"Coverage: {COVERAGE_DOC}; build this model with the TF backend meanwhile"
        )


def torch_config(root_module: rc_nn.Module, *, behavior_version: int) -> str:
    """The torch config code of a called model (see the module docstring)."""
    return TorchConfig(root_module).code(behavior_version=behavior_version)
