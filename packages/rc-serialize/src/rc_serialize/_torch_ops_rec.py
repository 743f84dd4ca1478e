"""Torch lowerings of RETURNN's full-sequence LSTM: ``rec`` with unit ``nativelstm2``.

rc-nn's ``nn.LSTM(x, spatial_dim=time)`` records a ``rec`` layer (unit ``nativelstm2``,
parameters by ``reuse_params``: ``W`` = ``param_W``, ``W_re`` = ``param_W_re``, ``b`` =
``param_b``) and, when the final state is used, ``get_last_hidden_state`` layers (keys
``h``, ``c``). On the torch backend the layer runs RF's LSTM (the backend's ``lstm``, which
``rf.LSTM`` calls: ``torch.lstm`` over the packed sequence, so padding is respected) with the
parameters in their torch layout (``_torch_layout``: ``[4*out, in]``, gate blocks ``i, f, j,
o``). ``direction: -1`` (backward) reverses each sequence within its length
(``rf.reverse_sequence``), runs forward and reverses the output back, as RETURNN's TF layer
does, with zeros in the padding (as TF: a following max pool sees them); its final state is
then the one after the first frame. The initial state is zeros
unless ``initial_state={"h": ..., "c": ...}`` is given.

Not covered (a clear ``TorchNotCoveredError`` at build time): other ``rec`` units
(``zoneoutlstm``). A loop's ``rec`` layer (``nn.Loop``, with a ``unit`` block) is written by
``_torch_ops_loop``, which also covers the single-step LSTM inside a loop.
"""

from __future__ import annotations

from typing import Any

import rc_nn

from ._torch_lower import LowerCtx, register

__all__: list[str] = []

#: The options of a full-sequence ``nativelstm2`` rec layer the lowering implements.
_REC_OPTIONS = frozenset(
    {"from", "unit", "in_dim", "out_dim", "axis", "direction", "reuse_params", "initial_state"}
)


def _state_var(ctx: LowerCtx, layer_id: int, key: str) -> str:
    """The variable holding the final state ``key`` (``h`` / ``c``) of the rec layer ``layer_id``."""
    return f"{ctx.var(layer_id)}_state_{key}"


def _param(ctx: LowerCtx, reuse: Any, key: str) -> str:
    try:
        entry = reuse["map"][key]
    except (KeyError, TypeError):
        entry = None
    if not isinstance(entry, rc_nn.FrozenMap) or set(entry) != {"layer_output"}:
        raise ctx.error(
            f"has no parameter {key!r} given as reuse_params={{'map': {{{key!r}: "
            "{'layer_output': ...}}}} (rc-nn's nn.LSTM writes it so)"
        )
    return ctx.value(entry["layer_output"])


@register("rec")
def _rec(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    unit = layer.args["unit"] if layer.args is not None and "unit" in layer.args else None
    if unit != "nativelstm2":
        what = (
            "is a loop (nn.Loop: control flow, a later coverage step)"
            if unit is None or isinstance(unit, rc_nn.FrozenMap)
            else f"has the rec unit {unit!r}; only 'nativelstm2' (nn.LSTM over a spatial dim) "
            "is covered (nn.ZoneoutLSTM and other cells are a later coverage step)"
        )
        raise ctx.error(what)
    opts = ctx.options(_REC_OPTIONS, required=("from", "in_dim", "out_dim", "axis", "reuse_params"))
    source = opts["from"]
    if isinstance(source, rc_nn.SeqValue) and len(source.items) == 1:
        source = source.items[0]
    if not isinstance(source, rc_nn.LayerRef):
        raise ctx.error("has not exactly one input layer in 'from'")
    x = ctx.value(source)
    in_dim, out_dim, axis = ctx.dim(opts["in_dim"]), ctx.dim(opts["out_dim"]), ctx.dim(opts["axis"])
    direction = opts.get("direction", 1)
    if direction not in (1, -1):
        raise ctx.error(f"has direction={direction!r}; only 1 and -1 are covered")
    reuse = opts["reuse_params"]
    weights = {key: _param(ctx, reuse, key) for key in ("W", "W_re", "b")}
    src, batch = ctx.fresh("src"), ctx.fresh("batch")
    h0, c0 = ctx.fresh("h0"), ctx.fresh("c0")
    lines = [
        f"{src} = rf.reverse_sequence({x}, axis={axis})" if direction == -1 else f"{src} = {x}",
        f"{batch} = [d for d in {src}.dims if d != {axis} and d != {in_dim}]",
    ]
    initial = opts.get("initial_state")
    if initial is None:
        lines += [
            f"{h0} = rf.zeros({batch} + [{out_dim}], dtype={src}.dtype)",
            f"{c0} = rf.zeros({batch} + [{out_dim}], dtype={src}.dtype)",
        ]
    else:
        if not isinstance(initial, rc_nn.FrozenMap) or set(initial) != {"h", "c"}:
            raise ctx.error("has an initial_state that is not {'h': ..., 'c': ...}")
        lines += [f"{h0} = {ctx.value(initial['h'])}", f"{c0} = {ctx.value(initial['c'])}"]
    h, c = _state_var(ctx, layer.id, "h"), _state_var(ctx, layer.id, "c")
    # rf.LSTM.__call__ dispatches the same way; our parameters keep rc's names, so the call
    # goes to the backend's lstm directly (weights [4*out, in] and [4*out, out], gates i f j o).
    lines.append(
        f"{ctx.out}, ({h}, {c}) = {src}._raw_backend.lstm(source={src}, state_h={h0}, "
        f"state_c={c0}, ff_weight={weights['W']}, rec_weight={weights['W_re']}, "
        f"bias={weights['b']}, spatial_dim={axis}, in_dim={in_dim}, out_dim={out_dim})"
    )
    if direction == -1:
        # rf.reverse_sequence fills the padding with frame 0 (clipped indices); RETURNN's TF
        # layer has zeros there, which a following max pool or sum can see.
        lines.append(
            f"{ctx.out} = rf.reverse_sequence({ctx.out}, axis={axis}).copy_masked(0.0, dims=[{axis}])"
        )
    lines.append(f"{ctx.out}.feature_dim = {out_dim}")
    return lines


@register("get_last_hidden_state")
def _last_state(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "key", "out_dim"}, required=("from", "key"))
    source = opts["from"]
    if isinstance(source, rc_nn.SeqValue) and len(source.items) == 1:
        source = source.items[0]
    key = opts["key"]
    if not isinstance(source, rc_nn.LayerRef) or key not in ("h", "c"):
        raise ctx.error("is not the state 'h' or 'c' of one nn.LSTM layer")
    rec = ctx.record.layers[source.id]
    if rec.op != "rec" or rec.args is None or rec.args.get("unit") != "nativelstm2":
        raise ctx.error("reads the state of a layer that is no full-sequence nn.LSTM")
    return [ctx.assign(_state_var(ctx, source.id, key))]
