"""``register_call_post_hook``: run a function after every call of a module or function
(the predecessor's ``nn.utils.hooks``, like PyTorch's ``register_forward_hook``)."""

from __future__ import annotations

import itertools
import sys
import types
from collections.abc import Callable
from typing import Any

from ._module import MODULE_HOOKS_ATTR, Hook, Module, run_post_hooks

__all__ = ["RemovableHandle", "register_call_post_hook"]

_ids = itertools.count()


class _HookedFunction:
    """Stands in for a hooked function or bound method where it was looked up."""

    def __init__(self, func: types.FunctionType | types.MethodType, owner: object) -> None:
        self.func = func
        self.owner = owner
        self.hooks: dict[int, Hook] = {}
        # a bound method is looked up through the class: restore by deleting our entry
        self.own_attr = isinstance(func, types.FunctionType) or func.__name__ in getattr(
            owner, "__dict__", {}
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.func(*args, **kwargs)
        return run_post_hooks(self.hooks, self.func, args, kwargs, result)

    def restore(self) -> None:
        name = self.func.__name__
        if getattr(self.owner, name, None) is self:
            if self.own_attr:
                setattr(self.owner, name, self.func)
            else:
                delattr(self.owner, name)


class RemovableHandle:
    """Returned by :func:`register_call_post_hook`; ``remove()`` (or a ``with`` block)
    takes the hook away again."""

    def __init__(self, hooks: dict[int, Hook], on_empty: Callable[[], None]) -> None:
        self.id = next(_ids)
        self._hooks = hooks
        self._on_empty = on_empty

    def remove(self) -> None:
        """Remove the hook (a no-op the second time)."""
        if self._hooks.pop(self.id, None) is not None and not self._hooks:
            self._on_empty()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_call_post_hook(func_or_module: Any, hook: Hook) -> RemovableHandle:
    """Run ``hook(func_or_module, args, result, **kwargs)`` after every call of
    ``func_or_module`` (an ``nn.Module``, a bound method, or a module-level function
    looked up through its module); a non-None return value replaces the result.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a = nn.FeatureDim("a", 2)
    >>> lin = nn.Linear(a, a)
    >>> handle = nn.register_call_post_hook(lin, lambda mod, args, out: out * 2.0)
    >>> lin(nn.zeros([nn.batch_dim, a])).name_hint
    'mul'
    >>> handle.remove()
    """
    if isinstance(func_or_module, Module):
        hooks: dict[int, Hook] | None = func_or_module.__dict__.get(MODULE_HOOKS_ATTR)
        if hooks is None:
            hooks = {}
            object.__setattr__(func_or_module, MODULE_HOOKS_ATTR, hooks)
        handle = RemovableHandle(hooks, lambda: None)
        hooks[handle.id] = hook
        return handle
    hooked: _HookedFunction
    if isinstance(func_or_module, _HookedFunction):
        hooked = func_or_module
    elif isinstance(func_or_module, types.MethodType):
        owner = func_or_module.__self__
        if getattr(owner, func_or_module.__name__, None) != func_or_module:
            raise TypeError(
                f"register_call_post_hook: {func_or_module!r} is not reachable as "
                f"{type(owner).__name__}.{func_or_module.__name__}"
            )
        hooked = _HookedFunction(func_or_module, owner)
        setattr(owner, func_or_module.__name__, hooked)
    elif isinstance(func_or_module, types.FunctionType):
        module: Any = sys.modules.get(func_or_module.__module__)
        function: types.FunctionType = func_or_module
        if module is None or getattr(module, function.__name__, None) is not function:
            raise TypeError(
                f"register_call_post_hook: {func_or_module!r} is not a module-level function "
                "reachable through its module; hook a module or a bound method instead"
            )
        hooked = _HookedFunction(function, module)
        setattr(module, function.__name__, hooked)
    else:
        raise TypeError(
            "register_call_post_hook: expected an nn.Module, a function or a method, got "
            f"{type(func_or_module).__name__}"
        )
    handle = RemovableHandle(hooked.hooks, hooked.restore)
    hooked.hooks[handle.id] = hook
    return handle
