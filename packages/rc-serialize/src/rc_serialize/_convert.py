"""``rc-serialize convert``: a model's TF checkpoint <-> its PyTorch checkpoint (issue 14, N9).

The TF checkpoint is the one RETURNN's TF backend writes for the model's TF config
(variables named by :class:`ParamNaming`, e.g. ``enc/lin/weight/param``, plus
``global_step``). The PyTorch checkpoint is the one RETURNN's torch engine writes and
reads for the torch config: a ``.pt`` file holding ``{"model": state_dict, "epoch": ...,
"step": ...}`` whose state-dict keys are the canonical dotted paths. Values are
transposed by the per-module layouts of ``_torch_layout`` (conv filters), never
changed otherwise, so TF -> torch -> TF is bit-exact.

Both directions use one parameter table: the model's TF variables (``build_network``;
every parameter of ``named_parameters()`` and any other used one) with their record
dims. TensorFlow and torch are imported only inside the functions that read or write
them.

Examples
--------
>>> import rc_nn as nn
>>> with nn.Root():
...     feat, time = nn.FeatureDim("feat", 3), nn.SpatialDim("time")
...     conv = nn.Conv1d(feat, nn.FeatureDim("out", 4), 5)
...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
...     _ = conv(x, in_spatial_dim=time)[0].mark_as_default_output()
...     table = param_table(conv)
>>> [(p.key, p.tf_name, p.tf_shape, p.torch_shape) for p in table]
[('filter', 'filter/param', (5, 3, 4), (4, 3, 5)), ('bias', 'bias/param', (4,), (4,))]
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pathlib
import re
from collections.abc import Mapping
from typing import Any

import numpy

import rc_nn

from ._checkpoint_errors import CheckpointPathError
from ._checkpoints import _checkpoint_prefix, variable_to_path
from ._convert_errors import (
    CheckpointFormatError,
    MissingParameterError,
    ParameterShapeError,
    UnexpectedParameterError,
)
from ._final import ParamNaming, build_network
from ._torch_layout import TorchParamLayout, torch_param_layout

__all__ = ["ConvertResult", "TableEntry", "convert_checkpoint", "param_table"]

_TORCH_SUFFIXES = (".pt", ".pth")
_LISTED = 8  # names listed in an error message before "... and N more"


@dataclasses.dataclass(frozen=True)
class TableEntry:
    """One parameter: state-dict key, TF variable name, shapes and the torch layout.

    ``layout``: the TF axes in torch order and the LSTM gate reorder (``_torch_layout``).
    A dynamic dim's size is ``-1`` in the shapes (it matches any size).
    """

    key: str
    tf_name: str
    tf_shape: tuple[int, ...]
    layout: TorchParamLayout
    created_at: str

    @property
    def torch_shape(self) -> tuple[int, ...]:
        """The shape in torch order."""
        return tuple(self.tf_shape[i] for i in self.layout.axes)


@dataclasses.dataclass(frozen=True)
class ConvertResult:
    """What :func:`convert_checkpoint` wrote.

    Attributes
    ----------
    output
        the written file (``.pt``) or TF checkpoint prefix.
    to
        ``"torch"`` or ``"tf"``.
    parameters
        how many parameters were converted.
    step, epoch
        the training step and epoch written (``epoch`` None: not known, not written).
    ignored
        TF variables that are no parameters and were not carried over (optimizer slots).
    """

    output: pathlib.Path
    to: str
    parameters: int
    step: int | None
    epoch: int | None
    ignored: tuple[str, ...] = ()


def param_table(model: rc_nn.Module, *, param_naming: str = "predecessor") -> list[TableEntry]:
    """The conversion table of a called model: one entry per TF variable of its TF config.

    See the module docstring for an example.

    Raises
    ------
    TorchLayoutError
        (``NotImplementedError``) a parameter's PyTorch layout is not
        declared (LSTM weights: not covered yet).
    """
    serialized = build_network(model, param_naming=ParamNaming(param_naming))
    record, _handles = rc_nn.build_record(model)
    table = []
    for param in record.params:  # named_parameters() order, then other used parameters
        key = ".".join(param.path) if param.path is not None else None
        tf_name = serialized.variable_names.get(key) if key is not None else None
        if key is None or tf_name is None:
            continue  # not in the TF config (build_network raised for a used one)
        sizes = [record.dims[d].size for d in param.dims]
        table.append(
            TableEntry(
                key=key,
                tf_name=tf_name,
                tf_shape=tuple(-1 if s is None else int(s) for s in sizes),
                layout=torch_param_layout(param, record),
                created_at=record.layers[param.layer].created_at,
            )
        )
    return table


def convert_checkpoint(
    model: rc_nn.Module,
    checkpoint: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    param_naming: str = "predecessor",
    epoch: int | None = None,
) -> ConvertResult:
    """Convert ``model``'s checkpoint between RETURNN's TF and PyTorch backends.

    The direction follows the input: a ``.pt``/``.pth`` file is a PyTorch checkpoint and
    becomes the TF checkpoint prefix ``output``; a TF checkpoint prefix (``model.003``,
    as RETURNN writes it) becomes the PyTorch file ``output`` (must end in ``.pt``).
    ``epoch`` (TF -> torch) is written into the ``.pt`` file; by default it is read from
    the prefix's ``.NNN`` suffix, and left out when there is none. The training step is
    carried over (TF ``global_step`` <-> ``"step"``); optimizer slots are not.

    Examples
    --------
    See ``rc-serialize convert --help`` and ``packages/rc-serialize/README.md``;
    ``convert_checkpoint(model, "net-model/network.003", "network.003.pt")``.

    Raises
    ------
    CheckpointPathError
        (``FileNotFoundError``) the input does not exist, or the output's
        directory does not exist.
    CheckpointFormatError
        (``ValueError``) the input is not a checkpoint of the kind its name says,
        or the output's name does not fit the direction.
    MissingParameterError, UnexpectedParameterError
        (``LookupError``) the checkpoint lacks parameters of the model, or holds
        parameters the model does not have (all are named).
    ParameterShapeError
        (``ValueError``) a value's shape is not the parameter's (named, with
        both shapes).
    TorchLayoutError
        (``NotImplementedError``) a parameter's PyTorch layout is not declared.
    """
    source = pathlib.Path(os.fspath(checkpoint))
    target = pathlib.Path(os.fspath(output))
    if source.suffix in _TORCH_SUFFIXES:
        if not source.is_file():
            raise CheckpointPathError(f"PyTorch checkpoint {str(source)!r} does not exist")
        _check_output(target, torch=False)
        table = param_table(model, param_naming=param_naming)
        return _torch_to_tf(table, source, target)
    prefix = _checkpoint_prefix(source)
    if not pathlib.Path(prefix + ".index").is_file():
        if source.is_file():
            raise CheckpointFormatError(
                f"{str(source)!r} is neither a PyTorch checkpoint (name ending in .pt) nor a TF "
                "checkpoint prefix (a name whose .index file exists, e.g. model.003 for "
                "model.003.index); give one of these"
            )
        raise CheckpointPathError(
            f"no checkpoint at {str(source)!r}: give a PyTorch checkpoint (.pt) or the TF "
            f"checkpoint prefix RETURNN wrote (e.g. model.003; {prefix}.index does not exist)"
        )
    _check_output(target, torch=True)
    table = param_table(model, param_naming=param_naming)
    if epoch is None:
        found = re.search(r"\.(\d+)$", prefix)
        epoch = int(found.group(1)) if found else None
    return _tf_to_torch(table, prefix, target, epoch)


def _check_output(target: pathlib.Path, *, torch: bool) -> None:
    if torch and target.suffix not in _TORCH_SUFFIXES:
        raise CheckpointFormatError(
            f"output {str(target)!r}: a PyTorch checkpoint for RETURNN's torch engine is a .pt "
            f"file; name it e.g. {target.name}.pt"
        )
    if not torch and target.suffix in (*_TORCH_SUFFIXES, ".index", ".meta"):
        raise CheckpointFormatError(
            f"output {str(target)!r}: the input is a PyTorch checkpoint, so the output is a TF "
            f"checkpoint prefix (e.g. model.003, RETURNN adds .index/.data-*); drop the "
            f"{target.suffix!r} suffix"
        )
    if not target.parent.is_dir():
        raise CheckpointPathError(
            f"output {str(target)!r}: directory {str(target.parent)!r} does not exist"
        )


def _check_names(
    table: list[TableEntry], found: Mapping[str, tuple[int, ...]], *, torch: bool, source: str
) -> None:
    """Missing, unexpected and mis-shaped parameters (one error naming all of a kind)."""
    expected = {(e.key if torch else e.tf_name): e for e in table}
    missing = [name for name in expected if name not in found]
    extra = sorted(name for name in found if name not in expected)
    kind = "state-dict key" if torch else "variable"
    if missing:
        raise MissingParameterError(
            f"{source} lacks {len(missing)} parameter {kind}(s) of the model: "
            f"{_listed(missing)}. Is it a checkpoint of this model (same MODULE:FACTORY, same "
            "--param-naming)? Compare names with `rc-serialize diff`."
        )
    if extra:
        raise UnexpectedParameterError(
            f"{source} holds {len(extra)} {kind}(s) the model does not have: {_listed(extra)}. "
            "Is it a checkpoint of this model (same MODULE:FACTORY, same --param-naming)? "
            "Compare names with `rc-serialize diff`."
        )
    for name, entry in expected.items():
        want = entry.torch_shape if torch else entry.tf_shape
        got = found[name]
        if len(got) != len(want) or any(w not in (-1, g) for w, g in zip(want, got, strict=False)):
            raise ParameterShapeError(
                f"{source}: parameter {entry.key} ({kind} {name!r}, created at "
                f"{entry.created_at}) has shape {tuple(got)}, but the model's parameter has "
                f"shape {tuple(want)} ({'torch' if torch else 'TF'} layout). Were the model's "
                "dims changed since the checkpoint was written?"
            )


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_LISTED])
    return shown if len(names) <= _LISTED else f"{shown} ... and {len(names) - _LISTED} more"


def _tf_to_torch(
    table: list[TableEntry], prefix: str, target: pathlib.Path, epoch: int | None
) -> ConvertResult:
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a checkpoint is read

    torch = _torch()

    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except Exception as exc:
        raise CheckpointFormatError(
            f"cannot read TF checkpoint {prefix!r}: {type(exc).__name__}: {exc}"
        ) from exc
    ignored = tuple(sorted(n for n in shapes if variable_to_path(n) is None))
    params = {n: tuple(int(d) for d in s) for n, s in shapes.items() if n not in ignored}
    _check_names(table, params, torch=False, source=f"TF checkpoint {prefix!r}")
    state = {}
    for entry in table:
        value = numpy.asarray(reader.get_tensor(entry.tf_name))
        state[entry.key] = torch.from_numpy(entry.layout.to_torch(value))
    step = int(reader.get_tensor("global_step")) if "global_step" in shapes else None
    content: dict[str, Any] = {"model": state}
    if epoch is not None:
        content["epoch"] = int(epoch)
    if step is not None:
        content["step"] = step
    temp = target.with_name(target.name + ".tmp_write")
    torch.save(content, temp)
    temp.replace(target)
    dropped = tuple(n for n in ignored if n != "global_step")
    return ConvertResult(target, "torch", len(table), step, epoch, dropped)


def _torch_to_tf(
    table: list[TableEntry], source: pathlib.Path, target: pathlib.Path
) -> ConvertResult:
    state, step, epoch = _read_torch(source)
    shapes = {k: tuple(int(d) for d in v.shape) for k, v in state.items()}
    _check_names(table, shapes, torch=True, source=f"PyTorch checkpoint {str(source)!r}")
    values: dict[str, numpy.ndarray] = {}
    for entry in table:
        value = state[entry.key].detach().cpu().numpy()
        values[entry.tf_name] = entry.layout.to_tf(value)
    if step is not None:
        values["global_step"] = numpy.asarray(step, dtype=numpy.int64)
    _write_tf(values, target)
    return ConvertResult(target, "tf", len(table), step, epoch)


def _read_torch(source: pathlib.Path) -> tuple[dict[str, Any], int | None, int | None]:
    torch = _torch()

    try:
        content = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointFormatError(
            f"cannot read PyTorch checkpoint {str(source)!r}: {type(exc).__name__}: {exc}"
        ) from exc
    # As RETURNN's torch engine: the state dict under "model", or the file is the state dict.
    state = content.get("model", content) if isinstance(content, dict) else None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointFormatError(
            f"{str(source)!r} is not a RETURNN PyTorch checkpoint: expected a dict with a "
            "state dict (name -> tensor) under 'model', as RETURNN's torch engine saves it"
        )
    step = content.get("step") if state is not content else None
    epoch = content.get("epoch") if state is not content else None
    return (
        state,
        None if step is None else int(step),
        None if epoch is None else int(epoch),
    )


def _torch() -> Any:
    """PyTorch, imported only here (no dependency of rc-serialize; untyped for mypy without it)."""
    return importlib.import_module("torch")


def _write_tf(values: Mapping[str, numpy.ndarray], target: pathlib.Path) -> None:
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a checkpoint is written

    graph = tf.Graph()
    with graph.as_default():
        feeds = {}
        variables = {}
        for name, value in values.items():
            holder = tf.compat.v1.placeholder(tf.as_dtype(value.dtype), shape=value.shape)
            variables[name] = tf.compat.v1.Variable(holder, name=name)
            feeds[holder] = value
        saver = tf.compat.v1.train.Saver(var_list=variables)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer(), feed_dict=feeds)
            saver.save(session, str(target), write_meta_graph=False, write_state=False)
