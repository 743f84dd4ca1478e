"""Verification oracle: construct a RETURNN config in RETURNN's real TF backend and run it.

This module is private. The command line tool and the tests use it to prove that an
emitted config is accepted by RETURNN, that a forward pass and a few training steps
run, and that the TF variables RETURNN creates (and writes to a checkpoint) have the
expected names.

TensorFlow and ``returnn.tf`` are imported only inside functions: importing this
module (or anything that builds or serializes a model) never imports TensorFlow.
``returnn.tensor`` may be used at build time, so :func:`template_of` also works on
pure ``returnn.tensor`` objects.
"""

from __future__ import annotations

import dataclasses
import pathlib
import pprint
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._errors import RcSerializeError

if TYPE_CHECKING:
    import numpy

__all__ = [
    "CheckReport",
    "DimInfo",
    "LayerTemplate",
    "ReturnnCheckError",
    "check_config",
    "ensure_native_op_cpu_only",
    "template_of",
]

#: Net dicts printed in error messages are cut after this many characters.
MAX_NET_DICT_CHARS = 20_000

_GLOBAL_STEP = "global_step"
# RETURNN's own bookkeeping variables (not model parameters): the RNG state of `random` layers.
_INTERNAL_VARIABLE_SUFFIXES = ("/random_generator/StateVar",)


def _is_internal_variable(name: str) -> bool:
    """``global_step`` and RETURNN's bookkeeping variables, which no rc parameter names."""
    return name == _GLOBAL_STEP or name.endswith(_INTERNAL_VARIABLE_SUFFIXES)


class ReturnnCheckError(RcSerializeError, RuntimeError):
    """RETURNN rejected or failed on a config.

    The message holds the stage that failed, the (pretty-printed, maybe truncated) net
    dict of the config and the RETURNN error with its traceback; ``summary`` is one
    paragraph: the stage, RETURNN's own message and a hint where one is known.

    Examples
    --------
    >>> ReturnnCheckError("long text", summary="short").summary
    'short'
    """

    def __init__(self, message: str, *, summary: str | None = None) -> None:
        super().__init__(message)
        self.summary = message if summary is None else summary


@dataclasses.dataclass(frozen=True)
class DimInfo:
    """Comparable description of one dim tag.

    Attributes
    ----------
    description
        the dim tag's description (its name), e.g. ``"time"`` or ``"in"``.
    size
        the static size, or ``None`` for a dynamic dim (and for the batch dim).
    kind
        ``"batch"``, ``"spatial"`` or ``"feature"``.
    """

    description: str
    size: int | None
    kind: str


@dataclasses.dataclass
class LayerTemplate:
    """Comparable description of a layer's output (a ``returnn.tensor.Tensor``).

    Attributes
    ----------
    dims
        the dims in axis order.
    dtype
        e.g. ``"float32"`` or ``"int32"``.
    sparse_dim
        the sparse dim (class dim) of sparse outputs, else ``None``.
    feature_dim_axis
        the axis RETURNN treats as feature axis, if any.
    time_dim_axis
        the axis RETURNN treats as time axis, if any.
    moved_out_of_loop
        a layer of a rec unit that RETURNN computed outside the loop
        (its optimization; the template then is the whole sequence, in an order of
        RETURNN's choice), not per frame.
    feature_axis_explicit
        the feature axis was set by a layer (and carried over to
        this output), not RETURNN's default rule.
    """

    dims: tuple[DimInfo, ...]
    dtype: str
    sparse_dim: DimInfo | None
    feature_dim_axis: int | None
    time_dim_axis: int | None
    moved_out_of_loop: bool = False
    feature_axis_explicit: bool = False


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


# ---------------------------------------------------------------------------
# Templates (no TF needed)


def _dim_info(dim: Any, *, feature: bool = False) -> DimInfo:
    """Describe one ``returnn.tensor.Dim``.

    ``feature`` says the dim is the feature (or sparse) dim of its tensor; it decides the
    kind of dims created without an explicit ``kind`` (``Dim(4, name="out")``).
    """
    from returnn.tensor import Dim

    if dim.is_batch_dim():
        kind = "batch"
    elif dim.kind == Dim.Types.Feature or (dim.kind in (None, Dim.Types.Unspecified) and feature):
        kind = "feature"
    else:
        kind = "spatial"
    size = None if dim.is_batch_dim() else dim.dimension
    dim = dim.get_same_base()  # RETURNN may make its own dim and declare it the same as ours
    description = dim.description if dim.description is not None else repr(dim)
    return DimInfo(description=str(description), size=size, kind=kind)


def template_of(tensor: Any) -> LayerTemplate:
    """Describe a ``returnn.tensor.Tensor`` (a layer output or a template) comparably.

    Works on pure ``returnn.tensor`` objects without TensorFlow.
    """
    from returnn.util.basic import NotSpecified

    sparse_dim = tensor.sparse_dim
    feature_axis = tensor.feature_dim_axis
    return LayerTemplate(
        dims=tuple(_dim_info(d, feature=i == feature_axis) for i, d in enumerate(tensor.dims)),
        dtype=str(tensor.dtype),
        sparse_dim=_dim_info(sparse_dim, feature=True) if sparse_dim is not None else None,
        feature_dim_axis=feature_axis,
        time_dim_axis=tensor.time_dim_axis,
        feature_axis_explicit=tensor.feature_dim_axis_or_unspecified is not NotSpecified,
    )


# ---------------------------------------------------------------------------
# RETURNN global state


def ensure_native_op_cpu_only() -> None:
    """Make RETURNN compile native ops (e.g. the native LSTM) without CUDA on a CPU build of TF.

    The machine may have a CUDA toolkit while TF is a CPU build; RETURNN would then try to
    compile with CUDA headers and fail. The compiled op is cached by RETURNN under
    ``returnn.util.basic.get_cache_dir()`` (``$RETURNN_CACHE_DIR`` or ``$TMPDIR/$USER``,
    ``/var/tmp/$USER`` by default), in ``returnn_tf_cache/ops/``.
    """
    import returnn.tf.util.basic as tf_util
    from returnn.tf import native_op

    if not tf_util.is_tf_cuda_build():
        native_op.OpMaker.with_cuda = False


def _quiet_returnn_log() -> None:
    """Route RETURNN's log to errors only, unless someone initialized it already.

    An uninitialized RETURNN log prints every layer template and rec-layer summary to
    stdout; the harness reports failures through exceptions instead.
    """
    from returnn.log import log

    if log.v is None:
        log.initialize(verbosity=[0])


@contextmanager
def _behavior_version_of(config: Any) -> Iterator[None]:
    """Apply the config's ``behavior_version`` to RETURNN's global state for this block only.

    RETURNN keeps the behavior version in a process-wide class attribute that may be set
    only once; checking many configs in one process needs it reset around each.
    """
    from returnn.util.basic import BehaviorVersion

    saved = (BehaviorVersion._behavior_version, BehaviorVersion._min_behavior_version)
    BehaviorVersion._behavior_version = None
    BehaviorVersion._min_behavior_version = 0
    try:
        version = config.int("behavior_version", None)
        if version is not None:
            BehaviorVersion.set(version)
        yield
    finally:
        BehaviorVersion._behavior_version, BehaviorVersion._min_behavior_version = saved


# ---------------------------------------------------------------------------
# Config loading and construction


def _format_net_dict(net_dict: Any) -> str:
    text = pprint.pformat(net_dict, width=100, sort_dicts=False)
    if len(text) > MAX_NET_DICT_CHARS:
        cut = len(text) - MAX_NET_DICT_CHARS
        text = text[:MAX_NET_DICT_CHARS] + f"\n... ({cut} more characters cut)"
    return text


#: Known RETURNN/TF failures whose message does not say what in the model causes them:
#: (a substring of the error, the explanation added to the ReturnnCheckError).
_HINTS = (
    (
        "TensorArray has size zero",
        "Hint: a generating loop (nn.Loop(max_seq_len=...) with loop.end(...)) ran zero frames "
        "for every sequence of the batch: loop.end(..., include_eos=False) with the end condition "
        "true in the first frame. RETURNN's TF backend stacks a loop's frames from a TensorArray, "
        "which TF cannot read with zero frames unless the frame shape is static (the batch dim "
        "never is), so a loop whose frames are stacked (loop.stack, or its state) must produce at "
        "least one frame in some sequence. Use include_eos=True (the end frame is kept) or an end "
        "condition that is false in the first frame.",
    ),
)


def _error(stage: str, net_dict: Any, exc: BaseException) -> ReturnnCheckError:
    tb = "".join(traceback.format_exception(exc))
    hints = [hint for marker, hint in _HINTS if marker in str(exc)]
    summary_lines = [
        f"RETURNN check failed while {stage}: {type(exc).__name__}: {_last_lines(str(exc))}",
        *[line for hint in hints for line in ("", hint)],
    ]
    lines = [
        f"RETURNN check failed while {stage}: {type(exc).__name__}: {exc}",
        *[line for hint in hints for line in ("", hint)],
        "",
        "net dict:",
        _format_net_dict(net_dict),
        "",
        "RETURNN error:",
        tb,
    ]
    return ReturnnCheckError("\n".join(lines), summary="\n".join(summary_lines))


def _last_lines(message: str, *, keep: int = 6) -> str:
    """RETURNN's messages can be pages long (whole templates): keep their last lines."""
    lines = message.strip().splitlines()
    return "\n".join(lines if len(lines) <= keep else ["...", *lines[-keep:]])


def _load_config(path: pathlib.Path) -> Any:
    """Load a config file (must end in ``.py``) freshly, so its dim tags are new objects."""
    from returnn.config import Config

    config = Config()
    try:
        config.load_file(str(path))
    except Exception as exc:
        raise _error("loading the config file", "<config not loaded>", exc) from exc
    return config


@dataclasses.dataclass
class _Built:
    """A network constructed in its own graph, with the feed for its extern data."""

    graph: Any
    network: Any
    net_dict: Any


def _construct(config: Any, *, train: bool, search: bool, seed: int) -> _Built:
    """Construct the config's network in a new ``tf.Graph`` (which is returned, not entered)."""
    import tensorflow as tf
    from returnn.tf.network import TFNetwork

    net_dict = config.typed_value("network")
    if not isinstance(net_dict, dict):
        raise ReturnnCheckError(f"config has no `network` dict, got {type(net_dict).__name__}")
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(seed)
        try:
            network = TFNetwork(
                config=config,
                train_flag=train,
                # With eval_flag, layers depending on data that is not available for
                # inference (targets) are constructed instead of being replaced by
                # placeholder-less DataNotAvailableLayer objects.
                eval_flag=not search,
                search_flag=search,
                rnd_seed=seed,
            )
            network.construct_from_dict(net_dict)
        except Exception as exc:
            raise _error("constructing the network", net_dict, exc) from exc
    return _Built(graph=graph, network=network, net_dict=net_dict)


# ---------------------------------------------------------------------------
# Random input data


def _random_feed(network: Any, *, rng: Any, batch: int, max_time: int) -> dict[Any, Any]:
    """Random values for every extern data placeholder and its dynamic sizes."""
    import numpy as np

    lengths_by_name: dict[str, Any] = {}
    feed: dict[Any, Any] = {}

    def lengths_of(dim: Any, data_key: str) -> Any:
        size = dim.dyn_size_ext
        if size is None or size.raw_tensor is None:
            raise ReturnnCheckError(
                f"extern data {data_key!r}: dynamic dim {dim} has no size placeholder"
            )
        raw = size.raw_tensor
        if raw.name not in lengths_by_name:
            if size.dims and (len(size.dims) != 1 or not size.dims[0].is_batch_dim()):
                raise ReturnnCheckError(
                    f"extern data {data_key!r}: dynamic dim {dim} has sizes over {size.dims};"
                    " only [batch] or scalar sizes are supported"
                )
            if size.dims:
                values = rng.randint(1, max_time + 1, size=(batch,))
                values[rng.randint(0, batch)] = max_time
            else:
                values = np.array(max_time)
            lengths_by_name[raw.name] = values.astype(size.dtype)
            feed[raw] = lengths_by_name[raw.name]
        return lengths_by_name[raw.name]

    for key, data in sorted(network.extern_data.data.items()):
        if data.placeholder is None:
            continue
        shape: list[int] = []
        for dim in data.dims:
            if dim.is_batch_dim():
                shape.append(batch)
            elif dim.dimension is not None:
                shape.append(dim.dimension)
            else:
                shape.append(int(np.max(lengths_of(dim, key))))
        dtype = np.dtype(data.dtype)
        if data.sparse_dim is not None:
            value = rng.randint(0, data.sparse_dim.dimension, size=shape)
        elif dtype.kind in "iu":
            value = rng.randint(0, 5, size=shape)
        elif dtype.kind == "b":
            value = rng.randint(0, 2, size=shape) > 0
        else:
            value = rng.normal(size=shape)
        feed[data.placeholder] = np.asarray(value).astype(dtype)
    batch_info = network.extern_data.get_batch_info(allow_none=True)
    batch_dim_value = getattr(batch_info, "dim", None)
    if (
        batch_dim_value is not None
        and not isinstance(batch_dim_value, int)
        and batch_dim_value.op.type == "Placeholder"
    ):
        feed[batch_dim_value] = batch
    return feed


# ---------------------------------------------------------------------------
# Reading the constructed network


def _model_variables(network: Any) -> list[Any]:
    """Global TF variables of the network's graph, minus global_step and state variables."""
    import tensorflow as tf
    from returnn.tf.util.basic import CollectionKeys

    state = {v.name for v in tf.compat.v1.get_collection(CollectionKeys.STATE_VARS)}
    result = []
    for var in tf.compat.v1.global_variables():
        if var.name in state or _is_internal_variable(_strip(var.name)):
            continue
        result.append(var)
    return result


def _strip(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _is_internal_layer_name(name: str) -> bool:
    """Rec-loop helper layers RETURNN adds (``prev:x``, ``:i``), not layers of the net dict."""
    last = name.rsplit("/", 1)[-1]
    return last.startswith(("prev:", ":"))


def _layer_templates(network: Any) -> dict[str, LayerTemplate]:
    result: dict[str, LayerTemplate] = {}
    for layer in network.get_all_layers_deep():
        name = layer.get_absolute_name()
        if _is_internal_layer_name(name):
            continue
        if name not in result and layer.output is not None:
            template = template_of(layer.output)
            # RETURNN computes the layers it moves out of a rec loop in nets of their own.
            net_name = str(getattr(layer.network, "name", ""))
            if net_name.endswith(("(rec-subnet-input)", "(rec-subnet-output)")):
                template = dataclasses.replace(template, moved_out_of_loop=True)
            result[name] = template
    return result


def _output_layers(network: Any) -> dict[str, Any]:
    layers: dict[str, Any] = {}
    default = network.get_default_output_layer(must_exist=False)
    if default is not None:
        layers[default.get_absolute_name()] = default
    for layer in network.get_output_layers():
        layers.setdefault(layer.get_absolute_name(), layer)
    return layers


# ---------------------------------------------------------------------------
# The check


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
    import numpy as np
    import tensorflow as tf

    ensure_native_op_cpu_only()
    _quiet_returnn_log()
    config_path = work_dir / "returnn_config.py"
    config_path.write_text(config_code, encoding="utf-8")
    checkpoint = work_dir / "model" / "model.ckpt"
    train = train_steps > 0

    config = _load_config(config_path)
    with _behavior_version_of(config):
        built = _construct(config, train=train, search=search, seed=seed)
        network = built.network
        with built.graph.as_default():
            variables = _model_variables(network)
            variable_shapes = {
                _strip(v.name): tuple(int(d) for d in v.shape.as_list()) for v in variables
            }
            templates = _layer_templates(network)
            outputs_by_name = _output_layers(network)
            rng = np.random.RandomState(seed)
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
                    if train:
                        losses = _train(
                            network,
                            session,
                            feed,
                            steps=train_steps,
                            learning_rate=learning_rate,
                            on_step=on_step,
                        )
                    saved_values = dict(
                        zip(
                            variable_shapes,
                            session.run(variables),
                            strict=True,
                        )
                    )
                    network.save_params_to_file(str(checkpoint), session)
                except Exception as exc:
                    raise _error("running the network", built.net_dict, exc) from exc
        restored_names = {
            name
            for name, _ in tf.train.list_variables(str(checkpoint))
            if not _is_internal_variable(name)
        }
        restore_ok = _restore_matches(
            config_path, checkpoint, saved_values, train=train, search=search, seed=seed
        )
    return CheckReport(
        variable_names=set(variable_shapes),
        variable_shapes=variable_shapes,
        layer_templates=templates,
        outputs=outputs,
        losses=losses,
        restored_variable_names=restored_names,
        restore_ok=restore_ok,
    )


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
    import tensorflow as tf

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
    import numpy as np
    import tensorflow as tf

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
        np.array_equal(value, saved_values[name], equal_nan=True)
        for name, value in zip(names, values, strict=True)
    )
