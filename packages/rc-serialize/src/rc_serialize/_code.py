"""Python code for config values: dicts, lists, numbers, dims (as identifiers), numpy arrays.

Dims get readable, unique identifiers (``time_dim``, ``in_dim``); derived dims
are written as expressions of the dims they come from, defined after them. Every
scalar, string and identifier is rendered by :mod:`._pycode` (the one escaping path).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy
from returnn.tensor import Dim, batch_dim, single_step_dim

from ._pycode import (
    ConfigCodeError,
    dim_identifier_base,
    is_safe_identifier,
    number_literal,
    scalar_literal,
    str_literal,
)

__all__ = ["DimNamer", "py_code"]

_BINARY_OPS = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//"}
_METHOD_OPS = {"truediv": "div_right", "ceildiv": "ceildiv_right"}
_KIND_CODE = {
    Dim.Types.Batch: "Dim.Types.Batch",
    Dim.Types.Spatial: "Dim.Types.Spatial",
    Dim.Types.Feature: "Dim.Types.Feature",
}


class DimNamer:
    """Assigns identifiers to dims in order of first use and writes their definitions.

    Examples
    --------
    >>> from returnn.tensor import Dim
    >>> namer = DimNamer()
    >>> namer.ref(Dim(3, name="in"))
    'in_dim'
    >>> namer.definitions()
    ['in_dim = Dim(3, name="in", kind=Dim.Types.Spatial)']
    """

    def __init__(self, *, taken: Iterable[str] = ()) -> None:
        self._names: dict[int, str] = {}
        self._order: list[Dim] = []
        self._taken = set(taken) | {"Dim", "batch_dim", "single_step_dim"}
        self._bound: dict[int, str] = {}
        # Memos of this writer (a config repeats few strings and dims many times): the
        # literal of every exact ``str`` written, and the code of every dim met (the dim
        # is kept with it, so its id cannot be reused while the memo lives).
        self._literals: dict[str, str] = {}
        self._refs: dict[int, tuple[Dim, str]] = {}
        self.uses_numpy = (
            False  # set when a numpy array was written (the code needs `import numpy`)
        )

    def bind(self, dim: Dim, expr: str) -> None:
        """Use ``expr`` for ``dim`` instead of a definition of its own (e.g. taken from the config)."""
        name = self.ref(dim) if id(dim) not in self._names else self._names[id(dim)]
        self._bound[id(dim)] = expr
        del name

    def ref(self, dim: Dim) -> str:
        """The code that stands for ``dim`` (an identifier, an int for constants, or an expression)."""
        hit = self._refs.get(id(dim))
        if hit is not None and hit[0] is dim:
            return hit[1]
        code = self._ref(dim)
        self._refs[id(dim)] = (dim, code)
        return code

    def _ref(self, dim: Dim) -> str:
        if dim is batch_dim or dim.is_batch_dim():
            return "batch_dim"
        if dim is single_step_dim:
            return "single_step_dim"
        if dim.is_constant_static_dim():
            return number_literal(dim.dimension)
        known = self._names.get(id(dim))
        if known is not None:
            return known
        op = dim.derived_from_op
        if op is not None:
            for item in op.inputs:
                self.ref(item)  # dependencies first
        # ASCII identifiers only: Python normalizes identifiers (NFKC), so two different
        # non-ASCII names could be one variable of the config.
        name = dim_identifier_base(dim.description or "unnamed")
        base, index = name, 1
        while name in self._taken:
            index += 1
            name = f"{base[:-4]}{index}_dim"
        assert is_safe_identifier(name), name
        self._taken.add(name)
        self._names[id(dim)] = name
        self._order.append(dim)
        return name

    def _write(self, value: Any) -> str:
        """:func:`py_code` of ``value`` with this writer's memos."""
        return _code(value, self._literals, self)

    def definitions(self) -> list[str]:
        """One ``name = ...`` line per dim, dependencies before the dims derived from them."""
        lines = []
        for dim in self._order:
            lines.append(f"{self._names[id(dim)]} = {self._definition(dim)}")
        return lines

    def _definition(self, dim: Dim) -> str:
        bound = self._bound.get(id(dim))
        if bound is not None:
            return bound
        op = dim.derived_from_op
        if op is not None and (op.kind in _BINARY_OPS or op.kind in _METHOD_OPS):
            parts = [self.ref(item) for item in op.inputs]
            if op.kind in _BINARY_OPS:
                return f" {_BINARY_OPS[op.kind]} ".join(parts)
            method = _METHOD_OPS[op.kind]
            expr = parts[0]
            for part in parts[1:]:
                expr = f"({expr}).{method}({part})" if " " in expr else f"{expr}.{method}({part})"
            return expr
        kind = _KIND_CODE.get(dim.kind, "Dim.Types.Spatial")
        size = "None" if dim.dimension is None else number_literal(dim.dimension)
        description = "None" if dim.description is None else str_literal(dim.description)
        return f"Dim({size}, name={description}, kind={kind})"


def py_code(value: Any, dims: DimNamer, indent: int = 0) -> str:
    """Python source for ``value`` (deterministic: dict order is kept, floats by repr).

    Examples
    --------
    >>> py_code({"a": [1, 2.5, None]}, DimNamer())
    '{"a": [1, 2.5, None]}'
    """
    del indent  # kept for callers; values are written inline
    return DimNamer._write(dims, value)


def _code(value: Any, strs: dict[str, str], dims: DimNamer) -> str:
    """:func:`py_code` with the writer's string memo ``strs`` (exact ``str`` only)."""
    kind = type(value)
    if kind is str:
        code = strs.get(value)
        if code is None:
            code = strs[value] = str_literal(value)  # the one escaping path (._pycode)
        return code
    if kind is dict:  # exact containers first: the commonest values of a net dict
        parts = []
        for key, item in value.items():
            key_code = strs.get(key) if type(key) is str else None
            if key_code is None:
                key_code = _code(key, strs, dims)
            item_code = strs.get(item) if type(item) is str else None
            if item_code is None:
                item_code = _code(item, strs, dims)
            parts.append(key_code + ": " + item_code)
        return "{" + ", ".join(parts) + "}"
    if kind is list:
        return "[" + ", ".join([_code(item, strs, dims) for item in value]) + "]"
    if kind is int:
        return int.__repr__(value)  # exactly an int
    if kind is bool:
        return "True" if value else "False"
    if kind is Dim:
        return dims.ref(value)
    if value is None:
        return "None"
    if kind is float:
        return number_literal(value)
    literal = scalar_literal(value)  # subclasses of the builtins, numpy scalars
    if literal is not None:
        return literal
    if isinstance(value, Dim):
        return dims.ref(value)
    if isinstance(value, numpy.ndarray):
        dims.uses_numpy = True
        return (
            f"numpy.array({_code(value.tolist(), strs, dims)}, "
            f"dtype={str_literal(str(value.dtype))})"
        )
    if isinstance(value, list | tuple):
        items = [_code(item, strs, dims) for item in value]
        inner = ", ".join(items)
        if isinstance(value, tuple):
            return f"({inner},)" if len(items) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, dict):
        pairs = [f"{_code(k, strs, dims)}: {_code(v, strs, dims)}" for k, v in value.items()]
        return "{" + ", ".join(pairs) + "}"
    raise ConfigCodeError(
        f"cannot write a {type(value).__name__} as config code: config values are None, "
        "bools, numbers, strings, numpy scalars and arrays, dims, and lists, tuples and dicts "
        "of these"
    )
