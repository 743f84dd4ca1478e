"""Round trip of a called model through RETURNN, with the checks every test model must pass.

The implementation behind the public :mod:`rc_serialize.testing` (import from there).
TensorFlow is imported only when a round trip runs.

``roundtrip(model)`` serializes the model (its root module), constructs the config
in RETURNN's TF backend, runs forward (and training steps), saves and restores a
checkpoint, and asserts:

* N4: the TF variable names, the checkpoint names and ``model.named_parameters()``
  (rendered with ``/`` and the naming suffix) are the same set;
* template agreement: for every layer, our inferred output template equals
  RETURNN's (dims in order with description and size, dtype, sparse dim), and the time
  axis of rc-nn's ``Tensor.data`` (the predecessor's view) is that of RETURNN's layer
  output, as is the feature axis where RETURNN has its default rule.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy

import rc_nn as nn

from ._config import get_returnn_config_serialized
from ._errors import RcSerializeError
from ._final import ParamNaming, SerializedNetwork, build_network
from ._returnn_check import CheckReport, check_config, template_of

__all__ = [
    "RoundTrip",
    "RoundTripError",
    "assert_templates_agree",
    "expected_variable_names",
    "roundtrip",
]


class RoundTripError(RcSerializeError, AssertionError):
    """A round trip found a difference between rc's view of a model and RETURNN's.

    An ``AssertionError`` (pytest shows it as a failed check), raised explicitly, so
    ``python -O`` does not skip the checks.

    Examples
    --------
    >>> isinstance(RoundTripError("TF variables differ"), AssertionError)
    True
    """


@dataclasses.dataclass
class RoundTrip:
    """What a round trip produced: the config code, the serialized network, RETURNN's report.

    Examples
    --------
    >>> RoundTrip.__dataclass_fields__.keys()
    dict_keys(['code', 'serialized', 'report'])
    """

    code: str
    serialized: SerializedNetwork
    report: CheckReport

    def output(self, name: str = "output") -> numpy.ndarray:
        """Forward values of an output layer."""
        return self.report.outputs[name]


def expected_variable_names(model: nn.Module, param_naming: str = "predecessor") -> set[str]:
    """``named_parameters()`` rendered as TF variable names.

    Examples
    --------
    >>> with nn.Root():
    ...     net = nn.Linear(nn.FeatureDim("in", 3), nn.FeatureDim("out", 2))
    >>> sorted(expected_variable_names(net)), sorted(expected_variable_names(net, "plain"))
    (['bias/param', 'weight/param'], ['bias', 'weight'])
    """
    naming = ParamNaming(param_naming)
    return {naming.variable_name(tuple(path.split("."))) for path, _ in model.named_parameters()}


def _dims_key(template: Any) -> list[tuple[str, int | None]]:
    # Every batch dim is "the batch" (in search RETURNN's is the batch times the beam).
    return [
        ("batch", None) if d.kind == "batch" else (d.description, d.size) for d in template.dims
    ]


def _axis_dim(template: Any, axis: int | None) -> tuple[str, int | None] | None:
    return None if axis is None else _dims_key(template)[axis]


def _special_axes_problem(name: str, tensor: nn.Tensor, theirs: Any) -> str | None:
    """Where ``Tensor.data`` (the predecessor's view) has another time or feature axis than
    RETURNN's layer output, else ``None``.

    The time axis is compared for every layer. The feature axis is compared where RETURNN
    has its default rule; where a layer set it explicitly, RETURNN carries that axis on by
    position through later layers (transposes, ``split_dims``, ``slice_nd``, ...), which
    ``Tensor.data`` does not follow (a documented difference, docs/compat-items.md).
    """
    view = template_of(tensor.data)
    ours = (_axis_dim(view, view.time_dim_axis), _axis_dim(view, view.feature_dim_axis))
    returnn = (_axis_dim(theirs, theirs.time_dim_axis), _axis_dim(theirs, theirs.feature_dim_axis))
    if theirs.feature_axis_explicit:
        ours, returnn = (ours[0], None), (returnn[0], None)
    if ours == returnn:
        return None
    layer_class = (tensor.layer_dict or {}).get("class")
    return (
        f"{name} ({layer_class}): Tensor.data has time axis {ours[0]}, feature axis {ours[1]}; "
        f"RETURNN time axis {returnn[0]}, feature axis {returnn[1]}"
    )


def assert_templates_agree(serialized: SerializedNetwork, report: CheckReport) -> None:
    """Our inferred template equals RETURNN's for every layer we emitted, inside loops too.

    Compared: the dims in order (description and size; every batch dim is "the batch"),
    the dtype, the sparse dim, and the time and feature axes of ``Tensor.data`` (see
    :func:`roundtrip`). Inside a loop the comparison is per frame.

    Raises
    ------
    RoundTripError
        with one line per layer that differs.
    """
    problems = [*_layer_problems(serialized, report), *_loop_layer_problems(serialized, report)]
    if problems:
        raise RoundTripError(
            "inferred templates differ from RETURNN's:\n  " + "\n  ".join(problems)
        )


def _layer_problems(serialized: SerializedNetwork, report: CheckReport) -> list[str]:
    """Differences of the layers outside loops."""
    problems = []
    for name, tensor in serialized.layer_tensors.items():
        if name not in report.layer_templates:
            continue  # not constructed by RETURNN (not needed for any output)
        ours = template_of(tensor.template)
        theirs = report.layer_templates[name]
        if _dims_key(ours) != _dims_key(theirs) or ours.dtype != theirs.dtype:
            problems.append(
                f"{name}: ours {_dims_key(ours)} {ours.dtype}, RETURNN {_dims_key(theirs)} {theirs.dtype}"
            )
        elif (ours.sparse_dim is None) != (theirs.sparse_dim is None) or (
            ours.sparse_dim is not None
            and theirs.sparse_dim is not None
            and (ours.sparse_dim.description, ours.sparse_dim.size)
            != (theirs.sparse_dim.description, theirs.sparse_dim.size)
        ):
            problems.append(
                f"{name}: sparse dim ours {ours.sparse_dim}, RETURNN {theirs.sparse_dim}"
            )
        elif (problem := _special_axes_problem(name, tensor, theirs)) is not None:
            problems.append(problem)
    return problems


def _loop_layer_problems(serialized: SerializedNetwork, report: CheckReport) -> list[str]:
    """Differences of the layers inside loops, compared per frame."""
    # Inside a loop our template is per frame; RETURNN may move a layer out of the loop,
    # then its template also has the loop axis. Compare per frame: without loop axes.
    loop_layers = serialized.loop_layer_tensors
    # A cum_concat moved out of the loop (RETURNN does so when only stacked results need
    # it) replaces the loop axis by its history dim in place: there the history dim takes
    # the loop axis' position, so it is compared like a loop axis.
    histories = {
        (d.description, d.dimension)
        for tensor, _ in loop_layers.values()
        if tensor.layer_dict is not None and tensor.layer_dict.get("class") == "cum_concat"
        for d in [tensor.layer_dict["out_spatial_dim"]]
    }
    problems = []
    for name, (tensor, loop_axes) in loop_layers.items():
        if name not in report.layer_templates:
            continue
        ours = template_of(tensor.template)
        theirs = report.layer_templates[name]
        skip = {(d.description, d.dimension) for d in loop_axes}
        theirs_key, ours_key = _dims_key(theirs), _dims_key(ours)
        theirs_frame = [k for k in theirs_key if k not in skip]
        moved = histories & set(theirs_key) & set(ours_key)
        if ours_key != theirs_frame and moved and not skip & set(theirs_key):
            ours_key = [k for k in ours_key if k not in moved]
            theirs_frame = [k for k in theirs_frame if k not in moved]
        if ours_key != theirs_frame and theirs.moved_out_of_loop and set(ours_key) & histories:
            # Moved out and combined with the whole sequence, a layer with a history dim has
            # RETURNN's order of the outside (loop axis and history dim both present): the
            # same dims per frame, in an order that is RETURNN's business there.
            ours_key, theirs_frame = sorted(ours_key, key=str), sorted(theirs_frame, key=str)
        if ours_key != theirs_frame or ours.dtype != theirs.dtype:
            problems.append(
                f"{name} (in a loop): ours {_dims_key(ours)} {ours.dtype}, "
                f"RETURNN {_dims_key(theirs)} {theirs.dtype}"
            )
        elif not theirs.moved_out_of_loop and _dims_key(ours) == _dims_key(theirs):
            # Per frame, as RETURNN runs the layer inside its loop: the same axes.
            problem = _special_axes_problem(f"{name} (in a loop)", tensor, theirs)
            if problem is not None:
                problems.append(problem)
    return problems


def roundtrip(
    model: nn.Module,
    *,
    train_steps: int = 0,
    param_naming: str = "predecessor",
    check_templates: bool = True,
    **check_kwargs: Any,
) -> RoundTrip:
    """Serialize ``model`` and prove the config in RETURNN (see :mod:`rc_serialize.testing`).

    Parameters
    ----------
    model
        the called root module (outputs or losses marked).
    train_steps
        Adam steps in RETURNN (needs a marked loss); ``0``: forward only.
    param_naming
        ``"predecessor"`` (``.../param``) or ``"plain"`` TF variable names.
    check_templates
        also compare every layer's inferred template with RETURNN's.
    check_kwargs
        passed on to :func:`check_config` (``seed``, ``batch``, ``max_time``, ...).

    Raises
    ------
    RoundTripError
        rc and RETURNN disagree (names, restored values, templates, losses).
    ReturnnCheckError
        RETURNN rejected or failed on the config.
    """
    code = get_returnn_config_serialized(model, param_naming=param_naming)
    serialized = build_network(model, param_naming=ParamNaming(param_naming))
    report = check_config(code, train_steps=train_steps, **check_kwargs)
    expected = expected_variable_names(model, param_naming)
    used = set(serialized.variable_names.values())
    # N4: the config, the TF variables and named_parameters() agree, parameters that no
    # output uses included (they get variable layers of their own).
    _check(report.variable_names == used, "TF variables", report.variable_names, used)
    _check(used == expected, "named_parameters()", expected, used)
    _check(
        report.restored_variable_names == used, "checkpoint", report.restored_variable_names, used
    )
    if not report.restore_ok:
        raise RoundTripError("the restored checkpoint does not give back the saved values")
    if check_templates:
        assert_templates_agree(serialized, report)
    if train_steps and not all(numpy.isfinite(report.losses)):
        raise RoundTripError(f"training gave non-finite losses: {report.losses}")
    return RoundTrip(code, serialized, report)


def _check(ok: bool, what: str, theirs: set[str], config: set[str]) -> None:
    """Raise :class:`RoundTripError` naming the names that differ, unless ``ok``."""
    if not ok:
        raise RoundTripError(
            f"the names of the {what} differ from the config's variable names: only in the "
            f"{what}: {sorted(theirs - config)}; only in the config: {sorted(config - theirs)}"
        )
