"""The bad-input catalogue (docs/bad-inputs.md): one test per user mistake.

Each mistake is a factory in a small user module. Every row checks the error the
user sees in Python (exception class and a piece of its first line, which must
point at the user's file where the table says so) and, through the command line
tool, that the output file is left exactly as it was and no temporary file is
left behind.
"""

from __future__ import annotations

import importlib
import itertools
import os
import pathlib
import textwrap
from typing import Any

import pytest

import rc_naming
from rc_serialize import build_network, get_returnn_config_serialized
from rc_serialize._cli import main

_numbers = itertools.count()

USER_MODULE = textwrap.dedent(
    """
    import rc_nn as nn

    def _x(*dims):
        return nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, *dims]))

    class Net(nn.Module):
        def __init__(self, f, o):
            super().__init__()
            self.lin = nn.Linear(f, o)

        def forward(self, x):
            return self.lin(x)

    def wrong_dims():
        f, g, o = nn.FeatureDim("f", 3), nn.FeatureDim("g", 3), nn.FeatureDim("o", 2)
        net = Net(f, o)
        net(_x(g)).mark_as_default_output()  # the input has g, the Linear wants f
        return net

    class Halve(nn.Module):
        def forward(self, x, time):
            y, _ = nn.slice(x, axis=time, slice_step=2)
            return y + x  # [⌈time/2⌉] with [time]

    def derived_dim_broadcast():
        time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        net = Halve()
        net(_x(time, f), time).mark_as_default_output()
        return net

    class TwoResults(nn.Module):
        def forward(self, x, f):
            loop = nn.Loop(max_seq_len=2)
            loop.state.h = x
            with loop:
                with nn.Cond(nn.reduce_sum(loop.state.h, axis=[nn.batch_dim, f]) > 0.0) as cond:
                    cond.true = (loop.state.h, -loop.state.h)
                    cond.false = (-loop.state.h, loop.state.h)
                loop.state.h = nn.tanh(cond.result[0] + cond.result[1])
                loop.end(loop.iteration >= 1, include_eos=True)
                ys = loop.stack(loop.state.h)
            return nn.reduce_mean(ys, axis=loop.axis)

    def cond_two_results_in_loop():
        f = nn.FeatureDim("f", 3)
        net = TwoResults()
        net(_x(f), f).mark_as_default_output()
        return net

    class Unreachable(nn.Module):
        def __init__(self, f, o):
            super().__init__()
            self.helpers = [nn.Linear(f, o)]  # a plain list: not an attribute chain

        def forward(self, x):
            return self.helpers[0](x)

    def unreachable_parameter():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        net = Unreachable(f, o)
        net(_x(f)).mark_as_default_output()
        return net

    def two_roots():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        with nn.Root("other"):
            x = _x(f)
        net = Net(f, o)
        net(x).mark_as_default_output()
        return net

    def output_never_marked():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        net = Net(f, o)
        net(_x(f))
        return net

    def _with_dict(key):
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        net = Net(f, o)
        net.heads = nn.ModuleDict({key: nn.Linear(f, o)})
        x = _x(f)
        (net(x) + net.heads[key](x)).mark_as_default_output()
        return net

    def bad_dict_key():
        return _with_dict("bad key")

    def slash_dict_key():
        return _with_dict("a/b")

    def method_dict_key():
        return _with_dict("keys")

    def dotted_dict_key():
        return _with_dict("en.us")

    def dot_dict_key():
        return _with_dict(".")

    def dotted_attribute():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        net = Net(f, o)
        net.a = nn.Module()
        net.a.b = nn.Linear(f, o)
        setattr(net, "a.b", nn.Linear(f, o))  # would have the path of net.a.b
        x = _x(f)
        (net.a.b(x) + getattr(net, "a.b")(x)).mark_as_default_output()
        return net

    def _marked(output_name=None, loss_name=None):
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        net = Net(f, o)
        y = net(_x(f))
        y.mark_as_default_output()
        if output_name is not None:
            nn.tanh(y).mark_as_output(output_name)
        if loss_name is not None:
            nn.reduce_sum(y * y, axis=o).mark_as_loss(loss_name)
        return net

    def bad_loss_name():
        return _marked(loss_name="my loss/1")

    def bad_output_name():
        return _marked(output_name="out:1")

    def output_named_output():
        return _marked(output_name="output")

    def reserved_names():
        f = nn.FeatureDim("f", 3)
        net = nn.Module()
        net.output = nn.Linear(f, f)
        net.data = nn.Linear(f, f)
        net.end = nn.Linear(f, f)
        x = _x(f)
        net.data(net.output(x) + net.end(x)).mark_as_default_output()
        return net

    class A(nn.Module):
        def forward(self, x):
            return self.b.lin(x)

    class B(nn.Module):
        pass

    def module_cycle():
        f = nn.FeatureDim("f", 3)
        a, b = A(), B()
        a.b = b
        b.a = a
        b.lin = nn.Linear(f, f)
        a(_x(f)).mark_as_default_output()
        return a

    def raises():
        raise RuntimeError("the factory is broken on purpose")

    def build():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        net = Net(f, o)
        net(_x(f)).mark_as_default_output()
        return net
    """
)


@pytest.fixture
def user_module(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"rc_bad_inputs_{next(_numbers)}"
    src = tmp_path / "src"
    src.mkdir()
    (src / f"{name}.py").write_text(USER_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(src))
    return importlib.import_module(name)


def _cli_leaves_output_untouched(
    module: Any, factory: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> str:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "model.config.py"
    out.write_text("OLD CONFIG\n", encoding="utf-8")
    code = main(["build", f"{module.__name__}:{factory}", "-o", str(out)])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert out.read_text(encoding="utf-8") == "OLD CONFIG\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["model.config.py"]  # no temp file left
    return err


# factory, exception class name, text in the first line of the message, the user's file named?
ERROR_ROWS = [
    ("wrong_dims", "DimMismatchError", "has no dim f(3)", True),
    ("unreachable_parameter", "UnreachableError", "not reachable", True),
    ("two_roots", "RootMismatchError", "root", False),
    ("output_never_marked", "NoOutputError", "", False),
    ("bad_dict_key", "InvalidParameterNameError", "bad key", False),
    ("slash_dict_key", "InvalidParameterNameError", "a/b", False),
    ("method_dict_key", "ValueError", "would hide the attribute ModuleDict.keys", False),
    ("dotted_dict_key", "DottedNameError", "ModuleDict key 'en.us' (at ", True),
    ("dot_dict_key", "DottedNameError", "ModuleDict key '.' (at ", True),
    ("dotted_attribute", "DottedNameError", "Net attribute 'a.b' (at ", True),
    ("bad_loss_name", "RcNnError", "my loss/1", True),
    ("bad_output_name", "RcNnError", "out:1", True),
    ("derived_dim_broadcast", "DimMismatchError", "derived from the other", True),
    ("cond_two_results_in_loop", "ControlFlowError", "one tensor only", True),
]


@pytest.mark.parametrize(("factory", "exc_name", "text", "names_user_file"), ERROR_ROWS)
def test_mistake_gives_a_clear_error_and_writes_nothing(
    user_module: Any,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    factory: str,
    exc_name: str,
    text: str,
    names_user_file: bool,
) -> None:
    with rc_naming.Root("bad-input"), pytest.raises(Exception) as info:
        get_returnn_config_serialized(getattr(user_module, factory)())
    exc = info.value
    names = [cls.__name__ for cls in type(exc).__mro__]
    assert exc_name in names, f"{type(exc).__name__}: {exc}"
    first_line = str(exc).splitlines()[0]
    assert text in first_line, first_line
    if names_user_file:
        assert os.path.basename(user_module.__file__) in str(exc), str(exc)
    _cli_leaves_output_untouched(user_module, factory, tmp_path, capsys)


def test_reserved_names_are_never_taken(user_module: Any) -> None:
    with rc_naming.Root("bad-input"):
        net = user_module.reserved_names()
        code = get_returnn_config_serialized(net)
    namespace: dict[str, Any] = {}
    exec(compile(code, "<config>", "exec"), namespace)
    network = namespace["network"]
    assert network["output"]["class"] != "variable"  # "output" is the default output layer
    assert "data" not in network  # the extern data keeps its name
    assert sorted(name for name, _ in net.named_parameters()) == [
        "data.bias",
        "data.weight",
        "end.bias",
        "end.weight",
        "output.bias",
        "output.weight",
    ]


def test_extra_output_named_output_is_renamed(user_module: Any) -> None:
    with rc_naming.Root("bad-input"):
        serialized = build_network(user_module.output_named_output())
    assert serialized.network["output"]["class"] == "linear"  # the default output
    assert serialized.network["output_1"]["class"] == "activation"  # N6: numeric suffix


def test_module_graph_cycle_resolves(user_module: Any) -> None:
    with rc_naming.Root("bad-input"):
        net = user_module.module_cycle()
        get_returnn_config_serialized(net)
        assert [name for name, _ in net.named_parameters()] == ["b.lin.weight", "b.lin.bias"]


def test_factory_that_raises(
    user_module: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _cli_leaves_output_untouched(user_module, "raises", tmp_path, capsys)
    first = err.splitlines()[0]
    assert (
        first.startswith("rc-serialize: error: model ")
        and "the factory raised RuntimeError" in first
    )
    assert "the factory is broken on purpose" in first
    assert os.path.basename(user_module.__file__) in err  # the traceback names the user's line


@pytest.mark.parametrize("where", ["missing_dir", "parent_is_file", "is_dir"])
def test_unwritable_output_path(
    user_module: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("keep\n", encoding="utf-8")
    out = {
        "missing_dir": tmp_path / "no" / "such" / "dir" / "c.py",
        "parent_is_file": blocker / "c.py",
        "is_dir": tmp_path,
    }[where]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code = main(["build", f"{user_module.__name__}:build", "-o", str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith(f"rc-serialize: error: output {str(out)!r}: "), first
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert blocker.read_text(encoding="utf-8") == "keep\n"
