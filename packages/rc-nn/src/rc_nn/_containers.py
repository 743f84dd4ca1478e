"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``.

Items are attributes named ``"0"``, ``"1"``, ... (or by key), so their
parameters get paths like ``layers.0.weight``, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, overload

from ._errors import RcNnError
from ._module import Module, check_path_component
from ._parameter import Parameter

__all__ = ["Functional", "ModuleDict", "ModuleList", "ParameterList", "Sequential"]


class _ItemNameTypeError(RcNnError, TypeError):
    """A container item name (ModuleList/Sequential name, ModuleDict key) that is no str."""


class _ItemNameValueError(RcNnError, ValueError):
    """A container item name that would hide an attribute of the container."""


def _check_item(container: str, index: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        raise TypeError(
            f"{container}[{index}]: expected an nn.{kind.__name__}, got {type(value).__name__}"
        )


class Functional(Module):
    """A plain function (e.g. ``nn.relu``) as a module without parameters, so that it can
    be an item of ``nn.Sequential`` / ``nn.ModuleList`` (as in the predecessor).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> nn.Functional(nn.relu)(nn.zeros([f])).name_hint
    'relu'
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        super().__init__()
        if not callable(func):
            raise TypeError(f"Functional: expected a callable, got {func!r}")
        self.func = func

    def __repr__(self) -> str:
        return f"Functional({getattr(self.func, '__qualname__', self.func)!r})"

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function."""
        return self.func(*args, **kwargs)


def _as_module(container: str, key: str, value: object) -> Module:
    if isinstance(value, Module):
        return value
    if callable(value):
        return Functional(value)
    raise TypeError(
        f"{container}[{key}]: expected an nn.Module or a function, got {type(value).__name__}"
    )


def _check_key(container: ModuleList, key: object) -> str:
    name = type(container).__name__
    if not isinstance(key, str) or not key:
        raise _ItemNameTypeError(f"{name}: item names must be non-empty strings, got {key!r}")
    if hasattr(type(container), key) or key.startswith("_"):
        raise _ItemNameValueError(
            f"{name}: item name {key!r} would hide the attribute {name}.{key} (items are stored "
            "as attributes, and they name the parameters); use another name"
        )
    check_path_component(f"{name} item name", key, None)
    return key


class ModuleList(Module):
    """A list of modules, items named ``0``, ``1``, ... (or by the keys of a dict).

    ``ModuleList(modules)`` takes an iterable of modules, the modules as arguments, or
    (as in the predecessor) one dict ``{name: module}`` (or a list of ``(name, module)``
    pairs) or another ``ModuleList``: then
    the names are the attribute names, i.e. the parameter path components. Functions
    (e.g. ``nn.relu``) become :class:`Functional` items.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 2)
    >>> layers = nn.ModuleList([nn.Linear(a, b) for _ in range(2)])
    >>> [name for name, _ in layers.named_parameters()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    >>> named = nn.ModuleList({"enc": nn.Linear(a, b), "dec": nn.Linear(b, a)})
    >>> [name for name, _ in named.named_parameters()][:2]
    ['enc.weight', 'enc.bias']
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        object.__setattr__(self, "_rc_keys", [])
        items: Iterable[tuple[str | None, Any]]
        if (len(modules) == 1 and isinstance(modules[0], Mapping)) or (
            len(modules) == 1 and isinstance(modules[0], ModuleList)
        ):
            items = list(modules[0].items())
        elif len(modules) == 1 and not isinstance(modules[0], Module) and not callable(modules[0]):
            listed = list(modules[0])
            if listed and all(
                isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str) for m in listed
            ):
                items = listed  # ordered (name, module) pairs, like a dict
            else:
                items = [(None, m) for m in listed]
        else:
            items = [(None, m) for m in modules]
        for key, module in items:
            if key is None:
                self.append(module)
            else:
                self._set_item(_check_key(self, key), module)

    def _set_item(self, key: str, module: Any) -> None:
        keys: list[str] = self.__dict__["_rc_keys"]
        module = _as_module(type(self).__name__, key, module)
        if key not in keys:
            keys.append(key)
        setattr(self, key, module)

    def append(self, module: Any) -> ModuleList:
        """Add ``module`` as the next item (named by its index)."""
        self._set_item(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Any]) -> ModuleList:
        """Append every module of ``modules``."""
        for module in modules:
            self.append(module)
        return self

    def __len__(self) -> int:
        return len(self.__dict__.get("_rc_keys", ()))

    def __iter__(self) -> Iterator[Any]:
        for key in list(self.__dict__.get("_rc_keys", ())):
            yield getattr(self, key)

    def keys(self) -> list[str]:
        """The item names in order."""
        return list(self.__dict__.get("_rc_keys", ()))

    def items(self) -> list[tuple[str, Any]]:
        """``(name, module)`` pairs in order."""
        return [(key, getattr(self, key)) for key in self.keys()]

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> ModuleList: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            items = self.items()[index]
            if all(key.isdigit() for key, _ in self.items()):
                return type(self)([module for _, module in items])
            return type(self)(dict(items))
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} index {index} out of range (len {len(self)})")
        return getattr(self, self.keys()[index])

    def __setitem__(self, index: int, module: Module) -> None:
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} index {index} out of range (len {len(self)})")
        self._set_item(self.keys()[index], module)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} is a container and has no forward(); "
            "iterate over it, or use nn.Sequential to chain modules"
        )


class Sequential(ModuleList):
    """Modules called one after the other.

    Takes the modules as arguments, an iterable of modules, or (as in the predecessor)
    a dict ``{name: module}`` (or ``(name, module)`` pairs) whose names become the attribute names (parameter path
    components). ``collected_outputs`` (a dict) receives every item's output by name.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 2)
    >>> len(nn.Sequential(nn.Linear(a, b), nn.Linear(b, a)))
    2
    >>> seq = nn.Sequential({"proj": nn.Linear(a, b), "act": nn.relu})
    >>> [name for name, _ in seq.named_parameters()]
    ['proj.weight', 'proj.bias']
    """

    def forward(
        self,
        x: Any,
        *args: Any,
        collected_outputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Feed ``x`` through all modules; extra arguments go to every module."""
        for name, module in self.items():
            x = module(x, *args, **kwargs)
            if collected_outputs is not None:
                collected_outputs[name] = x
        return x


class ModuleDict(Module):
    """Modules by string key (keys become attribute names, so they are the path components).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 2)
    >>> heads = nn.ModuleDict({"ctc": nn.Linear(a, b)})
    >>> list(heads)
    ['ctc']
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_rc_keys", [])
        for key, module in (modules or {}).items():
            self[key] = module

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key:
            raise _ItemNameTypeError(
                f"{type(self).__name__}: keys must be non-empty strings, got {key!r}"
            )
        if hasattr(type(self), key) or key.startswith("_"):
            raise _ItemNameValueError(
                f"{type(self).__name__}: key {key!r} would hide the attribute {type(self).__name__}.{key} "
                f"(keys are stored as attributes; and they name the parameters); use another key, "
                f"e.g. {key.strip('_') + '_' if key.strip('_') else 'item'!r}"
            )
        _check_item(type(self).__name__, repr(key), module, Module)
        check_path_component(f"{type(self).__name__} key", key, module)
        keys: list[str] = self.__dict__["_rc_keys"]
        if key not in keys:
            keys.append(key)
        setattr(self, key, module)

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dict__["_rc_keys"]:
            raise KeyError(f"{type(self).__name__} has no key {key!r} (keys: {self.keys()})")
        return getattr(self, key)

    def __delitem__(self, key: str) -> None:
        self.__dict__["_rc_keys"].remove(key)
        delattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.__dict__["_rc_keys"]))

    def __len__(self) -> int:
        return len(self.__dict__["_rc_keys"])

    def keys(self) -> list[str]:
        """The keys in insertion order."""
        return list(self.__dict__["_rc_keys"])

    def items(self) -> list[tuple[str, Any]]:
        """``(key, module)`` pairs in insertion order."""
        return [(key, getattr(self, key)) for key in self.__dict__["_rc_keys"]]

    def values(self) -> list[Any]:
        """The modules in insertion order."""
        return [getattr(self, key) for key in self.__dict__["_rc_keys"]]


class ParameterList(Module):
    """A list of parameters, items named ``0``, ``1``, ...

    Examples
    --------
    >>> import rc_nn as nn
    >>> params = nn.ParameterList([nn.Parameter([nn.FeatureDim("d", 2)])])
    >>> [name for name, _ in params.named_parameters()]
    ['0']
    >>> d = nn.FeatureDim("d", 2)
    >>> len(nn.ParameterList(nn.Parameter([d]), nn.Parameter([d])))  # as arguments too
    2
    """

    def __init__(self, *parameters: Parameter | Iterable[Parameter]) -> None:
        super().__init__()
        object.__setattr__(self, "_rc_len", 0)
        # Like the predecessor: one iterable (list, another ParameterList) or the
        # parameters themselves as arguments.
        items: Iterable[Any] = parameters
        if len(parameters) == 1 and not isinstance(parameters[0], Parameter):
            items = parameters[0]
        for param in items:
            self.append(param)

    def append(self, param: Parameter) -> None:
        """Add ``param`` as the next item."""
        index = len(self)
        _check_item(type(self).__name__, str(index), param, Parameter)
        setattr(self, str(index), param)
        object.__setattr__(self, "_rc_len", index + 1)

    def __len__(self) -> int:
        return int(self.__dict__.get("_rc_len", 0))

    def __iter__(self) -> Iterator[Parameter]:
        for index in range(len(self)):
            yield getattr(self, str(index))

    def __getitem__(self, index: int) -> Parameter:
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} index {index} out of range (len {len(self)})")
        param: Parameter = getattr(self, str(index % len(self)))
        return param
