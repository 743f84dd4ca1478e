"""The final pass: from a called model to a RETURNN net dict, names assigned once.

It is a driver of passes over rc-nn's build record (``rc_nn.build_record``), which is
the only thing it reads about the model besides rc-nn's and rc-naming's public API:

1. **select** (``_select``): the marks of this model (a root can hold several models),
   the inputs it keeps, and clear errors when nothing is marked or the model was never
   called.
2. **reach** (``_reach``): the layers the marked outputs and losses depend on (others
   are dropped), plus every parameter of the root module: one no output uses still
   gets its ``variable`` layer (with ``is_output_layer``), so RETURNN creates every
   variable of ``named_parameters()`` (N4) and checkpoints do not depend on the outputs.
3. **name** parameters (``_name_params``: canonical paths, N3/N5, checked for TF
   variable names), layers (``_name_layers``: names from the call tree, N6; the root
   module's own call is merged into the root scope, N2; module calls become no RETURNN
   subnetworks, parameter names are set with ``name_scope``, so the net dict stays
   flat; control-flow blocks are real RETURNN scopes with their reserved names kept
   free) and references (``_name_refs``: ``base:`` per level up, ``prev:`` for a loop
   state's previous frame, ``data:`` for extern data, N7).
4. **emit** (``_emit_tf``): the TF net dict, extern data, variable names.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import rc_naming
import rc_nn

from ._code import DimNamer, py_code
from ._emit_tf import EmitParams, SerializedNetwork, serialized_network
from ._errors import NotAModuleError, RecordVersionError, RootMismatchError
from ._name_layers import name_layers
from ._name_params import ParamNaming, param_paths
from ._pycode import ConfigCodeError
from ._reach import reach
from ._select import never_called_note, select_extern, select_marks

__all__ = ["SUPPORTED_RECORD_MAJOR", "ParamNaming", "SerializedNetwork", "build_network"]

#: The build record major versions (``rc_nn.RECORD_VERSION[0]``) this emitter reads.
SUPPORTED_RECORD_MAJOR = frozenset({1})


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one final pass (restored afterwards).

    The pass allocates many small containers (layer dicts, name nodes, code strings)
    that live until it ends. Each burst of allocations triggers collections that walk
    the whole model built so far, which made the pass grow faster than linearly with
    the model (10,000 blocks). Reference counting still frees what the pass drops;
    cyclic garbage, if any, is collected once the collector runs again. The switch is
    process-wide, so another thread runs without cyclic collection meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_network(
    root_module: rc_nn.Module, *, param_naming: ParamNaming | None = None
) -> SerializedNetwork:
    """Run the final pass for the model whose root module is ``root_module``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     feat = nn.FeatureDim("in", 3)
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
    ...     _ = net(x).mark_as_default_output()
    ...     serialized = build_network(net)
    >>> sorted(serialized.network), serialized.variable_names["weight"]
    (['bias', 'output', 'weight'], 'weight/param')
    """
    with gc_paused():
        return _build_network(root_module, param_naming=param_naming)


def _record_of(root_module: rc_nn.Module) -> tuple[rc_nn.BuildRecord, rc_nn.RecordHandles]:
    if not isinstance(root_module, rc_nn.Module):
        raise NotAModuleError(
            f"the root module must be an nn.Module, got {type(root_module).__name__}; "
            "pass the model object you called, e.g. get_returnn_config_serialized(net)"
        )
    try:
        record, handles = rc_nn.build_record(root_module)
    except rc_naming.RootMismatchError as exc:
        raise RootMismatchError(str(exc)) from exc
    except rc_nn.RecordValueError as exc:
        raise _unwritable(exc) from exc
    if record.version[0] not in SUPPORTED_RECORD_MAJOR:
        raise RecordVersionError(
            f"rc-nn wrote a build record of version {record.version[0]}.{record.version[1]}, "
            f"but this rc-serialize reads major versions {sorted(SUPPORTED_RECORD_MAJOR)}; "
            "install matching versions (pip install -U rc-nn rc-serialize)"
        )
    return record, handles


def _unwritable(exc: rc_nn.RecordValueError) -> ConfigCodeError:
    """A value the record cannot hold is one no config can hold: the config writer's error."""
    try:
        py_code(exc.value, DimNamer())
    except ConfigCodeError as writer_error:
        return ConfigCodeError(f"{writer_error} (in {exc.where})")
    return ConfigCodeError(str(exc))


def _build_network(
    root_module: rc_nn.Module, *, param_naming: ParamNaming | None
) -> SerializedNetwork:
    record, handles = _record_of(root_module)
    naming = param_naming or ParamNaming()
    selection = select_marks(record)
    used = reach(record.layers, [mark.layer for mark in selection.marks])
    # N4 for unused parameters: every parameter of the root module (its named_parameters)
    # gets its variable layer, also when no output or loss uses it, so the TF variables and
    # the checkpoint always equal named_parameters (whatever the outputs of this config).
    unused = [p.layer for p in record.params if p.in_model and p.layer not in used]
    used.update(dict.fromkeys(unused))
    paths = param_paths(record, used, handles.unreachable, lambda: never_called_note(record))
    names = name_layers(record, selection.marks, used, paths)
    return serialized_network(
        record,
        handles,
        names,
        EmitParams(paths, frozenset(unused), naming, {p.layer: p for p in record.params}),
        select_extern(record, used, selection.foreign_used),
    )
