"""Control flow through RETURNN: loops (state, stack, last, end), conditions, masked computation, search.

Every model goes through the ``roundtrip`` fixture: RETURNN constructs the emitted
config, runs forward (and training steps where a loss exists), and the variable
names equal ``named_parameters()`` (N4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

import rc_nn as nn

Roundtrip = Callable[..., Any]


def _data(*dims: nn.Dim, name: str = "data") -> nn.Tensor:
    return nn.get_extern_data(nn.Data(name, dim_tags=[nn.batch_dim, *dims]))


class _Fn(nn.Module):
    """A root module without parameters that runs ``fn``."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args: Any) -> Any:
        return self.fn(*args)


def test_cumsum_via_state_matches_numpy(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)

    def cumsum(x: nn.Tensor) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat])
        with loop:
            loop.state.acc = loop.state.acc + loop.unstack(x)
            return loop.stack(loop.state.acc)

    net = _Fn(cumsum)
    net(x).mark_as_default_output()
    x.mark_as_output("x_in")
    nn.length(time).mark_as_output("lengths")
    result = roundtrip(net)
    loop_dict = result.serialized.network["loop"]
    assert loop_dict["class"] == "rec" and "acc" in loop_dict["unit"]
    assert loop_dict["unit"]["acc"]["initial_output"] == "base:constant"
    assert "prev:acc" in loop_dict["unit"]["add"]["from"]
    values = result.output()  # [T, B, F]
    x_in = result.output("x_in")  # [B, T, F]
    lengths = result.output("lengths")
    expected = numpy.cumsum(x_in, axis=1).transpose(1, 0, 2)
    for b, length in enumerate(lengths):
        numpy.testing.assert_allclose(values[:length, b], expected[:length, b], rtol=1e-5)


class _SharedLinear(nn.Module):
    """One Linear used inside and outside a loop: one set of parameters."""

    def __init__(self, feat: nn.Dim, time: nn.Dim) -> None:
        super().__init__()
        self.time = time
        self.lin = nn.Linear(feat, feat)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        outside = self.lin(x)
        loop = nn.Loop(axis=self.time)
        loop.state.h = nn.zeros([nn.batch_dim, self.lin.out_dim])
        with loop:
            x_t = loop.unstack(outside)
            loop.state.h = nn.tanh(self.lin(x_t) + loop.state.h)
            y = loop.stack(loop.state.h)
            last = loop.last(loop.state.h)
        return y + self.lin(last)


def test_module_shared_inside_and_outside_loop_trains(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)
    net = _SharedLinear(feat, time)
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y * y, axis=[time, feat]).mark_as_loss("l2")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_names == {"lin/weight/param", "lin/bias/param"}
    unit = result.serialized.network["loop"]["unit"]
    # parameters stay at the root, read with base:
    assert all(layer.get("class") != "variable" for layer in unit.values())
    assert result.output().shape[1:] == (3, 3)


def test_state_after_loop_is_last_frame(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = _data(time, feat)

    def run(x: nn.Tensor) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat])
        with loop:
            loop.state.acc = loop.state.acc + loop.unstack(x)
        return loop.state.acc  # the last frame

    net = _Fn(run)
    net(x).mark_as_default_output()
    x.mark_as_output("x_in")
    nn.length(time).mark_as_output("lengths")
    result = roundtrip(net)
    x_in, lengths = result.output("x_in"), result.output("lengths")
    expected = numpy.stack([x_in[b, :n].sum(axis=0) for b, n in enumerate(lengths)])
    numpy.testing.assert_allclose(result.output(), expected, rtol=1e-5)


def _weight_refs(net: dict[str, Any]) -> list[str]:
    """The weights the ``linear`` layers of ``net`` use (our ``nn.Linear``, via ``reuse_params``)."""
    return [
        layer["reuse_params"]["map"]["W"]["layer_output"]
        for layer in net.values()
        if layer.get("class") == "linear"
    ]


def test_nested_loops(roundtrip: Roundtrip) -> None:
    time, width, feat = nn.SpatialDim("time"), nn.SpatialDim("width"), nn.FeatureDim("f", 3)
    x = _data(time, width, feat)

    class Nested(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, feat)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            with nn.Loop(axis=time) as outer:
                x_t = outer.unstack(x)  # [B, W, F]
                inner = nn.Loop(axis=width)
                inner.state.h = nn.zeros([nn.batch_dim, feat])
                with inner:
                    x_tw = inner.unstack(x_t)
                    inner.state.h = self.lin(x_tw) + inner.state.h
                    y_t = inner.stack(inner.state.h)  # [W, B, F]
                return outer.stack(y_t)  # [T, W, B, F]

    net = Nested()
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y, axis=[time, width, feat]).mark_as_loss("sum")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_names == {"lin/weight/param", "lin/bias/param"}
    outer_unit = result.serialized.network["loop"]["unit"]
    assert outer_unit["loop"]["class"] == "rec"
    inner_unit = outer_unit["loop"]["unit"]
    assert _weight_refs(inner_unit) == ["base:base:lin_weight"]
    assert result.output().shape[2] == 3  # [T, W, B, F]


def test_end_condition_loop_with_max_seq_len(roundtrip: Roundtrip) -> None:
    feat = nn.FeatureDim("f", 2)
    x = _data(feat)

    class Gen(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, feat)

        def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.Dim]:
            loop = nn.Loop(max_seq_len=6)
            loop.state.h = x
            with loop:
                loop.state.h = nn.tanh(self.lin(loop.state.h))
                loop.end(loop.iteration >= 3, include_eos=True)
                out = loop.stack(loop.state.h)
            return out, loop.axis

    net = Gen()
    out, axis = net(x)
    out.mark_as_default_output()
    nn.reduce_sum(out, axis=[axis, feat]).mark_as_loss("sum")
    result = roundtrip(net, train_steps=2)
    unit = result.serialized.network["loop"]["unit"]
    assert unit["end"]["class"] == "copy"
    assert result.serialized.network["loop"]["max_seq_len"] == 6
    assert result.output().shape == (4, 3, 2)  # frames 0..3 (include_eos), batch, feat


# -- Cond ------------------------------------------------------------------------------------


class _Branches(nn.Module):
    """One Linear called in both branches (shared parameters); a nested result."""

    def __init__(self, feat: nn.Dim, time: nn.Dim) -> None:
        super().__init__()
        self.time, self.feat = time, feat
        self.lin = nn.Linear(feat, feat)
        self.other = nn.Linear(feat, feat)

    def forward(self, x: nn.Tensor) -> tuple[nn.Tensor, nn.Tensor]:
        total = nn.reduce_sum(x, axis=[nn.batch_dim, self.time, self.feat])
        with nn.Cond(total > 0.0) as cond:
            a = self.lin(x)
            cond.true = {"y": nn.tanh(a), "z": a * 2.0}
            b = self.lin(self.other(x))
            cond.false = {"y": b, "z": -b}
        return cond.result["y"], cond.result["z"]


def test_cond_shared_module_nested_result_trains(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = _data(time, feat)
    net = _Branches(feat, time)
    y, z = net(x)
    out = y + z
    out.mark_as_default_output()
    nn.reduce_sum(out * out, axis=[time, feat]).mark_as_loss("l2")
    result = roundtrip(net, train_steps=2)
    assert result.report.variable_names == {
        "lin/weight/param",
        "lin/bias/param",
        "other/weight/param",
        "other/bias/param",
    }
    cond = result.serialized.network["cond"]
    assert cond["class"] == "cond"
    true_net = cond["true_layer"]["subnetwork"]
    false_net = cond["false_layer"]["subnetwork"]
    assert set(true_net) >= {"output", "result_1"} and set(false_net) >= {"output", "result_1"}
    assert "base:lin_weight" in _weight_refs(true_net)
    assert "base:lin_weight" in _weight_refs(false_net)


def test_cond_inside_loop(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = _data(time, feat)

    def run(x: nn.Tensor) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.h = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            with nn.Cond(loop.iteration < 2) as cond:
                cond.true = loop.state.h + x_t
                cond.false = loop.state.h
            loop.state.h = cond.result
            return loop.stack(loop.state.h)

    net = _Fn(run)
    net(x).mark_as_default_output()
    x.mark_as_output("x_in")
    result = roundtrip(net)
    unit = result.serialized.network["loop"]["unit"]
    assert "base:prev:h" in unit["cond"]["true_layer"]["subnetwork"]["add"]["from"]
    x_in, values = result.output("x_in"), result.output()
    # frames 0 and 1 summed, then kept
    numpy.testing.assert_allclose(values[3], x_in[:, 0] + x_in[:, 1], rtol=1e-5)


# -- Search ----------------------------------------------------------------------------------


class _Decoder(nn.Module):
    """A tiny label decoder: embedding of the previous label + encoder summary -> logits."""

    def __init__(self, feat: nn.Dim, classes: nn.Dim) -> None:
        super().__init__()
        self.classes = classes
        self.model_dim = nn.FeatureDim("model", 4)
        self.emb = nn.Embedding(classes, self.model_dim)
        self.enc = nn.Linear(feat, self.model_dim)
        self.out = nn.Linear(self.model_dim, classes)

    def forward(self, x: nn.Tensor, time: nn.Dim, targets: nn.Tensor) -> nn.Tensor:
        summary = self.enc(nn.reduce_mean(x, axis=time))  # [B, model]
        loop = nn.Loop(max_seq_len=5)
        loop.state.label = nn.make_layer(
            {
                "class": "constant",
                "value": 0,
                "shape": [nn.batch_dim],
                "dtype": "int32",
                "sparse_dim": self.classes,
            },
            name="bos",
            out=nn.Data("bos", dim_tags=[nn.batch_dim], sparse_dim=self.classes),
        )
        with loop:
            logits = self.out(nn.tanh(self.emb(loop.state.label) + summary))
            label = nn.choice(logits, target=targets, beam_size=3, input_type="logits")
            loop.state.label = label
            loop.end(label == 0, include_eos=True)
            labels = loop.stack(label)
        return nn.decide(labels)


def test_search_with_choice(roundtrip: Roundtrip) -> None:
    time, feat, classes = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("classes", 5)
    x = _data(time, feat)
    targets = nn.get_extern_data(
        nn.Data(
            "classes",
            dim_tags=[nn.batch_dim, nn.SpatialDim("out-time")],
            sparse_dim=classes,
            available_for_inference=False,
        )
    )
    net = _Decoder(feat, classes)
    net(x, time, targets).mark_as_default_output()
    result = roundtrip(net, search=True)
    unit = result.serialized.network["loop"]["unit"]
    assert unit["choice"]["class"] == "choice" and unit["choice"]["target"] == "classes"
    assert result.report.variable_names == {
        f"{m}/{p}/param" for m in ("enc", "out") for p in ("weight", "bias")
    } | {"emb/weight/param"}
    assert result.output().shape[0] == 3  # batch-major after decide


# -- Masked computation ----------------------------------------------------------------------


def test_masked_computation_in_loop(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = _data(time, feat)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, feat)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            loop = nn.Loop(axis=time)
            loop.state.acc = nn.zeros([nn.batch_dim, feat])
            with loop:
                x_t = loop.unstack(x)
                mask = nn.reduce_sum(x_t, axis=feat) > 0.0
                with nn.MaskedComputation(mask=mask):
                    loop.state.acc = loop.state.acc + self.lin(x_t)
                return loop.stack(loop.state.acc)

    net = Net()
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y * y, axis=[time, feat]).mark_as_loss("l2")
    x.mark_as_output("x_in")
    result = roundtrip(net, train_steps=2)
    unit = result.serialized.network["loop"]["unit"]
    assert unit["masked"]["class"] == "masked_computation"
    assert unit["unmask"]["class"] == "unmask"
    assert result.report.variable_names == {"lin/weight/param", "lin/bias/param"}


def test_masked_computation_keeps_previous_value(roundtrip: Roundtrip) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    x = _data(time, feat)

    def run(x: nn.Tensor) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            with nn.MaskedComputation(mask=nn.reduce_sum(x_t, axis=feat) > 0.0):
                loop.state.acc = loop.state.acc + x_t
            return loop.stack(loop.state.acc)

    net = _Fn(run)
    net(x).mark_as_default_output()
    x.mark_as_output("x_in")
    nn.length(time).mark_as_output("lengths")
    result = roundtrip(net)
    x_in, lengths, values = result.output("x_in"), result.output("lengths"), result.output()
    for b, n in enumerate(lengths):
        acc = numpy.zeros(2)
        for t in range(n):
            if x_in[b, t].sum() > 0:
                acc = acc + x_in[b, t]
            numpy.testing.assert_allclose(values[t, b], acc, rtol=1e-5)


def test_nested_lstm_state_in_loop_trains(roundtrip: Roundtrip) -> None:
    """An LSTM cell written with Linear + gates; its LstmState is carried by loop.state."""
    time, feat, hidden = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("h", 2)
    x = _data(time, feat)

    class Cell(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gates = nn.ModuleList([nn.Linear(feat + hidden, hidden) for _ in range(4)])

        def forward(self, x_t: nn.Tensor, state: nn.LstmState) -> nn.LstmState:
            xh, _ = nn.concat((x_t, feat), (state.h, hidden), out_dim=feat + hidden)
            i, f, o, g = (gate(xh) for gate in self.gates)
            c = nn.sigmoid(f) * state.c + nn.sigmoid(i) * nn.tanh(g)
            return nn.LstmState(h=nn.sigmoid(o) * nn.tanh(c), c=c)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = Cell()

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            loop = nn.Loop(axis=time)
            zeros = nn.zeros([nn.batch_dim, hidden])
            loop.state.lstm = nn.LstmState(h=zeros, c=zeros)
            with loop:
                loop.state.lstm = self.cell(loop.unstack(x), loop.state.lstm)
                ys = loop.stack(loop.state.lstm.h)
            return ys + loop.state.lstm.c  # the final cell state, broadcast over time

    net = Net()
    y = net(x)
    y.mark_as_default_output()
    nn.reduce_sum(y * y, axis=[time, hidden]).mark_as_loss("l2")
    result = roundtrip(net, train_steps=2)
    unit = result.serialized.network["loop"]["unit"]
    assert {"lstm_h", "lstm_c"} <= set(unit)
    assert len(result.report.variable_names) == 8
