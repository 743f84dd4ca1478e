"""``Module``: PyTorch-like modules whose attribute assignments feed rc-naming (rule N3)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import rc_naming

from ._errors import DottedNameError, TensorCopyError
from ._parameter import Parameter
from ._state import CallInfo, open_scope
from ._tensor import Tensor, copy_error_message, iter_tensors
from ._userloc import creation_site, user_location

__all__ = ["Module", "check_path_component"]

_ModuleT = TypeVar("_ModuleT", bound="Module")

# The module's own bookkeeping attributes, never part of the ownership graph.
_ROOT_ATTR = "_rc_root"
_LOC_ATTR = "_rc_created_at"


def _owned(value: object) -> bool:
    return isinstance(value, Module | Parameter)


def check_path_component(what: str, name: str, value: object) -> None:
    """Refuse ``name`` as a path component if it holds a ``.`` (issue 13 §4).

    ``.`` separates the components of a parameter path, so ``heads["en.us"].bias``
    and ``heads.en.us.bias`` would both be ``heads.en.us.bias``; TF variable names,
    ``rc-serialize diff`` and ``migrate`` could not tell them apart.
    """
    if "." not in name:
        return
    leaf = "weight"
    if isinstance(value, Module):
        leaf = next((p for p, _ in value.named_parameters()), leaf)
    components = (
        [*name.split("."), *leaf.split(".")]
        if not isinstance(value, Parameter)
        else name.split(".")
    )
    full = f"{name}.{leaf}" if not isinstance(value, Parameter) else name
    fix = name.replace(".", "_").strip("_") or "dot"
    raise DottedNameError(
        f"{what} {name!r} (at {user_location(2)}) contains '.', which separates the components "
        f"of parameter paths: the path ...{full!r} would read as the components "
        f"{components!r}, so two different parameters could get one name (in "
        "named_parameters, the TF variables and checkpoints). Use a name without '.', "
        f"e.g. {fix!r}."
    )


def _root_of(obj: Module | Parameter) -> rc_naming.Root:
    if isinstance(obj, Parameter):
        return obj.root
    return obj._rc_naming_root()


Hook = Callable[..., Any]

#: Instance attribute of a module holding its post hooks (read by ``Module.__call__``).
MODULE_HOOKS_ATTR = "_rc_call_post_hooks"


def run_post_hooks(
    hooks: dict[int, Hook],
    target: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
) -> Any:
    """Call each hook as ``hook(target, args, result, **kwargs)``; a non-None return
    value replaces the result."""
    for hook in list(hooks.values()):
        new = hook(target, args, result, **kwargs)
        if new is not None:
            result = new
    return result


class Module:
    """Base class of rc-nn models, used like ``torch.nn.Module``.

    Assign submodules and parameters as attributes; implement ``forward``; call
    the module on tensors. Parameter names are the attribute paths from the
    root module that is later serialized; no naming argument is ever needed.

    Examples
    --------
    >>> import rc_nn as nn
    >>> class Block(nn.Module):
    ...     def __init__(self, in_dim, out_dim):
    ...         super().__init__()
    ...         self.lin = nn.Linear(in_dim, out_dim)
    ...     def forward(self, x):
    ...         return nn.relu(self.lin(x))
    >>> [name for name, _ in Block(nn.FeatureDim("a", 4), nn.FeatureDim("b", 4)).named_parameters()]
    ['lin.weight', 'lin.bias']
    """

    def __init__(self) -> None:
        self._rc_naming_root()

    def _rc_naming_root(self) -> rc_naming.Root:
        # Created lazily so that assigning a submodule before super().__init__() works.
        root: rc_naming.Root | None = self.__dict__.get(_ROOT_ATTR)
        if root is None:
            root = rc_naming.current_root()
            created_at = creation_site(self)
            object.__setattr__(self, _ROOT_ATTR, root)
            object.__setattr__(self, _LOC_ATTR, created_at)
            root.graph.add_node(self, label=type(self).__name__, created_at=created_at)
        return root

    def __setattr__(self, name: str, value: Any) -> None:
        root = self._rc_naming_root()
        if _owned(value):
            check_path_component(f"{type(self).__name__} attribute", name, value)
            rc_naming.check_same_root(
                root,
                _root_of(value),
                what=f"assigning {value!r} to {type(self).__name__}.{name}",
            )
            root.graph.record_assign(self, name, value)
        elif _owned(self.__dict__.get(name)):
            root.graph.record_delete(self, name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if _owned(self.__dict__.get(name)):
            self._rc_naming_root().graph.record_delete(self, name)
        object.__delattr__(self, name)

    def __deepcopy__(self: _ModuleT, memo: dict[int, Any]) -> _ModuleT:
        # Fresh parameters, same structure; sharing inside the copied tree is kept via memo.
        # A layer output anywhere in the tree cannot be copied: refuse before anything is
        # recorded in the naming graph.
        blocker = _uncopyable_tensor(self, type(self).__name__, set())
        if blocker is not None:
            path, tensor = blocker
            raise TensorCopyError(
                copy_error_message(
                    f"{type(self).__name__} (created at {self.__dict__.get(_LOC_ATTR)}): "
                    f"{path} is the tensor {tensor!r} (created at {tensor.created_at})"
                )
            )
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        object.__setattr__(new, _ROOT_ATTR, self._rc_naming_root())
        object.__setattr__(new, _LOC_ATTR, creation_site(new))
        self._rc_naming_root().graph.add_node(
            new, label=cls.__name__, created_at=new.__dict__[_LOC_ATTR]
        )
        for key, value in self.__dict__.items():
            if key in (_ROOT_ATTR, _LOC_ATTR):
                continue
            setattr(new, key, copy.deepcopy(value, memo))
        return new

    # -- calling -------------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get("__call__")
        if call is not None and not getattr(call, "_rc_scoped_call", False):
            # The predecessor's modules define __call__ instead of forward: give their calls
            # the same module scope (layer names, hooks) as forward calls get.
            cls.__call__ = _scoped_user_call(call)  # type: ignore[method-assign]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get(_IN_CALL_ATTR):  # super().__call__ from a subclass's __call__
            return self.forward(*args, **kwargs)
        return self._rc_call(self.forward, args, kwargs)

    def _rc_call(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Call ``func(*args, **kwargs)`` in a new call scope of this module."""
        root = self._rc_naming_root()
        for tensor in iter_tensors([*args, *kwargs.values()]):
            rc_naming.check_same_root(
                root, tensor.root, what=f"calling {type(self).__name__} on {tensor!r}"
            )
        info = CallInfo("module", module=self, created_at=user_location(3))
        with open_scope(root, info, _snake_case(type(self).__name__)) as node:
            result = func(*args, **kwargs)
        # The tensors this call made and returned are named after the call itself.
        info.outputs = [
            t for t in iter_tensors(result) if t.node is not None and t.node.parent is node
        ]
        hooks = self.__dict__.get(MODULE_HOOKS_ATTR)
        if hooks:
            result = run_post_hooks(hooks, self, args, kwargs, result)
        return result

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; override it in subclasses."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define forward(); "
            "subclasses of nn.Module implement forward(self, ...)"
        )

    # -- introspection ---------------------------------------------------------------------

    def named_parameters(self, *, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(path, parameter)`` with canonical paths from this module (the checkpoint names).

        Order: depth first in assignment order, like PyTorch's state dict.
        """
        for path, obj in self._named_objects(recurse):
            if isinstance(obj, Parameter):
                yield ".".join(path), obj

    def parameters(self, *, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters in ``named_parameters`` order."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """``(path, module)`` for this module (path ``""``) and every submodule, canonical paths."""
        for path, obj in self._named_objects(True):
            if isinstance(obj, Module):
                yield ".".join(path), obj

    def modules(self) -> Iterator[Module]:
        """This module and all submodules."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules by attribute name, in assignment order (each child once)."""
        seen: set[int] = set()
        for name, child in self._rc_naming_root().graph.children(self):
            if isinstance(child, Module) and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """Direct submodules."""
        for _, child in self.named_children():
            yield child

    def apply(self: _ModuleT, fn: Callable[[Module], object]) -> _ModuleT:
        """Call ``fn`` on every submodule (children first) and on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _named_objects(self, recurse: bool) -> Iterator[tuple[tuple[str, ...], object]]:
        resolution = self._rc_naming_root().graph.resolve(self)
        for path, obj in resolution.items():
            if recurse or len(path) <= 1:
                yield path, obj

    def __repr__(self) -> str:
        return f"<{type(self).__name__} created at {self.__dict__.get(_LOC_ATTR, '?')}>"


_IN_CALL_ATTR = "_rc_in_user_call"


def _scoped_user_call(call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` (a module class's own ``__call__``) run in the module's call scope; a
    nested call on the same module (``super().__call__(...)``) runs in the same scope."""

    def scoped_call(self: Module, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get(_IN_CALL_ATTR):
            return call(self, *args, **kwargs)

        def run(*args: Any, **kwargs: Any) -> Any:
            object.__setattr__(self, _IN_CALL_ATTR, True)
            try:
                return call(self, *args, **kwargs)
            finally:
                object.__delattr__(self, _IN_CALL_ATTR)

        return self._rc_call(run, args, kwargs)

    scoped_call._rc_scoped_call = True  # type: ignore[attr-defined]
    scoped_call.__wrapped__ = call  # type: ignore[attr-defined]
    scoped_call.__name__ = getattr(call, "__name__", "__call__")
    scoped_call.__qualname__ = getattr(call, "__qualname__", "__call__")
    scoped_call.__doc__ = getattr(call, "__doc__", None)
    return scoped_call


def _uncopyable_tensor(value: object, path: str, seen: set[int]) -> tuple[str, Tensor] | None:
    """The first tensor that is no parameter inside ``value`` (through module attributes,
    lists, tuples and dicts), with its path; ``None`` if there is none."""
    if id(value) in seen:
        return None
    seen.add(id(value))
    if isinstance(value, Tensor):
        return None if isinstance(value, Parameter) else (path, value)
    items: list[tuple[str, object]] = []
    if isinstance(value, Module):
        items = [
            (f"{path}.{key}", item)
            for key, item in value.__dict__.items()
            if key not in (_ROOT_ATTR, _LOC_ATTR)
        ]
    elif isinstance(value, list | tuple):
        items = [(f"{path}[{i}]", item) for i, item in enumerate(value)]
    elif isinstance(value, dict):
        items = [(f"{path}[{key!r}]", item) for key, item in value.items()]
    for item_path, item in items:
        found = _uncopyable_tensor(item, item_path, seen)
        if found is not None:
            return found
    return None


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
