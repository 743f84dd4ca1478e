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

import pytest

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


def test_every_golden_file_has_a_model() -> None:
    known = {p.name for name in MODELS.MODELS for p in MODELS.golden_paths(name)}
    stored = {
        p.name for p in GOLDEN_DIR.iterdir() if p.name.endswith((".config.py", ".params.txt"))
    }
    assert stored == known, f"golden files without a model: {sorted(stored - known)}"


def test_version_in_header_is_normalised_only_there() -> None:
    import rc_serialize

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
