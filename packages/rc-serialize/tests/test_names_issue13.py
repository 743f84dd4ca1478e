"""Names never collide, nothing is dropped silently (issue 13 §4, first two items).

* A ``.`` inside one path component (ModuleDict key ``"en.us"``, ``"."``, an attribute
  literally named ``a.b``) is refused where it is assigned (rc-nn's ``DottedNameError``);
  the serializer refuses it too should it get past rc-nn, and checkpoint variables with
  such a scope never match a model path (``rc-serialize diff``, ``migrate``).
* N4 for unused parameters: a submodule that no output uses keeps its variables in the
  config, so RETURNN's TF variables and checkpoint equal ``named_parameters()``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_naming
import rc_nn as nn
from rc_serialize import InvalidParameterNameError, RcSerializeError, get_returnn_config_serialized
from rc_serialize._checkpoints import (
    _diff_from_shapes,
    checkpoint_diff,
    migration_mapping,
    variable_to_path,
)
from rc_serialize._cli import main
from rc_serialize._final import build_network
from rc_serialize._returnn_check import (
    _behavior_version_of,
    _construct,
    _load_config,
    _quiet_returnn_log,
)
from rc_serialize._roundtrip import expected_variable_names


class WithUnused(nn.Module):
    """``enc`` is used, ``aux`` (a submodule) and ``scale`` (a parameter) are not."""

    def __init__(self, feat: nn.Dim, out: nn.Dim) -> None:
        super().__init__()
        self.enc = nn.Linear(feat, out)
        self.aux = nn.ModuleDict({"ctc": nn.Linear(out, feat)})
        self.scale = nn.Parameter([out])

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.enc(x)


def _with_unused(loss: bool = True) -> tuple[WithUnused, nn.Dim]:
    time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 4), nn.FeatureDim("out", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = WithUnused(feat, out)
    y = net(x)
    y.mark_as_default_output()
    if loss:
        nn.reduce_sum(y * y, axis=out).mark_as_loss("l2")
    return net, out


UNUSED_NAMES = {"aux/ctc/weight/param", "aux/ctc/bias/param", "scale/param"}


def test_unused_parameters_are_in_the_config_and_the_checkpoint(
    check_config: Callable[..., Any], tmp_path: pathlib.Path
) -> None:
    net, _ = _with_unused()
    serialized = build_network(net)
    expected = expected_variable_names(net)
    assert expected > UNUSED_NAMES
    assert set(serialized.variable_names.values()) == expected
    assert list(serialized.parameters) == sorted(p for p, _ in net.named_parameters())
    layer = serialized.network["aux_ctc_weight"]
    assert layer["class"] == "variable" and layer["is_output_layer"] is True
    assert not serialized.network["enc_weight"].get("is_output_layer")  # used ones: unchanged

    report = check_config(get_returnn_config_serialized(net), train_steps=3, tmp_dir=tmp_path)
    assert report.variable_names == expected
    assert report.restored_variable_names == expected
    assert report.restore_ok
    assert all(numpy.isfinite(report.losses)) and report.losses[-1] < report.losses[0]

    # rc-serialize diff of the checkpoint RETURNN wrote: every name matches, nothing missing.
    cdiff = checkpoint_diff(net, tmp_path / "model" / "model.ckpt")
    assert cdiff.diff.ok, cdiff.format()
    assert set(cdiff.diff.matched) == {p for p, _ in net.named_parameters()}


def test_unused_parameters_do_not_depend_on_the_outputs(
    roundtrip: Callable[..., Any],
) -> None:
    # A recognition config (no loss) and a training config have the same variables.
    net, out = _with_unused(loss=False)
    net.output = nn.Parameter([out])  # unused, and its name is a reserved layer name
    net.data = nn.Parameter([out])
    result = roundtrip(net)  # asserts TF variables == checkpoint == named_parameters
    assert {"output/param", "data/param"} < result.report.variable_names
    assert result.serialized.network["output"]["class"] != "variable"
    assert result.report.variable_names > UNUSED_NAMES
    assert result.report.variable_names == expected_variable_names(net)


def _nested_a_b() -> nn.Module:
    """A model with the nested path ``heads.en.us`` (ModuleDict in a ModuleDict)."""
    f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
    net = nn.Module()
    net.heads = nn.ModuleDict({"en": nn.ModuleDict({"us": nn.Linear(f, o)})})
    return net


def test_checkpoint_scope_with_a_dot_never_matches_a_model_path() -> None:
    # The predecessor wrote ModuleDict key "en.us" as the scope heads/en.us; rc's nested
    # heads.en.us.bias is the TF variable heads/en/us/bias/param: not the same variable.
    assert variable_to_path("heads/en.us/bias/param") == "heads/en.us/bias/param"
    assert variable_to_path("heads/en/us/bias/param") == "heads.en.us.bias"
    net = _nested_a_b()
    old = {"heads/en.us/weight/param": (3, 2), "heads/en.us/bias/param": (2,)}
    cdiff = _diff_from_shapes(net, old, param_naming="predecessor", from_version=None)
    assert not cdiff.diff.matched and not cdiff.diff.ok
    # Only a suggestion by shape, which migrate applies only when asked to.
    assert {(s.old, s.new, s.kind) for s in cdiff.diff.suggestions} == {
        ("heads/en.us/weight/param", "heads.en.us.weight", "unique-shape"),
        ("heads/en.us/bias/param", "heads.en.us.bias", "unique-shape"),
    }
    with pytest.raises(rc_naming.RcNamingError):
        migration_mapping(cdiff)
    assert migration_mapping(cdiff, accept=("unique-shape",)) == {
        "heads/en/us/weight/param": "heads/en.us/weight/param",
        "heads/en/us/bias/param": "heads/en.us/bias/param",
    }
    # Both checkpoint spellings side by side stay two names (no collision in the diff).
    both = {**old, "heads/en/us/weight/param": (3, 2), "heads/en/us/bias/param": (2,)}
    cdiff = _diff_from_shapes(net, both, param_naming="predecessor", from_version=None)
    assert set(cdiff.diff.matched) == {"heads.en.us.weight", "heads.en.us.bias"}
    assert set(cdiff.diff.unexpected) == set(old)
    assert cdiff.variables["heads.en.us.bias"] == "heads/en/us/bias/param"


def test_migrate_maps_a_dotted_scope_onto_the_renamed_key() -> None:
    # The fix for such a checkpoint: rename the key in the model, map the old scope.
    f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
    net = nn.Module()
    net.heads = nn.ModuleDict({"en_us": nn.Linear(f, o)})
    old = {"heads/en.us/weight/param": (3, 2), "heads/en.us/bias/param": (2,)}
    cdiff = _diff_from_shapes(net, old, param_naming="predecessor", from_version=None)
    with pytest.raises(rc_naming.RcNamingError):
        migration_mapping(cdiff)  # nothing maps by itself
    mapping = migration_mapping(
        cdiff,
        extra={
            "heads/en.us/weight/param": "heads.en_us.weight",
            "heads/en.us/bias/param": "heads.en_us.bias",
        },
    )
    assert mapping == {
        "heads/en_us/weight/param": "heads/en.us/weight/param",
        "heads/en_us/bias/param": "heads/en.us/bias/param",
    }


def test_serializer_refuses_a_dotted_component_that_got_past_rc_nn() -> None:
    # rc-nn refuses such names at assignment; a graph edge recorded by other means is
    # refused by the serializer (never two parameters with one TF name).
    time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, f]))
    net = _nested_a_b()
    lin = nn.Linear(f, f)
    net._rc_naming_root().graph.record_assign(net, "a.b", lin)
    object.__setattr__(net, "a.b", lin)
    lin(x).mark_as_default_output()
    with pytest.raises(InvalidParameterNameError) as info:
        build_network(net)
    assert isinstance(info.value, RcSerializeError) and isinstance(info.value, ValueError)
    assert "the path component 'a.b' contains '.'" in str(info.value)
    assert "test_names_issue13.py" in str(info.value)  # where the parameter was created


def test_predecessor_checkpoint_without_the_unused_variables(
    returnn_tf: Any, tmp_path: pathlib.Path
) -> None:
    """The predecessor dropped unused parameters, so its checkpoints lack them: diff says
    so, RETURNN refuses to load it as is, and loads it with ``load_ignore_missing_vars``
    (the used parameters get the checkpoint's values)."""
    tf = returnn_tf
    feat, out = nn.FeatureDim("in", 4), nn.FeatureDim("out", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    net = WithUnused(feat, out)
    net(x).mark_as_default_output()
    rng = numpy.random.default_rng(3)
    weight = rng.normal(size=(4, 3)).astype("float32")
    bias = rng.normal(size=(3,)).astype("float32")
    checkpoint = str(tmp_path / "model.080")
    graph = tf.Graph()
    with graph.as_default():
        variables = [
            tf.compat.v1.Variable(weight, name="enc/weight/param"),
            tf.compat.v1.Variable(bias, name="enc/bias/param"),
        ]
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver(variables).save(session, checkpoint, write_meta_graph=False)

    cdiff = checkpoint_diff(net, checkpoint)
    assert cdiff.diff.matched == ("enc.bias", "enc.weight")
    assert set(cdiff.diff.missing) == {"aux.ctc.weight", "aux.ctc.bias", "scale"}
    assert not cdiff.diff.unexpected

    _quiet_returnn_log()
    code = get_returnn_config_serialized(net)

    def forward(extra: str) -> Any:
        path = tmp_path / "returnn_config.py"
        path.write_text(code + extra, encoding="utf-8")
        config = _load_config(path)
        with _behavior_version_of(config):
            built = _construct(config, train=False, search=False, seed=1)
            network = built.network
            with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
                network.initialize_params(session)
                network.load_params_from_file(checkpoint, session=session)
                data = network.extern_data.data["data"]
                inputs = rng.normal(size=(2, 4)).astype("float32")
                output = network.get_default_output_layer().output
                return inputs, session.run(output.placeholder, {data.placeholder: inputs})

    with pytest.raises(Exception, match=r"aux/ctc/weight/param|scale/param"):
        forward("")
    inputs, values = forward("\nload_ignore_missing_vars = True\n")
    numpy.testing.assert_allclose(values, inputs @ weight + bias, rtol=1e-5, atol=1e-5)


_FACTORY = """
import rc_nn as nn

def build():
    f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, f]))
    net = nn.Module()
    net.heads = nn.ModuleDict({"en_us": nn.Linear(f, o)})
    net.heads["en_us"](x).mark_as_default_output()
    return net
"""


def test_cli_diff_and_migrate_of_a_dotted_checkpoint_scope(
    returnn_tf: Any,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tf = returnn_tf
    (tmp_path / "dotted_scope_factory.py").write_text(_FACTORY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    old = str(tmp_path / "old.ckpt")
    graph = tf.Graph()
    with graph.as_default():
        variables = [
            tf.compat.v1.Variable(numpy.ones((3, 2), "float32"), name="heads/en.us/weight/param"),
            tf.compat.v1.Variable(numpy.full((2,), 2.0, "float32"), name="heads/en.us/bias/param"),
        ]
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver(variables).save(session, old, write_meta_graph=False)
    model = "dotted_scope_factory:build"
    capsys.readouterr()
    assert main(["diff", model, "--checkpoint", old]) == 1
    out = capsys.readouterr().out
    assert "heads/en.us/bias/param" in out and "0 matched" in out and "MISMATCH" in out
    new = str(tmp_path / "new.ckpt")
    maps = [
        "heads/en.us/weight/param=heads.en_us.weight",
        "heads/en.us/bias/param=heads.en_us.bias",
    ]
    args = ["migrate", model, "--checkpoint", old, "-o", new]
    assert main([*args, *(a for m in maps for a in ("--map", m))]) == 0
    assert main(["diff", model, "--checkpoint", new]) == 0
    reader = tf.train.load_checkpoint(new)
    numpy.testing.assert_array_equal(reader.get_tensor("heads/en_us/bias/param"), [2.0, 2.0])


def test_unused_submodule_with_an_invalid_name_is_an_error() -> None:
    # Its variable is created now, so its name must be a TF variable name like any other.
    net, _ = _with_unused()
    f = nn.FeatureDim("f", 2)
    net.heads = nn.ModuleDict({"bad key": nn.Linear(f, f)})  # never called
    with pytest.raises(InvalidParameterNameError, match="the path component 'bad key'"):
        build_network(net)
