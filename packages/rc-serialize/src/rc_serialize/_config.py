"""Writing RETURNN config code: the whole config, or its pieces for pipeline tools."""

from __future__ import annotations

from typing import Any

import rc_nn

from . import __version__
from ._code import DimNamer, py_code
from ._final import ParamNaming, SerializedNetwork, build_network

__all__ = [
    "DEFAULT_BEHAVIOR_VERSION",
    "get_returnn_config_serialized",
    "serialize_dim_definitions",
    "serialize_extern_data",
    "serialize_network",
]

#: The RETURNN behavior version the emitted configs are written and tested for.
DEFAULT_BEHAVIOR_VERSION = 21

_HEADER = (
    "#!rnn.py\n# RETURNN config written by rc-serialize {version}. Do not edit: regenerate it.\n"
)


def _dict_code(value: dict[str, Any], dims: DimNamer, indent: str = "") -> str:
    """A dict with one entry per line (nested one level), the rest inline."""
    if not value:
        return "{}"
    lines = ["{"]
    for key, item in value.items():
        lines.append(f"{indent}    {py_code(key, dims)}: {py_code(item, dims)},")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def serialize_extern_data(serialized: SerializedNetwork, dims: DimNamer) -> str:
    """``extern_data = {...}`` code (dims as identifiers of ``dims``)."""
    return f"extern_data = {_dict_code(serialized.extern_data, dims)}\n"


def serialize_network(serialized: SerializedNetwork, dims: DimNamer) -> str:
    """``network = {...}`` code, one layer per line."""
    return f"network = {_dict_code(serialized.network, dims)}\n"


def serialize_dim_definitions(dims: DimNamer) -> str:
    """The dim definitions collected by ``dims`` while other pieces were written."""
    return "".join(f"{line}\n" for line in dims.definitions())


def get_returnn_config_serialized(
    root_module: rc_nn.Module,
    *,
    behavior_version: int = DEFAULT_BEHAVIOR_VERSION,
    param_naming: str = "predecessor",
) -> str:
    """The complete RETURNN config of a called model, as Python code.

    ``root_module`` is the only naming input (rule N2): parameter names are its
    attribute paths. The code defines the dims, ``behavior_version``,
    ``extern_data`` and ``network``; RETURNN reads it as a Python config.

    Example:
        >>> import rc_nn as nn
        >>> with nn.Root():
        ...     time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
        ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
        ...     net(x).mark_as_default_output()
        ...     code = get_returnn_config_serialized(net)
        >>> "network = {" in code
        True
    """
    serialized = build_network(root_module, param_naming=ParamNaming(param_naming))
    dims = DimNamer()
    extern = serialize_extern_data(serialized, dims)
    network = serialize_network(serialized, dims)
    needs_numpy = "numpy." in network
    parts = [
        _HEADER.format(version=__version__),
        "from returnn.tensor import Dim, batch_dim, single_step_dim\n",
        "import numpy\n" if needs_numpy else "",
        "\n",
        serialize_dim_definitions(dims),
        "\n",
        f"behavior_version = {int(behavior_version)}\n",
        "\n",
        extern,
        "\n",
        network,
    ]
    return "".join(parts)
