"""RETURNN round-trip scenarios: every model is constructed, run and checkpointed in RETURNN.

Each test goes through the ``roundtrip`` fixture, which asserts N4 (TF variable
names == checkpoint names == canonical names) and template agreement.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

import rc_naming
import rc_nn as nn
from rc_serialize import InvalidParameterNameError, build_network, get_returnn_config_serialized

RoundTrip = Callable[..., Any]


def _inputs(feat_size: int = 3) -> tuple[nn.Dim, nn.Dim, nn.Tensor]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", feat_size)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    return time, feat, x


def _assert_unique_layer_names(result: Any) -> None:
    names = list(result.serialized.layer_names.values())
    assert len(names) == len(set(names)), names
    # The emitted code has each network key exactly once (a dict literal would hide duplicates).
    network_code = result.code.split("\nnetwork = {", 1)[1]
    keys = re.findall(r"^    '([^']+)': \{", network_code, flags=re.MULTILINE)
    keys += re.findall(r'^    "([^"]+)": \{', network_code, flags=re.MULTILINE)
    assert len(keys) == len(set(keys)) == len(result.serialized.network), keys


def test_root_is_plain_linear(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()
    out = nn.FeatureDim("out", 2)
    net = nn.Linear(feat, out)
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {"weight/param", "bias/param"}
    assert result.report.variable_shapes["weight/param"] == (3, 2)
    assert result.output().shape[-1] == 2
    assert set(result.serialized.network) >= {"output", "weight", "bias"}


class _Leaf(nn.Module):
    def __init__(self, d_in: nn.Dim, d_out: nn.Dim) -> None:
        super().__init__()
        self.proj = nn.Linear(d_in, d_out)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return nn.tanh(self.proj(x))


class _Middle(nn.Module):
    def __init__(self, d: nn.Dim, h: nn.Dim) -> None:
        super().__init__()
        self.inner = _Leaf(d, h)
        self.norm = nn.LayerNorm(h)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.norm(self.inner(x))


class _Top(nn.Module):
    def __init__(self, d: nn.Dim, h: nn.Dim, o: nn.Dim) -> None:
        super().__init__()
        self.encoder = _Middle(d, h)
        self.head = nn.Linear(h, o)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.head(self.encoder(x))


def test_nested_three_levels(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()
    net = _Top(feat, nn.FeatureDim("hidden", 4), nn.FeatureDim("out", 2))
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {
        "encoder/inner/proj/weight/param",
        "encoder/inner/proj/bias/param",
        "encoder/norm/scale/param",
        "encoder/norm/bias/param",
        "head/weight/param",
        "head/bias/param",
    }
    # Layer names follow the module paths.
    assert "encoder_inner_proj" in result.serialized.network
    _assert_unique_layer_names(result)


def test_module_called_twice_one_set_of_params(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()

    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, nn.FeatureDim("h", 3))
            self.back = nn.Linear(self.lin.out_dim, feat)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            y = self.back(nn.relu(self.lin(x)))
            return self.back(nn.relu(self.lin(y)))

    net = Twice()
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {
        "lin/weight/param",
        "lin/bias/param",
        "back/weight/param",
        "back/bias/param",
    }
    _assert_unique_layer_names(result)
    # Both calls are in the config: two linear layers use the same weight layer.
    uses = [
        name
        for name, layer in result.serialized.network.items()
        if layer.get("class") == "linear" and "lin_weight" in str(layer.get("reuse_params"))
    ]
    assert len(uses) == 2, result.serialized.network


class _Holder(nn.Module):
    """Holds a parameter reference under ``w`` and adds it to the input."""

    def __init__(self, w: nn.Parameter) -> None:
        super().__init__()
        self.w = w

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return x + self.w


def test_shared_parameter_first_assignment_wins(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()

    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = _Leaf(feat, feat_out)
            self.b = _Leaf(feat, feat_out)
            self.b.proj.weight = self.a.proj.weight

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.a(x) + self.b(x)

    feat_out = nn.FeatureDim("out", 2)
    net = Shared()
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {
        "a/proj/weight/param",
        "a/proj/bias/param",
        "b/proj/bias/param",
    }
    assert [n for n, _ in net.named_parameters()] == [
        "a.proj.weight",
        "a.proj.bias",
        "b.proj.bias",
    ]
    # One variable layer for the shared weight.
    variables = [lay for lay in result.serialized.network.values() if lay["class"] == "variable"]
    assert len(variables) == 3


def test_shared_parameter_delete_first_owner_moves_name(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()
    param = nn.Parameter([feat], initial=0.5)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = _Holder(param)
            self.second = _Holder(param)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.second(x)

    net = Model()
    assert [n for n, _ in net.named_parameters()] == ["first.w"]
    del net.first.w
    assert [n for n, _ in net.named_parameters()] == ["second.w"]
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {"second/w/param"}


def test_shared_parameter_reassign_first_owner_moves_name(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()
    shared = nn.Parameter([feat], initial=0.5)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = _Holder(shared)
            self.second = _Holder(shared)
            self.first.w = nn.Parameter([feat], initial=1.0)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.first(x) * self.second(x)

    net = Model()
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {"first/w/param", "second/w/param"}
    assert dict(net.named_parameters())["second.w"] is shared


def test_submodules_named_output_and_data(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()
    hidden, out = nn.FeatureDim("hidden", 4), nn.FeatureDim("out", 2)

    class Reserved(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.data = nn.Linear(feat, hidden)
            self.output = nn.Linear(hidden, out)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.output(nn.relu(self.data(x)))

    net = Reserved()
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {
        "data/weight/param",
        "data/bias/param",
        "output/weight/param",
        "output/bias/param",
    }
    network = result.serialized.network
    assert "data" not in network  # "data" is the input, never a layer
    assert network["output"]["class"] != "variable"
    _assert_unique_layer_names(result)
    assert result.output().shape[-1] == 2


def _plain_helper(x: nn.Tensor, scale: float) -> nn.Tensor:
    return nn.tanh(x * scale) + x


def test_plain_function_called_twice(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(feat, nn.FeatureDim("h", 3))

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return _plain_helper(_plain_helper(self.lin(x), 2.0), 0.5)

    net = Model()
    net(x).mark_as_default_output()
    result = roundtrip(net)
    _assert_unique_layer_names(result)
    assert result.report.variable_names == {"lin/weight/param", "lin/bias/param"}
    tanh_layers = [
        n for n, lay in result.serialized.network.items() if lay["class"] == "activation"
    ]
    assert len(tanh_layers) == 2


def test_outputs_and_losses_marked_in_submodules(roundtrip: RoundTrip) -> None:
    time, feat, x = _inputs()
    classes = nn.FeatureDim("classes", 4)
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, time], sparse_dim=classes)
    )

    hidden = nn.FeatureDim("hidden", 5)

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(hidden, classes)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            logits = self.lin(x)
            logits.mark_as_default_output()
            nn.cross_entropy(
                estimated=logits, target=targets, estimated_type="logits"
            ).mark_as_loss("ce", scale=0.5)
            nn.reduce_mean(nn.square(logits), axis=classes).mark_as_loss("l2", scale=0.01)
            return logits

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Linear(feat, hidden)
            self.decoder = Head()

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.decoder(nn.relu(self.encoder(x)))

    net = Model()
    net(x)  # the marks are made inside the submodule
    result = roundtrip(net, train_steps=3, learning_rate=0.1)
    network = result.serialized.network
    assert {"output", "ce", "l2"} <= set(network), list(network)
    assert network["ce"]["loss"] == "as_is"
    assert network["ce"]["loss_scale"] == 0.5
    assert network["l2"]["loss_scale"] == 0.01
    losses = result.report.losses
    assert len(losses) == 3
    assert losses[-1] < losses[0], losses
    assert result.report.variable_names == {
        "encoder/weight/param",
        "encoder/bias/param",
        "decoder/lin/weight/param",
        "decoder/lin/bias/param",
    }


def test_unreachable_parameter_is_a_clear_error() -> None:
    _, feat, x = _inputs()
    orphan = nn.Linear(feat, nn.FeatureDim("out", 2))  # never assigned to the model
    orphan_line = f"{__file__}:{_line_of('orphan = nn.Linear')}"

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(feat)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return orphan(self.norm(x))

    net = Model()
    net(x).mark_as_default_output()
    with pytest.raises(rc_naming.UnreachableError) as info:
        get_returnn_config_serialized(net)
    message = str(info.value)
    bad = info.value.obj
    assert bad is orphan.weight or bad is orphan.bias
    attr = "weight" if bad is orphan.weight else "bias"
    # The parameter, with its dims, and where it was created.
    assert message.startswith("Parameter[") and "out(2)]" in message
    assert f"(created at {orphan_line})" in message
    # Who holds it, and that the holder is itself unreachable.
    assert f"Linear (created at {orphan_line}) as {attr!r}" in message
    assert "not reachable" in message
    # How to fix it.
    assert "Fix: assign it as an attribute of the root module" in message


def _line_of(snippet: str) -> int:
    with open(__file__, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if snippet in line and "_line_of" not in line:
                return number
    raise AssertionError(snippet)


def test_two_independent_roots(roundtrip: RoundTrip) -> None:
    results = []
    nets = []
    for size in (2, 3):
        with nn.Root() as root:
            _, feat, x = _inputs(size)
            net = _Leaf(feat, nn.FeatureDim("out", size + 1))
            net(x).mark_as_default_output()
            assert net._rc_naming_root() is root
            nets.append((root, net, x))
    for _, net, _ in nets:
        results.append(roundtrip(net))
    for result, size in zip(results, (2, 3), strict=True):
        assert result.report.variable_names == {"proj/weight/param", "proj/bias/param"}
        assert result.report.variable_shapes["proj/weight/param"] == (size, size + 1)

    # A tensor of the first root used in a module of the second: a clear error.
    (root_a, _, x_a), (root_b, net_b, _) = nets
    with pytest.raises(rc_naming.RootMismatchError) as info:
        net_b(x_a)
    message = str(info.value)
    assert repr(root_a.name) in message and repr(root_b.name) in message


def test_deepcopy_gives_fresh_parameters(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()

    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Linear(feat, feat_b)
            self.dec = nn.Linear(feat_b, feat)
            self.tied = self.enc.bias  # alias inside the module

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.dec(self.enc(x) + self.tied)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = Tied()
            self.second = copy.deepcopy(self.first)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.second(self.first(x))

    feat_b = nn.FeatureDim("b", 2)
    net = Model()
    assert net.second.enc.weight is not net.first.enc.weight
    assert net.second.tied is net.second.enc.bias
    assert net.second.tied is not net.first.tied
    net(x).mark_as_default_output()
    result = roundtrip(net)
    expected = {
        f"{m}/{lin}/{p}/param"
        for m in ("first", "second")
        for lin in ("enc", "dec")
        for p in ("weight", "bias")
    }
    assert result.report.variable_names == expected


def test_containers(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(feat, feat2), nn.Linear(feat2, feat))
            self.blocks = nn.ModuleList([nn.LayerNorm(feat) for _ in range(2)])
            self.heads = nn.ModuleDict({"main": nn.Linear(feat, feat2)})
            self.scales = nn.ParameterList([nn.Parameter([feat], initial=1.0)])

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            x = self.layers(x)
            for block in self.blocks:
                x = block(x) * self.scales[0]
            return self.heads["main"](x)

    feat2 = nn.FeatureDim("h", 4)
    net = Model()
    net(x).mark_as_default_output()
    result = roundtrip(net)
    assert result.report.variable_names == {
        "layers/0/weight/param",
        "layers/0/bias/param",
        "layers/1/weight/param",
        "layers/1/bias/param",
        "blocks/0/scale/param",
        "blocks/0/bias/param",
        "blocks/1/scale/param",
        "blocks/1/bias/param",
        "heads/main/weight/param",
        "heads/main/bias/param",
        "scales/0/param",
    }
    _assert_unique_layer_names(result)


def test_no_marked_output_raises_with_hint() -> None:
    _, feat, x = _inputs()
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    net(x)
    with pytest.raises(nn.NoOutputError, match=r"mark_as_default_output"):
        get_returnn_config_serialized(net)
    with pytest.raises(nn.NoOutputError):
        build_network(net)


def test_private_attribute_names(roundtrip: RoundTrip) -> None:
    _, feat, x = _inputs()

    class Inner(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self._lin = nn.Linear(feat, nn.FeatureDim("out", 2))

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self._lin(x)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = Inner()

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return self.enc(x)

    net = Model()
    net(x).mark_as_default_output()
    # TF accepts a leading underscore below the first level of a variable name.
    result = roundtrip(net)
    assert result.report.variable_names == {"enc/_lin/weight/param", "enc/_lin/bias/param"}


def test_private_attribute_of_root_is_a_clear_error() -> None:
    _, feat, x = _inputs()

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self._scale = nn.Parameter([feat], initial=1.0)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return x * self._scale

    net = Model()
    net(x).mark_as_default_output()
    with pytest.raises(InvalidParameterNameError, match=r"first path component '_scale'"):
        get_returnn_config_serialized(net)
