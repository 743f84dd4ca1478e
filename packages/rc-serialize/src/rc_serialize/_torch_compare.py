"""Same weights, same outputs: a model's TF config and torch config run side by side.

:func:`compare_backends` builds both configs of a called model, runs the TF config in
RETURNN's TF backend on random input (eval mode), saves the TF variables as RETURNN does
(a TF checkpoint), converts that checkpoint with :func:`~rc_serialize.convert_checkpoint`
(the path a user takes: canonical names, layouts and LSTM gate order from
``torch_param_layout``), loads the ``.pt`` file into the torch model, runs the torch
config's ``forward_step`` on the same input and reports the largest absolute difference
per output, over valid frames.
"""

from __future__ import annotations

import dataclasses
import pathlib
import tempfile
from typing import Any

import numpy

import rc_nn

from ._config import get_returnn_config_serialized
from ._convert import convert_checkpoint
from ._torch_run import TorchRun, run_torch_forward

__all__ = ["BackendComparison", "compare_backends"]


@dataclasses.dataclass
class BackendComparison:
    """What :func:`compare_backends` found.

    ``max_abs_diff``: the largest absolute difference per output over valid frames;
    ``tf_outputs`` / ``torch_outputs``: the outputs of each backend (padding zeroed).
    With ``losses=True``: ``loss_max_abs_diff`` per loss (by the TF layer's name) over the
    entries finite on TF (inf when the backends disagree on which are finite), and the
    loss values (e.g. per sequence) of each backend.

    Examples
    --------
    >>> BackendComparison({"output": 0.0}, {}, {}).worst()
    0.0
    """

    max_abs_diff: dict[str, float]
    tf_outputs: dict[str, numpy.ndarray[Any, Any]]
    torch_outputs: dict[str, numpy.ndarray[Any, Any]]
    loss_max_abs_diff: dict[str, float] = dataclasses.field(default_factory=dict)
    tf_losses: dict[str, numpy.ndarray[Any, Any]] = dataclasses.field(default_factory=dict)
    torch_losses: dict[str, numpy.ndarray[Any, Any]] = dataclasses.field(default_factory=dict)

    def worst(self) -> float:
        """The largest difference over all outputs."""
        return max(self.max_abs_diff.values())


@dataclasses.dataclass
class _TfRun:
    outputs: dict[str, numpy.ndarray[Any, Any]]
    masks: dict[str, numpy.ndarray[Any, Any]]
    inputs: dict[str, numpy.ndarray[Any, Any]]
    seq_lens: dict[str, numpy.ndarray[Any, Any]]
    variables: dict[str, numpy.ndarray[Any, Any]]
    losses: dict[str, numpy.ndarray[Any, Any]] = dataclasses.field(default_factory=dict)


def _size_keys(data: Any, to_fetch: dict[str, Any]) -> list[str | None]:
    """Per axis of ``data``: the key (in ``to_fetch``) of a dynamic dim's sizes, else None."""
    keys: list[str | None] = []
    for dim in data.dims:
        size = None if dim.is_batch_dim() or dim.dimension is not None else dim.dyn_size_ext
        if size is None or size.raw_tensor is None:
            keys.append(None)
            continue
        key = size.raw_tensor.name
        to_fetch[key] = size.raw_tensor
        keys.append(key)
    return keys


def _valid(
    shape: tuple[int, ...], lengths: list[Any], batch_axis: int | None = 0
) -> numpy.ndarray[Any, Any]:
    """A boolean mask of the valid entries (dynamic axes by their lengths per batch entry).

    ``batch_axis``: the batch axis (a time-major output has it at 1), None when there is none.
    """
    mask = numpy.ones(shape, dtype=bool)
    for axis, lens in enumerate(lengths):
        if lens is None or batch_axis is None:
            continue
        index = numpy.arange(shape[axis]).reshape(
            [-1 if a == axis else 1 for a in range(len(shape))]
        )
        per_batch = numpy.asarray(lens).reshape(
            [-1 if a == batch_axis else 1 for a in range(len(shape))]
        )
        mask &= index < per_batch
    return mask


def _randomize(variables: list[Any], session: Any, seed: int) -> None:
    """Random values everywhere (not only the random initial weights): a mixed-up bias or
    norm scale must show in the outputs. Running variances (batch norm) stay positive."""
    rng = numpy.random.RandomState(seed)
    for variable in variables:
        shape = variable.shape.as_list()
        value = rng.uniform(-1.0, 1.0, size=shape).astype(variable.dtype.base_dtype.as_numpy_dtype)
        if "variance" in variable.name:
            value = numpy.abs(value) + 0.5
        variable.load(value, session)


def _run_tf(
    code: str,
    *,
    seed: int,
    batch: int,
    max_time: int,
    random_weights: bool,
    checkpoint: pathlib.Path | None = None,
) -> _TfRun:
    """Run the TF config once (eval mode); with ``checkpoint``, RETURNN saves its variables."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs

    from ._returnn_check import ensure_native_op_cpu_only  # noqa: PLC0415
    from ._returnn_construct import construct, load_config, random_feed  # noqa: PLC0415
    from ._returnn_env import behavior_version_of, quiet_returnn_log  # noqa: PLC0415
    from ._returnn_network import model_variables, output_layers, strip_suffix  # noqa: PLC0415

    ensure_native_op_cpu_only()
    quiet_returnn_log()
    with tempfile.TemporaryDirectory(prefix="rc-compare-") as tmp:
        path = pathlib.Path(tmp) / "tf_config.py"
        path.write_text(code, encoding="utf-8")
        config = load_config(path)
        with behavior_version_of(config):
            built = construct(config, train=False, search=False, seed=seed)
            network = built.network
            with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
                network.initialize_params(session)
                if random_weights:
                    _randomize(model_variables(network), session, seed + 1)
                feed = random_feed(
                    network, rng=numpy.random.RandomState(seed), batch=batch, max_time=max_time
                )
                layers = output_layers(network)
                loss_layers = {
                    name: layer.output.placeholder
                    for name, layer in network.layers.items()
                    if getattr(layer, "loss", None) is not None
                }
                sizes: dict[str, Any] = {}
                axes = {
                    k: (_size_keys(layer.output, sizes), layer.output.batch_dim_axis)
                    for k, layer in layers.items()
                }
                fetched = session.run(
                    (
                        {k: layer.output.placeholder for k, layer in layers.items()},
                        sizes,
                        model_variables(network),
                        loss_layers,
                    ),
                    feed_dict=feed,
                )
                outputs, size_values, values, loss_values = fetched
                if checkpoint is not None:
                    network.save_params_to_file(str(checkpoint), session)
                variables = {
                    strip_suffix(v.name): value
                    for v, value in zip(model_variables(network), values, strict=True)
                }
                inputs, seq_lens = _fed_inputs(network, feed)
    masks = _masks(outputs, axes, size_values)
    return _TfRun(outputs, masks, inputs, seq_lens, variables, loss_values)


def _fed_inputs(network: Any, feed: dict[Any, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fed extern inputs by key, and the lengths of their second (dynamic) dim."""
    inputs: dict[str, Any] = {}
    seq_lens: dict[str, Any] = {}
    for key, data in network.extern_data.data.items():
        if data.placeholder is None or data.placeholder not in feed:
            continue
        inputs[key] = feed[data.placeholder]
        if len(data.dims) >= 2 and data.dims[1].dimension is None:
            seq_lens[key] = feed[data.dims[1].dyn_size_ext.raw_tensor]
    return inputs, seq_lens


def _masks(
    outputs: dict[str, Any], axes: dict[str, tuple[list[str | None], int | None]], sizes: Any
) -> dict[str, numpy.ndarray[Any, Any]]:
    """The valid-entry mask of each output (its size keys and batch axis in ``axes``)."""
    return {
        k: _valid(outputs[k].shape, [None if s is None else sizes[s] for s in keys], batch_axis)
        for k, (keys, batch_axis) in axes.items()
    }


def compare_backends(
    root_module: rc_nn.Module,
    *,
    seed: int = 1,
    batch: int = 3,
    max_time: int = 7,
    random_weights: bool = True,
    losses: bool = False,
) -> BackendComparison:
    """Run the TF and the torch config of a called model with the same weights and input.

    Needs RETURNN's TF backend and PyTorch. Compares the marked (non-loss) outputs in
    eval mode; the torch parameters are the TF checkpoint RETURNN saved, converted with
    :func:`~rc_serialize.convert_checkpoint`. With
    ``random_weights`` every TF variable first gets uniform random values in [-1, 1]
    (biases and norm scales too, which start as 0 and 1; running variances in [0.5, 1.5]).
    With ``losses`` the marked losses are compared too (torch: ``train_step`` without the
    train flag).
    """
    import torch  # noqa: PLC0415 - PyTorch only when a check runs

    tf_code = get_returnn_config_serialized(root_module)
    torch_code = get_returnn_config_serialized(root_module, backend="torch")
    with tempfile.TemporaryDirectory(prefix="rc-compare-checkpoint-") as tmp:
        checkpoint, converted = pathlib.Path(tmp) / "model.001", pathlib.Path(tmp) / "model.pt"
        tf_run = _run_tf(
            tf_code,
            seed=seed,
            batch=batch,
            max_time=max_time,
            random_weights=random_weights,
            checkpoint=checkpoint,
        )
        convert_checkpoint(root_module, checkpoint, converted)
        state = torch.load(converted, map_location="cpu", weights_only=True)["model"]
    weights = {key: value.numpy() for key, value in state.items()}
    torch_run: TorchRun = run_torch_forward(
        torch_code, tf_run.inputs, seq_lens=tf_run.seq_lens, weights=weights, losses=losses
    )
    diffs: dict[str, float] = {}
    tf_out: dict[str, Any] = {}
    torch_out: dict[str, Any] = {}
    for name, value in torch_run.outputs.items():
        mask = tf_run.masks[name]
        tf_out[name] = numpy.where(mask, tf_run.outputs[name], 0)
        torch_out[name] = numpy.where(mask, value, 0)
        diffs[name] = float(numpy.max(numpy.abs(tf_out[name] - torch_out[name]), initial=0.0))
    loss_diffs = {
        name: _loss_diff(tf_run.losses.get(name), v) for name, v in torch_run.losses.items()
    }
    return BackendComparison(
        diffs, tf_out, torch_out, loss_diffs, dict(tf_run.losses), dict(torch_run.losses)
    )


def _loss_diff(tf_value: Any, torch_value: numpy.ndarray[Any, Any]) -> float:
    """Max abs difference over the entries finite on TF; inf when finiteness differs."""
    if tf_value is None or numpy.shape(tf_value) != numpy.shape(torch_value):
        return float("inf")
    finite = numpy.isfinite(tf_value)
    if not numpy.array_equal(finite, numpy.isfinite(torch_value)):
        return float("inf")
    return float(numpy.max(numpy.abs(tf_value - torch_value)[finite], initial=0.0))
