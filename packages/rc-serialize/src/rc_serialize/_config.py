"""Writing RETURNN config code: the whole config, or its pieces for pipeline tools."""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

import rc_nn

from ._code import DimNamer, py_code
from ._errors import BackendError
from ._final import ParamNaming, SerializedNetwork, build_network, gc_paused
from ._pycode import number_literal, str_literal
from ._version import __version__

__all__ = [
    "DEFAULT_BEHAVIOR_VERSION",
    "ReturnnConfigPieces",
    "get_returnn_config_serialized",
]

#: The RETURNN behavior version the emitted configs are written and tested for.
DEFAULT_BEHAVIOR_VERSION = 21

_HEADER = (
    "#!rnn.py\n# RETURNN config written by rc-serialize {version}. Do not edit: regenerate it.\n"
)
_IMPORTS = "from returnn.tensor import Dim, batch_dim, single_step_dim\n"


def _dict_code(value: dict[str, Any], dims: DimNamer) -> str:
    """A dict with one entry per line, the entries inline."""
    if not value:
        return "{}"
    lines = ["{"]
    lines.extend(f"    {py_code(key, dims)}: {py_code(item, dims)}," for key, item in value.items())
    lines.append("}")
    return "\n".join(lines)


class ReturnnConfigPieces:
    """The parts of a model's RETURNN config, for pipeline tools that assemble configs.

    ``extern_data_dict`` and ``network_dict`` are the raw Python dicts (with
    ``returnn.tensor.Dim`` objects and layer names as strings), usable in a config
    that builds the network at load time. The ``*_code`` methods return Python code.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     feat = nn.FeatureDim("in", 3)
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
    ...     _ = net(x).mark_as_default_output()
    ...     pieces = ReturnnConfigPieces(net)
    >>> print(pieces.extern_data_code())
    from returnn.tensor import Dim, batch_dim, single_step_dim
    <BLANKLINE>
    in_dim = Dim(3, name="in", kind=Dim.Types.Feature)
    <BLANKLINE>
    extern_data = {
        "data": {"dim_tags": [batch_dim, in_dim], "dtype": "float32"},
    }
    <BLANKLINE>
    >>> sorted(pieces.network_dict)
    ['bias', 'output', 'weight']
    """

    def __init__(self, root_module: rc_nn.Module, *, param_naming: str = "predecessor") -> None:
        """Serialize ``root_module`` once (it raises what :func:`get_returnn_config_serialized` raises)."""
        self.serialized: SerializedNetwork = build_network(
            root_module, param_naming=ParamNaming(param_naming)
        )

    @property
    def extern_data_dict(self) -> dict[str, dict[str, Any]]:
        """``extern_data`` as a dict of tensor kwargs (dims as ``Dim`` objects)."""
        return self.serialized.extern_data

    @property
    def network_dict(self) -> dict[str, dict[str, Any]]:
        """``network`` as a net dict (references as strings, dims as ``Dim`` objects)."""
        return self.serialized.network

    def extern_data_code(self) -> str:
        """Dim definitions and ``extern_data = {...}``: a self-contained piece."""
        dims = DimNamer()
        body = f"extern_data = {_dict_code(self.extern_data_dict, dims)}\n"
        return _join(dims.definitions(), body, numpy=dims.uses_numpy)

    def network_code(self, *, dims_from_extern_data: bool = False) -> str:
        """``network = {...}`` with the dim definitions it needs.

        With ``dims_from_extern_data``, dims of the inputs are not redefined but
        taken from the config's ``extern_data`` (so this piece can be combined with an
        extern data piece written elsewhere); other dims are defined here. The
        ``extern_data`` defined before this piece in the same config (RETURNN loads all
        config files into one namespace) is used, else that of RETURNN's global config:
        never a global config left over from another config loaded in the same process.
        """
        dims = DimNamer()
        prelude: list[str] = []
        if dims_from_extern_data:
            prelude = [
                "from returnn.config import get_global_config",
                "",
                '_extern_data = globals().get("extern_data") or get_global_config().typed_value(',
                '    "extern_data"',
                ")",
            ]
            for key, entry in self.extern_data_dict.items():
                # The key is user input: written as a literal, never pasted into code.
                entry_code = f"_extern_data[{str_literal(key)}]"
                for index, dim in enumerate(entry["dim_tags"]):
                    self._bind_extern_dim(
                        dims, dim, f'{entry_code}["dim_tags"][{number_literal(index)}]'
                    )
                if "sparse_dim" in entry:
                    self._bind_extern_dim(dims, entry["sparse_dim"], f'{entry_code}["sparse_dim"]')
        body = f"network = {_dict_code(self.network_dict, dims)}\n"
        return _join([*prelude, *dims.definitions()], body, numpy=dims.uses_numpy)

    @staticmethod
    def _bind_extern_dim(dims: DimNamer, dim: Dim, expr: str) -> None:
        if not dim.is_batch_dim():
            dims.bind(dim, expr)

    def config_code(self, *, behavior_version: int = DEFAULT_BEHAVIOR_VERSION) -> str:
        """The complete config: header, imports, dims, behavior version, extern data, network."""
        dims = DimNamer()
        extern = f"extern_data = {_dict_code(self.extern_data_dict, dims)}\n"
        network = f"network = {_dict_code(self.network_dict, dims)}\n"
        imports = _IMPORTS + ("import numpy\n" if dims.uses_numpy else "")
        return "".join(
            [
                _HEADER.format(version=__version__),
                imports,
                "\n",
                "".join(f"{line}\n" for line in dims.definitions()),
                "\n",
                f"behavior_version = {number_literal(int(behavior_version))}\n",
                "\n",
                extern,
                "\n",
                network,
            ]
        )


def _join(lines: list[str], body: str, *, numpy: bool) -> str:
    # Every piece is self-contained: it imports what its dim definitions and values use.
    imports = _IMPORTS + ("import numpy\n" if numpy else "")
    head = "".join(f"{line}\n" for line in lines)
    return f"{imports}\n{head}\n{body}" if head else f"{imports}\n{body}"


def get_returnn_config_serialized(
    root_module: rc_nn.Module,
    *,
    behavior_version: int = DEFAULT_BEHAVIOR_VERSION,
    param_naming: str = "predecessor",
    backend: str = "tf",
) -> str:
    """The complete RETURNN config of a called model, as Python code.

    ``root_module`` is the only naming input (rule N2): parameter names are its
    attribute paths. The code defines the dims, ``behavior_version``,
    ``extern_data`` and ``network``; RETURNN reads it as a Python config.

    ``backend="torch"`` writes a config for RETURNN's PyTorch backend instead
    (``backend = "torch"``, ``get_model``, ``train_step``, ``forward_step`` written with
    ``returnn.frontend``; ``state_dict`` keys are the canonical parameter names; see
    docs/design/torch-backend.md). ``param_naming`` is about TF variable names and has no
    effect there. What the torch backend does not cover yet raises
    ``TorchNotCoveredError`` (also a ``NotImplementedError``).

    Raises
    ------
    RcSerializeError
        the model cannot be written as a config, e.g.
        ``InvalidParameterNameError`` (a path component TF cannot use) or
        ``ConfigCodeError`` (a layer option that is no config value).
    rc_nn.RcNnError
        a mistake in the model found while serializing (e.g.
        ``rc_nn.NoOutputError``: nothing marked, or the model was never called).
    rc_naming.RcNamingError
        a naming mistake (e.g. ``rc_naming.UnreachableError``,
        rule N5: a used parameter no attribute chain reaches; ``RootMismatchError``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
    ...     _ = net(x).mark_as_default_output()
    ...     code = get_returnn_config_serialized(net)
    >>> "network = {" in code
    True
    """
    if backend not in ("tf", "torch"):
        raise BackendError(f"backend must be 'tf' or 'torch', got {backend!r}")
    with gc_paused():
        if backend == "torch":
            from ._emit_torch import torch_config  # noqa: PLC0415  (imports the lowerings)

            ParamNaming(param_naming)  # the same check of the argument as for TF
            return torch_config(root_module, behavior_version=behavior_version)
        pieces = ReturnnConfigPieces(root_module, param_naming=param_naming)
        return pieces.config_code(behavior_version=behavior_version)
