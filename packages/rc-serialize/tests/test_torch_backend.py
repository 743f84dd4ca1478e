"""The torch backend at build time (no PyTorch needed): config layout, names, errors.

What RETURNN's PyTorch backend does with these configs is in ``test_torch_returnn.py``
(marked ``torch``).
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap

import pytest

import rc_nn as nn
from rc_serialize import (
    BackendError,
    RcSerializeError,
    ReturnnConfigPieces,
    TorchNameError,
    TorchNotCoveredError,
    get_returnn_config_serialized,
)
from rc_serialize._example import build_example
from rc_serialize._torch_lower import covered_ops

THIS_FILE = os.path.basename(__file__)


def _linear_model() -> tuple[nn.Module, nn.Tensor, nn.Dim]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    return net, x, time


def _added_params(code: str) -> list[str]:
    """The dotted paths of the ``_add_param`` calls in ``get_model``, in order."""
    tree = ast.parse(code)
    paths = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_add_param":
            paths.append(".".join(ast.literal_eval(node.args[1])))
    return paths


def test_example_torch_config_layout_and_names() -> None:
    model = build_example()
    code = get_returnn_config_serialized(model, backend="torch")
    compile(code, "<torch config>", "exec")
    assert 'backend = "torch"\n' in code
    for name in ("def get_model(", "def train_step(", "def forward_step("):
        assert code.count(name) == 1, name
    # state_dict keys = canonical names, one per parameter, in named_parameters order
    assert _added_params(code) == [name for name, _ in model.named_parameters()]
    assert 'mark_as_loss(x35, "ctc", scale=1.0, as_error=False)' in code
    assert "rc_serialize" not in code and "rc_nn" not in code  # self-contained
    # the forward pass never reads the targets; the training step does
    forward = code.split("def forward_step(")[1]
    assert 'extern_data["classes"]' not in forward
    assert 'extern_data["classes"]' in code.split("def train_step(")[1]


def test_tf_stays_the_default() -> None:
    model = build_example()
    assert get_returnn_config_serialized(model) == get_returnn_config_serialized(
        model, backend="tf"
    )


def test_unknown_backend_is_a_clear_error() -> None:
    net, x, _ = _linear_model()
    net(x).mark_as_default_output()
    with pytest.raises(BackendError, match="'tf' or 'torch', got 'jax'") as info:
        get_returnn_config_serialized(net, backend="jax")
    assert isinstance(info.value, ValueError)


def test_alias_adds_no_second_key() -> None:
    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dim = nn.FeatureDim("model", 3)
            self.first = nn.Linear(dim, dim)
            self.second = self.first  # an alias: no second parameter

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            out: nn.Tensor = self.second(self.first(x))
            return out

    model = Shared()
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, model.first.in_dim]))
    model(x).mark_as_default_output()
    code = get_returnn_config_serialized(model, backend="torch")
    assert _added_params(code) == ["first.weight", "first.bias"]


def test_user_strings_go_through_the_escaping_path() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleDict(
                {"a-b": nn.Linear(nn.FeatureDim('in"\n', 2), nn.FeatureDim("o'ut\u2028", 2))}
            )

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            out: nn.Tensor = self.layers["a-b"](x)
            return out

    model = Odd()
    in_dim = model.layers["a-b"].in_dim
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, in_dim]))
    model(x).mark_as_output("na.me-1")
    code = get_returnn_config_serialized(model, backend="torch")
    compile(code, "<torch config>", "exec")
    assert _added_params(code) == ["layers.a-b.weight", "layers.a-b.bias"]
    assert code.isascii()
    assert "name='in\"\\n'" in code and "o'ut\\u2028" in code
    assert '"na.me-1", dims=' in code


def test_config_pickles_like_returnn_does(tmp_path: pytest.TempPathFactory) -> None:
    from returnn.config import Config  # noqa: PLC0415

    path = tmp_path / "torch.config"  # type: ignore[operator]
    path.write_text(get_returnn_config_serialized(build_example(), backend="torch"))
    config = Config()
    config.load_file(str(path))
    restored = pickle.loads(pickle.dumps(config))
    assert sorted(restored.typed_dict) == sorted(config.typed_dict)
    assert callable(restored.typed_dict["get_model"])


_SERIALIZE = textwrap.dedent(
    """
    import sys
    from rc_serialize import get_returnn_config_serialized
    from rc_serialize._example import build_example
    sys.stdout.write(get_returnn_config_serialized(build_example(), backend="torch"))
    """
)


def test_same_torch_config_under_different_hash_seeds() -> None:
    outputs = []
    for seed in ("0", "12345"):
        proc = subprocess.run(
            [sys.executable, "-c", _SERIALIZE],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert 'backend = "torch"' in outputs[0]


def _assert_clear(info: pytest.ExceptionInfo[TorchNotCoveredError], *parts: str) -> None:
    message = str(info.value)
    assert isinstance(info.value, RcSerializeError)
    assert isinstance(info.value, NotImplementedError)
    assert "docs/design/torch-backend.md" in message
    for part in parts:
        assert part in message, message


def test_uncovered_layer_class_is_a_clear_error() -> None:
    net, x, _ = _linear_model()
    y = nn.where(nn.train_flag(), net(x), 0.0)  # a train_flag layer class: not covered yet
    y.mark_as_default_output()
    with pytest.raises(TorchNotCoveredError) as info:
        get_returnn_config_serialized(net, backend="torch")
    _assert_clear(info, '"train_flag"', f"{THIS_FILE}:", "no torch lowering")


def test_unknown_option_is_a_clear_error() -> None:
    net, x, _ = _linear_model()
    y = nn.make_layer(
        {"class": "activation", "from": net(x), "activation": "relu", "out_type": {}},
        name="act",
    )
    y.mark_as_default_output()
    with pytest.raises(TorchNotCoveredError) as info:
        get_returnn_config_serialized(net, backend="torch")
    _assert_clear(info, '"activation"', "'out_type'")


def test_untranslatable_eval_is_a_clear_error() -> None:
    net, x, _ = _linear_model()
    y = nn.make_layer({"class": "eval", "from": net(x), "eval": "tf.cos(source(0))"}, name="c")
    y.mark_as_default_output()
    with pytest.raises(TorchNotCoveredError) as info:
        get_returnn_config_serialized(net, backend="torch")
    _assert_clear(info, '"eval"', "tf.cos")


def test_control_flow_is_a_clear_error() -> None:
    # loops, conds and masked computation are covered (tests/test_torch_loops.py), a loop
    # inside a loop is not yet
    net, x, time = _linear_model()
    y = net(x)
    with nn.Loop(axis=time) as loop:
        y_t = loop.unstack(y)
        with nn.Loop(axis=time) as inner:
            z = inner.stack(y_t * inner.unstack(y))
        ys = loop.stack(nn.reduce_sum(z, axis=time))
    ys.mark_as_default_output()
    with pytest.raises(TorchNotCoveredError) as info:
        get_returnn_config_serialized(net, backend="torch")
    _assert_clear(info, "control flow", "nn.Loop", "nested blocks", f"{THIS_FILE}:")


def test_extra_net_dict_is_a_clear_error() -> None:
    net, x, _ = _linear_model()
    net(x).mark_as_default_output()
    nn.extra_net_dict()["#copy_param_mode"] = "subset"
    with pytest.raises(TorchNotCoveredError) as info:
        get_returnn_config_serialized(net, backend="torch")
    _assert_clear(info, '"#copy_param_mode"', "extra net dict")


def test_coverage_table_lists_every_lowering() -> None:
    doc_path = os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "docs", "design", "torch-backend.md"
    )
    with open(doc_path, encoding="utf-8") as handle:
        doc = handle.read()
    for op in covered_ops():
        assert f"| `{op}` |" in doc, op


def test_cli_builds_the_torch_config(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from rc_serialize._cli import main  # noqa: PLC0415

    out = tmp_path / "example_torch.config"  # type: ignore[operator]
    assert main(["build", "-o", str(out), "--backend", "torch"]) == 0
    assert "torch backend, 18 parameters" in capsys.readouterr().out
    with nn.Root():
        expected = get_returnn_config_serialized(build_example(), backend="torch")
    assert out.read_text() == expected


_NAN_LOSS_MODEL = """
import rc_nn as nn

def nan_loss():
    f, o = nn.FeatureDim("in", 3), nn.FeatureDim("out", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, f]))
    model = nn.Linear(f, o)
    y = model(x)
    y.mark_as_default_output()
    nn.reduce_sum(nn.sqrt(y * 0.0 - 1.0), axis=o).mark_as_loss("nan")  # sqrt(-1)
    return model

def no_loss():
    f = nn.FeatureDim("in", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, f]))
    model = nn.Linear(f, f)
    model(x).mark_as_default_output()
    return model
"""


@pytest.fixture
def torch_factories(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module with the factories above; returns its name."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "rc_torch_cli_factories.py").write_text(_NAN_LOSS_MODEL, encoding="utf-8")
    monkeypatch.syspath_prepend(str(source))
    return "rc_torch_cli_factories"


@pytest.mark.torch
def test_cli_torch_check_trains_the_example_before_writing(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rc_serialize._cli import main  # noqa: PLC0415

    out = tmp_path / "example_torch.config"
    assert main(["build", "-o", str(out), "--backend", "torch", "--check"]) == 0
    printed = capsys.readouterr().out
    for line in (
        "checking the config in RETURNN (PyTorch backend)",
        "training: 3 steps, every loss finite",
        "checkpoint: 18 keys equal the canonical parameter names",
        "check passed",
        f"wrote {out} (torch backend, 18 parameters",
    ):
        assert line in printed, printed
    assert printed.count("  step ") == 3
    with nn.Root():
        assert out.read_text() == get_returnn_config_serialized(build_example(), backend="torch")


@pytest.mark.torch
def test_cli_torch_check_fails_on_a_nan_loss_and_writes_nothing(
    torch_factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rc_serialize._cli import main  # noqa: PLC0415

    out = tmp_path / "nan.config"
    args = ["build", f"{torch_factories}:nan_loss", "-o", str(out), "--backend", "torch"]
    assert main([*args, "--check", "--train-steps", "2"]) == 1
    printed = capsys.readouterr().out
    assert "check FAILED" in printed and "check passed" not in printed, printed
    assert "training: NON-FINITE LOSS in step 1: RETURNN stopped" in printed, printed
    assert "rf.sqrt(" in printed  # RETURNN's traceback shows the config line
    assert not out.exists()


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None, reason="PyTorch is installed here"
)
def test_cli_torch_check_without_pytorch_is_a_clear_error(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rc_serialize._cli import main  # noqa: PLC0415

    out = tmp_path / "x.config"
    assert main(["build", "-o", str(out), "--backend", "torch", "--check"]) == 2
    err = capsys.readouterr().err
    assert "--check with --backend torch needs PyTorch and RETURNN" in err, err
    assert "rc-serialize[torch]" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("model", "flags", "words"),
    [
        (None, ["--synthetic-training"], ["--synthetic-training works with --backend tf only"]),
        (None, ["--train-steps", "3"], ["--train-steps works with --check only"]),
        (None, ["--check", "--train-steps", "0"], ["trains at least 1 step"]),
        ("no_loss", ["--check"], ["no output is marked as a loss", "mark_as_loss"]),
    ],
)
def test_cli_torch_check_usage_errors(
    model: str | None,
    flags: list[str],
    words: list[str],
    torch_factories: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rc_serialize._cli import main  # noqa: PLC0415

    out = tmp_path / "x.config"
    spec = [] if model is None else [f"{torch_factories}:{model}"]
    assert main(["build", *spec, "-o", str(out), "--backend", "torch", *flags]) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err, err
    assert not out.exists()


def test_nan_loss_is_not_finite() -> None:
    from rc_serialize.testing import TorchTraining  # noqa: PLC0415

    assert TorchTraining([{"ctc": 1.0}, {"ctc": 2.0}], [], "").finite()
    assert not TorchTraining([{"ctc": 1.0}, {"ctc": float("nan")}], [], "").finite()
    assert not TorchTraining([{"ctc": float("inf")}], [], "").finite()
    assert not TorchTraining([], [], "").finite()  # no logged step proves nothing


def test_training_log_is_parsed() -> None:
    from rc_serialize._torch_train import _parse_losses  # noqa: PLC0415

    log = (
        "ep 1 train, step 0, ctc 17.303, fer 0.5, 0.244 sec/step, elapsed 0:00:05\n"
        "ep 1 train, step 1, ctc nan, 0.091 sec/step, elapsed 0:00:05\n"
    )
    losses = _parse_losses(log)
    assert losses[0] == {"ctc": 17.303, "fer": 0.5}
    assert math.isnan(losses[1]["ctc"])


def test_output_and_loss_names_are_the_tf_layer_names() -> None:
    net, x, _ = _linear_model()
    y = net(x)
    y.mark_as_default_output()
    nn.tanh(y).mark_as_output("output")  # "output" is the default output's: renamed (N6)
    nn.reduce(y, mode="sum", axis=net.out_dim).mark_as_loss("loss")
    nn.reduce(y, mode="max", axis=net.out_dim).mark_as_loss("loss")
    tf_network = ReturnnConfigPieces(net).network_dict
    code = get_returnn_config_serialized(net, backend="torch")
    outputs = [n.args[1].value for n in ast.walk(ast.parse(code)) if _is_call(n, "mark_as_output")]
    losses = [n.args[1].value for n in ast.walk(ast.parse(code)) if _is_call(n, "mark_as_loss")]
    assert outputs == ["output", "output_1"]
    assert len(set(losses)) == 2 and set(losses) <= set(tf_network)
    assert set(outputs) <= set(tf_network)


def _is_call(node: ast.AST, method: str) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "attr", None) == method


def _record_of_linear() -> tuple[nn.BuildRecord, nn.RecordHandles, nn.Dim]:
    net, x, time = _linear_model()
    net(x).mark_as_default_output()
    record, handles = nn.build_record(net)
    return record, handles, time


def test_lowering_context_binds_dims_made_at_run_time() -> None:
    from rc_serialize._code import DimNamer  # noqa: PLC0415
    from rc_serialize._torch_lower import LowerCtx  # noqa: PLC0415

    record, handles, time = _record_of_linear()
    time_id = next(i for i, d in enumerate(handles.dims) if d is time)
    ctx = LowerCtx(record, handles.dims, DimNamer(), runtime_dims=[time_id])
    ctx.begin(next(layer for layer in record.layers if layer.op == "linear"))
    with pytest.raises(TorchNotCoveredError, match="creates at run time, but no lowering"):
        ctx.dim(time_id)
    assert ctx.bind_dim(nn.DimRef(time_id)) == f"d{time_id}"
    assert ctx.dim(time) == ctx.dim(time_id) == f"d{time_id}"
    assert ctx.dims([nn.DimRef(0), time_id]) == f"[batch_dim, d{time_id}]"
    assert (
        ctx.value(nn.SeqValue((1.5, "a\n", nn.LayerRef(3)), is_list=False)) == '(1.5, "a\\n", x3)'
    )


def test_registered_lowering_extends_the_backend() -> None:
    from rc_serialize import _torch_lower  # noqa: PLC0415

    net, x, _ = _linear_model()
    nn.cumsum(net(x), axis=net.out_dim).mark_as_default_output()
    op = "cumsum"
    covered = _torch_lower._REGISTRY.pop(op)  # covered since; this test registers its own

    @_torch_lower.register(op)
    def _cumsum(layer: nn.LayerRecord, ctx: _torch_lower.LowerCtx) -> list[str]:
        opts = ctx.options({"from", "axis"})
        return [
            ctx.assign(f"rf.cumsum({ctx.value(opts['from'])}, spatial_dim={ctx.dim(opts['axis'])})")
        ]

    try:
        code = get_returnn_config_serialized(net, backend="torch")
        with pytest.raises(ValueError, match="registered already"):
            _torch_lower.register(op)(_cumsum)
    finally:
        _torch_lower._REGISTRY[op] = covered
    assert "= rf.cumsum(x" in code and "spatial_dim=out_dim)" in code


def test_path_component_torch_cannot_hold_is_a_clear_error() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.float = nn.Linear(nn.FeatureDim("in", 2), nn.FeatureDim("out", 2))

        def __call__(self, x: nn.Tensor) -> nn.Tensor:
            out: nn.Tensor = self.float(x)
            return out

    net = Net()
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, net.float.in_dim]))
    net(x).mark_as_default_output()
    get_returnn_config_serialized(net)  # fine for TF
    with pytest.raises(
        TorchNameError, match=r"float\.weight .*'float' is the name of an attr"
    ) as info:
        get_returnn_config_serialized(net, backend="torch")
    assert isinstance(info.value, ValueError) and f"{THIS_FILE}:" in str(info.value)
