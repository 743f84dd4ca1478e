"""Reading a constructed network: its model variables, layer templates and output layers."""

from __future__ import annotations

import dataclasses
from typing import Any

from ._returnn_templates import LayerTemplate, template_of

__all__ = [
    "is_internal_variable",
    "layer_templates",
    "model_variables",
    "output_layers",
    "strip_suffix",
]

_GLOBAL_STEP = "global_step"
# RETURNN's own bookkeeping variables (not model parameters): the RNG state of `random` layers.
_INTERNAL_VARIABLE_SUFFIXES = ("/random_generator/StateVar",)


def is_internal_variable(name: str) -> bool:
    """``global_step`` and RETURNN's bookkeeping variables, which no rc parameter names."""
    return name == _GLOBAL_STEP or name.endswith(_INTERNAL_VARIABLE_SUFFIXES)


def model_variables(network: Any) -> list[Any]:
    """Global TF variables of the network's graph, minus global_step and state variables."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs
    from returnn.tf.util.basic import CollectionKeys  # noqa: PLC0415 - same

    state = {v.name for v in tf.compat.v1.get_collection(CollectionKeys.STATE_VARS)}
    result = []
    for var in tf.compat.v1.global_variables():
        if var.name in state or is_internal_variable(strip_suffix(var.name)):
            continue
        result.append(var)
    return result


def strip_suffix(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _is_internal_layer_name(name: str) -> bool:
    """Rec-loop helper layers RETURNN adds (``prev:x``, ``:i``), not layers of the net dict."""
    last = name.rsplit("/", 1)[-1]
    return last.startswith(("prev:", ":"))


def layer_templates(network: Any) -> dict[str, LayerTemplate]:
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


def output_layers(network: Any) -> dict[str, Any]:
    layers: dict[str, Any] = {}
    default = network.get_default_output_layer(must_exist=False)
    if default is not None:
        layers[default.get_absolute_name()] = default
    for layer in network.get_output_layers():
        layers.setdefault(layer.get_absolute_name(), layer)
    return layers
