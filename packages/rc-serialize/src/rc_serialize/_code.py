"""Python code for config values: dicts, lists, numbers, dims (as identifiers), numpy arrays.

Dims get readable, unique identifiers (``time_dim``, ``in_dim``); derived dims
are written as expressions of the dims they come from, defined after them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy
from returnn.tensor import Dim, batch_dim, single_step_dim

__all__ = ["DimNamer", "py_code"]

_BINARY_OPS = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//"}
_METHOD_OPS = {"truediv": "div_right", "ceildiv": "ceildiv_right"}
_KIND_CODE = {
    Dim.Types.Batch: "Dim.Types.Batch",
    Dim.Types.Spatial: "Dim.Types.Spatial",
    Dim.Types.Feature: "Dim.Types.Feature",
}


def _identifier(description: str) -> str:
    name = re.sub(r"\W+", "_", description).strip("_").lower() or "unnamed"
    if name[0].isdigit():
        name = "d" + name
    return name if name.endswith("_dim") else f"{name}_dim"


class DimNamer:
    """Assigns identifiers to dims in order of first use and writes their definitions.

    Example:
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

    def bind(self, dim: Dim, expr: str) -> None:
        """Use ``expr`` for ``dim`` instead of a definition of its own (e.g. taken from the config)."""
        name = self.ref(dim) if id(dim) not in self._names else self._names[id(dim)]
        self._bound[id(dim)] = expr
        del name

    def ref(self, dim: Dim) -> str:
        """The code that stands for ``dim`` (an identifier, an int for constants, or an expression)."""
        if dim is batch_dim or dim.is_batch_dim():
            return "batch_dim"
        if dim is single_step_dim:
            return "single_step_dim"
        if dim.is_constant_static_dim():
            return str(dim.dimension)
        known = self._names.get(id(dim))
        if known is not None:
            return known
        op = dim.derived_from_op
        if op is not None:
            for item in op.inputs:
                self.ref(item)  # dependencies first
        name = _identifier(dim.description or "unnamed")
        base, index = name, 1
        while name in self._taken:
            index += 1
            name = f"{base[:-4]}{index}_dim"
        self._taken.add(name)
        self._names[id(dim)] = name
        self._order.append(dim)
        return name

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
        return f"Dim({dim.dimension!r}, name={_str_code(dim.description)}, kind={kind})"


def py_code(value: Any, dims: DimNamer, indent: int = 0) -> str:
    """Python source for ``value`` (deterministic: dict order is kept, floats by repr).

    Example:
        >>> py_code({"a": [1, 2.5, None]}, DimNamer())
        '{"a": [1, 2.5, None]}'
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        if math.isnan(value):
            return 'float("nan")'
        return repr(value)
    if isinstance(value, str):
        return _str_code(value)
    if isinstance(value, Dim):
        return dims.ref(value)
    if isinstance(value, numpy.ndarray):
        return f"numpy.array({py_code(value.tolist(), dims)}, dtype={_str_code(str(value.dtype))})"
    if isinstance(value, numpy.generic):
        return py_code(value.item(), dims)
    if isinstance(value, list | tuple):
        items = [py_code(item, dims, indent) for item in value]
        inner = ", ".join(items)
        if isinstance(value, tuple):
            return f"({inner},)" if len(items) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, dict):
        items = [
            f"{py_code(k, dims, indent)}: {py_code(v, dims, indent)}" for k, v in value.items()
        ]
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot write {type(value).__name__} {value!r:.80} as config code")


def _str_code(text: str) -> str:
    # Double quotes, like the rest of the emitted code; repr handles escapes.
    code = repr(text)
    if code.startswith("'") and '"' not in text:
        code = '"' + code[1:-1] + '"'
    return code
