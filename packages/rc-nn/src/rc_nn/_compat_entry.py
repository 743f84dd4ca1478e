"""The predecessor's entry points: ``nn.get_returnn_config()``, ``nn.NameCtx`` roots, debug eager mode.

Code written for returnn_common (``from returnn_common import nn``) serializes a
model with ``nn.get_returnn_config().get_complete_py_code_str(net)`` and resets
the default root with ``nn.reset_default_root_name_ctx()``. These are thin
bindings onto rc's own API: roots are ``rc_naming.Root`` objects, and
serialization is rc-serialize's public API, imported when first used (rc-nn
never imports rc-serialize at import time; rc-serialize depends on rc-nn, not
the other way around).
"""

from __future__ import annotations

import importlib
import keyword
from types import ModuleType
from typing import TYPE_CHECKING, Any

from returnn.tensor import Tensor as Template

import rc_naming

from ._control import current_block
from ._errors import RcNnError
from ._loop import loop_of_block
from ._module import Module
from ._state import state_of

if TYPE_CHECKING:
    from ._loop import Loop

__all__ = [
    "DebugEagerModeUnsupportedError",
    "NameCtx",
    "RcSerializeMissingError",
    "ReturnnConfigSerializer",
    "disable_debug_eager_mode",
    "enable_debug_eager_mode",
    "extra_net_dict",
    "get_returnn_config",
    "get_returnn_config_serialized",
    "is_debug_eager_mode_enabled",
    "reset_default_root_name_ctx",
]


class RcSerializeMissingError(RcNnError, ImportError):
    """Serializing was asked for, but the rc-serialize package is not installed.

    Examples
    --------
    >>> issubclass(RcSerializeMissingError, ImportError)
    True
    """


class DebugEagerModeUnsupportedError(RcNnError, NotImplementedError):
    """The predecessor's debug eager mode (TF eager evaluation while building) is not supported.

    Examples
    --------
    >>> issubclass(DebugEagerModeUnsupportedError, NotImplementedError)
    True
    """


class _NotAModuleError(RcNnError, TypeError):
    """The serializer was given something other than an ``nn.Module``."""


class _RootReopenError(RcNnError, RuntimeError):
    """An existing root was used as a context manager again."""


def _rc_serialize() -> ModuleType:
    try:
        return importlib.import_module("rc_serialize")
    except ImportError as exc:
        raise RcSerializeMissingError(
            "serializing an rc-nn model needs the rc-serialize package, which is not "
            f"installed ({exc}); install it with: pip install rc-serialize"
        ) from exc


def extra_net_dict(root: rc_naming.Root | None = None) -> dict[str, Any]:
    """Extra top-level entries of the emitted net dict of ``root`` (default: the current root).

    The returned dict is live: entries added to it (e.g. ``"#config"`` or
    ``"#copy_param_mode"`` for pretraining) are written into ``network`` by
    rc-serialize, through its one escaping path. A key that is also a layer name
    is an error at serialization.

    Examples
    --------
    >>> with rc_naming.Root():
    ...     extra_net_dict()["#copy_param_mode"] = "subset"
    ...     extra_net_dict()
    {'#copy_param_mode': 'subset'}
    """
    return state_of(root if root is not None else rc_naming.current_root()).extra_net_dict


class NameCtx:
    """The predecessor's ``nn.NameCtx``, reduced to its root handling.

    ``NameCtx.top()`` is the current root, ``NameCtx.new_root()`` opens a new
    explicit root (``with nn.NameCtx.new_root() as ctx: ...``), and
    ``ctx.root.extra_net_dict`` holds extra net dict entries. Sub-contexts with
    explicit names (``name_ctx=`` arguments) do not exist in rc: names come from
    the module tree (see docs/migrating-from-returnn_common.md).

    Examples
    --------
    >>> with NameCtx.new_root() as ctx:
    ...     NameCtx.top().rc_root is ctx.rc_root
    True
    """

    def __init__(self, rc_root: rc_naming.Root, *, owns: bool = False) -> None:
        self.rc_root = rc_root
        self._owns = owns

    def __repr__(self) -> str:
        return f"NameCtx({self.rc_root!r})"

    @classmethod
    def top(cls) -> NameCtx:
        """The current root (the innermost open one, else the default root)."""
        return cls(rc_naming.current_root())

    @classmethod
    def current_ctx(cls) -> NameCtx:
        """Same as :meth:`top`: rc has no explicit sub-contexts."""
        return cls.top()

    @staticmethod
    def inner_loop() -> Loop | None:
        """The innermost ``nn.Loop`` open at this point of the build, else ``None``.

        Examples
        --------
        >>> import rc_nn as nn
        >>> t = nn.SpatialDim("t")
        >>> loop = nn.Loop(axis=t)
        >>> loop.state.h = nn.zeros([nn.batch_dim])
        >>> with loop:
        ...     inner = nn.NameCtx.inner_loop()
        ...     loop.state.h = loop.state.h + 1.0
        >>> inner is loop, nn.NameCtx.inner_loop() is None
        (True, True)
        """
        block = current_block(rc_naming.current_root())
        while block is not None:
            loop = loop_of_block(block)
            if loop is not None:
                return loop
            block = block.parent
        return None

    @classmethod
    def new_root(cls) -> NameCtx:
        """A new explicit root; use it as a context manager."""
        return cls(rc_naming.Root(), owns=True)

    @classmethod
    def reset_default_root(cls) -> None:
        """Start a fresh default root (see :func:`reset_default_root_name_ctx`)."""
        rc_naming.reset_default_root()

    @property
    def root(self) -> NameCtx:
        """The root context (a root is its own root)."""
        return self

    @property
    def is_root(self) -> bool:
        """Always true: rc's contexts are roots."""
        return True

    @property
    def extra_net_dict(self) -> dict[str, Any]:
        """Extra top-level net dict entries, see :func:`extra_net_dict`."""
        return extra_net_dict(self.rc_root)

    def get_returnn_config(self) -> ReturnnConfigSerializer:
        """A serializer for models built under this root."""
        return ReturnnConfigSerializer(self)

    def __enter__(self) -> NameCtx:
        if not self._owns:
            raise _RootReopenError(
                f"{self!r} is an existing root and cannot be opened again; open a new one with "
                "`with nn.NameCtx.new_root() as ctx:` (or `with nn.Root():`)"
            )
        self.rc_root.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.rc_root.__exit__(*exc_info)


class ReturnnConfigSerializer:
    """The predecessor's config serializer, backed by rc-serialize.

    Example (serializing needs rc-serialize installed):
        >>> import rc_nn as nn
        >>> with nn.Root():
        ...     feat = nn.FeatureDim("in", 3)
        ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
        ...     _ = net(x).mark_as_default_output()
        ...     code = nn.get_returnn_config().get_complete_py_code_str(net)  # doctest: +SKIP
        >>> "network = {" in code  # doctest: +SKIP
        True
    """

    #: The imports the written code pieces start with (the predecessor's class attribute;
    #: pipeline code adds it once to a config's prolog or epilog).
    ImportPyCodeStr = "from returnn.tensor import Dim, batch_dim, single_step_dim\n\n"

    def __init__(self, name_ctx: NameCtx | None = None) -> None:
        self.name_ctx = name_ctx if name_ctx is not None else NameCtx.top()

    def _check_module(self, root_module: object) -> Module:
        if not isinstance(root_module, Module):
            raise _NotAModuleError(
                f"the root module must be an nn.Module, got {type(root_module).__name__}; "
                "pass the model object whose call built the network"
            )
        root = root_module._rc_naming_root()
        if root is not self.name_ctx.rc_root:
            rc_naming.check_same_root(
                self.name_ctx.rc_root, root, what=f"root module {type(root_module).__name__}"
            )
        return root_module

    def get_complete_py_code_str(self, root_module: Module) -> str:
        """The complete config (dims, behavior_version, extern_data, network) as Python code."""
        module = self._check_module(root_module)
        return str(_rc_serialize().get_returnn_config_serialized(module))

    def get_net_dict_raw_dict(self, root_module: Module) -> dict[str, Any]:
        """``network`` as a dict (dims as ``Dim`` objects), for configs that build at load time."""
        module = self._check_module(root_module)
        pieces = _rc_serialize().ReturnnConfigPieces(module)
        return dict(pieces.network_dict)

    def get_extern_data_raw_dict(self, root_module: Module | None = None) -> dict[str, Any]:
        """``extern_data`` as a dict of tensor kwargs (dims as ``Dim`` objects).

        With ``root_module``: the entries rc-serialize writes for that model. Without
        (the predecessor's call): every ``nn.get_extern_data`` template of this root,
        each with ``dim_tags``, ``dtype``, ``sparse_dim`` (if sparse) and
        ``available_for_inference``.
        """
        if root_module is None:
            return {
                key: _extern_entry(tensor.template)
                for key, tensor in state_of(self.name_ctx.rc_root).extern_data.items()
            }
        module = self._check_module(root_module)
        pieces = _rc_serialize().ReturnnConfigPieces(module)
        return dict(pieces.extern_data_dict)

    def get_base_extern_data_py_code_str(self, root_module: Module | None = None) -> str:
        """Dim definitions, ``extern_data`` and ``behavior_version`` as code (the predecessor's base piece).

        Combine it with :meth:`get_ext_net_dict_py_code_str`, which takes the input dims
        from this ``extern_data``: ``base + ext`` is a complete config. ``extern_data``
        is that of :meth:`get_extern_data_raw_dict` (``root_module`` as there).
        """
        extern = self.get_extern_data_raw_dict(root_module)
        ser = _rc_serialize()
        return self.get_base_extern_data_py_code_str_direct(
            extern, other={"behavior_version": int(ser.DEFAULT_BEHAVIOR_VERSION)}
        )

    def get_config_raw_dict(self, root_module: Module) -> dict[str, Any]:
        """``behavior_version``, ``extern_data`` and ``network`` as raw dicts."""
        module = self._check_module(root_module)
        ser = _rc_serialize()
        pieces = ser.ReturnnConfigPieces(module)
        return {
            "behavior_version": int(ser.DEFAULT_BEHAVIOR_VERSION),
            "extern_data": dict(pieces.extern_data_dict),
            "network": dict(pieces.network_dict),
        }

    def get_ext_net_dict_py_code_str(
        self,
        root_module: Module,
        *,
        with_imports: bool = True,
        ref_extern_data_dims_via_global_config: bool = True,
    ) -> str:
        """``network = {...}`` as code; input dims taken from the global config's ``extern_data``.

        rc's pieces always import what they use, so ``with_imports`` has no effect.
        """
        del with_imports
        module = self._check_module(root_module)
        pieces = _rc_serialize().ReturnnConfigPieces(module)
        return str(
            pieces.network_code(dims_from_extern_data=ref_extern_data_dims_via_global_config)
        )

    @classmethod
    def get_base_extern_data_py_code_str_direct(
        cls, extern_data: dict[str, Any], *, other: dict[str, Any] | None = None
    ) -> str:
        """Dim definitions and ``extern_data = {...}`` (plus ``other`` assignments) as code.

        ``extern_data`` maps keys to tensor kwargs (written as given) or to ``nn.Data``
        objects, written as rc-serialize writes extern data (``dim_tags``, ``dtype``,
        ``sparse_dim``, ``available_for_inference``): pipeline code can turn each entry
        back into a template with ``nn.Data(name=key, **extern_data[key])``.
        """
        ser = _rc_serialize()
        assignments = dict(other or {})
        for key in assignments:
            # Written as code (``key = ...``): only plain ASCII identifiers (Python normalizes
            # other identifiers with NFKC, so "ﬁ" would assign "fi") that the piece does not
            # define itself.
            if (
                type(key) is not str
                or not (key.isascii() and key.isidentifier())
                or keyword.iskeyword(key)
                or key in _PIECE_NAMES
            ):
                raise RcNnError(
                    f"get_base_extern_data_py_code_str_direct: other key {key!r} is no identifier "
                    "the code can assign: it must be a plain ASCII Python identifier, no keyword "
                    f"and none of the names the code defines ({', '.join(sorted(_PIECE_NAMES))}); "
                    "use e.g. 'my_value'"
                )
        dims = ser.DimNamer(taken=assignments)  # dim identifiers never clash with the keys
        entries: dict[str, Any] = {}
        for key, value in extern_data.items():
            entries[key] = _extern_entry(value) if isinstance(value, Template) else value
        lines = [f"extern_data = {ser.py_code(entries, dims)}\n"]
        # (the dims of `other` join the same DimNamer: a dim used in both is defined once)
        for key, value in assignments.items():
            lines.append(f"{key} = {ser.py_code(value, dims)}\n")
        head = "".join(f"{line}\n" for line in dims.definitions())
        imports = cls.ImportPyCodeStr
        if getattr(dims, "uses_numpy", False):
            imports = imports.rstrip("\n") + "\nimport numpy\n\n"
        return imports + head + ("\n" if head else "") + "".join(lines)


#: Names the extern data piece defines or imports itself.
_PIECE_NAMES = frozenset({"Dim", "batch_dim", "single_step_dim", "extern_data", "numpy"})


def _extern_entry(data: Template) -> dict[str, Any]:
    entry: dict[str, Any] = {"dim_tags": list(data.dims), "dtype": str(data.dtype)}
    if data.sparse_dim is not None:
        entry["sparse_dim"] = data.sparse_dim
    entry["available_for_inference"] = bool(data.available_for_inference)
    return entry


def get_returnn_config() -> ReturnnConfigSerializer:
    """The serializer for the current root (predecessor: ``nn.get_returnn_config()``).

    Examples
    --------
    >>> isinstance(get_returnn_config(), ReturnnConfigSerializer)
    True
    """
    return NameCtx.top().get_returnn_config()


def reset_default_root_name_ctx() -> None:
    """Start a fresh default root, dropping everything built under the old one.

    Examples
    --------
    >>> before = rc_naming.current_root()
    >>> reset_default_root_name_ctx()
    >>> rc_naming.current_root() is before
    False
    """
    rc_naming.reset_default_root()


def get_returnn_config_serialized(root_module: Module, **kwargs: Any) -> str:
    """rc-serialize's ``get_returnn_config_serialized``, imported when called.

    Example (needs rc-serialize installed):
        >>> import rc_nn as nn
        >>> with nn.Root():
        ...     feat = nn.FeatureDim("in", 3)
        ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        ...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
        ...     _ = net(x).mark_as_default_output()
        ...     code = nn.get_returnn_config_serialized(net)  # doctest: +SKIP
        >>> code.startswith("#!rnn.py")  # doctest: +SKIP
        True
    """
    return str(_rc_serialize().get_returnn_config_serialized(root_module, **kwargs))


_EAGER_MSG = (
    "the predecessor's debug eager mode (evaluating layers with TF eager while building) is "
    "not supported by rc: building never imports TensorFlow. To see values, serialize the "
    "model and run it in RETURNN (e.g. `rc-serialize build MODULE:FACTORY -o config.py --check`), or use the "
    "numpy checks in rc-serialize's tests. See docs/migrating-from-returnn_common.md."
)


def enable_debug_eager_mode() -> None:
    """Not supported: raises :class:`DebugEagerModeUnsupportedError`.

    Examples
    --------
    >>> try:
    ...     enable_debug_eager_mode()
    ... except NotImplementedError:
    ...     print("unsupported")
    unsupported
    """
    raise DebugEagerModeUnsupportedError(f"nn.enable_debug_eager_mode(): {_EAGER_MSG}")


def disable_debug_eager_mode() -> None:
    """Not supported: raises :class:`DebugEagerModeUnsupportedError` (see :func:`enable_debug_eager_mode`)."""
    raise DebugEagerModeUnsupportedError(f"nn.disable_debug_eager_mode(): {_EAGER_MSG}")


def is_debug_eager_mode_enabled() -> bool:
    """Always false: rc has no debug eager mode.

    Examples
    --------
    >>> is_debug_eager_mode_enabled()
    False
    """
    return False
