"""Torch lowerings of the basic RETURNN layer classes (what the bundled example uses, and more).

Each lowering writes what RETURNN's TF layer computes, with ``returnn.frontend``:
``linear``, ``layer_norm``, ``dropout``, ``combine``, ``activation``, ``copy``,
``compare``, ``cast``, ``reduce``, ``ctc_loss``,
``sparse_softmax_cross_entropy_with_logits``. See docs/design/torch-backend.md.
"""

from __future__ import annotations

from typing import Any

import rc_nn

from ._torch_lower import LowerCtx, register

__all__: list[str] = []

#: ``activation`` names with an RF function of the same math as RETURNN's TF activation.
_ACTIVATIONS = {
    "relu": "rf.relu",
    "tanh": "rf.tanh",
    "sigmoid": "rf.sigmoid",
    "exp": "rf.exp",
    "log": "rf.log",
    "abs": "rf.abs",
    "sqrt": "rf.sqrt",
    "square": "rf.square",
    "swish": "rf.silu",
    "silu": "rf.silu",
    "elu": "rf.elu",
    "log_sigmoid": "rf.log_sigmoid",
    "sin": "rf.sin",
    "cos": "rf.cos",
    "negative": "rf.neg",
}
#: ``combine`` kinds RF's ``rf.combine`` computes like RETURNN's TF combine layer.
_COMBINE_KINDS = frozenset(
    {"add", "sub", "mul", "truediv", "floordiv", "maximum", "minimum", "mod", "pow"}
)
_COMPARE_KINDS = frozenset({"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"})
_REDUCE_MODES = frozenset({"sum", "mean", "max", "min", "logsumexp"})


def _single_source(ctx: LowerCtx, source: Any) -> str:
    """The code of a layer's one input (``from`` may be a list of one)."""
    if isinstance(source, rc_nn.SeqValue):
        if len(source.items) != 1:
            raise ctx.error(f"has {len(source.items)} inputs in 'from', its lowering takes one")
        source = source.items[0]
    if not isinstance(source, rc_nn.LayerRef):
        raise ctx.error("has an input that is no layer")
    return ctx.value(source)


def _sources(ctx: LowerCtx, source: Any) -> list[str]:
    items = source.items if isinstance(source, rc_nn.SeqValue) else (source,)
    return [ctx.value(item) for item in items]


def _param_ref(ctx: LowerCtx, reuse: Any, key: str) -> str | None:
    """The variable of the parameter given as ``reuse_params={"map": {key: ...}}``."""
    if reuse is None:
        return None
    try:
        entry = reuse["map"][key]
    except (KeyError, TypeError):
        return None
    if entry is None:
        return None
    if not isinstance(entry, rc_nn.FrozenMap) or set(entry) != {"layer_output"}:
        raise ctx.error(f"has reuse_params for {key!r} its torch lowering does not implement")
    return ctx.value(entry["layer_output"])


def _weight_in_dim(ctx: LowerCtx, reuse: Any, out_dim: Any) -> int | None:
    """The weight parameter's dim that is not ``out_dim`` (its input axis), by id."""
    entry = reuse["map"]["W"]["layer_output"]
    out_id = out_dim.id if isinstance(out_dim, rc_nn.DimRef) else out_dim
    for param in ctx.record.params:
        if param.layer == entry.id:
            rest = [d for d in param.dims if d != out_id]
            return rest[0] if len(rest) == 1 else None
    return None


@register("linear")
def _linear(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options(
        {"from", "in_dim", "out_dim", "with_bias", "reuse_params"}, required=("reuse_params",)
    )
    x = _single_source(ctx, opts["from"])
    weight = _param_ref(ctx, opts["reuse_params"], "W")
    if weight is None:
        raise ctx.error("has no weight parameter (reuse_params W)")
    in_dim = opts.get("in_dim")
    if in_dim is None:
        raise ctx.error("has no in_dim (the reduced dim)")
    out_dim = opts.get("out_dim", ctx.template().feature_dim)
    if out_dim is None:
        raise ctx.error("has no out_dim")
    out_dim_code = ctx.dim(out_dim)
    reduce = ctx.dim(in_dim)
    lines = []
    weight_in = _weight_in_dim(ctx, opts["reuse_params"], out_dim)
    if weight_in is not None and ctx.dim(weight_in) != reduce:
        # in_dim == out_dim: the weight's input axis is a dim of its own ("<in>:in").
        name = ctx.fresh("in")
        lines.append(
            f"{name} = rf.replace_dim_v2({x}, in_dim={reduce}, out_dim={ctx.dim(weight_in)})"
        )
        x, reduce = name, ctx.dim(weight_in)
    lines += [
        ctx.assign(f"rf.matmul({x}, {weight}, reduce={reduce})"),
        # rf.matmul sets no feature dim; later ops (ctc, softmax) need it.
        f"{ctx.out}.feature_dim = {out_dim_code}",
    ]
    bias = _param_ref(ctx, opts["reuse_params"], "b")
    if opts.get("with_bias", True):
        if bias is None:
            raise ctx.error("has with_bias but no bias parameter (reuse_params b)")
        lines.append(f"{ctx.out} = {ctx.out} + {bias}")
    return lines


@register("layer_norm")
def _layer_norm(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "in_dim", "epsilon", "reuse_params"}, required=("in_dim",))
    x = _single_source(ctx, opts["from"])
    scale = _param_ref(ctx, opts.get("reuse_params"), "scale")
    bias = _param_ref(ctx, opts.get("reuse_params"), "bias")
    if scale is None or bias is None:
        raise ctx.error("has no scale and bias parameters (reuse_params)")
    axis = ctx.dim(opts["in_dim"])
    eps = ctx.literal(float(opts.get("epsilon", 1e-6)))
    mean, var = ctx.fresh("mean"), ctx.fresh("var")
    return [
        f"{mean}, {var} = rf.moments({x}, axis={axis})",
        ctx.assign(f"({x} - {mean}) * rf.rsqrt({var} + {eps}) * {scale} + {bias}"),
    ]


@register("dropout")
def _dropout(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "dropout", "dropout_noise_shape"}, required=("dropout",))
    x = _single_source(ctx, opts["from"])
    rate = ctx.literal(float(opts["dropout"]))
    noise = opts.get("dropout_noise_shape")
    dims = ctx.template().dims
    if noise is None:
        axis = ctx.dims(dims)
    else:
        if not isinstance(noise, rc_nn.FrozenMap):
            raise ctx.error("has a dropout_noise_shape that is no dict of dims")
        broadcast = set()
        for key, size in noise.pairs:
            if size not in (1, None) or isinstance(key, str):
                raise ctx.error(f"has the dropout_noise_shape entry {key!r}: {size!r}")
            if size == 1:
                broadcast.add(ctx.dim(key))
        axis = "[" + ", ".join(d for d in map(ctx.dim, dims) if d not in broadcast) + "]"
    # rf.dropout: off unless the train flag is on (like RETURNN's TF dropout layer).
    return [ctx.assign(f"rf.dropout({x}, {rate}, axis={axis})")]


@register("combine")
def _combine(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # rf.combine_bc broadcasts all sources, with or without allow_broadcast_all_sources
    opts = ctx.options({"from", "kind", "allow_broadcast_all_sources"}, required=("kind",))
    kind = opts["kind"]
    if kind not in _COMBINE_KINDS:
        raise ctx.error(f"has kind={kind!r} (covered: {', '.join(sorted(_COMBINE_KINDS))})")
    sources = _sources(ctx, opts["from"])
    expr = sources[0]
    for other in sources[1:]:
        expr = f"rf.combine_bc({expr}, {ctx.literal(kind)}, {other})"
    return [ctx.assign(expr)]


@register("activation")
def _activation(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "activation"}, required=("activation",))
    x = _single_source(ctx, opts["from"])
    name = opts["activation"]
    if name in (None, "identity"):
        return [ctx.assign(x)]
    function = _ACTIVATIONS.get(name)
    if function is None:
        raise ctx.error(f"has activation={name!r} (covered: {', '.join(sorted(_ACTIVATIONS))})")
    return [ctx.assign(f"{function}({x})")]


@register("copy")
def _copy(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from"})
    return [ctx.assign(_single_source(ctx, opts["from"]))]


@register("compare")
def _compare(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # rf.compare_bc broadcasts all sources (the causal mask's allow_broadcast_all_sources)
    opts = ctx.options({"from", "kind", "value", "allow_broadcast_all_sources"}, required=("kind",))
    kind = opts["kind"]
    if kind not in _COMPARE_KINDS:
        raise ctx.error(f"has kind={kind!r} (covered: {', '.join(sorted(_COMPARE_KINDS))})")
    operands = _sources(ctx, opts["from"])
    if opts.get("value") is not None:
        operands.append(ctx.literal(opts["value"]))
    if len(operands) != 2:
        raise ctx.error(f"compares {len(operands)} values, its torch lowering compares two")
    return [ctx.assign(f"rf.compare_bc({operands[0]}, {ctx.literal(kind)}, {operands[1]})")]


@register("cast")
def _cast(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "dtype"}, required=("dtype",))
    x = _single_source(ctx, opts["from"])
    return [ctx.assign(f"rf.cast({x}, {ctx.literal(opts['dtype'])})")]


@register("reduce")
def _reduce(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "mode", "axis", "use_time_mask"}, required=("mode", "axis"))
    mode = opts["mode"]
    if mode not in _REDUCE_MODES:
        raise ctx.error(f"has mode={mode!r} (covered: {', '.join(sorted(_REDUCE_MODES))})")
    x = _single_source(ctx, opts["from"])
    axis = opts["axis"]
    if isinstance(axis, str):
        raise ctx.error(f"reduces over axis={axis!r}: give a dim, not a name")
    use_mask = ctx.literal(bool(opts.get("use_time_mask", True)))
    return [
        ctx.assign(
            f"rf.reduce({x}, mode={ctx.literal(mode)}, axis={ctx.value(axis)}, use_mask={use_mask})"
        )
    ]


def _logits_with_feature(ctx: LowerCtx, logits: Any) -> tuple[list[str], str]:
    """The logits with their recorded feature dim set (``rf.matmul`` sets none)."""
    if not isinstance(logits, rc_nn.LayerRef):
        raise ctx.error("has logits that are no layer")
    feature = ctx.template(logits.id).feature_dim
    if feature is None:
        raise ctx.error("has logits without a feature dim (the class dim)")
    name = ctx.fresh("logits")
    return [
        f"{name} = {ctx.value(logits)}.copy()",
        f"{name}.feature_dim = {ctx.dim(feature)}",
    ], name


def _spatial_dim(ctx: LowerCtx, layer_id: int, *, skip: tuple[int | None, ...]) -> str:
    """The one dim of a layer's template besides batch and ``skip`` (the time dim)."""
    template = ctx.template(layer_id)
    kinds = ctx.record.dims
    rest = [d for d in template.dims if kinds[d].kind != "batch" and d not in skip]
    if len(rest) != 1:
        raise ctx.error("needs inputs with exactly one spatial dim besides batch and classes")
    return ctx.dim(rest[0])


@register("ctc_loss")
def _ctc_loss(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"logits", "targets", "blank_index"}, required=("logits", "targets"))
    lines, logits = _logits_with_feature(ctx, opts["logits"])
    targets = opts["targets"]
    if not isinstance(targets, rc_nn.LayerRef):
        raise ctx.error("has targets that are no layer")
    feature = ctx.template(opts["logits"].id).feature_dim
    blank = opts.get("blank_index")
    if blank is None:
        raise ctx.error("has no blank_index")
    lines.append(
        ctx.assign(
            f"rf.ctc_loss(logits={logits}, targets={ctx.value(targets)}, "
            f"input_spatial_dim={_spatial_dim(ctx, opts['logits'].id, skip=(feature,))}, "
            f"targets_spatial_dim={_spatial_dim(ctx, targets.id, skip=())}, "
            f"blank_index={ctx.literal(int(blank))})"
        )
    )
    return lines


@register("sparse_softmax_cross_entropy_with_logits")
def _sparse_ce(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"logits", "targets", "axis"}, required=("logits", "targets"))
    lines, logits = _logits_with_feature(ctx, opts["logits"])
    axis = opts.get("axis", ctx.template(opts["logits"].id).feature_dim)
    axis_code = ctx.value(rc_nn.DimRef(axis) if isinstance(axis, int) else axis)
    lines.append(
        ctx.assign(
            f"rf.cross_entropy(target={ctx.value(opts['targets'])}, estimated={logits}, "
            f'estimated_type="logits", axis={axis_code})'
        )
    )
    return lines
