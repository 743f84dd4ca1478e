"""Shared test set-up for rc-serialize.

* Hypothesis profiles: ``repeatable`` (derandomized, no example database, no deadline)
  by default; ``random`` when ``RC_TEST_RANDOM=1`` (``nox -s fuzz``).
* TensorFlow and RETURNN's TF backend are imported lazily, once per process, by the
  session fixture :func:`returnn_tf`; tests that do not request it never import TF.
* Golden capture (issue 15): every config a test renders is hashed and checked against
  ``golden_configs/all_tests.sha256`` (``RC_GOLDEN_CAPTURE=write|check|off``, see
  ``golden_configs/capture.py``).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import rc_naming
from rc_serialize._returnn_check import check_config as check
from rc_serialize._returnn_check import ensure_native_op_cpu_only
from rc_serialize._roundtrip import roundtrip as run

# Repeatable by default (derandomized, no example database): the README's test command
# gives the same result on every run. Random search only when asked (``nox -s fuzz``
# sets RC_TEST_RANDOM=1).
settings.register_profile(
    "repeatable",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("random", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("random" if os.environ.get("RC_TEST_RANDOM") == "1" else "repeatable")

# Quieten TF's C++ logging before TF is imported (it is imported lazily below).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _golden_module(filename: str, module_name: str) -> types.ModuleType:
    """Import ``golden_configs/<filename>`` (the test folder is not a package)."""
    path = pathlib.Path(__file__).resolve().parent / "golden_configs" / filename
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config: pytest.Config) -> None:
    """Register the golden capture of every rendered config (``golden_configs/capture.py``)."""
    config.addinivalue_line("markers", "torch: needs PyTorch (RETURNN's torch backend)")
    capture = _golden_module("capture.py", "rc_serialize_golden_capture")
    mode = capture.mode_from_env()
    if mode != "off":
        plugin = capture.GoldenCapture(mode)
        plugin.install()
        config.pluginmanager.register(plugin, "rc_golden_capture")


_TF_FIXTURES = frozenset({"returnn_tf", "check_config", "roundtrip"})


@pytest.fixture(scope="session")
def golden_models() -> types.ModuleType:
    """The golden models module (``golden_configs/models.py``), shared with other tests."""
    models: types.ModuleType = _golden_module("_load.py", "rc_serialize_golden_load").load_models()
    return models


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses RETURNN's TF backend (via the fixtures below) ``returnn``."""
    for item in items:
        if _TF_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.returnn)


@pytest.fixture(scope="session")
def returnn_tf() -> types.ModuleType:
    """Import TensorFlow and RETURNN's TF backend once per process; return ``tensorflow``.

    Also applies the native-op CPU-only workaround (see ``docs/returnn-notes.md``).
    """
    import returnn.tf.network  # noqa: F401, PLC0415  the TF backend, shared by all tests
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    ensure_native_op_cpu_only()
    return tf


@pytest.fixture
def check_config(returnn_tf: types.ModuleType) -> Callable[..., Any]:
    """:func:`rc_serialize._returnn_check.check_config`, with TF already imported."""
    return check


@pytest.fixture
def roundtrip(returnn_tf: types.ModuleType) -> Callable[..., Any]:
    """:func:`rc_serialize._roundtrip.roundtrip`: serialize, prove in RETURNN, assert N4 + templates."""
    return run


@pytest.fixture(autouse=True)
def _fresh_root() -> Any:
    """Every test builds its model under its own naming root."""
    with rc_naming.Root("test"):
        yield
