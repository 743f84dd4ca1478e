"""Torch lowerings of the layers that cut, extend, shift or window one axis (no control flow).

``slice`` (any step), ``slice_nd`` (a start per entry; frames outside the sequence are 0),
``pad`` (constant on any axis; reflect/replication on static axes), ``cumsum`` (also
reversed), ``shift_axis`` (the Transformer decoder's teacher-forcing shift), ``window``
(same/valid, any stride), and the layers rc-nn writes around them: ``transpose`` (RF
tensors name their dims: the same tensor), ``squeeze``, ``constant`` (a scalar value),
``reduce_out`` (maxout), ``scaled_grad`` (``nn.stop_gradient``), ``range_from_length``, ``top_k`` (with its ``indices``
sub-layer) and ``repeat`` (int repetitions).

Each computes what RETURNN's TF layer computes, including where TF does *not* care about
sequence ends: TF's ``cumsum``, ``window`` and ``shift_axis`` work on the padded
tensor as it is (the padded frames' values reach the valid ones exactly as in TF). New dims
are the recorded ones (config-level dims derived by dim math, refreshed per step), never
dims RF would make on its own. See docs/design/torch-backend.md.
"""

from __future__ import annotations

from typing import Any

import rc_nn

from ._torch_lower import LowerCtx, register, register_sub
from ._torch_ops_attention import dim_list, with_feature_dim
from ._torch_ops_basic import _single_source

__all__: list[str] = []

#: ``pad`` modes: RETURNN's TF name -> RF's (``symmetric`` has no RF/torch counterpart).
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replication": "replicate"}


def _one_dim(ctx: LowerCtx, value: Any, what: str) -> Any:
    dims = dim_list(ctx, value, what)
    if len(dims) != 1:
        raise ctx.error(f"has {len(dims)} dims as {what}, its torch lowering takes one")
    return dims[0]


def _int_option(ctx: LowerCtx, opts: dict[str, Any], key: str, default: int | None) -> int | None:
    value = opts.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ctx.error(f"has {key}={value!r}, no int")
    return value


def _is_dynamic(ctx: LowerCtx, dim: Any) -> bool:
    index = dim.id if isinstance(dim, rc_nn.DimRef) else dim
    if not isinstance(index, int):
        return bool(dim.dimension is None)
    info = ctx.record.dims[index]
    return info.size is None and info.kind != "batch"


@register("slice")
def _slice(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options(
        {"from", "axis", "out_dim", "slice_start", "slice_end", "slice_step"},
        required=("axis", "out_dim"),
    )
    x = _single_source(ctx, opts["from"])
    axis = ctx.dim(_one_dim(ctx, opts["axis"], "axis"))
    out_dim = ctx.dim(_one_dim(ctx, opts["out_dim"], "out_dim"))
    start = _int_option(ctx, opts, "slice_start", None)
    start = 0 if start is None else start
    end = _int_option(ctx, opts, "slice_end", None)
    step = _int_option(ctx, opts, "slice_step", None)
    step = 1 if step is None else step
    if start < 0 or step <= 0:
        raise ctx.error(
            f"has slice_start={start}, slice_step={step} (covered: both >= 0, step > 0)"
        )
    if step == 1:
        end_code = "" if end is None else f", end={ctx.literal(end)}"
        code = f"rf.slice({x}, axis={axis}, start={ctx.literal(start)}{end_code}, out_dim={out_dim})[0]"
        return with_feature_dim(ctx, [ctx.assign(code)])
    # RF's torch slice has no step: gather frames start, start + step, ... (TF x[start:end:step])
    index = ctx.fresh("index")
    return with_feature_dim(
        ctx,
        [
            f"{index} = rf.range_over_dim({out_dim}, dtype='int32') * {ctx.literal(step)}"
            + (f" + {ctx.literal(start)}" if start else ""),
            ctx.assign(f"rf.gather({x}, indices={index}, axis={axis})"),
        ],
    )


def _zero(dtype: str) -> str:
    return "False" if dtype == "bool" else "0" if dtype.startswith(("int", "uint")) else "0.0"


@register("slice_nd")
def _slice_nd(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options(
        {"from", "axis", "start", "size", "out_spatial_dim"},
        required=("axis", "start", "size", "out_spatial_dim"),
    )
    x = _single_source(ctx, opts["from"])
    start = opts["start"]
    if not isinstance(start, rc_nn.LayerRef):
        raise ctx.error("has a start that is no layer (only a tensor of starts is covered)")
    axis_ref = _one_dim(ctx, opts["axis"], "axis")
    axis = ctx.dim(axis_ref)
    size = _one_dim(ctx, opts["out_spatial_dim"], "out_spatial_dim")
    dtype = ctx.template(start.id).dtype
    pos, valid, length = ctx.fresh("pos"), ctx.fresh("valid"), ctx.fresh("len")
    if _is_dynamic(ctx, axis_ref):
        length_code = f"rf.copy_to_device(rf.cast({axis}.get_size_tensor(), {ctx.literal(dtype)}))"
    else:
        length_code = f"{axis}.dimension"
    # TF: positions start + range(size); outside [0, seq_len) they give 0 (clipped, masked)
    return with_feature_dim(
        ctx,
        [
            f"{pos} = rf.combine_bc({ctx.value(start)}, '+', "
            f"rf.range_over_dim({ctx.dim(size)}, dtype={ctx.literal(dtype)}))",
            f"{length} = {length_code}",
            f"{valid} = rf.logical_and(rf.compare_bc({pos}, '>=', 0), "
            f"rf.compare_bc({pos}, '<', {length}))",
            ctx.assign(
                f"rf.where({valid}, rf.gather({x}, indices={pos}, axis={axis}, "
                f"clip_to_valid=True), {_zero(ctx.template().dtype)})"
            ),
        ],
    )


def _pad_pairs(ctx: LowerCtx, padding: Any, count: int) -> list[tuple[int, int]]:
    items = padding.items if isinstance(padding, rc_nn.SeqValue) else ()
    pairs: list[tuple[int, int]] = []
    for item in items:
        pair = item.items if isinstance(item, rc_nn.SeqValue) else item
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ctx.error(f"has the padding entry {item!r}, no (left, right) pair")
        left, right = pair
        if not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in pair):
            raise ctx.error(f"has the padding entry {item!r}, no pair of ints >= 0")
        pairs.append((left, right))
    if len(pairs) != count:
        raise ctx.error(f"has {len(pairs)} padding pairs for {count} axes")
    return pairs


@register("pad")
def _pad(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options(
        {"from", "axes", "padding", "out_dims", "mode", "value"}, required=("axes", "padding")
    )
    x = _single_source(ctx, opts["from"])
    axes = dim_list(ctx, opts["axes"], "axes")
    pairs = _pad_pairs(ctx, opts["padding"], len(axes))
    mode = opts.get("mode", "constant")
    rf_mode = _PAD_MODES.get(mode)
    if rf_mode is None:
        raise ctx.error(
            f"has mode={mode!r} (covered: {', '.join(sorted(_PAD_MODES))}; RF has no "
            "'symmetric' padding)"
        )
    if mode != "constant" and any(_is_dynamic(ctx, a) for a in axes):
        raise ctx.error(
            f"pads a dynamic axis with mode={mode!r} (RETURNN's TF layer refuses right "
            "padding there; covered: 'constant', or this mode on static axes)"
        )
    out_dims = opts.get("out_dims")
    out_code = ""
    if out_dims is not None:
        out_list = dim_list(ctx, out_dims, "out_dims")
        if len(out_list) != len(axes):
            raise ctx.error(f"has {len(out_list)} out_dims for {len(axes)} axes")
        out_code = f", out_dims={ctx.dims(out_list)}"
    value = ctx.literal(opts.get("value", 0)) if mode == "constant" else "None"
    padding = "[" + ", ".join(f"({left}, {right})" for left, right in pairs) + "]"
    code = (
        f"rf.pad({x}, axes={ctx.dims(axes)}, padding={padding}{out_code}, "
        f"mode={ctx.literal(rf_mode)}, value={value})[0]"
    )
    return with_feature_dim(ctx, [ctx.assign(code)])


def _flip(x: str, axis: str) -> str:
    """``x`` reversed along ``axis`` over the whole padded axis (TF's ``reverse=True``)."""
    return f"rf.reverse_sequence({x}, axis={axis}, handle_dynamic_dims=False)"


@register("cumsum")
def _cumsum(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis", "reverse"}, required=("axis",))
    x = _single_source(ctx, opts["from"])
    axis = ctx.dim(_one_dim(ctx, opts["axis"], "axis"))
    # TF: tf.cumsum over the padded axis, unmasked (a reversed sum starts at the padded end)
    if opts.get("reverse", False):
        code = _flip(f"rf.cumsum({_flip(x, axis)}, spatial_dim={axis})", axis)
    else:
        code = f"rf.cumsum({x}, spatial_dim={axis})"
    return with_feature_dim(ctx, [ctx.assign(code)])


@register("shift_axis")
def _shift_axis(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options(
        {"from", "axis", "amount", "pad", "pad_value", "adjust_size_info"},
        required=("axis", "amount"),
    )
    if opts.get("pad", True) is not True or opts.get("adjust_size_info", True) is not False:
        raise ctx.error(
            "shifts with pad=False or adjust_size_info=True (a new dim; covered: pad=True, "
            "adjust_size_info=False, which keeps the dims)"
        )
    x = _single_source(ctx, opts["from"])
    axis = ctx.dim(_one_dim(ctx, opts["axis"], "axis"))
    amount = _int_option(ctx, opts, "amount", None)
    if not amount:
        raise ctx.error("has amount=0 (no shift; RETURNN's TF layer refuses it too)")
    value = ctx.literal(opts.get("pad_value", 0))
    padded, padded_dim = ctx.fresh("padded"), ctx.fresh("padded_dim")
    # TF slices and pads the padded tensor as it is: the pad goes at the padded end, not after
    # each sequence (handle_dynamic_dims=False)
    padding = f"[({amount}, 0)]" if amount > 0 else f"[(0, {-amount})]"
    start = 0 if amount > 0 else -amount
    return with_feature_dim(
        ctx,
        [
            f"{padded}, ({padded_dim},) = rf.pad({x}, axes=[{axis}], padding={padding}, "
            f"mode='constant', value={value}, handle_dynamic_dims=False)",
            ctx.assign(f"rf.slice({padded}, axis={padded_dim}, start={start}, size={axis})[0]"),
        ],
    )


def _window_sides(ctx: LowerCtx, opts: dict[str, Any], size: int) -> tuple[int, int]:
    """TF ``windowed_nd``'s left and right context of ``padding="same"``."""
    left = _int_option(ctx, opts, "window_left", None)
    right = _int_option(ctx, opts, "window_right", None)
    if right is None:
        right = size - left - 1 if left is not None else size // 2
    if left is None:
        left = size - right - 1
    if left < 0 or right < 0 or left + right + 1 != size:
        raise ctx.error(f"has window_left={left}, window_right={right} for a window of {size}")
    return left, right


@register("window")
def _window(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    known = {"from", "axis", "window_dim", "padding", "out_spatial_dim", "stride"}
    opts = ctx.options(known | {"window_left", "window_right"}, required=("axis", "window_dim"))
    x = _single_source(ctx, opts["from"])
    axis_ref = _one_dim(ctx, opts["axis"], "axis")
    axis = ctx.dim(axis_ref)
    window_ref = _one_dim(ctx, opts["window_dim"], "window_dim")
    size = _static_size(ctx, window_ref)
    stride = _int_option(ctx, opts, "stride", 1)
    if stride is None or stride <= 0:
        raise ctx.error(f"has stride={stride!r} (covered: an int > 0)")
    out_spatial = ctx.dim(_one_dim(ctx, opts.get("out_spatial_dim", axis_ref), "out_spatial_dim"))
    padding = opts.get("padding", "same")
    lines: list[str] = []
    source, source_axis = x, axis
    if padding == "same":
        left, right = _window_sides(ctx, opts, size)
        source, source_axis = ctx.fresh("padded"), ctx.fresh("padded_dim")
        # TF pads zeros around the padded tensor as it is (no masking of the input)
        lines.append(
            f"{source}, ({source_axis},) = rf.pad({x}, axes=[{axis}], padding=[({left}, {right})], "
            "mode='constant', value=0, handle_dynamic_dims=False)"
        )
    elif padding == "valid":
        if "window_left" in opts or "window_right" in opts:
            raise ctx.error("has window_left/window_right with padding='valid' (TF refuses it)")
    else:
        raise ctx.error(f"has padding={padding!r} (covered: 'same', 'valid')")
    # window w of output frame t is input frame t * stride + w (TF's strided windowed_nd)
    index = ctx.fresh("index")
    starts = f"rf.range_over_dim({out_spatial}, dtype='int32')"
    starts += f" * {ctx.literal(stride)}" if stride != 1 else ""
    lines += [
        f"{index} = rf.combine_bc({starts}, '+', "
        f"rf.range_over_dim({ctx.dim(window_ref)}, dtype='int32'))",
        ctx.assign(f"rf.gather({source}, indices={index}, axis={source_axis})"),
    ]
    return with_feature_dim(ctx, lines)


def _static_size(ctx: LowerCtx, dim: Any) -> int:
    index = dim.id if isinstance(dim, rc_nn.DimRef) else None
    size = ctx.record.dims[index].size if index is not None else dim.dimension
    if not isinstance(size, int):
        raise ctx.error("has a window_dim without a static size")
    return size


@register("transpose")
def _transpose(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # RF tensors name their dims: the order is the marks' business (copy_transpose there)
    opts = ctx.options({"from", "perm"})
    return [ctx.assign(_single_source(ctx, opts["from"]))]


@register("squeeze")
def _squeeze(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis"}, required=("axis",))
    x = _single_source(ctx, opts["from"])
    axis = ctx.dim(_one_dim(ctx, opts["axis"], "axis"))
    return with_feature_dim(ctx, [ctx.assign(f"rf.squeeze({x}, axis={axis})")])


@register("constant")
def _constant(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"value", "shape", "dtype", "sparse_dim"})
    value = opts.get("value", 0.0)
    if isinstance(value, rc_nn.ArrayValue):
        raise ctx.error("has an array value (covered: a scalar filled into the shape)")
    dims = dim_list(ctx, opts["shape"], "shape") if "shape" in opts else []
    dtype = opts.get("dtype") or ctx.template().dtype
    args = [f"dims={ctx.dims(dims)}", f"fill_value={ctx.literal(value)}"]
    args.append(f"dtype={ctx.literal(dtype)}")
    if opts.get("sparse_dim") is not None:
        args.append(f"sparse_dim={ctx.dim(_one_dim(ctx, opts['sparse_dim'], 'sparse_dim'))}")
    return with_feature_dim(ctx, [ctx.assign(f"rf.full({', '.join(args)})")])


_REDUCE_OUT_MODES = {"max": "max", "sum": "sum", "mean": "mean", "avg": "mean"}


@register("reduce_out")
def _reduce_out(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # TF: the feature axis reshaped to [out, num_pieces] (out major), reduced over the pieces
    opts = ctx.options({"from", "mode", "num_pieces", "out_dim"}, required=("mode", "num_pieces"))
    mode = _REDUCE_OUT_MODES.get(opts["mode"])
    if mode is None:
        raise ctx.error(f"has mode={opts['mode']!r} (covered: {', '.join(_REDUCE_OUT_MODES)})")
    pieces = _int_option(ctx, opts, "num_pieces", None)
    x = _single_source(ctx, opts["from"])
    source = opts["from"].items[0] if isinstance(opts["from"], rc_nn.SeqValue) else opts["from"]
    feature = ctx.template(source.id).feature_dim
    out_dim = ctx.template().feature_dim
    if feature is None or out_dim is None or pieces is None or pieces <= 0:
        raise ctx.error("has no feature dim to split into num_pieces")
    pieces_dim = ctx.fresh("pieces")
    return with_feature_dim(
        ctx,
        [
            f"{pieces_dim} = Dim({ctx.literal(pieces)}, name={ctx.literal('reduce_out_pieces')})",
            ctx.assign(
                f"rf.reduce(rf.split_dims({x}, axis={ctx.dim(feature)}, "
                f"dims=[{ctx.dim(out_dim)}, {pieces_dim}]), mode={ctx.literal(mode)}, "
                f"axis={pieces_dim})"
            ),
        ],
    )


@register("scaled_grad")
def _scaled_grad(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # TF: identity forward; the gradient scaled (scale 0: tf.stop_gradient, as rf.stop_gradient)
    opts = ctx.options({"from", "scale"}, required=("scale",))
    x = _single_source(ctx, opts["from"])
    scale = opts["scale"]
    if not isinstance(scale, int | float) or isinstance(scale, bool):
        raise ctx.error(f"has scale={scale!r} (covered: a number)")
    if scale == 0:
        return [ctx.assign(f"rf.stop_gradient({x})")]
    return [ctx.assign(f"rf.scaled_gradient({x}, {ctx.literal(float(scale))})")]


@register("range_from_length")
def _range_from_length(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # TF: range(max(sizes)) over a dim whose sizes are the input (a new dim, or the dim whose
    # lengths the input is); RF: a Dim made from the size tensor at run time, bound here
    opts = ctx.options(
        {"from", "out_spatial_dim", "dtype", "sparse"}, required=("out_spatial_dim",)
    )
    sizes = _single_source(ctx, opts["from"])
    out_ref = _one_dim(ctx, opts["out_spatial_dim"], "out_spatial_dim")
    lines = []
    if ctx.needs_binding(out_ref):
        name = ctx.bind_dim(out_ref)
        lines.append(f"{name} = Dim({sizes}, name={ctx.literal('range_from_length')})")
    dtype = ctx.literal(opts.get("dtype", "int32"))
    lines.append(ctx.assign(f"rf.range_over_dim({ctx.dim(out_ref)}, dtype={dtype})"))
    return lines


@register("top_k")
def _top_k(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # TF and RF both fill a dynamic axis' padded frames with the dtype's minimum first;
    # the indices (sub-layer "indices") are a helper variable of this layer
    opts = ctx.options({"from", "axis", "k", "k_dim", "sorted"}, required=("axis", "k", "k_dim"))
    if opts.get("sorted", True) is not True:
        raise ctx.error("has sorted=False (TF leaves the order unspecified; covered: sorted)")
    x = _single_source(ctx, opts["from"])
    k = _int_option(ctx, opts, "k", None)
    if k is None or k <= 0:
        raise ctx.error(f"has k={opts['k']!r} (covered: an int > 0)")
    axis = ctx.dim(_one_dim(ctx, opts["axis"], "axis"))
    k_dim = ctx.dim(_one_dim(ctx, opts["k_dim"], "k_dim"))
    return [
        f"{ctx.out}, {ctx.fresh('indices')}, _ = rf.top_k({x}, axis={axis}, k={ctx.literal(k)}, "
        f"k_dim={k_dim}, sorted=True)"
    ]


@register_sub("top_k")
def _top_k_indices(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """``top_k/indices``: the indices the ``top_k`` lowering computed."""
    if layer.sub_name != "indices" or layer.parent is None:
        raise ctx.error(f"is the sub-layer {layer.sub_name!r} of a top_k, not 'indices'")
    return [ctx.assign(f"{ctx.var(layer.parent)}_indices")]


@register("repeat")
def _repeat(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    # TF (int repetitions): every frame repeated, the padded frames repeated 0 times, zeros
    # after each sequence's end; here frame j is input frame j // repetitions, padding zeroed
    opts = ctx.options({"from", "repetitions", "axis", "out_dim"}, required=("axis", "out_dim"))
    repetitions = opts.get("repetitions")
    if not isinstance(repetitions, int) or isinstance(repetitions, bool) or repetitions <= 0:
        raise ctx.error(
            f"has repetitions={repetitions!r} (covered: an int > 0; a tensor of repetitions "
            "makes a new dim from their sums, not covered yet)"
        )
    x = _single_source(ctx, opts["from"])
    axis = ctx.dim(_one_dim(ctx, opts["axis"], "axis"))
    out_ref = _one_dim(ctx, opts["out_dim"], "out_dim")
    out_dim = ctx.dim(out_ref)
    index = ctx.fresh("index")
    lines = [
        f"{index} = rf.range_over_dim({out_dim}, dtype='int32') // {ctx.literal(repetitions)}",
        ctx.assign(f"rf.gather({x}, indices={index}, axis={axis})"),
    ]
    if _is_dynamic(ctx, out_ref):
        zero = _zero(ctx.template().dtype)
        lines.append(ctx.assign(f"{ctx.out}.copy_masked({zero}, dims=[{out_dim}])"))
    return with_feature_dim(ctx, lines)
