"""Element-wise math: binary ops with broadcasting by dims, comparisons, activations.

Output templates of binary ops come from ``common_template``: RETURNN's
``Tensor.get_common_data`` (the pure-Python function its ``combine`` layer uses)
under the emitted config's behavior version, so the dim order agrees with RETURNN.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Tensor as Template
from returnn.util.basic import NotSpecified

from ._dim_sites import lookalike_dims_note
from ._errors import DimMismatchError
from ._scalars import number_code, plain_number
from ._tensor import Tensor, _dim_str, as_tensor, common_template, make_layer_tensor
from ._upcalls import install
from ._userloc import user_location

__all__ = [
    "abs_",
    "activation",
    "ceil",
    "clip_by_value",
    "combine",
    "combine_scalar_or_tensor",
    "compare",
    "elu",
    "exp",
    "floor",
    "gelu",
    "log",
    "log1p",
    "log_sigmoid",
    "logical_not",
    "maximum",
    "minimum",
    "neg",
    "relu",
    "rsqrt",
    "selu",
    "sigmoid",
    "silu",
    "sqrt",
    "square",
    "swish",
    "tanh",
]

_COMPARE_SYMBOLS = {
    "==": "equal",
    "!=": "not_equal",
    "<": "less",
    "<=": "less_equal",
    ">": "greater",
    ">=": "greater_equal",
}
_COMPARE_KINDS = frozenset(("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"))
_COMBINE_KINDS = frozenset(
    (
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "maximum",
        "minimum",
        "logical_and",
        "logical_or",
        "squared_difference",
    )
)
# How a binary op with a Python scalar is written in an ``eval`` layer.
#: The first input of an eval layer in a neutral expression (``LayerRecord.expr``).
_SOURCE0 = ("source", 0)

_SCALAR_EVAL = {
    "add": "{a} + {b}",
    "sub": "{a} - {b}",
    "mul": "{a} * {b}",
    "truediv": "{a} / {b}",
    "floordiv": "{a} // {b}",
    "mod": "{a} % {b}",
    "pow": "tf.math.pow({a}, {b})",
    "maximum": "tf.maximum({a}, {b})",
    "minimum": "tf.minimum({a}, {b})",
    "logical_and": "tf.logical_and({a}, {b})",
    "logical_or": "tf.logical_or({a}, {b})",
    "squared_difference": "tf.math.squared_difference({a}, {b})",
}


def _common_template(sources: list[Tensor], what: str) -> tuple[Template, bool]:
    """Output template of an element-wise op and whether all sources needed broadcasting."""
    templates = [s.template for s in sources]
    all_dims = []
    for template in templates:
        for dim in template.dims:
            if dim not in all_dims:
                all_dims.append(dim)
    # RETURNN refuses (without an explicit flag) when no source has all dims.
    needs_flag = not any(len(t.dims) == len(all_dims) for t in templates)
    if needs_flag:
        # Where the missing dims go depends on the inputs' time and feature axes, which
        # RETURNN's layers infer the old way (v1 templates); do the same to agree on the order.
        templates = [
            Template(t.name, dim_tags=t.dims, dtype=t.dtype, sparse_dim=t.sparse_dim)
            for t in templates
        ]
    try:
        common = common_template(templates)
    except Exception as exc:  # RETURNN raises plain exceptions for dim conflicts
        dims = "; ".join(f"[{', '.join(_dim_str(d) for d in t.dims)}]" for t in templates)
        raise DimMismatchError(
            f"{what}: the dims of the inputs do not fit together: {dims} ({exc})"
            + lookalike_dims_note([d for t in templates for d in t.dims])
        ) from exc
    _check_same_size_dims(sources, what)
    assert common is not None
    return common, needs_flag


def _check_same_size_dims(sources: list[Tensor], what: str) -> None:
    # Two different static dims of the same description in different inputs is
    # almost always a user error (e.g. two FeatureDim("hidden", 512) objects).
    seen: dict[str, Any] = {}
    for source in sources:
        for dim in source.dims:
            other = seen.setdefault(dim.description, dim)
            if other is not dim and other.dimension != dim.dimension and not dim.is_batch_dim():
                raise DimMismatchError(
                    f"{what} at {user_location(3)}: inputs have conflicting dims "
                    f"{_dim_str(other)} and {_dim_str(dim)} of the same name but different sizes"
                )


def _check_dtypes(sources: list[Tensor], kind: str, what: str) -> None:
    # TensorFlow does not promote dtypes: mixed inputs fail only when RETURNN builds
    # the graph, far from the user's line. Say it here, with the fix.
    dtypes = sorted({s.dtype for s in sources})
    if kind.startswith("logical_"):
        if dtypes != ["bool"]:
            raise DimMismatchError(
                f"{what} at {user_location(3)}: needs bool tensors, got "
                f"{', '.join(repr(s) for s in sources)}; compare first (e.g. x > 0) "
                "or use nn.cast(x, dtype='bool')"
            )
        return
    if len(dtypes) > 1:
        raise DimMismatchError(
            f"{what} at {user_location(3)}: the inputs have different dtypes "
            f"({', '.join(repr(s) for s in sources)}); cast one, "
            f"e.g. nn.cast(x, dtype={next((d for d in dtypes if d.startswith('float')), dtypes[0])!r})"
        )
    if kind == "truediv" and not dtypes[0].startswith("float"):
        raise DimMismatchError(
            f"{what} at {user_location(3)}: true division of {dtypes[0]} tensors gives floats; "
            "use // for integer division, or cast first, e.g. nn.cast(x, dtype='float32')"
        )


def combine(
    *sources: Tensor | float | int,
    kind: str,
    allow_broadcast_all_sources: bool | type[NotSpecified] = NotSpecified,
    name_hint: str | None = None,
) -> Tensor:
    """Element-wise binary op (RETURNN ``combine``) with broadcasting by dims.

    Inputs are tensors; with two inputs one may be a Python scalar (an ``eval`` layer,
    as the predecessor emitted). When no input has all the dims of the result, RETURNN
    needs ``allow_broadcast_all_sources``: rc-nn sets it by itself unless you pass
    ``allow_broadcast_all_sources=False`` (then such inputs are an error, as in the
    predecessor). ``True`` allows it explicitly (the predecessor required that).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    >>> nn.combine(nn.zeros([a]), nn.zeros([b]), kind="add").dims == (a, b)
    True
    """
    if kind not in _COMBINE_KINDS:
        raise ValueError(f"combine: unknown kind {kind!r}; one of {sorted(_COMBINE_KINDS)}")
    if allow_broadcast_all_sources not in (True, False, NotSpecified):
        raise TypeError(
            f"combine: allow_broadcast_all_sources must be True or False, got "
            f"{allow_broadcast_all_sources!r}"
        )
    scalars = [s for s in sources if not isinstance(s, Tensor)]
    if len(sources) == 2 and len(scalars) == 1 and plain_number(scalars[0]) is not None:
        a, b = sources
        if isinstance(a, Tensor):
            return combine_scalar_or_tensor(a, b, kind)
        assert isinstance(b, Tensor)
        return combine_scalar_or_tensor(b, a, kind, reverse=True)
    tensors = [as_tensor(s, f"combine {kind}") for s in sources]
    template, needs_flag = _common_template(tensors, f"combine {kind}")
    _check_broadcast_flag(needs_flag, allow_broadcast_all_sources, tensors, f"combine {kind}")
    _check_dtypes(tensors, kind, f"combine {kind}")
    if kind.startswith("logical_"):
        template = template.copy_template(dtype="bool")
    layer: dict[str, Any] = {"class": "combine", "from": tensors, "kind": kind}
    if needs_flag or allow_broadcast_all_sources is True:
        # explicit True is passed on (as the predecessor did): RETURNN may move the layer
        # out of a loop, where the inputs need broadcasting even if they do not here
        layer["allow_broadcast_all_sources"] = True
    return make_layer_tensor(layer, template, name_hint=name_hint or kind)


def _check_broadcast_flag(
    needs_flag: bool, allowed: object, tensors: list[Tensor], what: str
) -> None:
    if needs_flag and allowed is False:
        shapes = "; ".join(f"[{', '.join(_dim_str(d) for d in t.dims)}]" for t in tensors)
        raise DimMismatchError(
            f"{what}: no input has all the dims of the result ({shapes}) and "
            f"allow_broadcast_all_sources=False (at {user_location(3)}); pass True to "
            "broadcast all inputs"
        )


def compare(
    a: Tensor | float | int,
    b: Tensor | float | int,
    *,
    kind: str,
    allow_broadcast_all_sources: bool | type[NotSpecified] = NotSpecified,
) -> Tensor:
    """Element-wise comparison (RETURNN ``compare``), result dtype bool.

    ``kind`` is a RETURNN name (``"less"``, ``"equal"``, ...) or a symbol (``"<"``,
    ``"=="``, ...); either input may be a Python scalar.
    ``allow_broadcast_all_sources``: as in :func:`combine`.

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.compare(nn.zeros([nn.FeatureDim("f", 2)]), 0.0, kind="less").dtype
    'bool'
    """
    kind = _COMPARE_SYMBOLS.get(kind, kind)
    if kind not in _COMPARE_KINDS:
        raise ValueError(f"compare: unknown kind {kind!r}; one of {sorted(_COMPARE_KINDS)}")
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b, kind = b, a, _REVERSED_COMPARE[kind]
    a = as_tensor(a, f"compare {kind}")
    if isinstance(b, Tensor):
        template, needs_flag = _common_template([a, b], f"compare {kind}")
        _check_broadcast_flag(needs_flag, allow_broadcast_all_sources, [a, b], f"compare {kind}")
        _check_dtypes([a, b], kind, f"compare {kind}")
        layer: dict[str, Any] = {"class": "compare", "from": [a, b], "kind": kind}
        if needs_flag or allow_broadcast_all_sources is True:
            layer["allow_broadcast_all_sources"] = True
    else:
        template = a.template
        layer = {
            "class": "compare",
            "from": a,
            "kind": kind,
            "value": _scalar(b, f"compare {kind}"),
        }
    # RETURNN's compare output is a plain bool tensor, even for sparse inputs.
    result = template.copy_template(dtype="bool")
    result.sparse_dim = None
    return make_layer_tensor(layer, result, name_hint=kind)


_REVERSED_COMPARE = {
    "less": "greater",
    "less_equal": "greater_equal",
    "greater": "less",
    "greater_equal": "less_equal",
    "equal": "equal",
    "not_equal": "not_equal",
}


def combine_scalar_or_tensor(a: Tensor, b: object, kind: str, *, reverse: bool = False) -> Tensor:
    """``a <op> b`` (or ``b <op> a`` with ``reverse``) for a tensor and a tensor or Python scalar."""
    if kind in _COMPARE_KINDS:
        if isinstance(b, Tensor):
            return compare(b, a, kind=kind) if reverse else compare(a, b, kind=kind)
        return compare(a, _scalar(b, kind), kind=_REVERSED_COMPARE[kind] if reverse else kind)
    if isinstance(b, Tensor):
        return combine(b, a, kind=kind) if reverse else combine(a, b, kind=kind)
    value = _scalar(b, kind)
    operands = (
        {"a": number_code(value), "b": "source(0)"}
        if reverse
        else {"a": "source(0)", "b": number_code(value)}
    )
    template = a.template
    _check_dtypes([a], kind, kind)
    if kind.startswith("logical_"):
        template = template.copy_template(dtype="bool")
    elif isinstance(value, float) and not a.dtype.startswith("float"):
        raise DimMismatchError(
            f"{kind} of {a!r} with the float {value!r}: cast the tensor first, "
            "e.g. nn.cast(x, dtype='float32')"
        )
    layer = {"class": "eval", "from": a, "eval": _SCALAR_EVAL[kind].format(**operands)}
    result = make_layer_tensor(layer, template, name_hint=kind)
    pair = (("const", value), _SOURCE0) if reverse else (_SOURCE0, ("const", value))
    result.expr = (kind, *pair)  # the neutral form of the eval code (LayerRecord.expr)
    return result


def _scalar(value: object, what: str) -> float | int | bool:
    # A plain bool/int/float (numpy scalars and subclasses as their builtin value): it is
    # written into eval code and the net dict, where only plain values are safe.
    plain = plain_number(value)
    if plain is not None:
        return plain
    as_tensor(value, what)  # raises a NotATensorError with the details
    raise AssertionError("unreachable")  # pragma: no cover


def _number_either_side(a: Tensor | float, b: Tensor | float, kind: str) -> Tensor:
    # The predecessor accepted the Python number as either argument.
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        return combine_scalar_or_tensor(b, a, kind, reverse=True)
    return combine_scalar_or_tensor(as_tensor(a, kind), b, kind)


def maximum(a: Tensor | float, b: Tensor | float) -> Tensor:
    """Element-wise maximum; one of ``a``, ``b`` may be a Python number (either one, as in
    the predecessor).

    Examples
    --------
    >>> import rc_nn as nn
    >>> x = nn.zeros([nn.FeatureDim("f", 2)])
    >>> nn.maximum(2, x).layer_dict["eval"]
    'tf.maximum(2, source(0))'
    """
    return _number_either_side(a, b, "maximum")


def minimum(a: Tensor | float, b: Tensor | float) -> Tensor:
    """Element-wise minimum; one of ``a``, ``b`` may be a Python number (either one, as in
    the predecessor).

    Examples
    --------
    >>> import rc_nn as nn
    >>> x = nn.zeros([nn.FeatureDim("f", 2)])
    >>> nn.minimum(2, x).layer_dict["eval"]
    'tf.minimum(2, source(0))'
    """
    return _number_either_side(a, b, "minimum")


def activation(x: Tensor, func: str) -> Tensor:
    """Element-wise function by RETURNN ``activation`` name (``"relu"``, ``"tanh"``, ...).

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.activation(nn.zeros([nn.FeatureDim("f", 2)]), "tanh").name_hint
    'tanh'
    """
    x = as_tensor(x, func)
    template = x.template
    if func == "abs" and x.dtype.startswith("complex"):
        # |z| of a complex tensor is real (e.g. the magnitude of an nn.stft)
        template = x.template.copy_template(
            dtype="float64" if x.dtype == "complex128" else "float32"
        )
    return make_layer_tensor(
        {"class": "activation", "from": x, "activation": func}, template, name_hint=func
    )


def _eval_unary(
    x: Tensor, expr: str, name: str, neutral: tuple[Any, ...], dtype: str | None = None
) -> Tensor:
    """An ``eval`` layer of one input: TF code ``expr``, the same as the neutral ``neutral``."""
    x = as_tensor(x, name)
    template = x.template if dtype is None else x.template.copy_template(dtype=dtype)
    layer: dict[str, Any] = {"class": "eval", "from": x, "eval": expr}
    if dtype is not None and dtype != x.dtype:
        layer["out_type"] = {"dtype": dtype}
    result = make_layer_tensor(layer, template, name_hint=name)
    result.expr = neutral
    return result


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return activation(x, "relu")


def gelu(x: Tensor) -> Tensor:
    """Gaussian error linear unit, exact: ``0.5 * x * (1 + erf(x / sqrt(2)))``.

    RETURNN's ``gelu`` activation resolves to ``tf.nn.gelu`` (no tanh approximation),
    like PyTorch's default ``gelu``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.gelu(nn.zeros([nn.FeatureDim("f", 2)])).layer_dict["activation"]
    'gelu'
    """
    return activation(x, "gelu")


def elu(x: Tensor) -> Tensor:
    """Exponential linear unit."""
    return activation(x, "elu")


def selu(x: Tensor) -> Tensor:
    """Scaled exponential linear unit."""
    return activation(x, "selu")


def swish(x: Tensor) -> Tensor:
    """x * sigmoid(x)."""
    neutral = ("mul", _SOURCE0, ("sigmoid", _SOURCE0))
    return _eval_unary(x, "source(0) * tf.sigmoid(source(0))", "swish", neutral)


silu = swish


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return activation(x, "tanh")


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid."""
    return activation(x, "sigmoid")


def log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    return activation(x, "log_sigmoid")


def exp(x: Tensor) -> Tensor:
    """e**x."""
    return activation(x, "exp")


def log(x: Tensor) -> Tensor:
    """Natural logarithm."""
    return activation(x, "log")


def log1p(x: Tensor) -> Tensor:
    """log(1 + x)."""
    return activation(x, "log1p")


def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    return activation(x, "sqrt")


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x)."""
    return activation(x, "rsqrt")


def square(x: Tensor) -> Tensor:
    """x * x."""
    return activation(x, "square")


def abs_(x: Tensor) -> Tensor:
    """Absolute value."""
    return activation(x, "abs")


def neg(x: Tensor) -> Tensor:
    """-x."""
    return activation(x, "negative")


def floor(x: Tensor) -> Tensor:
    """Round down."""
    return activation(x, "floor")


def ceil(x: Tensor) -> Tensor:
    """Round up."""
    return activation(x, "ceil")


def logical_not(x: Tensor) -> Tensor:
    """Element-wise not of a bool tensor."""
    x = as_tensor(x, "logical_not")
    if x.dtype != "bool":
        raise DimMismatchError(
            f"logical_not at {user_location(2)}: needs a bool tensor, got {x!r}; "
            "compare first (e.g. x > 0)"
        )
    return _eval_unary(x, "tf.logical_not(source(0))", "logical_not", ("logical_not", _SOURCE0))


def clip_by_value(x: Tensor, clip_value_min: float, clip_value_max: float) -> Tensor:
    """Clamp to ``[clip_value_min, clip_value_max]``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.clip_by_value(nn.zeros([nn.FeatureDim("f", 2)]), -1.0, 1.0).name_hint
    'clip_by_value'
    """
    low, high = (plain_number(v) for v in (clip_value_min, clip_value_max))
    if low is None or high is None:
        raise TypeError(
            f"clip_by_value: the bounds must be numbers, got {type(clip_value_min).__name__} "
            f"and {type(clip_value_max).__name__} (at {user_location(2)})"
        )
    if low > high:
        raise ValueError(f"clip_by_value: min {clip_value_min} is larger than max {clip_value_max}")
    expr = f"tf.clip_by_value(source(0), {number_code(float(low))}, {number_code(float(high))})"
    neutral = ("clip_by_value", _SOURCE0, ("const", float(low)), ("const", float(high)))
    return _eval_unary(x, expr, "clip_by_value", neutral)


_UNARY_OPERATORS = {"neg": neg, "abs": abs_, "logical_not": logical_not}


class _TensorOperators:
    """The Python operators of ``nn.Tensor`` (``_tensor`` reaches them through ``_upcalls``)."""

    @staticmethod
    def binary(a: Tensor, b: object, kind: str, *, reverse: bool) -> Tensor:
        return combine_scalar_or_tensor(a, b, kind, reverse=reverse)

    @staticmethod
    def unary(x: Tensor, kind: str) -> Tensor:
        return _UNARY_OPERATORS[kind](x)


install(operators=_TensorOperators())
