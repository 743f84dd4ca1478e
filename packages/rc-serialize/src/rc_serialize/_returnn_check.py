"""Verification oracle: construct a RETURNN config in RETURNN's real TF backend and run it.

The command line tool (``rc-serialize build --check``), :mod:`rc_serialize.testing` and
the tests use :func:`check_config` to prove that an emitted config is accepted by
RETURNN, that a forward pass and a few training steps run, and that the TF variables
RETURNN creates (and writes to a checkpoint) have the expected names.

The harness is split by concern: ``_returnn_errors`` (the error and its hints),
``_returnn_templates`` (comparable layer outputs, no TF), ``_returnn_env`` (RETURNN's
global state), ``_returnn_construct`` (config loading, construction, random input) and
``_returnn_network`` (reading a constructed network). The pieces the tests and the
benchmark drive directly are re-exported here under their old names.

TensorFlow and ``returnn.tf`` are imported only inside functions: importing this
module (or anything that builds or serializes a model) never imports TensorFlow.
``returnn.tensor`` may be used at build time, so :func:`template_of` also works on
pure ``returnn.tensor`` objects.
"""

from __future__ import annotations

import dataclasses
import pathlib
import tempfile
from collections.abc import Callable
from typing import Any

import numpy

# The harness pieces under the names the tests and the benchmark import them by.
from ._returnn_construct import Built as _Built
from ._returnn_construct import construct as _construct
from ._returnn_construct import load_config as _load_config
from ._returnn_construct import random_feed as _random_feed
from ._returnn_env import behavior_version_of as _behavior_version_of
from ._returnn_env import ensure_native_op_cpu_only
from ._returnn_env import quiet_returnn_log as _quiet_returnn_log
from ._returnn_errors import MAX_NET_DICT_CHARS, ReturnnCheckError
from ._returnn_errors import check_error as _error
from ._returnn_network import is_internal_variable as _is_internal_variable
from ._returnn_network import layer_templates as _layer_templates
from ._returnn_network import model_variables as _model_variables
from ._returnn_network import output_layers as _output_layers
from ._returnn_network import strip_suffix as _strip
from ._returnn_templates import DimInfo, LayerTemplate, template_of

__all__ = [
    "MAX_NET_DICT_CHARS",
    "CheckReport",
    "DimInfo",
    "LayerTemplate",
    "ReturnnCheckError",
    "check_config",
    "ensure_native_op_cpu_only",
    "template_of",
]


@dataclasses.dataclass
class CheckReport:
    """What :func:`check_config` observed.

    Attributes
    ----------
    variable_names
        the model's TF variables (trainable and not), without ``:0`` and
        without ``global_step``, optimizer slots or RETURNN state variables.
    variable_shapes
        the static shape of each variable in ``variable_names``.
    layer_templates
        every constructed layer by its absolute path (``"enc/lin"``),
        including layers of subnetworks and rec units where RETURNN exposes them.
    outputs
        forward pass values (with the initial parameters) of the default
        output layer and of all layers marked as output, by absolute layer path.
    losses
        total loss (objective) per training step; empty without a loss or
        without training steps.
    restored_variable_names
        variable names listed in the saved checkpoint, minus
        ``global_step``.
    restore_ok
        a second, fresh construction of the config restored the checkpoint
        and got exactly the saved values for every variable.
    """

    variable_names: set[str]
    variable_shapes: dict[str, tuple[int, ...]]
    layer_templates: dict[str, LayerTemplate]
    outputs: dict[str, numpy.ndarray]
    losses: list[float]
    restored_variable_names: set[str]
    restore_ok: bool


def check_config(
    config_code: str,
    *,
    train_steps: int = 0,
    seed: int = 1,
    search: bool = False,
    learning_rate: float = 0.01,
    batch: int = 3,
    max_time: int = 7,
    tmp_dir: pathlib.Path | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
) -> CheckReport:
    """Construct, run, train, save and restore a RETURNN config in RETURNN's TF backend.

    Parameters
    ----------
    config_code
        the config as Python code (defines ``network`` and ``extern_data``).
    train_steps
        Adam steps on the network's total objective; ``> 0`` also constructs
        the network with ``train_flag`` (losses and dropout active).
    seed
        seed for TF and for the random input data.
    search
        construct with ``search_flag``.
    learning_rate
        Adam's learning rate.
    batch
        batch size of the random data.
    max_time
        maximal length of dynamic dims (one sequence always has it).
    tmp_dir
        where the config file and checkpoint go; a temporary directory if ``None``.
    on_step
        called after every training step with (step, total steps, loss), e.g. to
        show progress.

    Raises
    ------
    ReturnnCheckError
        RETURNN failed; the message includes the net dict and the error.
    ModuleNotFoundError
        RETURNN's TF backend (``tensorflow``, ``dm-tree``) is not
        installed (``pip install 'rc-serialize[check]'``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> from rc_serialize import get_returnn_config_serialized
    >>> with nn.Root():
    ...     feat = nn.FeatureDim("in", 3)
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
    ...     _ = net(x).mark_as_default_output()
    ...     report = check_config(get_returnn_config_serialized(net))
    >>> sorted(report.restored_variable_names), report.restore_ok
    (['bias/param', 'weight/param'], True)
    """
    if tmp_dir is None:
        with tempfile.TemporaryDirectory(prefix="rc-returnn-check-") as name:
            return _check_in_dir(
                config_code,
                pathlib.Path(name),
                train_steps=train_steps,
                seed=seed,
                search=search,
                learning_rate=learning_rate,
                batch=batch,
                max_time=max_time,
                on_step=on_step,
            )
    tmp_dir.mkdir(parents=True, exist_ok=True)
    return _check_in_dir(
        config_code,
        tmp_dir,
        train_steps=train_steps,
        seed=seed,
        search=search,
        learning_rate=learning_rate,
        batch=batch,
        max_time=max_time,
        on_step=on_step,
    )


def _check_in_dir(
    config_code: str,
    work_dir: pathlib.Path,
    *,
    train_steps: int,
    seed: int,
    search: bool,
    learning_rate: float,
    batch: int,
    max_time: int,
    on_step: Callable[[int, int, float], None] | None,
) -> CheckReport:
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs

    ensure_native_op_cpu_only()
    _quiet_returnn_log()
    config_path = work_dir / "returnn_config.py"
    config_path.write_text(config_code, encoding="utf-8")
    checkpoint = work_dir / "model" / "model.ckpt"
    train = train_steps > 0

    config = _load_config(config_path)
    with _behavior_version_of(config):
        built = _construct(config, train=train, search=search, seed=seed)
        run = _first_run(
            built,
            checkpoint,
            train_steps=train_steps,
            seed=seed,
            learning_rate=learning_rate,
            batch=batch,
            max_time=max_time,
            on_step=on_step,
        )
        restored_names = {
            name
            for name, _ in tf.train.list_variables(str(checkpoint))
            if not _is_internal_variable(name)
        }
        restore_ok = _restore_matches(
            config_path, checkpoint, run.saved_values, train=train, search=search, seed=seed
        )
    return CheckReport(
        variable_names=set(run.variable_shapes),
        variable_shapes=run.variable_shapes,
        layer_templates=run.templates,
        outputs=run.outputs,
        losses=run.losses,
        restored_variable_names=restored_names,
        restore_ok=restore_ok,
    )


@dataclasses.dataclass
class _FirstRun:
    """What the first construction observed: variables, templates, outputs, losses, values."""

    variable_shapes: dict[str, tuple[int, ...]]
    templates: dict[str, LayerTemplate]
    outputs: dict[str, numpy.ndarray]
    losses: list[float]
    saved_values: dict[str, Any]


def _first_run(
    built: _Built,
    checkpoint: pathlib.Path,
    *,
    train_steps: int,
    seed: int,
    learning_rate: float,
    batch: int,
    max_time: int,
    on_step: Callable[[int, int, float], None] | None,
) -> _FirstRun:
    """Forward pass, training steps and checkpoint save on the constructed network."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs

    network = built.network
    with built.graph.as_default():
        variables = _model_variables(network)
        variable_shapes = {
            _strip(v.name): tuple(int(d) for d in v.shape.as_list()) for v in variables
        }
        templates = _layer_templates(network)
        outputs_by_name = _output_layers(network)
        rng = numpy.random.RandomState(seed)
        feed = _random_feed(network, rng=rng, batch=batch, max_time=max_time)
        losses: list[float] = []
        with tf.compat.v1.Session(graph=built.graph) as session:
            try:
                network.initialize_params(session)
                fetches = {
                    k: layer.output.placeholder
                    for k, layer in outputs_by_name.items()
                    if layer.output.placeholder is not None
                }
                outputs: dict[str, numpy.ndarray] = session.run(fetches, feed_dict=feed)
                if train_steps > 0:
                    losses = _train(
                        network,
                        session,
                        feed,
                        steps=train_steps,
                        learning_rate=learning_rate,
                        on_step=on_step,
                    )
                saved_values = dict(zip(variable_shapes, session.run(variables), strict=True))
                network.save_params_to_file(str(checkpoint), session)
            except Exception as exc:
                raise _error("running the network", built.net_dict, exc) from exc
    return _FirstRun(variable_shapes, templates, outputs, losses, saved_values)


def _train(
    network: Any,
    session: Any,
    feed: dict[Any, Any],
    *,
    steps: int,
    learning_rate: float,
    on_step: Callable[[int, int, float], None] | None = None,
) -> list[float]:
    """Run Adam on the network's total objective, on the same batch each step."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs

    objective = network.get_objective()
    if isinstance(objective, int | float):
        return []  # the network has no loss
    before = set(tf.compat.v1.global_variables())
    optimizer = tf.compat.v1.train.AdamOptimizer(learning_rate=learning_rate)
    # The loss must be read before the update writes the variables: in one session.run
    # nothing else orders the two, and the reported loss was sometimes the one after the
    # step. The control dependency makes the order part of the graph.
    loss_before_update = tf.identity(objective)
    with tf.control_dependencies([loss_before_update]):
        train_op = optimizer.minimize(objective, var_list=network.get_trainable_params())
    new_vars = [v for v in tf.compat.v1.global_variables() if v not in before]
    session.run(tf.compat.v1.variables_initializer(new_vars))
    losses: list[float] = []
    for step in range(1, steps + 1):
        loss, _unused = session.run([loss_before_update, train_op], feed_dict=feed)
        losses.append(float(loss))
        if on_step is not None:
            on_step(step, steps, float(loss))
    return losses


def _restore_matches(
    config_path: pathlib.Path,
    checkpoint: pathlib.Path,
    saved_values: dict[str, Any],
    *,
    train: bool,
    search: bool,
    seed: int,
) -> bool:
    """Construct the config again (fresh config, fresh graph), restore, compare values."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs

    config = _load_config(config_path)
    built = _construct(config, train=train, search=search, seed=seed + 1)
    with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
        variables = _model_variables(built.network)
        try:
            built.network.initialize_params(session)
            built.network.load_params_from_file(str(checkpoint), session)
        except Exception as exc:
            raise _error("restoring the checkpoint", built.net_dict, exc) from exc
        names = [_strip(v.name) for v in variables]
        if set(names) != set(saved_values):
            return False
        values = session.run(variables)
    return all(
        numpy.array_equal(value, saved_values[name], equal_nan=True)
        for name, value in zip(names, values, strict=True)
    )
