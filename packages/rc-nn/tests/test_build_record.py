"""The build record (issue 15): plain, immutable, deterministic data about a called model."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_naming
import rc_nn as nn
from rc_nn._state import OutputMark, state_of

_PLAIN = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    numpy.generic,
)


def _leaves(value: Any) -> list[Any]:
    """Every leaf of a record, walking dataclasses, tuples and FrozenMaps."""
    out: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, nn.FrozenMap):
            stack.extend(k for k in item)
            stack.extend(item.values())
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, tuple):
            stack.extend(item)
        else:
            out.append(item)
    return out


def _record_of(factory: Callable[[], nn.Module], root_name: str = "rec") -> nn.BuildRecord:
    with nn.Root(root_name):
        model = factory()
        record, handles = nn.build_record(model)
        assert len(handles.layers) == len(record.layers)
        return record


class _Lin(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.feat, self.out = nn.FeatureDim("in", 3), nn.FeatureDim("out", 2)
        self.lin = nn.Linear(self.feat, self.out)

    def __call__(self, x: nn.Tensor) -> nn.Tensor:
        return nn.tanh(self.lin(x))


def _linear() -> nn.Module:
    model = _Lin()
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, model.feat]))
    model(x).mark_as_default_output()
    return model


class _Recurrent(nn.Module):
    """A loop with state, a nested loop, a cond and a masked computation in one model."""

    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.feat = feat
        self.lin = nn.Linear(feat, feat)  # shared: used inside and outside the loop

    def __call__(self, x: nn.Tensor, time: nn.Dim, inner: nn.Dim) -> nn.Tensor:
        h0 = self.lin(nn.reduce_sum(x, axis=time))
        loop = nn.Loop(axis=time)
        loop.state.h = h0
        with loop:
            x_t = loop.unstack(x)
            with nn.Loop(axis=inner) as inner_loop:
                z = inner_loop.stack(nn.tanh(x_t))
            with nn.Cond(nn.reduce_sum(x_t, axis=[nn.batch_dim, self.feat]) > 0.0) as cond:
                cond.true = self.lin(x_t)
                cond.false = -x_t
            with nn.MaskedComputation(mask=nn.reduce_sum(x_t, axis=self.feat) > 0.0):
                loop.state.h = loop.state.h + cond.result
            return loop.stack(loop.state.h + nn.reduce_sum(z, axis=inner))


def _recurrent() -> nn.Module:
    time, inner, feat = nn.SpatialDim("time"), nn.SpatialDim("inner", 2), nn.FeatureDim("f", 3)
    model = _Recurrent(feat)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    model(x, time, inner).mark_as_loss("ce", scale=0.5)
    return model


class _Extras(nn.Module):
    """Sparse input, sub-layers (glu), an init_by_layer parameter, an extra net dict entry."""

    def __init__(self, vocab: nn.Dim, feat: nn.Dim) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, feat)
        self.scale = nn.Parameter([feat])

    def __call__(self, labels: nn.Tensor, feat: nn.Dim) -> nn.Tensor:
        e = self.emb(labels)
        self.scale.initial = nn.zeros([feat]) + 1.0
        doubled = nn.FeatureDim("f2", feat.dimension * 2)
        wide = nn.concat((e, feat), (e, feat), out_dim=doubled)[0]
        return nn.glu(wide, axis=doubled) * self.scale


def _extras() -> nn.Module:
    vocab, feat, time = nn.FeatureDim("vocab", 5), nn.FeatureDim("f", 4), nn.SpatialDim("time")
    model = _Extras(vocab, feat)
    labels = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, time], sparse_dim=vocab, dtype="int32")
    )
    model(labels, feat).mark_as_output("out")
    nn.extra_net_dict()["#copy_param_mode"] = "subset"
    return model


FACTORIES = [_linear, _recurrent, _extras]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_two_builds_give_equal_records_and_dumps(factory: Callable[[], nn.Module]) -> None:
    first, second = _record_of(factory), _record_of(factory)
    assert first == second
    assert first.dump() == second.dump()
    assert hash(first) == hash(second)


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_record_pickles_and_holds_only_plain_data(factory: Callable[[], nn.Module]) -> None:
    record = _record_of(factory)
    assert pickle.loads(pickle.dumps(record)) == record
    odd = [leaf for leaf in _leaves(record) if not isinstance(leaf, _PLAIN)]
    assert odd == []
    assert record.version == nn.RECORD_VERSION
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.layers[0].name_hint = "x"  # type: ignore[misc]


def test_fast_init_keeps_the_dataclass_signature() -> None:
    """The record's faster constructors take the same arguments, defaults included."""
    template = nn.TemplateRecord((0,), "float32")
    layer = nn.LayerRecord(3, "layer", "tanh", "x.py:1", "", template, deps=(1, 2))
    assert (layer.op, layer.deps, layer.alias_prefix, layer.holds) == (None, (1, 2), "", ())
    assert dataclasses.replace(layer, op="tanh").op == "tanh"
    with pytest.raises(TypeError):
        nn.LayerRecord(3, "layer")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.dtype = "int32"  # type: ignore[misc]
    assert "_set0" in nn.LayerRecord.__init__.__globals__  # the fast constructor is in use


def test_handles_do_not_pickle() -> None:
    with nn.Root():
        model = _linear()
        _, handles = nn.build_record(model)
    with pytest.raises(TypeError, match="live objects"):
        pickle.dumps(handles)


def test_linear_record() -> None:
    record = _record_of(_linear)
    assert [p.path for p in record.params] == [("lin", "weight"), ("lin", "bias")]
    assert all(p.in_model and p.unreachable is None for p in record.params)
    (mark,) = record.marks
    out = record.layers[mark.layer]
    assert (out.op, mark.name, mark.loss_scale) == ("activation", None, None)
    assert out.args is not None and out.args["activation"] == "tanh"
    linear = record.layers[out.deps[0]]
    assert linear.op == "linear" and record.calls[linear.call or 0].module_path == ("lin",)
    (extern,) = record.extern
    assert (extern.key, record.layers[extern.layer].kind) == ("data", "extern")
    assert linear.deps[0] == extern.layer
    assert sorted(d.kind for d in record.dims) == ["batch", "feature", "feature"]
    root_call = record.calls[0]
    assert (root_call.module_path, root_call.in_root_modules, root_call.module_type) == (
        (),
        True,
        "_Lin",
    )


def test_recurrent_record_blocks() -> None:
    record = _record_of(_recurrent)
    kinds = [(b.kind, b.label_suffix) for b in record.blocks]
    assert kinds == [
        ("loop", "loop"),
        ("loop", "loop"),
        ("cond", "true"),
        ("cond", "false"),
        ("masked", "unit"),
    ]
    outer, inner, true, false, masked = record.blocks
    assert outer.parent is None and {inner.parent, true.parent, false.parent, masked.parent} == {0}
    assert outer.loop is not None and record.dims[outer.loop.axis or 0].description == "time"
    assert inner.loop is not None and inner.loop.exports and not inner.loop.has_output_carrier
    assert true.results and false.results and not true.inside_container
    assert "end" in outer.reserved
    containers = {record.layers[b.container].kind for b in record.blocks if b.container is not None}
    assert containers == {"container"}
    prev = [layer for layer in record.layers if layer.alias_prefix == "prev:"]
    assert prev and all(layer.kind == "alias" and layer.alias_of is not None for layer in prev)
    stacked = [layer for layer in record.layers if layer.role == "stack"]
    assert stacked and all(layer.text for layer in stacked)
    assert {record.layers[i].kind for i in range(len(record.layers))} >= {"layer", "alias"}
    # the shared Linear has one parameter record per parameter
    assert [p.path for p in record.params] == [("lin", "weight"), ("lin", "bias")]
    (mark,) = record.marks
    assert (mark.name, mark.loss_scale, mark.as_error) == ("ce", 0.5, False)
    nets = [v for layer in record.layers if layer.args for v in _leaves(layer.args)]
    assert not any(isinstance(v, str) and v.startswith(("base:", "prev:")) for v in nets)


def test_loop_states_are_explicit_in_the_record() -> None:
    """Record 1.2: a loop's carried state as (name, initial, prev, new), also nested (LSTM)."""
    time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
    with nn.Root():
        lstm = nn.LSTM(feat, out)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat])
        loop.state.lstm = lstm.default_initial_state(batch_dims=[nn.batch_dim])
        loop.state.unread = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            loop.state.acc = loop.state.acc + x_t
            h, loop.state.lstm = lstm(x_t, state=loop.state.lstm, spatial_dim=nn.single_step_dim)
            loop.state.unread = x_t  # never read as the previous frame: not carried
            y = loop.stack(h + nn.reduce_sum(loop.state.acc, axis=feat))
        y.mark_as_default_output()
        record, _ = nn.build_record(lstm)
    assert record.version == nn.RECORD_VERSION >= (1, 2)
    (block,) = record.blocks
    assert block.loop is not None
    states = block.loop.states
    assert [s.name for s in states] == ["acc", "lstm_h", "lstm_c"]
    for state in states:
        prev, new = record.layers[state.prev or 0], record.layers[state.new]
        assert prev.kind == "alias" and prev.alias_of == state.new and prev.block == 0
        assert new.role == "loop_state" and new.block == 0 and new.args is not None
        assert new.args["initial_output"] == nn.LayerRef(state.initial)
        assert record.layers[state.initial].block is None  # made before the loop


def test_extras_record() -> None:
    record = _record_of(_extras)
    (extern,) = record.extern
    template = record.layers[extern.layer].output
    assert template.sparse_dim is not None
    assert record.dims[template.sparse_dim].description == "vocab"
    subs = [layer for layer in record.layers if layer.kind == "sub"]
    assert sorted(s.sub_name or "" for s in subs) == ["0", "1"]
    assert all(s.parent is not None and s.deps[0] == s.parent for s in subs)
    scale = next(p for p in record.params if p.path == ("scale",))
    assert isinstance(scale.initial, nn.LayerRef)
    assert scale.initial.id in record.layers[scale.layer].deps
    assert record.extra_net_dict == nn.FrozenMap((("#copy_param_mode", "subset"),))
    (mark,) = record.marks
    assert mark.name == "out"


def test_unknown_option_value_is_a_clear_error() -> None:
    class Holder(nn.Module):
        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return nn.make_layer(
                {"class": "copy", "from": x, "odd": object()}, name="odd", out=x.template
            )

    with nn.Root():
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, nn.FeatureDim("f", 2)]))
        model = Holder()
        model(x).mark_as_default_output()
        with pytest.raises(nn.RecordValueError, match=r"odd .*created at .*test_build_record\.py"):
            nn.build_record(model)


def test_not_a_module() -> None:
    with pytest.raises(nn.NotAModuleError, match="got int"):
        nn.build_record(3)  # type: ignore[arg-type]


def test_mark_of_another_root_is_rc_namings_error() -> None:
    with nn.Root():
        other = nn.zeros([nn.FeatureDim("f", 2)])
    with nn.Root():
        model = _linear()
        state_of(rc_naming.current_root()).marks.append(OutputMark(other, "x", "here"))
        with pytest.raises(rc_naming.RootMismatchError):
            nn.build_record(model)


def test_extern_declared_by_another_thread_is_not_declared_here() -> None:
    with nn.Root() as root:
        model = _linear()

        def declare() -> None:
            with root:
                nn.get_extern_data(nn.Data("other", dim_tags=[nn.batch_dim, model.feat]))

        thread = threading.Thread(target=declare)
        thread.start()
        thread.join()
        record, _ = nn.build_record(model)
    assert [(e.key, e.declared_here) for e in record.extern] == [("data", True), ("other", False)]


def test_frozen_map_is_ordered_and_hashable() -> None:
    a = nn.FrozenMap((("x", 1), ("y", nn.SeqValue((1, 2)))))
    assert a == nn.FrozenMap((("x", 1), ("y", nn.SeqValue((1, 2)))))
    assert a != nn.FrozenMap((("y", nn.SeqValue((1, 2))), ("x", 1)))
    assert {a: 1}[a] == 1 and a["y"].items == (1, 2)
    with pytest.raises(KeyError):
        a["z"]


def _dump_in_subprocess(hash_seed: str) -> str:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import test_build_record as t\n"
        "print(t._record_of(t._recurrent).dump() + t._record_of(t._extras).dump())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(pathlib.Path(__file__).parent)],
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_dump_is_the_same_under_different_hash_seeds() -> None:
    first, second = _dump_in_subprocess("0"), _dump_in_subprocess("123")
    assert "LayerRecord(" in first and "BlockRecord(" in first
    assert first == second


def test_parameter_aliases_are_the_other_holders_paths() -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)

    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(feat, feat)
            self.second = self.first  # an alias: the same module under another attribute

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return self.second(self.first(x))

    with nn.Root():
        model = Shared()
        model(
            nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        ).mark_as_default_output()
        record, _ = nn.build_record(model)
    by_path = {p.path: p for p in record.params}
    assert set(by_path) == {("first", "weight"), ("first", "bias")}
    assert by_path["first", "weight"].aliases == (("second", "weight"),)
    assert by_path["first", "bias"].aliases == (("second", "bias"),)


def test_parameter_owner_is_the_first_holders_public_rc_nn_class() -> None:
    """Record 1.1: ``ParamRecord.owner`` (per-module parameter layouts, issue 14)."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)

    class MyConv(nn.Conv1d):  # a user's subclass keeps the layout of its rc-nn base
        pass

    class Holder(nn.Module):  # a user's module holding the same Linear under a second name
        def __init__(self, lin: nn.Linear) -> None:
            super().__init__()
            self.again = lin

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = MyConv(feat, feat, 3)
            self.first = nn.Linear(feat, feat)
            self.holder = Holder(self.first)
            self.own = nn.Parameter([feat], initial=0.5)
            self.norm = nn.BatchNorm(feat, use_mask=False)

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            y, _ = self.conv(x, in_spatial_dim=time)
            return self.norm(self.holder.again(y) + self.own)

    with nn.Root():
        model = Model()
        model(
            nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        ).mark_as_default_output()
        record, _ = nn.build_record(model)
    owners = {".".join(p.path or ()): p.owner for p in record.params}
    assert owners == {
        "conv.filter": "Conv1d",
        "conv.bias": "Conv1d",
        "first.weight": "Linear",  # first assignment wins (N3), not the alias in Holder
        "first.bias": "Linear",
        "own": "Module",
        "norm.running_mean": "BatchNorm",
        "norm.running_variance": "BatchNorm",
        "norm.gamma": "BatchNorm",
        "norm.beta": "BatchNorm",
    }
    assert record.version >= (1, 1)


def test_unreachable_parameter_has_no_owner() -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)

    class Model(nn.Module):
        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            return hidden(x)

    with nn.Root():
        hidden = nn.Linear(feat, feat)  # used, but held by no attribute of the root module
        model = Model()
        model(
            nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        ).mark_as_default_output()
        record, _ = nn.build_record(model)
    assert [(p.path, p.owner) for p in record.params] == [(None, None), (None, None)]
