"""The plain-op catalogue of the fuzz generator: each op keeps the running tensor float32.

An :class:`Op` says when it applies to the running tensor ``x`` and makes a step
(``x -> x'``) that can be replayed on a tensor with the same dims (new dims are
created once, when the step is made). Values stay finite on random normal
inputs: ``log``/``sqrt``/``rsqrt``/``exp``/``pow`` get safe arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import rc_nn as nn

if TYPE_CHECKING:
    from rc_fuzz_gen import Block, Generator

B = nn.batch_dim
Step = Callable[[nn.Tensor], nn.Tensor]


@dataclasses.dataclass
class Op:
    names: tuple[str, ...]
    applicable: Callable[[Generator, nn.Tensor], bool]
    maker: Callable[[Generator, Block, nn.Tensor], Step]

    def make(self, gen: Generator, block: Block, x: nn.Tensor) -> Step:
        gen.used(*self.names)
        return self.maker(gen, block, x)


def _always(gen: Generator, x: nn.Tensor) -> bool:
    return True


def _has_static(gen: Generator, x: nn.Tensor) -> bool:
    return bool(gen.static_dims(x))


def _has_non_batch(gen: Generator, x: nn.Tensor) -> bool:
    return bool(gen.non_batch(x))


def _has_time(gen: Generator, x: nn.Tensor) -> bool:
    return gen.time_of(x) is not None


def _room(gen: Generator, x: nn.Tensor) -> bool:
    return len(gen.non_batch(x)) < 4


def _static_at_least(n: int) -> Callable[[Generator, nn.Tensor], bool]:
    return lambda gen, x: any((d.dimension or 0) >= n for d in gen.static_dims(x))


def _both(*conds: Callable[[Generator, nn.Tensor], bool]) -> Callable[[Generator, nn.Tensor], bool]:
    return lambda gen, x: all(c(gen, x) for c in conds)


OPS: list[tuple[str, Op]] = []


def op(
    *names: str, when: Callable[[Generator, nn.Tensor], bool] = _always
) -> Callable[[Callable[[Generator, Block, nn.Tensor], Step]], None]:
    def register(fn: Callable[[Generator, Block, nn.Tensor], Step]) -> None:
        OPS.append((fn.__name__, Op(names, when, fn)))

    return register


def _unary(name: str, fn: Callable[[nn.Tensor], nn.Tensor]) -> None:
    def make(gen: Generator, block: Block, x: nn.Tensor) -> Step:
        return fn

    make.__name__ = name
    op(name)(make)


for _name in [
    "relu", "gelu", "elu", "selu", "tanh", "sigmoid", "log_sigmoid", "swish", "silu",
    "square", "abs_", "neg",
]:  # fmt: skip
    _unary(_name, getattr(nn, _name))


@op("exp", "clip_by_value")
def exp(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    return lambda x: nn.exp(nn.clip_by_value(x, -3.0, 3.0))


@op("log", "log1p", "sqrt", "rsqrt", "abs_")
def logs(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    which = gen.ch.pick(["log", "log1p", "sqrt", "rsqrt"])
    fn = getattr(nn, which)
    if which == "log1p":
        return lambda x: fn(nn.abs_(x))
    return lambda x: fn(nn.abs_(x) + 1.0)


@op("floor", "ceil", "stop_gradient", "cast")
def rounding(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    # keep a gradient path through x (floor/ceil/cast have none)
    which = gen.ch.pick(["floor", "ceil", "cast"])
    if which == "cast":
        return lambda x: x + nn.cast(nn.cast(x, "int32"), "float32")
    fn = getattr(nn, which)
    return lambda x: x + nn.stop_gradient(fn(x))


@op("activation")
def activation(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    name = gen.ch.pick(["relu", "tanh", "sigmoid", "softsign", "abs", "gelu2"])
    return lambda x: nn.activation(x, name)


@op("Tensor.__scalar_ops__")
def scalar(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    which = gen.ch.int(0, 9)
    c = gen.ch.pick([0.5, 2.0, 3.0])
    return [
        lambda x: x + c,
        lambda x: c - x,
        lambda x: x * c,
        lambda x: x / c,
        lambda x: 1.0 / (nn.abs_(x) + c),
        lambda x: x + (x // c),
        lambda x: x + (x % c),
        lambda x: nn.abs_(x) ** 1.5,
        lambda x: c ** nn.clip_by_value(x, -2.0, 2.0),
        lambda x: -x + c * x,
    ][which]


def _operand(gen: Generator, x: nn.Tensor) -> nn.Tensor:
    """The extern ``other`` input reduced to dims that ``x`` has (so x op other keeps x's dims)."""
    other = gen.other
    extra = [d for d in other.dims if d not in x.dims]
    return nn.reduce_sum(other, axis=extra) if extra else other


@op("combine", "maximum", "minimum")
def binary(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    which = gen.ch.pick(
        [
            "add",
            "sub",
            "mul",
            "maximum",
            "minimum",
            "squared_difference",
            "truediv",
            "fn_max",
            "fn_min",
        ]
    )
    # Sometimes x gains other's dims too (neither input has all dims): the dim order then
    # follows RETURNN's time/feature axis rules (test_broadcast_both_ways_after_slice_nd_dim_order).
    gain = gen.ch.chance(20)

    def step(x: nn.Tensor) -> nn.Tensor:
        o = gen.other if gain and len(set(x.dims) | set(gen.other.dims)) <= 5 else _operand(gen, x)
        if which == "truediv":
            return x / (nn.abs_(o) + 1.0)
        if which == "fn_max":
            return nn.maximum(x, o)
        if which == "fn_min":
            return nn.minimum(o, x)
        return nn.combine(x, o, kind=which)

    return step


@op("compare", "where", "logical_not", "Tensor.__compare_ops__")
def compare(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    which = gen.ch.int(0, 7)

    def step(x: nn.Tensor) -> nn.Tensor:
        o = _operand(gen, x)
        cond = [
            lambda: x > 0.0,
            lambda: x <= o,
            lambda: (x >= 0.0) & (x < 1.0),
            lambda: (x == 0.0) | (x != o),
            lambda: ~(x < 0.0),
            lambda: nn.logical_not(nn.compare(x, 0.5, kind="less")),
            lambda: 0.5 < x,  # noqa: SIM300  (the reversed comparison is tested on purpose)
            lambda: nn.compare(x, o, kind="greater_equal"),
        ][which]()
        if which % 2:
            return nn.where(cond, x, -x)
        return nn.where(cond, 1.0, x) if which == 2 else nn.cast(cond, "float32") * x + x

    return step


@op(
    "reduce",
    "reduce_sum",
    "reduce_mean",
    "reduce_max",
    "reduce_min",
    "reduce_logsumexp",
    when=_has_non_batch,
)
def reduce(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    axes = gen.non_batch(x)
    axis = gen.ch.pick(axes)
    if len(axes) > 1 and gen.ch.chance(20):
        axis = axes[:2]
    mode = gen.ch.pick(["sum", "mean", "max", "min", "logsumexp", "reduce"])
    if mode == "reduce":
        m = gen.ch.pick(["sum", "mean", "max", "min"])
        return lambda x: nn.reduce(x, mode=m, axis=axis)
    fn = getattr(nn, f"reduce_{mode}")
    return lambda x: fn(x, axis=axis)


@op("softmax", "log_softmax", when=_has_non_batch)
def softmax(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    axis = gen.ch.pick(gen.non_batch(x))
    # log_softmax fills the padding frames of a dynamic axis with -inf (RETURNN's rule); later
    # ops like x * 0 would turn that into NaN and the gradients through the masking become NaN.
    # So log_softmax only over static axes.
    if axis.dimension is not None and gen.ch.chance(50):
        return lambda x: nn.log_softmax(x, axis=axis)
    return lambda x: nn.softmax(x, axis=axis)


@op("dot", when=_has_non_batch)
def dot(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    shared = [d for d in gen.other.dims if d is not B and d in x.dims]
    if not shared:
        d = gen.ch.pick(gen.non_batch(x))
        return lambda x: (
            nn.dot(x, nn.tanh(x), reduce=d)
            if d.dimension is None
            else nn.dot(x, nn.ones([d]), reduce=d)
        )
    d = gen.ch.pick(shared)
    return lambda x: nn.dot(x, gen.other, reduce=d)


@op("concat", when=_both(_has_static, _room))
def concat(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.static_dims(x))
    out: list[nn.Dim] = []
    broadcast = gen.ch.chance(30) and d in gen.other.dims

    def step(x: nn.Tensor) -> nn.Tensor:
        if broadcast:
            y, _ = nn.concat(
                (x, d), (gen.other, d), out_dim=out[0] if out else None, allow_broadcast=True
            )
        else:
            y, _ = nn.concat((x, d), (nn.tanh(x), d), out_dim=out[0] if out else None)
        if not out:
            out.extend(e for e in y.dims if e not in x.dims and e not in gen.other.dims)
        return y

    return step


@op("constant", "zeros", "ones", when=_has_static)
def constants(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.static_dims(x))
    which = gen.ch.int(0, 2)
    if which == 0:
        return lambda x: x + nn.constant(0.5, [d])
    if which == 1:
        return lambda x: x + nn.zeros([B, d])
    return lambda x: x * nn.ones([d])


@op("dropout")
def dropout(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    axes = gen.non_batch(x)
    axis = gen.ch.pick(axes) if axes and gen.ch.chance(50) else None
    return lambda x: nn.dropout(x, 0.1, axis=axis)


@op("make_layer")
def make_layer(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    return lambda x: nn.make_layer(
        {"class": "activation", "activation": "tanh", "from": x},
        name="custom",
        out=nn.Data("custom", dim_tags=list(x.dims)),
    )


# -- shape ops ----------------------------------------------------------------------------


@op("split", "concat", when=_static_at_least(2))
def split(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick([e for e in gen.static_dims(x) if e.dimension >= 2])
    k = gen.ch.int(1, d.dimension - 1)
    a, b = gen.feature("a", k), gen.feature("b", d.dimension - k)
    back = gen.ch.chance(50)

    def step(x: nn.Tensor) -> nn.Tensor:
        left, right = nn.split(x, axis=d, out_dims=[a, b])
        if back:
            return nn.concat((nn.tanh(left), a), (right, b), out_dim=d)[0]
        return left

    return step


@op("split_dims", "merge_dims", when=_both(_static_at_least(2), _room))
def split_dims(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick([e for e in gen.static_dims(x) if e.dimension >= 2])
    n = d.dimension
    first = gen.ch.pick([f for f in range(1, n + 1) if n % f == 0])
    a, b = gen.feature("p", first), gen.feature("q", n // first)
    # Not merge_dims(out_dim=d) back into the original dim: RETURNN then declares d the same
    # as the product dim p*q and reports the product's name for every layer with d
    # (our templates say d): a naming difference of the oracle, not of the data.
    merge = gen.ch.pick(["no", "new"])
    out: list[nn.Dim] = []

    def step(x: nn.Tensor) -> nn.Tensor:
        y = nn.split_dims(x, axis=d, dims=[a, b])
        if merge == "no":
            return y
        merged, dim = nn.merge_dims(
            y, axes=[a, b], out_dim=d if merge == "same" else (out[0] if out else None)
        )
        if not out:
            out.append(dim)
        return merged

    return step


@op("merge_dims", when=lambda gen, x: len(gen.static_dims(x)) >= 2)
def merge(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    axes = gen.static_dims(x)[:2]
    if gen.ch.chance(50):
        axes = axes[::-1]
    out: list[nn.Dim] = []

    def step(x: nn.Tensor) -> nn.Tensor:
        y, dim = nn.merge_dims(x, axes=axes, out_dim=out[0] if out else None)
        if not out:
            out.append(dim)
        return y

    return step


@op("reshape", when=_has_static)
def reshape(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.static_dims(x))
    e = gen.feature("r", d.dimension)
    return lambda x: nn.reshape(x, in_dims=[d], out_dims=[e])


@op("replace_dim", when=_has_non_batch)
def replace_dim(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.non_batch(x))
    out: list[nn.Dim] = []
    if d.dimension is not None and gen.ch.chance(50):
        out.append(gen.feature("rep", d.dimension))

    def step(x: nn.Tensor) -> nn.Tensor:
        y, dim = nn.replace_dim(x, in_dim=d, out_dim=out[0] if out else None)
        if not out:
            out.append(dim)
        return y

    return step


@op("expand_dim", "squeeze", when=_room)
def expand(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    size = gen.ch.int(1, 3)
    e = gen.feature("e", size)
    squeeze = size == 1 and gen.ch.chance(50)

    def step(x: nn.Tensor) -> nn.Tensor:
        y = nn.expand_dim(x, dim=e)
        return nn.squeeze(nn.tanh(y), axis=e) if squeeze else y

    return step


@op("slice", when=_has_non_batch)
def slice_(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.non_batch(x))
    if d.dimension is None:
        # dynamic: keep at least one frame of every sequence (lengths >= 1): start 0
        step_size = gen.ch.int(1, 2)
        return lambda x: nn.slice(x, axis=d, slice_start=0, slice_step=step_size)[0]
    start = gen.ch.int(0, d.dimension - 1)
    end = gen.ch.int(start + 1, d.dimension)
    out = gen.feature("sl", end - start)
    return lambda x: nn.slice(x, axis=d, slice_start=start, slice_end=end, out_dim=out)[0]


@op("slice_nd", "constant", when=_has_time)
def slice_nd(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    time = gen.time_of(x)
    win = nn.SpatialDim(f"win{gen.uid()}", gen.ch.int(1, 3))
    return lambda x: nn.slice_nd(x, axis=time, start=nn.constant(0, [B]), size=win)


@op("pad", when=_both(_has_non_batch, _room))
def pad(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.non_batch(x))
    left, right = gen.ch.int(0, 2), gen.ch.int(0, 2)
    modes = ["constant"]
    # RETURNN implements only mode "constant" on dynamic dims (NotImplementedError otherwise);
    # reflect/symmetric need more frames than the padding (TF): static dims that are long enough
    if d.dimension is not None:
        modes.append("replication")
        if d.dimension > max(left, right):
            modes += ["reflect", "symmetric"]
    mode = gen.ch.pick(modes)
    out: list[nn.Dim] = []

    def step(x: nn.Tensor) -> nn.Tensor:
        y, dims = nn.pad(
            x, axes=d, padding=(left, right), mode=mode, value=0.5, out_dims=out or None
        )
        if not out:
            out.extend(dims)
        return y

    return step


@op("window", when=_both(_has_non_batch, _room))
def window(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.non_batch(x))
    win = nn.SpatialDim(f"w{gen.uid()}", gen.ch.int(1, 3))
    valid = d.dimension is not None and d.dimension >= win.dimension and gen.ch.chance(40)
    reduce = gen.ch.chance(50)

    def step(x: nn.Tensor) -> nn.Tensor:
        if valid:
            y, _ = nn.window(x, spatial_dim=d, window_dim=win, padding="valid")
        else:
            y, _ = nn.window(x, spatial_dim=d, window_dim=win)
        return nn.reduce_sum(y, axis=win) if reduce else y

    return step


@op("gather", when=_has_static)
def gather(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.static_dims(x))
    idx = gen.ch.int(0, d.dimension - 1)
    return lambda x: nn.gather(x, indices=idx, axis=d)


@op("top_k", "gather", "one_hot", when=_has_static)
def top_k(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.static_dims(x))
    k = gen.ch.int(1, d.dimension)
    kd = gen.feature("k", k)
    use = gen.ch.pick(["values", "gather", "one_hot"])

    def step(x: nn.Tensor) -> nn.Tensor:
        values, indices, _ = nn.top_k(x, axis=d, k=k, k_dim=kd)
        if use == "values":
            return values
        if use == "gather":
            return nn.gather(nn.tanh(x), indices=indices, axis=d)
        return nn.reduce_sum(nn.one_hot(indices), axis=kd) * x

    return step


@op("range_over_dim", "length", "dim_value", "cast", when=_has_non_batch)
def ranges(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.non_batch(x))
    which = gen.ch.int(0, 2)
    if which == 0:
        return lambda x: x + nn.range_over_dim(d, dtype="float32", sparse=False) * 0.1
    if which == 1:
        return lambda x: x * nn.cast(nn.length(d), "float32")
    return lambda x: x / nn.cast(nn.dim_value(d), "float32")


@op("cumsum", when=_has_non_batch)
def cumsum(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.non_batch(x))
    reverse = gen.ch.chance(50)
    return lambda x: nn.cumsum(x, axis=d, reverse=reverse)


@op("random_uniform", "random_normal", "random_bernoulli", "cast", when=_has_static)
def randoms(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick(gen.static_dims(x))
    which = gen.ch.int(0, 2)
    if which == 0:
        return lambda x: x + nn.random_uniform([B, d], minval=-0.1, maxval=0.1)
    if which == 1:
        return lambda x: x + nn.random_normal([d], stddev=0.01)
    return lambda x: x * nn.cast(nn.random_bernoulli([B, d], p=0.9), "float32")


@op("glu", when=lambda gen, x: any((d.dimension or 1) % 2 == 0 for d in gen.static_dims(x)))
def glu(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    d = gen.ch.pick([e for e in gen.static_dims(x) if e.dimension % 2 == 0])
    return lambda x: nn.glu(x, axis=d)


@op("dot_attention", "replace_dim", when=lambda gen, x: _has_time(gen, x) and _has_static(gen, x))
def dot_attention(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    time = gen.time_of(x)
    key = gen.ch.pick(gen.static_dims(x))

    def step(x: nn.Tensor) -> nn.Tensor:
        kv, kv_time = nn.replace_dim(x, in_dim=time)
        return nn.dot_attention(x, kv, kv, key_dim=key, axis=kv_time, att_dropout=0.0)

    return step


@op(
    "relative_positional_encoding",
    when=lambda gen, x: _has_time(gen, x) and _static_at_least(2)(gen, x),
)
def rel_pos(gen: Generator, block: Block, x: nn.Tensor) -> Step:
    time = gen.time_of(x)
    feat = gen.ch.pick([d for d in gen.static_dims(x) if d.dimension % 2 == 0] or [None])
    if feat is None:
        return nn.tanh

    def step(x: nn.Tensor) -> nn.Tensor:
        enc, rel = nn.relative_positional_encoding(time, feat)
        return x + nn.reduce_mean(enc, axis=rel)

    return step


# Names exercised by the dunder ops above (not rc-nn public names; kept out of coverage).
DUNDER_NAMES = ("Tensor.__scalar_ops__", "Tensor.__compare_ops__")
