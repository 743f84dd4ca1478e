"""Torch lowering of ``eval`` layers: the element-wise TF expressions rc-nn writes.

rc-nn writes an ``eval`` layer for a few element-wise ops (``nn.swish``, a tensor with
a Python scalar such as ``x + 1.0``, ``nn.clip_by_value``, ``nn.logical_not``). Their
expressions are parsed (``ast``, never executed or pasted) and only a fixed grammar is
written as RF code: ``source(i)``, numbers, ``+ - * / // % **``, unary ``-``, and
the calls in ``_CALLS``. Anything else is a clear build-time error.
"""

from __future__ import annotations

import ast

import rc_nn

from ._pycode import number_literal
from ._torch_lower import LowerCtx, register

__all__: list[str] = []

#: TF function (dotted, as written in the eval string) -> (RF function, number of arguments).
_CALLS = {
    "tf.sigmoid": ("rf.sigmoid", 1),
    "tf.tanh": ("rf.tanh", 1),
    "tf.exp": ("rf.exp", 1),
    "tf.math.pow": ("rf.pow", 2),
    "tf.maximum": ("rf.maximum", 2),
    "tf.minimum": ("rf.minimum", 2),
    "tf.logical_and": ("rf.logical_and", 2),
    "tf.logical_or": ("rf.logical_or", 2),
    "tf.logical_not": ("rf.logical_not", 1),
    "tf.math.squared_difference": ("rf.squared_difference", 2),
    "tf.clip_by_value": ("rf.clip_by_value", 3),
}
_BINARY = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


class _Unsupported(Exception):
    """A part of the eval expression outside the grammar."""


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise _Unsupported(ast.dump(node))


class _Writer:
    def __init__(self, sources: list[str]) -> None:
        self.sources = sources

    def code(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float):
            return number_literal(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"(-{self.code(node.operand)})"
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op = _BINARY[type(node.op)]
            return f"({self.code(node.left)} {op} {self.code(node.right)})"
        if isinstance(node, ast.Call) and not node.keywords:
            return self._call(node)
        raise _Unsupported(ast.dump(node))

    def _call(self, node: ast.Call) -> str:
        name = _dotted(node.func)
        if name == "source":
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
                raise _Unsupported("source() needs one constant index")
            index = node.args[0].value
            if type(index) is not int or not 0 <= index < len(self.sources):
                raise _Unsupported(f"source({index!r}) is not an input")
            return self.sources[index]
        if name not in _CALLS:
            raise _Unsupported(f"the function {name}")
        function, arity = _CALLS[name]
        if len(node.args) != arity:
            raise _Unsupported(f"{name} with {len(node.args)} arguments")
        return f"{function}({', '.join(self.code(arg) for arg in node.args)})"


@register("eval")
def _eval(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "eval"}, required=("eval",))
    source = opts.get("from")
    items = source.items if isinstance(source, rc_nn.SeqValue) else (source,)
    sources = [ctx.value(item) for item in items if item is not None]
    expr = opts["eval"]
    if not isinstance(expr, str):
        raise ctx.error("has an eval option that is no string")
    try:
        tree = ast.parse(expr, mode="eval")
        code = _Writer(sources).code(tree.body)
    except (SyntaxError, _Unsupported) as exc:
        raise ctx.error(
            f"computes the TF expression {expr!r}, outside what the torch backend translates "
            f"({exc}); covered: source(i), numbers, + - * / // % **, and "
            f"{', '.join(sorted(_CALLS))}"
        ) from None
    return [ctx.assign(code)]
