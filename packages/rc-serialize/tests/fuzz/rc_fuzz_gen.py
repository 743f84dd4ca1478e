"""Random but valid rc-nn models for differential fuzzing of the whole pipeline.

Every random decision goes through a :class:`Chooser`, so a recorded list of
choices rebuilds the same model (determinism checks, rebuilds in a subprocess
with another ``PYTHONHASHSEED``). With hypothesis, :class:`HypothesisChooser`
draws each decision (so hypothesis can shrink it); :class:`ReplayChooser` replays
a recorded list.

A model is a tree of generated modules (:class:`Block`). A block decides its
program (a list of steps) on its first call, from the dims of its input, and
replays the same steps on later calls (calls with the same dims). Steps are ops
of the rc-nn catalogue that keep the tensor float32 and valid, child blocks
(plain attributes, ``ModuleList``, ``ModuleDict``, ``Sequential``), shared
submodules (one module under several attribute paths), aliased parameters
(``b.weight = a.weight``), plain helper functions, control flow (``Loop`` with
state/stack/last/end, ``Cond``, ``MaskedComputation``), outputs and losses marked
at any depth. :class:`Stats` counts what was generated; :func:`coverage_targets`
is the list of public rc-nn names that the generator must reach.

Generator restrictions (RETURNN behaviours, not rc bugs) are commented where
they are made.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st
from rc_fuzz_ops import OPS

import rc_nn as nn
from rc_nn._control import current_block

B = nn.batch_dim
MAX_DEPTH = 3
MAX_NDIM = 4  # non-batch dims of the running tensor, keeps the networks small

# Public rc-nn names that are not ops or constructs to generate.
NON_OPS = {
    "__version__",
    "AxisError",
    "ControlFlowError",
    "DimMismatchError",
    "NoOutputError",
    "NotATensorError",
    "RcNnError",
    "Data",
    "Dim",
    "FeatureDim",
    "SpatialDim",
    "Tensor",
    "Module",
    "Root",
    "current_root",
    "reset_default_root",
    "batch_dim",
    "init",
    "get_extern_data",
}


# Encoder/decoder models and the step-wise loop (LSTM single step, cum_concat_step) that
# Generator.seq_model builds on a sequence.
SEQ_MODELS = [
    "BlstmSingleLayer",
    "BlstmEncoder",
    "CrossAttention",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
    "LstmAttentionDecoder",
    "LstmAttentionEncoderDecoder",
    "StepLoop",
]


def coverage_targets() -> list[str]:
    """Public rc-nn names the generator must use (new ops show up as uncovered)."""
    return sorted(set(nn.__all__) - NON_OPS)


# ---------------------------------------------------------------------------
# choices


class Chooser:
    """Source of every random decision; records the integers it returned."""

    def __init__(self) -> None:
        self.choices: list[int] = []

    def _int(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def int(self, lo: int, hi: int) -> int:
        value = self._int(lo, hi)
        self.choices.append(value)
        return value

    def pick(self, options: Sequence[Any]) -> Any:
        options = list(options)
        return options[self.int(0, len(options) - 1)]

    def chance(self, percent: int) -> bool:
        """True with ``percent`` %; shrinks (towards 0) to False."""
        return self.int(0, 99) >= 100 - percent


class HypothesisChooser(Chooser):
    def __init__(self, data: Any) -> None:
        super().__init__()
        self._data = data
        self._st = st

    def _int(self, lo: int, hi: int) -> int:
        return int(self._data.draw(self._st.integers(lo, hi)))


class ReplayChooser(Chooser):
    def __init__(self, choices: Sequence[int]) -> None:
        super().__init__()
        self._todo = list(choices)

    def _int(self, lo: int, hi: int) -> int:
        if not self._todo:
            return lo
        return min(max(self._todo.pop(0), lo), hi)


# ---------------------------------------------------------------------------
# statistics


@dataclasses.dataclass
class Stats:
    """What the generator produced, summed over examples."""

    examples: int = 0
    ops: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    constructs: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    depths: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    sharing: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)

    def merge(self, other: Stats) -> None:
        self.examples += other.examples
        self.ops.update(other.ops)
        self.constructs.update(other.constructs)
        self.depths.update(other.depths)
        self.sharing.update(other.sharing)

    def uncovered(self) -> list[str]:
        return [name for name in coverage_targets() if not self.ops[name]]

    def report(self) -> str:
        def row(counter: collections.Counter[Any]) -> str:
            return ", ".join(
                f"{k}={v}" for k, v in sorted(counter.items(), key=lambda kv: str(kv[0]))
            )

        targets = coverage_targets()
        covered = len(targets) - len(self.uncovered())
        lines = [
            f"fuzz generator statistics over {self.examples} models",
            f"  rc-nn public ops covered: {covered}/{len(targets)}",
            f"  ops: {row(self.ops)}",
            f"  constructs: {row(self.constructs)}",
            f"  module depths (deepest block per model): {row(self.depths)}",
            f"  sharing: {row(self.sharing)}",
            f"  never generated: {', '.join(self.uncovered()) or '(none)'}",
        ]
        return "\n".join(lines)


#: Statistics of every model built in this process (printed by ``nox -s fuzz``).
GLOBAL_STATS = Stats()


# ---------------------------------------------------------------------------
# the model

Step = Callable[[nn.Tensor], nn.Tensor]


class Block(nn.Module):
    """A generated module: its program is chosen on the first call and replayed after."""

    def __init__(self, gen: Generator, depth: int) -> None:
        super().__init__()
        self._gen = gen
        self._depth = depth
        self._steps: list[Step] | None = None
        self._in_dims: frozenset[nn.Dim] | None = None

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        if self._steps is None:
            self._steps = []
            self._in_dims = frozenset(x.dims)
            return self._gen.first_call(self, x)
        assert frozenset(x.dims) == self._in_dims, (x, self._in_dims)
        for step in self._steps:
            x = step(x)
        return x


class Root(nn.Module):
    """The root module: one top-level block plus whatever the generator hangs on it."""

    def __init__(self, gen: Generator) -> None:
        super().__init__()
        self.body = Block(gen, 1)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.body(x)  # type: ignore[no-any-return]


def helper_gate(x: nn.Tensor) -> nn.Tensor:
    """A plain helper function (no module): a self-gate."""
    return x * nn.sigmoid(x)


def helper_residual(fn: Step, x: nn.Tensor) -> nn.Tensor:
    """A plain helper function calling a module: residual connection."""
    return x + fn(x)


@dataclasses.dataclass
class FuzzModel:
    root: Root
    has_loss: bool
    needs_search: bool
    trace: list[str]
    stats: Stats


# Names that collide with RETURNN's reserved layer names and our own prefixes.
ATTR_NAMES = ["sub", "output", "data", "end", "loop", "base", "prev", "layer", "cond", "masked"]
DICT_KEYS = ["enc", "dec", "output", "data", "end", "a_b", "x1", "prev"]


class Generator:
    """Builds one model from a chooser (under the caller's current naming root)."""

    def __init__(self, chooser: Chooser, *, record: bool = True) -> None:
        self.ch = chooser
        self.record = record
        self.stats = Stats(examples=1)
        self.trace: list[str] = []
        self._counter = 0
        self.blocks: list[Block] = []
        self.active: list[Block] = []
        self.linears: list[nn.Linear] = []
        self.scales: list[nn.Parameter] = []
        self.has_loss = False
        self.needs_search = False
        self.n_outputs = 0
        self.n_losses = 0
        self.max_depth = 1
        self.control_depth = 0

    # -- helpers -----------------------------------------------------------------------

    def uid(self) -> int:
        self._counter += 1
        return self._counter

    def used(self, *names: str) -> None:
        for name in names:
            self.stats.ops[name] += 1

    def construct(self, name: str) -> None:
        self.stats.constructs[name] += 1

    def feature(self, prefix: str, size: int) -> nn.Dim:
        return nn.FeatureDim(f"{prefix}{self.uid()}", size)

    def static_dims(self, x: nn.Tensor) -> list[nn.Dim]:
        return [d for d in x.dims if d is not B and d.dimension is not None]

    def dynamic_dims(self, x: nn.Tensor) -> list[nn.Dim]:
        return [d for d in x.dims if d is not B and d.dimension is None]

    def non_batch(self, x: nn.Tensor) -> list[nn.Dim]:
        return [d for d in x.dims if d is not B]

    def time_of(self, x: nn.Tensor) -> nn.Dim | None:
        return self.time if self.time is not None and self.time in x.dims else None

    def set_attr(self, owner: nn.Module, prefix: str, value: Any) -> str:
        """Assign under a fresh attribute name, sometimes a reserved-looking one."""
        base = self.ch.pick(ATTR_NAMES) if self.ch.chance(25) else prefix
        name = base
        while name in owner.__dict__ or hasattr(type(owner), name):
            name = f"{base}{self.uid()}"
        setattr(owner, name, value)
        return name

    def summarize(self, x: nn.Tensor) -> nn.Tensor:
        """Reduce over all dynamic dims (masked), so the values are finite and comparable."""
        dyn = self.dynamic_dims(x)
        return nn.reduce_mean(x, axis=dyn) if dyn else x

    # -- building --------------------------------------------------------------------------

    def build(self) -> FuzzModel:
        ch = self.ch
        self.time = nn.SpatialDim("time") if ch.chance(80) else None
        # A model with a choice/decide decoder is search-only: RETURNN constructs the decoder
        # loop only with the search flag, and under the search flag it does not construct the
        # inputs of losses (DataNotAvailableLayer). So such a model carries no losses (marks
        # outputs instead) and is checked with search=True, without a training step
        # (test_regressions.py::test_choice_decide_decoder_is_checked_with_search).
        self.search_model = self.time is not None and ch.chance(20)
        sizes = [ch.int(1, 4) for _ in range(ch.int(1, 2))]
        statics = [nn.FeatureDim(f"s{i}", n) for i, n in enumerate(sizes)]
        dims: list[nn.Dim] = list(statics)
        if self.time is not None:
            dims.append(self.time)
        order = [dims.pop(ch.int(0, len(dims) - 1)) for _ in range(len(dims))]
        self.classes = nn.FeatureDim("classes", ch.int(2, 4))
        x = nn.get_extern_data(nn.Data("data", dim_tags=[B, *order]))
        other_dims = [d for d in order if ch.chance(50)]
        self.other = nn.get_extern_data(nn.Data("other", dim_tags=[B, *other_dims]))
        self.trace.append(f"data {order}, other {other_dims}")
        root = Root(self)
        self.root = root
        self.blocks.append(root.body)
        y = root(x)
        head = self.summarize(y)
        if head.dtype != "float32":
            head = nn.cast(head, "float32")
        head.mark_as_default_output()
        if ch.chance(60) or not (self.has_loss or self.search_model):
            self.mark_loss(y)
        self.stats.depths[self.max_depth] += 1
        if self.record:
            GLOBAL_STATS.merge(self.stats)
        return FuzzModel(root, self.has_loss, self.needs_search, self.trace, self.stats)

    def first_call(self, block: Block, x: nn.Tensor) -> nn.Tensor:
        self.active.append(block)
        self.max_depth = max(self.max_depth, block._depth)
        try:
            assert block._steps is not None
            for _ in range(self.ch.int(1, 4)):
                step = self.make_step(block, x)
                x = step(x)
                block._steps.append(step)
            return x
        finally:
            self.active.pop()

    def make_step(self, block: Block, x: nn.Tensor) -> Step:
        kinds = ["op"] * 6
        if block._depth < MAX_DEPTH:
            kinds += ["child", "container", "shared_block"]
        kinds += ["helper", "control", "mark", "params", "layer"]
        kind = self.ch.pick(kinds)
        self.trace.append(f"{'  ' * block._depth}{kind} on {list(x.dims)}")
        if kind == "child":
            return self.step_child(block, x)
        if kind == "container":
            return self.step_container(block, x)
        if kind == "shared_block":
            return self.step_shared_block(block, x)
        if kind == "helper":
            return self.step_helper(block, x)
        if kind == "control":
            return self.step_control(block, x)
        if kind == "mark":
            return self.step_mark(block, x)
        if kind == "params":
            return self.step_params(block, x)
        if kind == "layer":
            return self.step_layer(block, x)
        return self.step_op(block, x)

    # -- module tree -------------------------------------------------------------------------

    def new_block(self, parent: Block) -> Block:
        child = Block(self, parent._depth + 1)
        self.blocks.append(child)
        return child

    def step_child(self, block: Block, x: nn.Tensor) -> Step:
        child = self.new_block(block)
        name = self.set_attr(block, "sub", child)
        self.construct("child")
        self.used("Module")
        twice = self.ch.chance(30)
        self.trace.append(f"  child {name} twice={twice}")

        def step(x: nn.Tensor) -> nn.Tensor:
            y = child(x)
            if twice:
                z = child(nn.tanh(x))
                if frozenset(z.dims) == frozenset(y.dims) and z.dtype == y.dtype:
                    self.stats.sharing["module called twice"] += 1
                    return y + z
            return y  # type: ignore[no-any-return]

        return step

    def step_container(self, block: Block, x: nn.Tensor) -> Step:
        kind = self.ch.pick(["ModuleList", "ModuleDict", "Sequential"])
        n = self.ch.int(1, 3)
        children = [self.new_block(block) for _ in range(n)]
        self.construct(kind)
        self.used(kind)
        if kind == "ModuleList":
            container: nn.Module = nn.ModuleList(children)
            self.set_attr(block, "layers", container)

            def step(x: nn.Tensor) -> nn.Tensor:
                for child in container:  # type: ignore[attr-defined]
                    x = child(x)
                return x

            return step
        if kind == "Sequential":
            seq = nn.Sequential(*children)
            self.set_attr(block, "seq", seq)
            return seq  # type: ignore[no-any-return]
        keys: list[str] = []
        for _ in range(n):
            key = self.ch.pick(DICT_KEYS)
            keys.append(key if key not in keys else f"{key}{self.uid()}")
        mdict = nn.ModuleDict(dict(zip(keys, children, strict=True)))
        self.set_attr(block, "blocks", mdict)

        def dict_step(x: nn.Tensor) -> nn.Tensor:
            for key in keys:
                x = mdict[key](x)
            return x

        return dict_step

    def step_shared_block(self, block: Block, x: nn.Tensor) -> Step:
        # An existing block with the same input dims that is not running now (no recursion).
        candidates = [
            b
            for b in self.blocks
            if b._in_dims == frozenset(x.dims) and b not in self.active and b._steps is not None
        ]
        if not candidates:
            return self.step_child(block, x)
        shared = self.ch.pick(candidates)
        self.set_attr(block, "shared", shared)
        self.stats.sharing["shared submodule"] += 1
        self.construct("shared submodule")
        if self.ch.chance(20):
            # a cycle in the module graph: the shared block refers back to this block
            self.set_attr(shared, "back", block)
            self.stats.sharing["module graph cycle"] += 1
        return shared  # type: ignore[no-any-return]

    def step_helper(self, block: Block, x: nn.Tensor) -> Step:
        self.construct("helper function")
        if self.ch.chance(50) or x.dtype != "float32":
            return helper_gate
        inner = self.step_op(block, x)
        probe = inner(x)
        if frozenset(probe.dims) != frozenset(x.dims):
            return inner
        return lambda x: helper_residual(inner, x)

    # -- marks -----------------------------------------------------------------------------

    def step_mark(self, block: Block, x: nn.Tensor) -> Step:
        done: list[bool] = []
        loss = self.ch.chance(50)

        def step(x: nn.Tensor) -> nn.Tensor:
            # rc-nn rejects marks inside loops/conditions (mark loop.stack(x) / cond.result instead)
            if not done and not self.control_depth:
                done.append(True)
                if loss:
                    self.mark_loss(x)
                else:
                    self.n_outputs += 1
                    self.summarize(x).mark_as_output(f"out{self.n_outputs}")
                    self.used("Tensor.mark_as_output")
            return x

        return step

    def mark_loss(self, x: nn.Tensor) -> None:
        ch = self.ch
        if self.search_model:  # no losses in a search-only model (see build)
            self.n_outputs += 1
            out = self.summarize(x)
            (out if out.dtype == "float32" else nn.cast(out, "float32")).mark_as_output(
                f"out{self.n_outputs}"
            )
            return
        kind = ch.pick(["l2", "ce", "bce", "kl", "mse", "ctc", "error"])
        self.n_losses += 1
        name = f"loss{self.n_losses}" if not ch.chance(20) else ch.pick(["output", "data", "end"])
        time = self.time_of(x)
        static = self.static_dims(x)
        feat = static[0] if static else None
        self.construct(f"loss {kind}")
        if kind in ("ce", "kl", "ctc") and feat is not None:
            # logits [B, (time), classes] from the running tensor
            others = [d for d in self.non_batch(x) if d is not feat and d is not time]
            h = nn.reduce_mean(x, axis=others) if others else x
            lin = nn.Linear(feat, self.classes if kind != "ctc" else self.feature("ctcvocab", 3))
            self.set_attr(self.root, "head", lin)
            logits = lin(h)
            self.used("Linear")
            if kind == "ce":
                dims = [B, time] if time is not None else [B]
                target = nn.get_extern_data(
                    nn.Data(f"classes{self.uid()}", dim_tags=dims, sparse_dim=self.classes)
                )
                est = ch.pick(["logits", "log-probs", "probs"])
                if est == "log-probs":
                    logits = nn.log_softmax(logits, axis=self.classes)
                    self.used("log_softmax")
                elif est == "probs":
                    logits = nn.softmax(logits, axis=self.classes)
                    self.used("softmax")
                loss = nn.cross_entropy(estimated=logits, target=target, estimated_type=est)
                self.used("cross_entropy")
            elif kind == "kl":
                loss = nn.kl_div(
                    target=nn.softmax(logits * 0.5, axis=self.classes),
                    target_type="probs",
                    pred=logits,
                    pred_type="logits",
                    axis=self.classes,
                )
                self.used("kl_div", "softmax")
            elif time is not None:
                vocab = lin.out_dim
                labels = nn.get_extern_data(
                    nn.Data(
                        f"labels{self.uid()}",
                        dim_tags=[B, nn.SpatialDim("labels")],
                        sparse_dim=self.feature("lab", vocab.dimension - 1),
                    )
                )
                loss = nn.ctc_loss(logits=logits, targets=labels, blank_index=vocab.dimension - 1)
                self.used("ctc_loss")
            else:
                loss = nn.reduce_sum(logits * logits, axis=lin.out_dim)
                self.used("reduce_sum")
        elif kind == "bce" and x.dtype == "float32":
            loss = nn.binary_cross_entropy(pred=x, target=nn.sigmoid(x * 0.5))
            self.used("binary_cross_entropy", "sigmoid")
        elif kind == "mse" and feat is not None:
            loss = nn.mean_squared_difference(x, nn.tanh(x), axis=feat)
            self.used("mean_squared_difference", "tanh")
        else:
            loss = nn.square(x)
            self.used("square")
        rest = self.non_batch(loss)
        if rest:
            loss = nn.reduce_sum(loss, axis=rest)
            self.used("reduce_sum")
        scale = ch.pick([1.0, 0.5, 2.0])
        as_error = kind == "error"
        loss.mark_as_loss(name, scale=scale, as_error=as_error)
        self.used("Tensor.mark_as_loss")
        if not as_error:
            self.has_loss = True
        self.trace.append(f"  loss {kind} {name!r} as_error={as_error}")

    # -- parameters ------------------------------------------------------------------------

    def step_params(self, block: Block, x: nn.Tensor) -> Step:
        static = self.static_dims(x)
        if not static or x.dtype != "float32":
            return self.step_op(block, x)
        d = self.ch.pick(static)
        kind = self.ch.pick(["Parameter", "ParameterList", "alias"])
        if kind == "alias":
            same = [p for p in self.scales if p.dims == (d,)]
            if same:
                param = self.ch.pick(same)
                self.set_attr(block, "scale", param)
                self.stats.sharing["aliased parameter"] += 1
                self.used("Parameter")
                return lambda x: x * param
            kind = "Parameter"
        self.used(kind, "Parameter")
        self.construct(kind)
        if kind == "Parameter":
            param = nn.Parameter([d])
            self.set_attr(block, "scale", param)
            self.scales.append(param)
            return lambda x: x * param
        plist = nn.ParameterList([nn.Parameter([d]), nn.Parameter([d])])
        self.set_attr(block, "plist", plist)
        self.scales.extend(plist)
        return lambda x: x * plist[0] + plist[1]

    def linear(self, block: nn.Module, in_dim: nn.Dim, out_dim: nn.Dim) -> nn.Linear:
        """A Linear, sometimes an existing one (shared), sometimes with an aliased weight."""
        same = [m for m in self.linears if m.in_dim is in_dim and m.out_dim is out_dim]
        if same and self.ch.chance(30):
            lin = self.ch.pick(same)
            self.set_attr(block, "lin", lin)
            self.stats.sharing["shared Linear"] += 1
            return lin  # type: ignore[no-any-return]
        lin = nn.Linear(in_dim, out_dim, with_bias=self.ch.chance(80))
        self.set_attr(block, "lin", lin)
        if same and self.ch.chance(50):
            lin.weight = self.ch.pick(same).weight
            self.stats.sharing["aliased weight"] += 1
        self.linears.append(lin)
        self.used("Linear")
        return lin

    # -- control flow ----------------------------------------------------------------------

    def step_control(self, block: Block, x: nn.Tensor) -> Step:
        options = ["cond"]
        # Not a generating loop inside a loop or cond when its frames keep a dynamic dim: the
        # enclosing block cannot read its stacked value, rc-serialize refuses it with a
        # ControlFlowError (test_regressions.py::test_nested_loop_passes_out_one_stacked_value).
        nested_dynamic = current_block(nn.current_root()) is not None and any(
            d is not B and d.dimension is None for d in x.dims
        )
        if x.dtype == "float32" and not nested_dynamic:
            options.append("gen_loop")
            if self.time_of(x) is not None and self.control_depth == 0:
                options += ["scan_loop", "scan_loop"]
            if self.control_depth == 0 and not self.needs_search and self.search_model:
                options.append("search")
        kind = self.ch.pick(options)
        self.construct(kind)
        if kind == "scan_loop":
            return self.scan_loop(block, x)
        if kind == "gen_loop":
            return self.gen_loop(block, x)
        if kind == "search":
            return self.search_loop(block, x)
        return self.cond(block, x)

    def inner_fn(self, block: nn.Module, x: nn.Tensor) -> Step:
        """A dims-preserving float function for loop bodies and branches."""
        static = self.static_dims(x)
        kind = self.ch.pick(["tanh", "linear", "scale", "block"] if static else ["tanh", "scale"])
        if kind == "linear":
            d = self.ch.pick(static)
            lin = self.linear(block, d, d)
            return lambda x: nn.tanh(lin(x))
        if kind == "block" and isinstance(block, Block) and block._depth < MAX_DEPTH:
            child = self.new_block(block)
            self.set_attr(block, "inner", child)

            # the child must keep the dims: wrap it to fall back to the input
            def run(x: nn.Tensor) -> nn.Tensor:
                y = child(x)
                if frozenset(y.dims) == frozenset(x.dims) and y.dtype == "float32":
                    return nn.tanh(y)
                return nn.tanh(x)  # the child's result is unused (dropped by the serializer)

            return run
        if kind == "scale":
            return lambda x: x * 0.5
        self.used("tanh")
        return nn.tanh

    def scan_loop(self, block: Block, x: nn.Tensor) -> Step:
        ch = self.ch
        time = self.time_of(x)
        assert time is not None
        frame_dims = [d for d in x.dims if d is not time]
        # A state set in a masked computation must not have a dynamic dim besides the batch:
        # RETURNN's unmask drops it, rc-nn refuses it with a ControlFlowError
        # (test_regressions.py::test_masked_computation_state_with_a_dynamic_dim).
        masked = ch.chance(40) and all(d is B or d.dimension is not None for d in frame_dims)
        with_cond = ch.chance(30)
        lstm_state = ch.chance(25)
        result = ch.pick(["stack", "last", "state"])
        self.used("Loop", "zeros")
        if masked:
            self.used("MaskedComputation")
        if with_cond:
            self.used("Cond")
        if lstm_state:
            self.used("LstmState")
        fns: list[Step] = []

        def step(x: nn.Tensor) -> nn.Tensor:
            loop = nn.Loop(axis=time)
            zeros = nn.zeros(frame_dims)
            if lstm_state:
                loop.state.s = nn.LstmState(h=zeros, c=zeros)
            else:
                loop.state.s = zeros
            self.control_depth += 1
            try:
                with loop:
                    x_t = loop.unstack(x)

                    def update() -> None:
                        prev = loop.state.s.h if lstm_state else loop.state.s
                        if not fns:
                            fns.append(self.inner_fn(block, prev + x_t))
                        new = fns[0](prev + x_t)
                        if with_cond:
                            with nn.Cond(loop.iteration < 2) as cond:
                                cond.true = new
                                cond.false = prev
                            new = cond.result
                        loop.state.s = nn.LstmState(h=new, c=prev + new) if lstm_state else new

                    if masked:
                        frame = [d for d in x_t.dims if d is not B]
                        mask = (nn.reduce_sum(x_t, axis=frame) if frame else x_t) > 0.0
                        with nn.MaskedComputation(mask=mask):
                            update()
                    else:
                        update()
                    out = loop.state.s.h if lstm_state else loop.state.s
                    if result == "stack":
                        y = loop.stack(out)
                    elif result == "last":
                        y = loop.last(out)
            finally:
                self.control_depth -= 1
            if result == "state":
                y = loop.state.s.h if lstm_state else loop.state.s
            return y

        return step

    def gen_loop(self, block: Block, x: nn.Tensor) -> Step:
        ch = self.ch
        max_len = ch.int(1, 4)
        include_eos = ch.chance(50)
        # Without the end frame, stop=0 gives zero frames for every sequence, which RETURNN
        # cannot stack (a clear error: test_regressions.py::
        # test_loop_end_before_first_frame_for_all_sequences_is_a_clear_error).
        stop = ch.int(0 if include_eos else 1, 3)
        self.used("Loop")
        fns: list[Step] = []

        def step(x: nn.Tensor) -> nn.Tensor:
            if current_block(nn.current_root()) is not None and any(
                d is not B and d.dimension is None for d in x.dims
            ):
                # The step_control exclusion, checked again where the step runs: a step made
                # outside any block may be called inside one (a module or helper called twice).
                return nn.tanh(x)
            loop = nn.Loop(max_seq_len=max_len)
            loop.state.h = x
            self.control_depth += 1
            try:
                with loop:
                    if not fns:
                        fns.append(self.inner_fn(block, x))
                    loop.state.h = fns[0](loop.state.h)
                    loop.end(loop.iteration >= stop, include_eos=include_eos)
                    ys = loop.stack(loop.state.h)
            finally:
                self.control_depth -= 1
            return nn.reduce_mean(ys, axis=loop.axis)

        return step

    def cond(self, block: Block, x: nn.Tensor) -> Step:
        ch = self.ch
        nested = ch.chance(40)
        fns: list[Step] = []
        self.used("Cond")

        def step(x: nn.Tensor) -> nn.Tensor:
            # Inside a loop a cond passes out one tensor only (a ControlFlowError otherwise:
            # test_regressions.py::test_cond_with_two_results_inside_a_loop_is_refused).
            block_now = current_block(nn.current_root())
            two_results = nested and (block_now is None or block_now.depth_in_loops() == 0)
            xf = x if x.dtype == "float32" else nn.cast(x, "float32")
            total = nn.reduce_sum(xf, axis=list(xf.dims))
            if not fns:
                fns.append(self.inner_fn(block, xf))
                fns.append(self.inner_fn(block, xf))
            self.control_depth += 1
            try:
                with nn.Cond(total > 0.0) as cond:
                    a = fns[0](xf)
                    cond.true = {"y": a, "z": a * 2.0} if two_results else a
                    b = fns[1](xf)
                    cond.false = {"y": b, "z": -b} if two_results else b
            finally:
                self.control_depth -= 1
            if two_results:
                return cond.result["y"] + cond.result["z"]  # type: ignore[no-any-return]
            return cond.result  # type: ignore[no-any-return]

        return step

    def search_loop(self, block: Block, x: nn.Tensor) -> Step:
        """A label decoder with nn.choice (target without search) and nn.decide."""
        self.needs_search = True
        self.used("choice", "decide", "Embedding", "make_layer", "Loop")
        classes = self.classes
        targets = nn.get_extern_data(
            nn.Data(
                "targets",
                dim_tags=[B, nn.SpatialDim("out-time")],
                sparse_dim=classes,
                available_for_inference=False,
            )
        )
        model_dim = self.feature("model", 3)
        emb = nn.Embedding(classes, model_dim)
        self.set_attr(block, "emb", emb)
        out = nn.Linear(model_dim, classes)
        self.set_attr(block, "out", out)
        xf = x

        def step(x: nn.Tensor) -> nn.Tensor:
            if self.control_depth:
                return x  # replayed inside a loop/cond (shared block): the decoder runs at top level only
            loop = nn.Loop(max_seq_len=4)
            loop.state.label = nn.make_layer(
                {
                    "class": "constant",
                    "value": 0,
                    "shape": [B],
                    "dtype": "int32",
                    "sparse_dim": classes,
                },
                name="bos",
                out=nn.Data("bos", dim_tags=[B], sparse_dim=classes),
            )
            with loop:
                logits = out(nn.tanh(emb(loop.state.label)))
                label = nn.choice(logits, target=targets, beam_size=2, input_type="logits")
                loop.state.label = label
                loop.end(label == 0, include_eos=True)
                labels = loop.stack(label)
            decided = nn.decide(labels)
            decided.mark_as_output(f"decided{self.uid()}")
            return x

        del xf
        return step

    # -- layers (modules of the catalogue) ---------------------------------------------------

    def step_layer(self, block: Block, x: nn.Tensor) -> Step:
        static = [d for d in self.static_dims(x) if d.dimension is not None]
        time = self.time_of(x)
        if x.dtype != "float32" or not static:
            return self.step_op(block, x)
        ch = self.ch
        feat = ch.pick(static)
        extra = [d for d in self.non_batch(x) if d is not feat and d is not time]
        options = ["Linear", "LayerNorm", "BatchNorm", "Embedding"]
        if time is not None:
            # sequence layers (on [B, time, small]: other dims are averaged out first)
            options += [
                "Conv1d",
                "TransposedConv1d",
                "LSTM",
                "SelfAttention",
                "CausalSelfAttention",
                "GenericSelfAttention",
                "RelPosSelfAttention",
                "TransformerEncoderLayer",
                "TransformerEncoder",
                "ConformerPositionwiseFeedForward",
                "ConformerConvBlock",
                "ConformerEncoderLayer",
                "ConformerEncoder",
                "ConformerConvSubsample",
                "Conv2d",
                "TransposedConv2d",
                "Conv3d",
                "pool",
                *SEQ_MODELS,
            ]
        kind = ch.pick(options)
        self.construct(f"layer {kind}")
        self.used(kind)
        if kind in SEQ_MODELS:
            assert time is not None
            return self.seq_model(block, x, kind, feat, extra, time)
        if kind == "Linear":
            out_dim = feat if ch.chance(40) else self.feature("lin", ch.int(1, 4))
            return self.linear(block, feat, out_dim)
        if kind == "LayerNorm":
            norm: nn.Module = nn.LayerNorm(feat)
            self.set_attr(block, "norm", norm)
            return norm  # type: ignore[no-any-return]
        if kind == "BatchNorm":
            # any static dim of any tensor (with or without a time axis, in_dim anywhere);
            # the options decide RETURNN's code path (fused kernel or not, masked or not)
            bn = nn.BatchNorm(feat, affine=ch.chance(70), use_mask=ch.chance(80))
            self.set_attr(block, "bn", bn)
            return bn  # type: ignore[no-any-return]
        if kind == "Embedding":
            emb = nn.Embedding(feat, self.feature("emb", ch.int(1, 3)))
            self.set_attr(block, "emb", emb)
            self.used("range_over_dim")

            def emb_step(x: nn.Tensor) -> nn.Tensor:
                table = emb(nn.range_over_dim(feat))  # [feat, emb]
                return nn.dot(x, table, reduce=feat)

            self.used("dot")
            return emb_step
        assert time is not None
        small = nn.FeatureDim(f"m{self.uid()}", 4)
        # sequence layers need a model dim: project feat -> small first
        lin_proj = self.linear(block, feat, small)

        def proj(x: nn.Tensor) -> nn.Tensor:
            return lin_proj(nn.reduce_mean(x, axis=extra) if extra else x)  # type: ignore[no-any-return]

        mod: nn.Module
        if kind in ("Conv1d", "TransposedConv1d"):
            k = ch.int(1, 3)
            out_dim = self.feature("conv", ch.int(1, 3))
            if kind == "Conv1d":
                mod = nn.Conv1d(small, out_dim, k, padding="same")
            else:
                mod = nn.TransposedConv1d(small, out_dim, k, padding="same", strides=1)
            self.set_attr(block, "conv", mod)

            def conv_step(x: nn.Tensor) -> nn.Tensor:
                y, _ = mod(proj(x), in_spatial_dim=time)
                return y  # type: ignore[no-any-return]

            return conv_step
        if kind in ("Conv2d", "TransposedConv2d", "Conv3d", "pool"):
            # channels = a size-1 dim; spatial dims = time and `small` (and a size-2 dim for 3d)
            chan = nn.FeatureDim(f"chan{self.uid()}", 1)
            depth = nn.FeatureDim(f"depth{self.uid()}", 2)
            out_dim = self.feature("conv", ch.int(1, 2))
            if kind == "Conv2d":
                mod = nn.Conv2d(chan, out_dim, (ch.int(1, 3), ch.int(1, 3)), padding="same")
            elif kind == "TransposedConv2d":
                mod = nn.TransposedConv2d(
                    chan, out_dim, (1, ch.int(1, 2)), padding="same", strides=1
                )
            elif kind == "Conv3d":
                mod = nn.Conv3d(chan, out_dim, (1, 2, 1), padding="same")
            pool_kind = ch.pick(["pool", "pool1d", "pool2d"])
            if kind == "pool":
                self.used(pool_kind)
            else:
                self.set_attr(block, "conv", mod)

            def conv2_step(x: nn.Tensor) -> nn.Tensor:
                h = nn.expand_dim(proj(x), dim=chan)
                if kind == "pool":
                    h = proj(x)  # [B, time, small]: small is the channel dim
                    if pool_kind == "pool1d":
                        y, t2 = nn.pool1d(
                            h, mode="max", pool_size=2, padding="same", in_spatial_dim=time
                        )
                        return nn.reduce_mean(y, axis=t2)
                    h = nn.expand_dim(h, dim=depth)
                    if pool_kind == "pool2d":
                        y, dims2 = nn.pool2d(
                            h,
                            mode="avg",
                            pool_size=(1, 2),
                            padding="same",
                            in_spatial_dims=[time, depth],
                        )
                    else:
                        y, dims2 = nn.pool(
                            h,
                            mode="max",
                            pool_size=[2, 1],
                            padding="same",
                            in_spatial_dims=[time, depth],
                        )
                    return nn.reduce_mean(y, axis=list(dims2))
                if kind == "Conv3d":
                    h = nn.expand_dim(h, dim=depth)
                    y, dims3 = mod(h, in_spatial_dims=[time, small, depth])
                    return nn.reduce_mean(y, axis=[d for d in dims3 if d.dimension is not None])
                y, dims2 = mod(h, in_spatial_dims=[time, small])
                return nn.reduce_mean(y, axis=[d for d in dims2 if d.dimension is not None])

            self.used("expand_dim", "squeeze")
            return conv2_step
        if kind == "LSTM":
            lstm = nn.LSTM(small, self.feature("lstm", ch.int(1, 3)))
            self.set_attr(block, "lstm", lstm)

            def lstm_step(x: nn.Tensor) -> nn.Tensor:
                y, state = lstm(proj(x), spatial_dim=time)
                return y + state.c  # type: ignore[no-any-return]

            return lstm_step
        if kind in (
            "SelfAttention",
            "CausalSelfAttention",
            "GenericSelfAttention",
            "RelPosSelfAttention",
        ):
            heads = ch.int(1, 2)
            cls = getattr(nn, kind)
            att = cls(
                small,
                self.feature("attproj", 3) if ch.chance(50) else None,
                key_dim_total=nn.FeatureDim(f"key{self.uid()}", 2 * heads),
                value_dim_total=nn.FeatureDim(f"value{self.uid()}", 2 * heads),
                num_heads=heads,
                att_dropout=0.0,
            )
            self.set_attr(block, "att", att)
            return lambda x: att(proj(x), axis=time)  # type: ignore[no-any-return]
        if kind in ("TransformerEncoderLayer", "TransformerEncoder"):
            if kind == "TransformerEncoderLayer":
                mod = nn.TransformerEncoderLayer(
                    small, ff_dim=self.feature("ff", 3), num_heads=2, dropout=0.0, att_dropout=0.0
                )
            else:
                mod = nn.TransformerEncoder(
                    num_layers=ch.int(1, 2),
                    model_dim=small,
                    ff_dim=self.feature("ff", 3),
                    num_heads=2,
                    dropout=0.0,
                    att_dropout=0.0,
                )
            self.set_attr(block, "trafo", mod)
            return lambda x: mod(proj(x), spatial_dim=time)  # type: ignore[no-any-return]
        if kind == "ConformerPositionwiseFeedForward":
            mod = nn.ConformerPositionwiseFeedForward(
                small, ff_dim=self.feature("ff", 3), dropout=0.0
            )
            self.set_attr(block, "ff", mod)
            return lambda x: mod(proj(x))  # type: ignore[no-any-return]
        if kind == "ConformerConvBlock":
            mod = nn.ConformerConvBlock(small, kernel_size=ch.int(1, 3))
            self.set_attr(block, "convblock", mod)
            return lambda x: mod(proj(x), spatial_dim=time)  # type: ignore[no-any-return]
        if kind == "ConformerEncoderLayer":
            mod = nn.ConformerEncoderLayer(
                small,
                ff_dim=self.feature("ff", 3),
                dropout=0.0,
                conv_kernel_size=ch.int(1, 3),
                num_heads=2,
                att_dropout=0.0,
            )
            self.set_attr(block, "conformer", mod)
            return lambda x: mod(proj(x), spatial_dim=time)  # type: ignore[no-any-return]
        if kind == "ConformerConvSubsample":
            mod = nn.ConformerConvSubsample(
                small,
                out_dims=[self.feature("sub", 2)],
                filter_sizes=[(ch.int(1, 3), ch.int(1, 3))],
            )
            self.set_attr(block, "subsample", mod)

            def sub_step(x: nn.Tensor) -> nn.Tensor:
                y, t2 = mod(proj(x), in_spatial_dim=time)
                return nn.reduce_mean(y, axis=t2) if t2 is not time else y

            return sub_step
        assert kind == "ConformerEncoder"
        mod = nn.ConformerEncoder(
            small,
            self.feature("enc", 4),
            num_layers=1,
            input_layer=None,
            input_dropout=0.0,
            ff_dim=self.feature("ff", 3),
            dropout=0.0,
            conv_kernel_size=ch.int(1, 3),
            num_heads=2,
            att_dropout=0.0,
        )
        self.set_attr(block, "encoder", mod)

        def enc_step(x: nn.Tensor) -> nn.Tensor:
            y, t2 = mod(proj(x), in_spatial_dim=time)
            return nn.reduce_mean(y, axis=t2) if t2 is not time else y

        return enc_step

    # -- encoder/decoder models and step-wise loops (tiny dims, one layer) ------------------

    def seq_model(
        self, block: Block, x: nn.Tensor, kind: str, feat: nn.Dim, extra: list[nn.Dim], time: nn.Dim
    ) -> Step:
        """BLSTM encoders, cross attention, Transformer/LSTM attention decoders, step-wise loops.

        The encoder input is the running tensor projected to ``[B, time, small]``. Decoders run
        with teacher forcing on labels of an extern data key with their own time dim; their
        logits are summarized to ``[B]`` and scale the running tensor (its dims are kept).
        """
        ch = self.ch
        small = nn.FeatureDim(f"m{self.uid()}", 4)
        lin_proj = self.linear(block, feat, small)

        def proj(x: nn.Tensor) -> nn.Tensor:
            return lin_proj(nn.reduce_mean(x, axis=extra) if extra else x)  # type: ignore[no-any-return]

        if kind == "BlstmSingleLayer":
            blstm = nn.BlstmSingleLayer(small, self.feature("blstm", ch.int(1, 2)))
            self.set_attr(block, "blstm", blstm)
            return lambda x: blstm(proj(x), spatial_dim=time)  # type: ignore[no-any-return]
        if kind == "BlstmEncoder":
            layers = ch.int(1, 2)
            enc = nn.BlstmEncoder(
                small,
                self.feature("blstm", ch.int(1, 2)),
                num_layers=layers,
                # pooling is between layers: a reduction needs two layers
                time_reduction=ch.int(1, 2) if layers == 2 else 1,
                dropout=0.0,
            )
            self.used("BlstmSingleLayer")
            self.set_attr(block, "encoder", enc)

            def blstm_step(x: nn.Tensor) -> nn.Tensor:
                y, t2 = enc(proj(x), spatial_dim=time)
                return nn.reduce_mean(y, axis=t2) if t2 is not time else y  # type: ignore[no-any-return]

            return blstm_step
        if kind == "StepLoop":
            return self.step_loop(block, x, small, proj, time)
        # decoders: labels with their own time dim (a fresh data key per model)
        classes = self.classes
        labels = nn.get_extern_data(
            nn.Data(
                f"dec_labels{self.uid()}",
                dim_tags=[B, nn.SpatialDim("dec-time")],
                sparse_dim=classes,
            )
        )
        dec_time = labels.dims[1]
        mod: nn.Module
        if kind == "CrossAttention":
            self.used("CrossAttentionEncoded", "Embedding")
            heads = ch.int(1, 2)
            emb = nn.Embedding(classes, small)
            self.set_attr(block, "emb", emb)
            mod = nn.CrossAttention(
                small,
                small,
                self.feature("attproj", 3) if ch.chance(50) else None,
                key_dim_total=nn.FeatureDim(f"key{self.uid()}", 2 * heads),
                value_dim_total=nn.FeatureDim(f"value{self.uid()}", 2 * heads),
                num_heads=heads,
                with_bias=ch.chance(70),
                att_dropout=0.0,
            )

            def run(enc: nn.Tensor) -> nn.Tensor:
                encoded = mod.transform_encoder(enc, axis=time)  # type: ignore[attr-defined]
                return mod(emb(labels), encoded)  # type: ignore[no-any-return]

        elif kind == "TransformerDecoderLayer":
            self.used("CrossAttention", "CrossAttentionEncoded", "CausalSelfAttention", "Embedding")
            emb = nn.Embedding(classes, small)
            self.set_attr(block, "emb", emb)
            mod = nn.TransformerDecoderLayer(
                small,
                small,
                ff_dim=self.feature("ff", 3),
                dropout=0.0,
                num_heads=ch.pick([1, 2]),
                att_dropout=0.0,
                norm_first=ch.chance(70),
            )

            def run(enc: nn.Tensor) -> nn.Tensor:
                encoded = mod.transform_encoder(enc, axis=time)  # type: ignore[attr-defined]
                return mod(emb(labels), spatial_dim=dec_time, encoder=encoded)  # type: ignore[no-any-return]

        elif kind == "TransformerDecoder":
            self.used("TransformerDecoderLayer", "CrossAttention", "CrossAttentionEncoded")
            mod = nn.TransformerDecoder(
                small,
                classes,
                nn.FeatureDim(f"d{self.uid()}", 4),
                num_layers=ch.int(1, 2),
                ff_dim=self.feature("ff", 3),
                dropout=0.0,
                num_heads=ch.pick([1, 2]),
                att_dropout=0.0,
            )

            def run(enc: nn.Tensor) -> nn.Tensor:
                encoded = mod.transform_encoder(enc, axis=time)  # type: ignore[attr-defined]
                return mod(labels, spatial_dim=dec_time, encoder=encoded)  # type: ignore[no-any-return]

        elif kind == "Transformer":
            self.used("TransformerEncoder", "TransformerDecoder", "CrossAttentionEncoded")
            mod = nn.Transformer(
                nn.FeatureDim(f"d{self.uid()}", 4),
                target_dim=classes,
                in_dim=small,
                num_heads=ch.pick([1, 2]),
                num_encoder_layers=1,
                num_decoder_layers=1,
                ff_dim=self.feature("ff", 3),
                dropout=0.0,
                att_dropout=0.0,
                norm_first=ch.chance(70),
            )

            def run(enc: nn.Tensor) -> nn.Tensor:
                return mod(  # type: ignore[no-any-return]
                    enc, source_spatial_dim=time, target=labels, target_spatial_dim=dec_time
                )

        elif kind == "LstmAttentionDecoder":
            # the decoder step by step over the labels (teacher forcing, LSTM single-step inside)
            self.used(
                "LstmAttentionDecoderState", "LstmAttentionEncoded", "Loop", "single_step_dim"
            )
            mod = nn.LstmAttentionDecoder(
                small,
                classes,
                embed_dim=self.feature("emb", 2),
                lstm_dim=self.feature("s", 2),
                att_key_dim=self.feature("key", 2),
                readout_dim=self.feature("readout", 2),
                att_num_heads=ch.int(1, 2),
            )

            def run(enc: nn.Tensor) -> nn.Tensor:
                encoded = mod.transform_encoder(enc, spatial_dim=time)  # type: ignore[attr-defined]
                loop = nn.Loop(axis=dec_time)
                loop.state.dec = mod.default_initial_state()  # type: ignore[attr-defined]
                with loop:
                    prev = loop.unstack(labels)
                    logits, loop.state.dec = mod(prev, encoder=encoded, state=loop.state.dec)
                    stacked = loop.stack(logits)
                return stacked  # noqa: RET504  (used after the loop is closed)

        else:
            assert kind == "LstmAttentionEncoderDecoder"
            self.used(
                "BlstmEncoder",
                "BlstmSingleLayer",
                "LstmAttentionDecoder",
                "LstmAttentionDecoderState",
                "LstmAttentionEncoded",
                "single_step_dim",
            )
            mod = nn.LstmAttentionEncoderDecoder(
                small,
                classes,
                encoder_dim=self.feature("enc", 2),
                num_layers=1,
                time_reduction=1,
                encoder_dropout=0.0,
                embed_dim=self.feature("emb", 2),
                lstm_dim=self.feature("s", 2),
                att_key_dim=self.feature("key", 2),
                readout_dim=self.feature("readout", 2),
            )

            def run(enc: nn.Tensor) -> nn.Tensor:
                return mod(  # type: ignore[no-any-return]
                    enc, source_spatial_dim=time, target=labels, target_spatial_dim=dec_time
                )

        self.set_attr(block, "seq2seq", mod)
        self.trace.append(f"      {kind} over {time} -> {dec_time}")

        def dec_step(x: nn.Tensor) -> nn.Tensor:
            out = run(proj(x))
            score = nn.reduce_mean(out, axis=[d for d in out.dims if d is not B])
            return x * nn.tanh(score)

        return dec_step

    def step_loop(
        self, block: Block, x: nn.Tensor, small: nn.Dim, proj: Step, time: nn.Dim
    ) -> Step:
        """A loop over time with an LSTM in single-step mode and ``cum_concat_step`` history."""
        ch = self.ch
        cell = self.feature("cell", ch.int(1, 3))
        lstm = nn.LSTM(small, cell)
        self.set_attr(block, "cell", lstm)
        history = ch.chance(70)
        # how the history is consumed: attention over it, or a reduce over its dim
        reduce_mode = ch.pick([None, "sum", "mean", "max", "logsumexp"]) if history else None
        self.used("LSTM", "LstmState", "Loop", "single_step_dim")
        if history:
            self.used("cum_concat_step")
            self.trace.append(f"      history consumed by {reduce_mode or 'attention'}")
        self.construct("LSTM single step")

        def step(x: nn.Tensor) -> nn.Tensor:
            h_all = proj(x)
            loop = nn.Loop(axis=time)
            loop.state.lstm = lstm.default_initial_state()
            self.control_depth += 1
            try:
                with loop:
                    h, loop.state.lstm = lstm(
                        loop.unstack(h_all), state=loop.state.lstm, spatial_dim=nn.single_step_dim
                    )
                    if history:
                        acc, hist = nn.cum_concat_step(h)
                        if reduce_mode is None:
                            weights = nn.softmax(nn.dot(acc, h, reduce=cell), axis=hist)
                            h = h + nn.dot(weights, acc, reduce=hist)
                        else:
                            # test_regressions.py::test_reduce_over_cum_concat_dim_in_loop
                            h = h + nn.reduce(acc, mode=reduce_mode, axis=hist)
                    ys = loop.stack(h)
            finally:
                self.control_depth -= 1
            return ys  # type: ignore[no-any-return]

        return step

    # -- plain ops ---------------------------------------------------------------------------

    def step_op(self, block: Block, x: nn.Tensor) -> Step:
        applicable = [(name, op) for name, op in OPS if op.applicable(self, x)]
        name, op = self.ch.pick(applicable)
        self.construct("op")
        self.trace.append(f"    op {name}")
        return op.make(self, block, x)  # type: ignore[no-any-return]
