"""One exception base (issue 15): what rc-serialize raises on purpose is an ``RcSerializeError``.

Each leaf also inherits the builtin raised before (``FileNotFoundError``, ``TypeError``,
``RuntimeError``, ``AssertionError``, ...), so existing ``except`` clauses keep working.
"""

from __future__ import annotations

import dataclasses
import pathlib
import stat
import types

import pytest

import rc_nn as nn
import rc_serialize
import rc_serialize.testing
from rc_serialize import (
    CheckpointPathError,
    CheckpointVariableError,
    ConfigCodeError,
    RcSerializeError,
    build_network,
    migrate_checkpoint,
    preload_config_code,
    read_checkpoint_shapes,
)
from rc_serialize._cli_model import CliError
from rc_serialize._pycode import str_literal
from rc_serialize._returnn_check_rnn import (
    ReturnnSubprocessError,
    ReturnnTimeoutError,
    run_returnn_training,
)
from rc_serialize.testing import CheckReport, RoundTripError, assert_templates_agree, template_of


def _public_exceptions() -> list[type[BaseException]]:
    found = []
    for module in (rc_serialize, rc_serialize.testing):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                found.append(value)
    return found


@pytest.mark.parametrize("error", _public_exceptions(), ids=lambda e: e.__name__)
def test_every_public_exception_is_an_rc_serialize_error(error: type[BaseException]) -> None:
    assert issubclass(error, RcSerializeError)


def test_the_public_exceptions_are_found() -> None:
    names = {error.__name__ for error in _public_exceptions()}
    assert {"CheckpointPathError", "ConfigCodeError", "RoundTripError"} <= names


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (CheckpointPathError, FileNotFoundError),
        (CheckpointVariableError, LookupError),
        (ConfigCodeError, TypeError),
        (ReturnnSubprocessError, RuntimeError),
        (ReturnnTimeoutError, ReturnnSubprocessError),
        (RoundTripError, AssertionError),
        (CliError, RcSerializeError),
    ],
)
def test_leaves_keep_the_builtin_raised_before(
    error: type[BaseException], builtin: type[BaseException]
) -> None:
    assert issubclass(error, RcSerializeError) and issubclass(error, builtin)


@pytest.mark.parametrize("value", [3, None, b"bytes"])
def test_a_non_string_where_the_code_needs_a_string_is_a_config_code_error(value: object) -> None:
    with pytest.raises(ConfigCodeError, match="expected a string to write as config code"):
        str_literal(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a string"):
        preload_config_code("old/model.003", {"a/param": "b/param"}, key=value)  # type: ignore[arg-type]


def _script(tmp_path: pathlib.Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_returnn_failing_in_the_subprocess_is_a_subprocess_error(tmp_path: pathlib.Path) -> None:
    python = _script(tmp_path, "failing-python", "echo 'RETURNN said no' >&2; exit 3")
    with pytest.raises(ReturnnSubprocessError, match=r"exited with 3(.|\n)*RETURNN said no"):
        run_returnn_training("network = {}\n", tmp_path / "work", python=python)


def test_returnn_running_too_long_is_a_timeout_error(tmp_path: pathlib.Path) -> None:
    python = _script(tmp_path, "slow-python", "echo started; exec sleep 60")
    with pytest.raises(ReturnnTimeoutError, match=r"did not finish within 0\.5 s") as info:
        run_returnn_training("network = {}\n", tmp_path / "work", python=python, timeout=0.5)
    assert isinstance(info.value, RcSerializeError)
    assert info.value.timeout == 0.5
    assert info.value.cmd[0] == python


def _linear_model() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    net(x).mark_as_default_output()
    return net


def test_templates_that_differ_are_a_round_trip_error() -> None:
    serialized = build_network(_linear_model())
    ours = {name: template_of(t.data) for name, t in serialized.layer_tensors.items()}
    report = CheckReport(
        variable_names=set(),
        variable_shapes={},
        layer_templates=dict(ours),
        outputs={},
        losses=[],
        restored_variable_names=set(),
        restore_ok=True,
    )
    assert_templates_agree(serialized, report)  # equal templates: no error
    report.layer_templates["output"] = dataclasses.replace(ours["output"], dtype="int32")
    with pytest.raises(RoundTripError, match=r"output: ours .* float32, RETURNN .* int32"):
        assert_templates_agree(serialized, report)


def _write_checkpoint(tf: types.ModuleType, prefix: pathlib.Path) -> None:
    graph = tf.Graph()
    with graph.as_default():
        variable = tf.compat.v1.Variable([1.0, 2.0], name="lin/weight/param")
        saver = tf.compat.v1.train.Saver(var_list={"lin/weight/param": variable})
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, str(prefix), write_meta_graph=False, write_state=False)


def test_checkpoint_tool_errors(returnn_tf: types.ModuleType, tmp_path: pathlib.Path) -> None:
    with pytest.raises(CheckpointPathError, match="cannot read TF checkpoint"):
        read_checkpoint_shapes(tmp_path / "missing" / "model.003")
    old = tmp_path / "model.001"
    _write_checkpoint(returnn_tf, old)
    assert read_checkpoint_shapes(old) == {"lin/weight/param": (2,)}
    new = tmp_path / "new" / "model.001"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        migrate_checkpoint(old, new, {"enc/weight/param": "lin/weight/param"})
    assert isinstance(info.value, CheckpointPathError)
    new.parent.mkdir()
    with pytest.raises(CheckpointPathError, match="cannot read TF checkpoint"):
        migrate_checkpoint(tmp_path / "nothing", new, {"a/param": "b/param"})
    with pytest.raises(CheckpointVariableError, match=r"has no variable 'lin/wieght/param'"):
        migrate_checkpoint(old, new, {"enc/weight/param": "lin/wieght/param"})
    assert list(new.parent.iterdir()) == []  # nothing written
    written = migrate_checkpoint(old, new, {"enc/weight/param": "lin/weight/param"})
    assert read_checkpoint_shapes(written) == {"enc/weight/param": (2,)}
