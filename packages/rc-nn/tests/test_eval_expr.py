"""Neutral expressions of rc-nn's eval layers (``LayerRecord.expr``, record version 1.1).

Each eval layer rc-nn writes carries, besides its TF code string, the same computation as
a backend-neutral tree. The tests evaluate both on the same numbers (the TF string with a
numpy stand-in for the few ``tf`` functions rc-nn's templates use) and compare them.
"""

from __future__ import annotations

import types
from typing import Any

import numpy

import rc_nn as nn


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + numpy.exp(-x))


def _zeros_like(x: Any, dtype: Any = None) -> Any:
    return numpy.zeros_like(x, dtype=dtype)


# The tf functions rc-nn's eval templates use, on numpy arrays.
_TF = types.SimpleNamespace(
    sigmoid=_sigmoid,
    maximum=numpy.maximum,
    minimum=numpy.minimum,
    logical_and=numpy.logical_and,
    logical_or=numpy.logical_or,
    logical_not=numpy.logical_not,
    clip_by_value=numpy.clip,
    zeros_like=_zeros_like,
    bool=numpy.bool_,
    math=types.SimpleNamespace(
        pow=numpy.power, squared_difference=lambda a, b: numpy.square(a - b)
    ),
)

_BINARY = {
    "add": numpy.add,
    "sub": numpy.subtract,
    "mul": numpy.multiply,
    "truediv": numpy.true_divide,
    "floordiv": numpy.floor_divide,
    "mod": numpy.mod,
    "pow": numpy.power,
    "maximum": numpy.maximum,
    "minimum": numpy.minimum,
    "logical_and": numpy.logical_and,
    "logical_or": numpy.logical_or,
    "squared_difference": lambda a, b: numpy.square(a - b),
}


def _eval_neutral(expr: tuple[Any, ...], sources: list[Any]) -> Any:
    op, *operands = expr
    assert len(operands) == nn.EXPR_OPS[op], expr
    if op == "source":
        return sources[operands[0]]
    if op == "const":
        return operands[0]
    if op == "zeros_like":
        return numpy.zeros_like(_eval_neutral(operands[0], sources), dtype=operands[1])
    args = [_eval_neutral(o, sources) for o in operands]
    if op in _BINARY:
        return _BINARY[op](*args)
    return {"sigmoid": _sigmoid, "logical_not": numpy.logical_not, "clip_by_value": numpy.clip}[op](
        *args
    )


def _eval_tf_code(code: str, sources: list[Any]) -> Any:
    return eval(
        code, {"tf": _TF, "source": lambda i: sources[i]}
    )  # the oracle: rc-nn's own code strings


_FEAT = nn.FeatureDim("f", 5)
_TIME = nn.SpatialDim("time")


def _ops(x: nn.Tensor, flag: nn.Tensor) -> list[nn.Tensor]:
    other = nn.reduce_sum(x, axis=_FEAT)  # [B, T]
    return [
        x * 0.5,
        2.0 - x,
        x / 4.0,
        x // 2.0,
        x % 3.0,
        x**2.0,
        nn.maximum(2.0, x),
        nn.minimum(x, -1.0),
        nn.swish(x),
        nn.clip_by_value(x, -1.0, 1.5),
        nn.logical_not(flag),
        flag & True,
        flag | False,
        # no input has all dims: rc-nn broadcasts the condition with an eval layer
        nn.where(nn.reduce_max(x, axis=_TIME) > 0.0, other, 0.0),
    ]


def _record() -> tuple[nn.BuildRecord, int]:
    with nn.Root("expr"):
        model = nn.Module()
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, _TIME, _FEAT]))
        flag = x > 0.0
        outs = _ops(x, flag)
        for i, out in enumerate(outs):
            out.mark_as_output(f"out{i}")
        user = nn.make_layer(
            {"class": "eval", "from": x, "eval": "source(0) + 1.0"},
            name="user",
            out=x.template.copy_template(),  # no TensorFlow needed to infer it
        )
        user.mark_as_output("user")
        record, _ = nn.build_record(model)
        return record, len(outs)


def test_every_rc_nn_eval_layer_has_an_expression_equal_to_its_tf_code() -> None:
    record, n_ops = _record()
    evals = [layer for layer in record.layers if layer.op == "eval"]
    with_expr = [layer for layer in evals if layer.expr is not None]
    # all rc-nn eval layers (one per op above but & and |, which may be combine layers,
    # plus the where condition) and not the user's
    assert len(with_expr) >= n_ops - 2
    (user,) = [layer for layer in evals if layer.expr is None]
    assert user.args is not None and user.args["eval"] == "source(0) + 1.0"
    rng = numpy.random.default_rng(0)
    seen_ops = set()
    for layer in with_expr:
        assert layer.args is not None and layer.expr is not None
        sources_ref = layer.args["from"]
        n_sources = len(sources_ref.items) if isinstance(sources_ref, nn.SeqValue) else 1
        dtypes = []
        items = sources_ref.items if isinstance(sources_ref, nn.SeqValue) else (sources_ref,)
        for ref in items:
            dtypes.append(record.layers[ref.id].output.dtype)
        assert len(dtypes) == n_sources
        values = [
            rng.random(7) > 0.5 if dt == "bool" else rng.normal(size=7).astype(dt) * 3
            for dt in dtypes
        ]
        expected = _eval_tf_code(layer.args["eval"], values)
        got = _eval_neutral(layer.expr, values)
        numpy.testing.assert_allclose(got, expected, rtol=1e-6)
        seen_ops.add(layer.expr[0])
    assert {"mul", "sub", "floordiv", "maximum", "clip_by_value", "logical_or"} <= seen_ops


def test_expressions_are_plain_hashable_data_in_the_record() -> None:
    first, _ = _record()
    second, _ = _record()
    assert first == second and hash(first.layers) == hash(second.layers)
    assert nn.RECORD_VERSION >= (1, 1)
