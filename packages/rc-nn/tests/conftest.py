"""Shared test set-up for rc-nn (no TensorFlow anywhere in these tests).

* Hypothesis profiles: ``repeatable`` (derandomized, no example database, no deadline)
  by default; ``random`` when ``RC_TEST_RANDOM=1`` (``nox -s fuzz``).
* Every test builds under its own fresh naming root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

import rc_naming

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


@pytest.fixture(autouse=True)
def fresh_root() -> Iterator[rc_naming.Root]:
    """Every test builds its model under its own naming root (returned for tests that need it)."""
    with rc_naming.Root("test") as root:
        yield root
