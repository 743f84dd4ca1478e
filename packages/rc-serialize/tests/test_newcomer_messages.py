"""Messages a newcomer understands (issue 13 §6): look-alike dims, a module never called.

The mistakes are factories in a small user module (written to a temporary directory and
imported), checked through the Python API and through ``rc-serialize build``. Where a
message names the user's lines, the exact ``file:line`` is asserted.
"""

from __future__ import annotations

import importlib
import itertools
import pathlib
import textwrap
from typing import Any

import pytest

import rc_naming
import rc_nn as nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._cli import main

_numbers = itertools.count()

USER_MODULE = textwrap.dedent(
    """
    import rc_nn as nn

    def _x(*dims):
        return nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, *dims]))

    class Model(nn.Module):
        def __init__(self, f, o):
            super().__init__()
            self.lin = nn.Linear(f, o)
            self.unused = nn.Linear(f, o)

        def forward(self, x):
            return self.lin(x)

    def lookalike_dims():
        f = nn.FeatureDim("input", 40)  # site: model dim
        model = Model(f, nn.FeatureDim("out", 2))
        x = _x(nn.SpatialDim("time"), nn.FeatureDim("input", 40))  # site: data dim
        model(x).mark_as_default_output()
        return model

    def never_called():
        return Model(nn.FeatureDim("f", 3), nn.FeatureDim("o", 2))  # site: never called

    def called_not_marked():
        f = nn.FeatureDim("f", 3)
        model = Model(f, nn.FeatureDim("o", 2))
        model(_x(f))  # site: unmarked call
        return model

    def submodule_called_not_marked():
        f = nn.FeatureDim("f", 3)
        model = Model(f, nn.FeatureDim("o", 2))
        model.lin(_x(f))  # site: submodule call
        return model

    def only_a_submodule_called():
        f = nn.FeatureDim("f", 3)
        model = Model(f, nn.FeatureDim("o", 2))
        model.lin(_x(f)).mark_as_default_output()
        return model

    def parameter_used_directly():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        model = Model(f, o)
        nn.dot(_x(f), model.lin.weight, reduce=f).mark_as_default_output()
        return model

    def another_model_called():
        f, o = nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
        called = Model(f, o)  # site: the called model
        called(_x(f)).mark_as_default_output()
        return Model(f, o)  # site: the returned model
    """
)


def _line(marker: str) -> int:
    lines = [n for n, line in enumerate(USER_MODULE.splitlines(), 1) if f"# site: {marker}" in line]
    assert len(lines) == 1, marker
    return lines[0]


@pytest.fixture
def user_module(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"rc_newcomer_{next(_numbers)}"
    src = tmp_path / "src"
    src.mkdir()
    (src / f"{name}.py").write_text(USER_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(src))
    return importlib.import_module(name)


def _site(module: Any, marker: str) -> str:
    return f"{module.__file__}:{_line(marker)}"


def _serialize_error(module: Any, factory: str) -> BaseException:
    with rc_naming.Root("newcomer"), pytest.raises(Exception) as info:
        get_returnn_config_serialized(getattr(module, factory)())
    return info.value


def _cli_error(module: Any, factory: str, tmp_path: pathlib.Path, capsys: Any) -> str:
    out = tmp_path / "model.config.py"
    out.write_text("OLD CONFIG\n", encoding="utf-8")
    code = main(["build", f"{module.__name__}:{factory}", "-o", str(out)])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert out.read_text(encoding="utf-8") == "OLD CONFIG\n"
    assert err.startswith("rc-serialize: error: "), err
    return err


# -- two different dims with the same description and size ------------------------------------


def test_lookalike_dims_are_named_with_their_lines(
    user_module: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exc = _serialize_error(user_module, "lookalike_dims")
    assert isinstance(exc, nn.DimMismatchError) and isinstance(exc, ValueError)
    expected = (
        "Note: input(40) stands for 2 different nn.Dim objects with the same description and "
        f"size, made at {_site(user_module, 'model dim')} and at "
        f"{_site(user_module, 'data dim')}. Dims are matched by object, not by description: "
        "make each dim once and pass that same object everywhere it is meant."
    )
    assert "has no dim input(40)" in str(exc)
    assert expected in str(exc)
    assert expected in _cli_error(user_module, "lookalike_dims", tmp_path, capsys)


def test_creation_sites_never_reach_the_config() -> None:
    def build(extra_lines: int) -> str:
        # The dims are made on different lines in the two builds; the configs are equal.
        with rc_naming.Root("sites"):
            if extra_lines:
                f = nn.FeatureDim("f", 3)
                time = nn.SpatialDim("time")
            else:
                time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
            model = nn.Linear(f, nn.FeatureDim("o", 2))
            x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, f]))
            model(x).mark_as_default_output()
            return get_returnn_config_serialized(model)

    first, second = build(0), build(1)
    assert first == second
    assert __file__ not in first and "created" not in first and "_rc_nn" not in first


# -- a module that was never called -------------------------------------------------------------


def test_root_module_never_called(
    user_module: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exc = _serialize_error(user_module, "never_called")
    assert isinstance(exc, nn.NoOutputError) and isinstance(exc, LookupError)
    expected = (
        f"nothing to serialize for Model: the model Model (created at "
        f"{_site(user_module, 'never called')}) was never called (neither it nor any of its "
        "submodules), and no output or loss is marked. Call it on its inputs and mark a result "
        "before serializing: y = model(x); y.mark_as_default_output()"
    )
    assert str(exc).startswith(expected), str(exc)
    err = _cli_error(user_module, "never_called", tmp_path, capsys)
    assert expected in err
    assert "A factory for the rc-serialize command line builds the model, calls it" in err


def test_called_but_nothing_marked_names_the_call(user_module: Any) -> None:
    exc = _serialize_error(user_module, "called_not_marked")
    assert isinstance(exc, nn.NoOutputError)
    assert str(exc) == (
        "nothing to serialize for Model: no output or loss is marked (the model was called at "
        f"{_site(user_module, 'unmarked call')}). Call y.mark_as_default_output() (or "
        "y.mark_as_loss('name')) on a result of the model."
    )


def test_only_a_submodule_called_and_nothing_marked(user_module: Any) -> None:
    with rc_naming.Root("newcomer"), pytest.raises(nn.NoOutputError) as info:
        get_returnn_config_serialized(user_module.submodule_called_not_marked())
    assert (
        "no output or loss is marked (its Linear was called at "
        f"{_site(user_module, 'submodule call')})"
    ) in str(info.value)


@pytest.mark.parametrize("factory", ["only_a_submodule_called", "parameter_used_directly"])
def test_a_root_used_without_calling_it_is_fine(user_module: Any, factory: str) -> None:
    # The predecessor's style calls submodules (model.encoder(x)) or uses parameters directly;
    # that is no "never called" mistake.
    with rc_naming.Root("newcomer"):
        code = get_returnn_config_serialized(getattr(user_module, factory)())
    namespace: dict[str, Any] = {}
    exec(compile(code, "<config>", "exec"), namespace)
    scopes = [layer.get("name_scope") for layer in namespace["network"].values()]
    assert "lin/weight" in scopes  # the root's parameter, named from the root


def test_root_never_called_while_another_model_was(
    user_module: Any, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exc = _serialize_error(user_module, "another_model_called")
    # The other model's marks are not this model's (issue 13 §4): nothing is left to serialize.
    assert isinstance(exc, nn.NoOutputError)
    first_line = str(exc).splitlines()[0]
    assert first_line.startswith(
        "nothing to serialize for Model: the root module Model (created at "
        f"{_site(user_module, 'the returned model')}) was never "
        "called (neither it nor any of its submodules); the marked outputs come from calls of "
        f"Model (created at {_site(user_module, 'the called model')}). Serialize the module you "
        "called (get_returnn_config_serialized(that_module)), or call this one. Every marked "
        "output and loss in naming root 'newcomer' depends on parameters of other modules"
    )
    # The CLI builds in its own root: compare up to the root's name.
    own_part = first_line.split(" Every marked output")[0]
    assert own_part in _cli_error(user_module, "another_model_called", tmp_path, capsys)
