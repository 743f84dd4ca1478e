"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``.

Items are attributes named ``"0"``, ``"1"``, ... (or by key), so their
parameters get paths like ``layers.0.weight``, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

from ._module import Module
from ._parameter import Parameter

__all__ = ["ModuleDict", "ModuleList", "ParameterList", "Sequential"]


def _check_item(container: str, index: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        raise TypeError(
            f"{container}[{index}]: expected an nn.{kind.__name__}, got {type(value).__name__}"
        )


class ModuleList(Module):
    """A list of modules, items named ``0``, ``1``, ...

    Example:
        >>> import rc_nn as nn
        >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 2)
        >>> layers = nn.ModuleList([nn.Linear(a, b) for _ in range(2)])
        >>> [name for name, _ in layers.named_parameters()]
        ['0.weight', '0.bias', '1.weight', '1.bias']
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        object.__setattr__(self, "_rc_len", 0)
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> None:
        """Add ``module`` as the next item."""
        index = len(self)
        _check_item(type(self).__name__, str(index), module, Module)
        setattr(self, str(index), module)
        object.__setattr__(self, "_rc_len", index + 1)

    def extend(self, modules: Iterable[Module]) -> None:
        """Append every module of ``modules``."""
        for module in modules:
            self.append(module)

    def __len__(self) -> int:
        return int(self.__dict__.get("_rc_len", 0))

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield getattr(self, str(index))

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> ModuleList: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self)[index])
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} index {index} out of range (len {len(self)})")
        return getattr(self, str(index % len(self)))

    def __setitem__(self, index: int, module: Module) -> None:
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} index {index} out of range (len {len(self)})")
        _check_item(type(self).__name__, str(index), module, Module)
        setattr(self, str(index % len(self)), module)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} is a container and has no forward(); "
            "iterate over it, or use nn.Sequential to chain modules"
        )


class Sequential(ModuleList):
    """Modules called one after the other.

    Takes an iterable of modules or the modules as arguments.

    Example:
        >>> import rc_nn as nn
        >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 2)
        >>> len(nn.Sequential(nn.Linear(a, b), nn.Linear(b, a)))
        2
    """

    def __init__(self, *modules: Module | Iterable[Module]) -> None:
        if len(modules) == 1 and not isinstance(modules[0], Module):
            items: Iterable[Module] = modules[0]
        else:
            items = modules  # type: ignore[assignment]
        super().__init__(items)

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Feed ``x`` through all modules; extra arguments go to every module."""
        for module in self:
            x = module(x, *args, **kwargs)
        return x


class ModuleDict(Module):
    """Modules by string key (keys become attribute names, so they are the path components).

    Example:
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
            raise TypeError(f"{type(self).__name__}: keys must be non-empty strings, got {key!r}")
        if hasattr(type(self), key) or key.startswith("_"):
            raise ValueError(
                f"{type(self).__name__}: key {key!r} would hide the attribute {type(self).__name__}.{key} "
                f"(keys are stored as attributes; and they name the parameters); use another key, "
                f"e.g. {key.strip('_') + '_' if key.strip('_') else 'item'!r}"
            )
        _check_item(type(self).__name__, repr(key), module, Module)
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

    Example:
        >>> import rc_nn as nn
        >>> params = nn.ParameterList([nn.Parameter([nn.FeatureDim("d", 2)])])
        >>> [name for name, _ in params.named_parameters()]
        ['0']
    """

    def __init__(self, parameters: Iterable[Parameter] = ()) -> None:
        super().__init__()
        object.__setattr__(self, "_rc_len", 0)
        for param in parameters:
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
