"""Run one rc model on RETURNN's TF backend and on its torch backend with the same weights.

The TF config is run by RETURNN itself (TFNetwork in a graph of its own, eval mode); its
variables are read back and copied into the torch model by canonical name (permuted with
``torch_param_axes``), then the torch config's ``forward_step`` runs on the same inputs.
Shared by the torch lowering tests (issue 14).
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable
from typing import Any

import numpy

import rc_nn as nn
from rc_serialize import ParamNaming, build_network, get_returnn_config_serialized
from rc_serialize._returnn_construct import construct, load_config
from rc_serialize._returnn_env import behavior_version_of, ensure_native_op_cpu_only
from rc_serialize._torch_layout import torch_param_axes
from rc_serialize._torch_run import run_torch_forward


@dataclasses.dataclass
class Both:
    """Outputs of both backends (by mark name, dims in the record's template order)."""

    tf: dict[str, numpy.ndarray[Any, Any]]
    torch: dict[str, numpy.ndarray[Any, Any]]
    torch_code: str
    weight_keys: list[str]
    torch_keys: list[str]


def _inputs(
    network: Any, rng: numpy.random.RandomState, lengths: dict[str, list[int]]
) -> tuple[dict[str, numpy.ndarray[Any, Any]], dict[str, numpy.ndarray[Any, Any]]]:
    """Random inputs per extern key, and the lengths of each key's one dynamic dim."""
    values, seq_lens = {}, {}
    for key, data in sorted(network.extern_data.data.items()):
        lens = numpy.array(lengths[key], dtype="int32")
        shape = []
        for dim in data.dims:
            if dim.is_batch_dim():
                shape.append(len(lens))
            elif dim.dimension is None:
                shape.append(int(lens.max()))
            else:
                shape.append(dim.dimension)
        if data.sparse_dim is not None:
            value = rng.randint(0, data.sparse_dim.dimension - 1, size=shape).astype(data.dtype)
        else:
            value = rng.normal(size=shape).astype(data.dtype)
        values[key], seq_lens[key] = value, lens
    return values, seq_lens


def _tf_run(
    config_path: pathlib.Path, rng: numpy.random.RandomState, lengths: dict[str, list[int]]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    ensure_native_op_cpu_only()  # the TF CTC loss compiles a native op
    config = load_config(config_path)
    with behavior_version_of(config):
        return _tf_run_built(config, rng, lengths)


def _tf_run_built(
    config: Any, rng: numpy.random.RandomState, lengths: dict[str, list[int]]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    import tensorflow as tf  # noqa: PLC0415 - TF only when a comparison runs

    built = construct(config, train=False, search=False, seed=1)
    network = built.network
    values, seq_lens = _inputs(network, rng, lengths)
    feed = {}
    for key, data in network.extern_data.data.items():
        feed[data.placeholder] = values[key]
        for dim in data.dims:
            if dim.dimension is None and not dim.is_batch_dim():
                feed[dim.dyn_size_ext.raw_tensor] = seq_lens[key]
    outputs = {
        name: layer.output
        for name, layer in network.layers.items()
        if layer.is_output_layer() or name == "output"
    }
    with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
        network.initialize_params(session)
        # nonzero random values for all parameters (bias and norm stats included)
        variables = network.get_params_list()
        for var in variables:
            shape = var.shape.as_list()
            value = rng.normal(size=shape).astype(var.dtype.base_dtype.as_numpy_dtype)
            if "variance" in var.name:
                value = numpy.abs(value) + 0.5
            var.load(value * 0.5, session)
        fetched = session.run({n: o.placeholder for n, o in outputs.items()}, feed_dict=feed)
        var_values = {var.name[: -len(":0")]: session.run(var) for var in variables}
    descs = {name: [d.description for d in out.dims] for name, out in outputs.items()}
    return fetched, var_values, {"values": values, "seq_lens": seq_lens}, descs


def compare(
    build: Callable[[], nn.Module], tmp_path: pathlib.Path, lengths: dict[str, list[int]]
) -> Both:
    """Build ``build`` for both backends, run both on the same inputs and weights."""
    with nn.Root():
        root = build()
        tf_code = get_returnn_config_serialized(root)
        torch_code = get_returnn_config_serialized(root, backend="torch")
        naming = build_network(root, param_naming=ParamNaming("predecessor"))
        record, _ = nn.build_record(root)
        params = {p.path: p for p in record.params}
        tf_names = {path: naming.variable_names[path] for path in naming.parameters}
        template_descs = {}
        for mark in record.marks:
            out = record.layers[mark.layer].output
            template_descs[mark.name or "output"] = [record.dims[d].description for d in out.dims]
    config_path = tmp_path / "tf.config.py"
    config_path.write_text(tf_code)
    rng = numpy.random.RandomState(42)
    tf_out, tf_vars, feed, tf_descs = _tf_run(config_path, rng, lengths)
    weights = {}
    for path, tf_name in tf_names.items():
        dotted = path if isinstance(path, str) else ".".join(path)
        key = tuple(dotted.split("."))
        perm = torch_param_axes(params[key], record)
        weights[dotted] = numpy.transpose(tf_vars[tf_name], perm)
    run = run_torch_forward(torch_code, feed["values"], seq_lens=feed["seq_lens"], weights=weights)
    tf_aligned = {}
    for name, value in tf_out.items():
        if name not in template_descs or name not in run.outputs:
            continue  # a loss: torch computes it in train_step
        order = [tf_descs[name].index(desc) for desc in template_descs[name]]
        tf_aligned[name] = numpy.transpose(value, order)
    return Both(
        tf=tf_aligned,
        torch=run.outputs,
        torch_code=torch_code,
        weight_keys=sorted(weights),
        torch_keys=sorted(run.parameters),
    )


def masked_max_abs_diff(
    a: numpy.ndarray[Any, Any], b: numpy.ndarray[Any, Any], lens: numpy.ndarray[Any, Any]
) -> float:
    """Max abs difference over the valid frames (axis 1 is the time axis of length ``lens``)."""
    assert a.shape == b.shape, (a.shape, b.shape)
    worst = 0.0
    for i, n in enumerate(lens):
        worst = max(worst, float(numpy.max(numpy.abs(a[i, :n] - b[i, :n]))))
    return worst
