"""Golden configs: every model of ``golden_configs/models.py`` gives its stored config, byte for byte.

The stored files are our own outputs (``<name>.config.py``: the text of
``get_returnn_config_serialized`` with rc-serialize's version in the header replaced by
``<version>``; ``<name>.params.txt``: canonical path, TF variable name, shape). A refactor
of the serializer must not change them. Build only: no TensorFlow.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rc_serialize

GOLDEN_DIR = pathlib.Path(__file__).resolve().parent / "golden_configs"

_REGEN_HINT = (
    "If the change is on purpose, regenerate with `python tools/regen_golden_configs.py` "
    "(or `... NAME`) and commit the golden files in their own commit that says why the "
    "config changed; a refactor must not change them."
)


def _load() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rc_serialize_golden_load", GOLDEN_DIR / "_load.py"
    )
    assert spec is not None and spec.loader is not None
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    models: types.ModuleType = loader.load_models()
    return models


MODELS = _load()


def _compare(path: pathlib.Path, now: str) -> None:
    if not path.exists():
        pytest.fail(f"golden file {path.name} is missing. {_REGEN_HINT}")
    stored = path.read_text(encoding="utf-8")
    if stored != now:
        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                now.splitlines(keepends=True),
                f"{path.name} (stored)",
                f"{path.name} (now)",
            )
        )
        pytest.fail(f"{path.name} changed:\n{diff}\n{_REGEN_HINT}", pytrace=False)


@pytest.mark.parametrize("name", list(MODELS.MODELS))
def test_golden_config(name: str) -> None:
    config, params = MODELS.render(name)
    config_path, params_path = MODELS.golden_paths(name)
    _compare(config_path, config)
    _compare(params_path, params)


_SEARCH_MODELS = frozenset({"lstm_attention_search"})
_TRAIN_MODELS = frozenset({"lstm_attention_decoder"})


@pytest.mark.parametrize("name", list(MODELS.MODELS))
def test_golden_config_runs_in_returnn(name: str, check_config: Callable[..., Any]) -> None:
    """Every stored golden config is a real config: RETURNN constructs and runs it."""
    config_path, params_path = MODELS.golden_paths(name)
    report = check_config(
        config_path.read_text(encoding="utf-8"),
        search=name in _SEARCH_MODELS,
        train_steps=1 if name in _TRAIN_MODELS else 0,  # its decoder reads the targets
    )
    stored = {line.split("\t")[1] for line in params_path.read_text(encoding="utf-8").splitlines()}
    assert set(report.variable_names) == stored  # N4: the TF variables are the parameters


def test_every_golden_file_has_a_model() -> None:
    known = {p.name for name in MODELS.MODELS for p in MODELS.golden_paths(name)}
    stored = {
        p.name for p in GOLDEN_DIR.iterdir() if p.name.endswith((".config.py", ".params.txt"))
    }
    assert stored == known, f"golden files without a model: {sorted(stored - known)}"


def test_version_in_header_is_normalised_only_there() -> None:
    code = f"#!rnn.py\n# RETURNN config written by rc-serialize {rc_serialize.__version__}. Do not edit.\nx = '{rc_serialize.__version__}.'\n"
    normal = MODELS.normalise_config(code)
    assert (
        normal.splitlines()[1] == "# RETURNN config written by rc-serialize <version>. Do not edit."
    )
    assert normal.splitlines()[2] == code.splitlines()[2]
    with pytest.raises(AssertionError, match="unexpected config header"):
        MODELS.normalise_config("#!rnn.py\n# something else\n")


def test_a_changed_config_fails_with_a_diff_and_how_to_regenerate(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "m.config.py"
    path.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception) as info:
        _compare(path, "a\nc\n")
    message = str(info.value)
    assert "-b\n+c" in message
    assert "tools/regen_golden_configs.py" in message and "own commit" in message


_RENDER = textwrap.dedent(
    """
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("golden_load", sys.argv[1])
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    config, params = loader.load_models().render(sys.argv[2])
    sys.stdout.write(config + "\\0" + params)
    assert not any(m == "tensorflow" or m.startswith("tensorflow.") for m in sys.modules)
    """
)


@pytest.mark.parametrize("name", ["conformer_encoder"])
def test_golden_config_under_two_hash_seeds(name: str) -> None:
    outputs = []
    for seed in ("0", "4242"):
        proc = subprocess.run(
            [sys.executable, "-c", _RENDER, str(GOLDEN_DIR / "_load.py"), name],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    config, params = outputs[0].split("\0")
    config_path, params_path = MODELS.golden_paths(name)
    _compare(config_path, config)
    _compare(params_path, params)


def _capture_module() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rc_serialize_golden_capture_test", GOLDEN_DIR / "capture.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_capture_manifest_round_trip(tmp_path: pathlib.Path) -> None:
    capture = _capture_module()
    entries = {"b.py::t[x y]": ["2" * 16, "1" * 16], "a.py::t": ["3" * 16]}
    path = tmp_path / "m.sha256"
    path.write_text(capture.manifest_text(entries), encoding="utf-8")
    assert path.read_text(encoding="utf-8").splitlines()[0] == f"a.py::t\t1\t{'3' * 16}"
    assert capture.read_manifest(path) == entries
    assert capture.read_manifest(tmp_path / "missing") == {}


def test_capture_describes_what_changed() -> None:
    capture = _capture_module()
    same = capture.describe_change(["a", "a", "b"], ["a", "b", "c"])
    assert same == "3 config(s) before, 3 now; no longer rendered: a; new or changed: c"
    assert capture.describe_change(["a"], []) == "1 config(s) before, 0 now; no longer rendered: a"


def test_capture_hashes_ignore_only_pytest_tmp_paths() -> None:
    capture = _capture_module()
    pattern = capture._PYTEST_TMP
    one = pattern.sub("<t>", '"/tmp/pytest-of-root/pytest-3/test_a0/x.ckpt"')
    two = pattern.sub("<t>", '"/tmp/pytest-of-root/pytest-17/test_a0/x.ckpt"')
    assert one == two == '"<t>/test_a0/x.ckpt"'
    assert pattern.sub("<t>", '"/data/model/x.ckpt"') == '"/data/model/x.ckpt"'


def test_capture_mode_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    capture = _capture_module()
    monkeypatch.setenv(capture.ENV, "Write")
    assert capture.mode_from_env() == "write"
    monkeypatch.setenv(capture.ENV, "sometimes")
    with pytest.raises(pytest.UsageError, match="write, check or off"):
        capture.mode_from_env()


def test_property_tests_are_not_captured() -> None:
    capture = _capture_module()

    @given(st.integers())
    def property_test(n: int) -> None:
        del n

    def plain_test() -> None:
        pass

    assert capture.is_property_test(types.SimpleNamespace(obj=property_test))
    assert not capture.is_property_test(types.SimpleNamespace(obj=plain_test))
    assert not capture.is_property_test(types.SimpleNamespace())
