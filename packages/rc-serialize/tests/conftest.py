"""Shared test set-up for rc-serialize.

* Hypothesis profiles: ``ci`` (derandomized, no example database, no deadline) is
  loaded when the ``CI`` environment variable is set, else ``dev``.
* TensorFlow and RETURNN's TF backend are imported lazily, once per process, by the
  session fixture :func:`returnn_tf`; tests that do not request it never import TF.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Quieten TF's C++ logging before TF is imported (it is imported lazily below).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers used by these tests."""
    config.addinivalue_line("markers", "slow: slow test (RETURNN subprocess, native op compile)")
    config.addinivalue_line("markers", "returnn: needs RETURNN's TF backend")


@pytest.fixture(scope="session")
def returnn_tf() -> types.ModuleType:
    """Import TensorFlow and RETURNN's TF backend once per process; return ``tensorflow``.

    Also applies the native-op CPU-only workaround (see ``docs/returnn-notes.md``).
    """
    import returnn.tf.network  # noqa: F401  # the TF backend, shared by all tests
    import tensorflow as tf

    from rc_serialize._returnn_check import ensure_native_op_cpu_only

    ensure_native_op_cpu_only()
    return tf


@pytest.fixture
def check_config(returnn_tf: types.ModuleType) -> Callable[..., Any]:
    """:func:`rc_serialize._returnn_check.check_config`, with TF already imported."""
    from rc_serialize._returnn_check import check_config as check

    return check


@pytest.fixture
def roundtrip(returnn_tf: types.ModuleType) -> Callable[..., Any]:
    """:func:`rc_serialize._roundtrip.roundtrip`: serialize, prove in RETURNN, assert N4 + templates."""
    from rc_serialize._roundtrip import roundtrip as run

    return run


@pytest.fixture(autouse=True)
def _fresh_root() -> Any:
    """Every test builds its model under its own naming root."""
    import rc_naming

    with rc_naming.Root("test"):
        yield
