"""The ``rc-serialize`` command line tool, called in-process via ``main([...])``."""

from __future__ import annotations

import itertools
import os
import pathlib
import signal
import stat
import textwrap
import types

import pytest

from rc_serialize._cli import main

_module_numbers = itertools.count()

_FACTORIES = textwrap.dedent(
    """
    import rc_nn as nn

    class Model(nn.Module):
        def __init__(self, f, o):
            super().__init__()
            self.enc = nn.Linear(f, o)
            self.dec = nn.Linear(f, o)
            self.dec.weight = self.enc.weight  # shared: enc.weight, alias dec.weight

        def forward(self, x):
            return self.enc(x) + self.dec(x)

    def _inputs():
        f, o = nn.FeatureDim("in", 3), nn.FeatureDim("out", 2)
        return f, o, nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, f]))

    def build():
        f, o, x = _inputs()
        model = Model(f, o)
        model(x).mark_as_default_output()
        return model

    def no_output():
        f, o, x = _inputs()
        model = Model(f, o)
        model(x)
        return model

    def raises():
        raise RuntimeError("the factory is broken on purpose")

    def not_a_module():
        return {"not": "a module"}

    def bad_param_name():
        f, o, x = _inputs()
        model = Model(f, o)
        model.heads = nn.ModuleDict({"bad key": nn.Linear(f, o)})
        (model(x) + model.heads["bad key"](x)).mark_as_default_output()
        return model

    def nan_loss():
        f, o, x = _inputs()
        model = Model(f, o)
        y = model(x)
        y.mark_as_default_output()
        nn.reduce_sum(nn.sqrt(y * 0.0 - 1.0), axis=o).mark_as_loss("nan")  # sqrt(-1)
        return model

    def rejected_by_returnn():
        f, o, x = _inputs()
        model = Model(f, o)
        y = model(x)
        bad = nn.make_layer({"class": "no_such_layer_class", "from": y}, name="bad", out=y.data)
        bad.mark_as_default_output()
        return model

    NOT_CALLABLE = 3
    """
)


@pytest.fixture
def factories(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh importable module with the factories above; returns its name."""
    name = f"rc_cli_factories_{next(_module_numbers)}"
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    (source_dir / f"{name}.py").write_text(_FACTORIES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(source_dir))
    return name


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_build_writes_config(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "model.config"
    code, out, err = _run(["build", f"{factories}:build", "-o", str(target)], capsys)
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("#!rnn.py")
    assert '"enc/weight"' in text and "dec/weight" not in text
    assert f"wrote {target}" in out
    # No temp files left next to the output.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.config", "src"]


def test_build_default_is_the_example(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "example.config"
    code, _, err = _run(["build", "-o", str(target)], capsys)
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("#!rnn.py")
    assert '"layers/0/ff1/weight"' in text


def test_params_table(factories: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["params", f"{factories}:build"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["name", "shape", "count", "aliases"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:-1]}
    assert rows["enc.weight"] == ["3x2", "6", "dec.weight"]
    assert rows["enc.bias"] == ["2", "2"]
    assert rows["dec.bias"] == ["2", "2"]
    assert "dec.weight" not in rows
    assert lines[-1] == "3 parameters, 10 elements"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("no_such_module_for_rc_tests:build", "no module 'no_such_module_for_rc_tests' importable"),
        ("missing_colon", "expected MODULE:FACTORY"),
        ("{factories}:nope", "has no callable 'nope'"),
        ("{factories}:NOT_CALLABLE", "has no callable 'NOT_CALLABLE'"),
    ],
)
def test_bad_model_path(
    spec: str,
    expected: str,
    factories: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "out.config"
    for command in (["build", "-o", str(target)], ["params"]):
        code, _, err = _run([*command, spec.format(factories=factories)], capsys)
        assert code == 2
        assert err.startswith("rc-serialize: error: model ")
        assert expected in err
        assert "Traceback" not in err
    assert not target.exists()


def test_factory_that_raises(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.config"
    code, _, err = _run(["build", f"{factories}:raises", "-o", str(target)], capsys)
    assert code == 2
    assert "the factory raised RuntimeError: the factory is broken on purpose" in err
    assert f"{factories}.py" in err  # the user's frame is shown
    assert not target.exists()


def test_factory_returning_non_module(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.config"
    code, _, err = _run(["build", f"{factories}:not_a_module", "-o", str(target)], capsys)
    assert code == 2
    assert "the factory returned dict, expected the root nn.Module" in err
    assert not target.exists()


def test_model_without_output(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.config"
    code, _, err = _run(["build", f"{factories}:no_output", "-o", str(target)], capsys)
    assert code == 2
    assert "NoOutputError" in err and "mark_as_default_output" in err
    assert not target.exists()


def test_invalid_parameter_name_is_a_usage_error(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.config"
    code, _, err = _run(["build", f"{factories}:bad_param_name", "-o", str(target)], capsys)
    assert code == 2
    assert "InvalidParameterNameError" in err and "'bad key'" in err
    assert "Traceback" not in err
    assert not target.exists()


@pytest.mark.parametrize("where", ["missing_dir", "file_as_dir", "is_a_directory"])
def test_unusable_output_path(
    where: str, factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "plain_file"
    blocker.write_text("keep", encoding="utf-8")
    (tmp_path / "a_dir").mkdir()
    target = {
        "missing_dir": tmp_path / "does" / "not" / "exist.config",
        "file_as_dir": blocker / "out.config",
        "is_a_directory": tmp_path / "a_dir",
    }[where]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, _, err = _run(["build", f"{factories}:build", "-o", str(target)], capsys)
    assert code == 2
    assert err.startswith(f"rc-serialize: error: output {str(target)!r}")
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
    assert blocker.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("factory", ["no_output", "raises", "bad_param_name", "not_a_module"])
def test_existing_output_untouched_when_build_fails(
    factory: str, factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "model.config"
    target.write_text("#!rnn.py\n# the previous config\n", encoding="utf-8")
    code, _, _ = _run(["build", f"{factories}:{factory}", "-o", str(target)], capsys)
    assert code == 2
    assert target.read_text(encoding="utf-8") == "#!rnn.py\n# the previous config\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.config", "src"]


def test_build_check_example(
    returnn_tf: types.ModuleType, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "example.config"
    code, out, err = _run(["build", "-o", str(target), "--check", "--train-steps", "2"], capsys)
    assert code == 0, out + err
    assert "check passed" in out
    assert "step 2/2" in out
    assert "MISMATCH" not in out
    assert target.read_text(encoding="utf-8").startswith("#!rnn.py")


def _previous_config(tmp_path: pathlib.Path) -> pathlib.Path:
    target = tmp_path / "model.config"
    target.write_text("#!rnn.py\n# the previous, good config\n", encoding="utf-8")
    return target


def test_check_fails_on_a_nan_loss_and_keeps_the_old_config(
    returnn_tf: types.ModuleType,
    factories: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = _previous_config(tmp_path)
    args = ["build", f"{factories}:nan_loss", "-o", str(target), "--check", "--train-steps", "2"]
    code, out, err = _run(args, capsys)
    assert code == 1, out + err
    assert "NON-FINITE LOSS (step 1: nan, step 2: nan)" in out
    assert "check FAILED" in out and "check passed" not in out
    assert target.read_text(encoding="utf-8") == "#!rnn.py\n# the previous, good config\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.config", "src"]


def test_check_fails_when_returnn_rejects_the_config(
    returnn_tf: types.ModuleType,
    factories: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = _previous_config(tmp_path)
    args = ["build", f"{factories}:rejected_by_returnn", "-o", str(target), "--check"]
    code, out, err = _run(args, capsys)
    assert code == 1, out + err
    assert "RETURNN check failed while constructing the network" in out
    assert "no_such_layer_class" in out
    assert "Traceback" not in out and len(out.splitlines()) < 20, out
    assert "--verbose" in out
    assert target.read_text(encoding="utf-8") == "#!rnn.py\n# the previous, good config\n"
    code, out, _ = _run([*args, "--verbose"], capsys)
    assert code == 1 and "Traceback" in out and "net dict:" in out


@pytest.mark.parametrize("flags", [["--check", "--train-steps", "2"], ["--synthetic-training"]])
def test_training_asked_without_a_loss_is_a_usage_error(
    flags: list[str], factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _previous_config(tmp_path)
    code, out, err = _run(["build", f"{factories}:build", "-o", str(target), *flags], capsys)
    assert code == 2, out + err
    assert "no output is marked as a loss" in err and "mark_as_loss" in err
    assert target.read_text(encoding="utf-8") == "#!rnn.py\n# the previous, good config\n"


def test_written_config_gets_normal_file_modes(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new.config"
    old_umask = os.umask(0o022)
    try:
        assert _run(["build", f"{factories}:build", "-o", str(new)], capsys)[0] == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    existing = _previous_config(tmp_path)
    existing.chmod(0o640)
    assert _run(["build", f"{factories}:build", "-o", str(existing)], capsys)[0] == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert existing.read_text(encoding="utf-8").startswith("#!rnn.py")


def test_output_symlink_is_written_through(
    factories: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = _previous_config(tmp_path)
    link = tmp_path / "link.config"
    link.symlink_to(real.name)
    assert _run(["build", f"{factories}:build", "-o", str(link)], capsys)[0] == 0
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") != "#!rnn.py\n# the previous, good config\n"


def test_sigterm_while_writing_leaves_no_temp_file(
    factories: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = _previous_config(tmp_path)

    def terminated(path: str, mode: int) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the temp file exists

    monkeypatch.setattr("rc_serialize._cli_output.os.chmod", terminated)
    with pytest.raises(SystemExit) as info:
        main(["build", f"{factories}:build", "-o", str(target)])
    assert info.value.code == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.config", "src"]
    assert target.read_text(encoding="utf-8") == "#!rnn.py\n# the previous, good config\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored


# --- issue 13 §5-6: the user's module and factory -------------------------------------------

_EXTRA = textwrap.dedent(
    """
    import sys
    import rc_nn as nn

    def exits():
        sys.exit(3)

    def chatty():
        print("hello from the factory")
        f = nn.FeatureDim("in", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, f]))
        model = nn.Linear(f, nn.FeatureDim("out", 2))
        model(x).mark_as_default_output()
        return model
    """
)


def _module(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> tuple[str, pathlib.Path]:
    name = f"rc_cli_user_{next(_module_numbers)}"
    source_dir = tmp_path / "usr"
    source_dir.mkdir(exist_ok=True)
    path = source_dir / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.syspath_prepend(str(source_dir))
    return name, path


def test_factory_calling_sys_exit_is_reported(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name, path = _module(tmp_path, monkeypatch, _EXTRA)
    target = tmp_path / "out.config"
    code, _, err = _run(["build", f"{name}:exits", "-o", str(target)], capsys)
    assert code == 2
    assert f"the factory called sys.exit(3) at {path}:6" in err
    assert "Traceback" not in err
    assert not target.exists()


def test_factory_prints_go_to_stderr_not_into_graph_output(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name, _ = _module(tmp_path, monkeypatch, _EXTRA)
    code, out, err = _run(["graph", f"{name}:chatty"], capsys)
    assert code == 0, err
    assert "hello from the factory" not in out
    assert "hello from the factory" in err
    assert f"warning: model '{name}:chatty': the factory printed to stdout" in err
    code_plain, out_plain, _ = _run(["graph", f"{name}:chatty"], capsys)
    assert code_plain == 0 and out_plain == out  # stdout is exactly the picture


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("x = 1\ndef build(:\n    pass\n", 2, "syntax error in {path}:2: "),
        ("import os\nimport no_such_dependency_for_rc\n", 2, "ModuleNotFoundError: No module"),
        ("from os import no_such_name\n", 1, "ImportError: cannot import name"),
        ("x = 1\nraise ValueError('broken at import')\n", 2, "ValueError: broken at import"),
        ("import sys\nsys.exit(5)\n", 2, "called sys.exit(5) at {path}:2"),
    ],
)
def test_import_errors_in_the_users_module_are_one_message(
    source: str,
    line: int,
    expected: str,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, path = _module(tmp_path, monkeypatch, source)
    code, out, err = _run(["params", f"{name}:build"], capsys)
    assert code == 2
    assert expected.format(path=path) in err
    assert f"{path}:{line}" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one line
    assert out == ""


def test_file_path_or_unimportable_module_says_how_to_fix(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "x.py").write_text("def make():\n    pass\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["params", "models/x.py:make"], capsys)
    assert code == 2
    assert (
        "'models/x.py' is a file path; give the dotted module name instead (e.g. models.x:" in err
    )
    assert "PYTHONPATH" in err
    monkeypatch.chdir(tmp_path / "models" / "..")
    code, _, err = _run(["params", "x:make"], capsys)  # x.py is in models/, not here
    assert code == 2
    assert "no module 'x' importable from" in err
    assert "run from the directory that contains it" in err and "PYTHONPATH" in err
