"""Names a parameter path component cannot have in RETURNN's PyTorch backend.

RETURNN wraps the config's ``rf.Module`` tree into ``torch.nn.Module`` objects
(``rf_module_to_pt_module``), which refuse a submodule or parameter named like one of
their attributes (``KeyError: attribute 'float' already exists``), and an ``rf.Module``
attribute named like one of its methods breaks the module. These names are the
attributes of ``torch.nn.Module`` (torch 2.13), RETURNN's wrapper and ``rf.Module``
(RETURNN 1.20261022); ``test_torch_returnn.py`` checks the list against the installed
versions.
"""

from __future__ import annotations

from collections.abc import Mapping

import rc_nn

from ._torch_errors import TorchNameError

__all__ = ["RESERVED_TORCH_NAMES", "check_torch_names"]

RESERVED_TORCH_NAMES = frozenset(
    {
    "T_destination", "__annotations__", "__call__", "__class__", "__delattr__", "__dict__",
    "__dir__", "__doc__", "__eq__", "__format__", "__ge__", "__getattr__", "__getattribute__",
    "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__", "__le__", "__lt__",
    "__module__", "__ne__", "__new__", "__reduce__", "__reduce_ex__", "__repr__", "__setattr__",
    "__setstate__", "__sizeof__", "__str__", "__subclasshook__", "__weakref__", "_apply",
    "_aux_params_as_buffers", "_backward_hooks", "_backward_pre_hooks", "_buffers", "_call_impl",
    "_compiled_call_impl", "_forward_hooks", "_forward_hooks_always_called",
    "_forward_hooks_with_kwargs", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
    "_get_backward_hooks", "_get_backward_pre_hooks", "_get_name", "_is_full_backward_hook",
    "_is_initializing", "_load_from_state_dict", "_load_state_dict_post_hooks",
    "_load_state_dict_pre_hooks", "_maybe_warn_non_full_backward_hook", "_modules",
    "_named_members", "_non_persistent_buffers_set", "_parameters",
    "_register_load_state_dict_pre_hook", "_register_state_dict_hook",
    "_replicate_for_data_parallel", "_rf_module", "_save_to_state_dict", "_slow_forward",
    "_state_dict_hooks", "_state_dict_pre_hooks", "_version", "_wrapped_call_impl", "add_module",
    "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu", "cuda",
    "default_initial_state", "double", "dump_patches", "eval", "extra_repr", "float", "forward",
    "get_buffer", "get_deep", "get_default_name", "get_extra_state", "get_parameter",
    "get_submodule", "half", "has_parameters", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook", "register_module",
    "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook",
    "requires_grad_", "rf_module", "set_deep", "set_extra_state", "set_submodule", "share_memory",
    "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
    }
)  # fmt: skip


def check_torch_names(record: rc_nn.BuildRecord, paths: Mapping[int, tuple[str, ...]]) -> None:
    """Refuse parameter paths with a component RETURNN's torch backend cannot hold."""
    for layer, path in sorted(paths.items()):  # the first parameter made first
        for component in path:
            if component in RESERVED_TORCH_NAMES:
                raise TorchNameError(
                    f"parameter {'.'.join(path)} (created at {record.layers[layer].created_at}): "
                    f"the path component {component!r} is the name of an attribute of "
                    "torch.nn.Module or rf.Module, so RETURNN's PyTorch backend cannot hold a "
                    "submodule or parameter under it. Rename the attribute or the ModuleDict "
                    f"key (e.g. {component + '_'!r}), or build with the TF backend"
                )
