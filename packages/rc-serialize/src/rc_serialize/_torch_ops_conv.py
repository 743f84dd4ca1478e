"""Torch lowerings of the Conformer's convolution, pooling, norm and position pieces.

``conv`` (N-D, groups, padding ``"same"``/``"valid"``; the filter's dims are named, so any
parameter layout works), ``pool``, ``batch_norm`` (RETURNN's TF ``param_version=2``:
running statistics are parameters, used in eval mode, updated with ``momentum`` in
training), ``expand_dims``, ``concat``, ``length``, ``range_in_axis``, ``gather``.
See docs/design/torch-backend.md.
"""

from __future__ import annotations

from typing import Any

import rc_nn

from ._torch_lower import LowerCtx, register
from ._torch_ops_attention import dim_list, with_feature_dim
from ._torch_ops_basic import _param_ref, _single_source

__all__: list[str] = []

_PADDINGS = frozenset({"same", "valid"})


def _ints(ctx: LowerCtx, value: Any, what: str) -> list[int]:
    items = value.items if isinstance(value, rc_nn.SeqValue) else (value,)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise ctx.error(f"has {what}={value!r}, no list of ints")
    return list(items)


def _per_dim(ctx: LowerCtx, values: list[int]) -> str:
    """An int option for all spatial dims (one value) or per dim (a tuple)."""
    return ctx.literal(values[0]) if len(values) == 1 else ctx.value(tuple(values))


def _out_spatial(ctx: LowerCtx, value: Any) -> tuple[list[str], str]:
    """The out spatial dims as code; dims RF makes at run time are bound (returned first)."""
    dims = dim_list(ctx, value, "out_spatial_dims")
    bind = [d for d in dims if ctx.needs_binding(d)]
    if bind:
        names = [ctx.bind_dim(d) if d in bind else "_" for d in dims]
        return names, "None"
    return [], ctx.dims(dims)


def _spatial_call(ctx: LowerCtx, call: str, names: list[str]) -> str:
    target = f"{ctx.out}, ({', '.join(names)},)" if names else f"{ctx.out}, _"
    return f"{target} = {call}"


@register("conv")
def _conv(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    known = {"from", "in_dim", "out_dim", "filter_size", "padding", "in_spatial_dims"}
    known |= {"out_spatial_dims", "filter", "with_bias", "bias", "groups", "strides"}
    opts = ctx.options(known, required=("filter", "in_dim", "out_dim", "in_spatial_dims"))
    x = _single_source(ctx, opts["from"])
    padding = opts.get("padding", "valid")
    if padding not in _PADDINGS:
        raise ctx.error(f"has padding={padding!r} (covered: 'same', 'valid')")
    filter_ref = opts["filter"]
    if not isinstance(filter_ref, rc_nn.LayerRef):
        raise ctx.error("has a filter that is no parameter")
    n = len(_ints(ctx, opts.get("filter_size", ()), "filter_size"))
    # the filter's spatial dims: the first n dims of its recorded (TF-order) template
    filter_dims = ctx.template(filter_ref.id).dims[:n]
    in_spatial = dim_list(ctx, opts["in_spatial_dims"], "in_spatial_dims")
    strides = _ints(ctx, opts.get("strides", 1), "strides")
    names, out_spatial = _out_spatial(ctx, opts.get("out_spatial_dims", ()))
    args = [
        x,
        f"in_dim={ctx.dim(opts['in_dim'])}",
        f"out_dim={ctx.dim(opts['out_dim'])}",
        f"in_spatial_dims={ctx.dims(in_spatial)}",
        f"out_spatial_dims={out_spatial}",
        f"filter={ctx.value(filter_ref)}",
        f"filter_size={ctx.dims(filter_dims)}",
        f"padding={ctx.literal(padding)}",
        f"strides={_per_dim(ctx, strides)}",
        f"groups={ctx.literal(int(opts.get('groups', 1)))}",
    ]
    if opts.get("with_bias", False):
        bias = opts.get("bias")
        if not isinstance(bias, rc_nn.LayerRef):
            raise ctx.error("has with_bias but no bias parameter")
        args.append(f"bias={ctx.value(bias)}")
    call = f"rf.conv({', '.join(args)})"
    return with_feature_dim(ctx, [_spatial_call(ctx, call, names)])


@register("pool")
def _pool(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    known = {"from", "mode", "pool_size", "padding", "strides", "in_dim", "in_spatial_dims"}
    known |= {"out_spatial_dims", "dilation_rate"}
    opts = ctx.options(known, required=("mode", "pool_size", "in_spatial_dims"))
    x = _single_source(ctx, opts["from"])
    mode = opts["mode"]
    if mode not in ("max", "avg"):
        raise ctx.error(f"has mode={mode!r} (covered: 'max', 'avg')")
    padding = opts.get("padding", "valid")
    if padding not in _PADDINGS:
        raise ctx.error(f"has padding={padding!r} (covered: 'same', 'valid')")
    pool_size = _ints(ctx, opts["pool_size"], "pool_size")
    strides = _ints(ctx, opts.get("strides", opts["pool_size"]), "strides")
    dilation = _ints(ctx, opts.get("dilation_rate", 1), "dilation_rate")
    in_spatial = dim_list(ctx, opts["in_spatial_dims"], "in_spatial_dims")
    names, out_spatial = _out_spatial(ctx, opts.get("out_spatial_dims", ()))
    call = (
        f"rf.pool({x}, mode={ctx.literal(mode)}, pool_size={ctx.value(tuple(pool_size))}, "
        f"padding={ctx.literal(padding)}, strides={_per_dim(ctx, strides)}, "
        f"dilation_rate={_per_dim(ctx, dilation)}, in_spatial_dims={ctx.dims(in_spatial)}, "
        f"out_spatial_dims={out_spatial})"
    )
    return with_feature_dim(ctx, [_spatial_call(ctx, call, names)])


_BN_KNOWN = frozenset(
    {
        "from",
        "in_dim",
        "use_shift",
        "use_std",
        "momentum",
        "epsilon",
        "masked_time",
        "param_version",
        "update_sample_only_in_training",
        "delay_sample_update",
        "reuse_params",
    }
)


@register("batch_norm")
def _batch_norm(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options(_BN_KNOWN, required=("in_dim", "reuse_params"))
    if opts.get("param_version") != 2 or opts.get("update_sample_only_in_training") is not True:
        raise ctx.error("is not a param_version=2 batch norm updated only in training")
    if opts.get("use_shift") is not True or opts.get("use_std") is not True:
        raise ctx.error("has no shift or no scale (use_shift/use_std False)")
    x = _single_source(ctx, opts["from"])
    reuse = opts["reuse_params"]
    mean, var, gamma, beta = (
        _param_ref(ctx, reuse, f"batch_norm/v2_{key}")
        for key in ("mean", "variance", "gamma", "beta")
    )
    if mean is None or var is None or gamma is None or beta is None:
        raise ctx.error("lacks one of its parameters (mean, variance, gamma, beta)")
    in_dim = ctx.dim(opts["in_dim"])
    eps = ctx.literal(float(opts.get("epsilon", 1e-5)))
    momentum = ctx.literal(float(opts.get("momentum", 0.1)))
    # masked_time=False: the batch statistics include padded frames (as RETURNN's TF layer)
    use_mask = ctx.literal(bool(opts.get("masked_time", True)))
    axes = [d for d in ctx.template().dims if ctx.dim(d) != in_dim]
    cur_mean, cur_var = ctx.fresh("mean"), ctx.fresh("var")
    return [
        "if rf.get_run_ctx().train_flag:",
        f"    {cur_mean}, {cur_var} = rf.moments({x}, axis={ctx.dims(axes)}, use_mask={use_mask})",
        f"    {mean}.assign_add(({cur_mean} - {mean}) * {momentum})",
        f"    {var}.assign_add(({cur_var} - {var}) * {momentum})",
        "else:",
        f"    {cur_mean}, {cur_var} = {mean}, {var}",
        ctx.assign(f"({x} - {cur_mean}) * rf.rsqrt({cur_var} + {eps}) * {gamma} + {beta}"),
        *with_feature_dim(ctx, []),
    ]


@register("expand_dims")
def _expand_dims(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis", "dim"}, required=("dim",))
    x = _single_source(ctx, opts["from"])
    dim = dim_list(ctx, opts["dim"], "dim")[0]
    return with_feature_dim(ctx, [ctx.assign(f"rf.expand_dim({x}, dim={ctx.dim(dim)})")])


@register("concat")
def _concat(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "out_dim"}, required=("out_dim",))
    pairs = []
    for item in opts["from"].items if isinstance(opts["from"], rc_nn.SeqValue) else ():
        if not isinstance(item, rc_nn.SeqValue) or len(item.items) != 2:
            raise ctx.error("has a 'from' entry that is no (layer, dim) pair")
        source, dim = item.items
        if not isinstance(source, rc_nn.LayerRef):
            raise ctx.error("concatenates a value that is no layer")
        pairs.append(f"({ctx.value(source)}, {ctx.dim(dim_list(ctx, dim, 'a dim')[0])})")
    if not pairs:
        raise ctx.error("has no (layer, dim) pairs to concatenate")
    out_dim = ctx.dim(dim_list(ctx, opts["out_dim"], "out_dim")[0])
    code = f"rf.concat({', '.join(pairs)}, out_dim={out_dim})[0]"
    return with_feature_dim(ctx, [ctx.assign(code)])


@register("length")
def _length(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis", "dtype"}, required=("axis",))
    dim = ctx.dim(dim_list(ctx, opts["axis"], "axis")[0])
    code = f"rf.copy_to_device({dim}.get_size_tensor())"
    dtype = opts.get("dtype", "int32")
    return [ctx.assign(f"rf.cast({code}, {ctx.literal(dtype)})")]


@register("range_in_axis")
def _range_in_axis(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis", "dtype"}, required=("axis",))
    dim = ctx.dim(dim_list(ctx, opts["axis"], "axis")[0])
    dtype = ctx.literal(opts.get("dtype", "int32"))
    return [ctx.assign(f"rf.range_over_dim({dim}, dtype={dtype})")]


@register("gather")
def _gather(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "position", "axis"}, required=("position", "axis"))
    x = _single_source(ctx, opts["from"])
    position = opts["position"]
    if not isinstance(position, rc_nn.LayerRef):
        raise ctx.error("gathers at a constant position (only a layer of indices is covered)")
    axis = ctx.dim(dim_list(ctx, opts["axis"], "axis")[0])
    code = f"rf.gather({x}, indices={ctx.value(position)}, axis={axis})"
    return with_feature_dim(ctx, [ctx.assign(code)])
