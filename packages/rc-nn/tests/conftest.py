"""Shared test set-up for rc-nn (no TensorFlow anywhere in these tests).

* Hypothesis profiles: ``ci`` (derandomized, no example database, no deadline) is
  loaded when the ``CI`` environment variable is set, else ``dev``.
* Every test builds under its own fresh naming root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

import rc_naming

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def fresh_root() -> Iterator[rc_naming.Root]:
    """Every test builds its model under its own naming root (returned for tests that need it)."""
    with rc_naming.Root("test") as root:
        yield root
