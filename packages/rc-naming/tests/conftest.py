"""Test configuration: hypothesis profiles and the shared helper module."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# Under --import-mode=importlib the tests directory is not on sys.path; the
# helper module has a package-specific name so it cannot clash with siblings.
sys.path.insert(0, str(Path(__file__).parent))

# Repeatable by default (derandomized, no example database): the README's test command
# gives the same result on every run. Random search only when RC_TEST_RANDOM=1.
settings.register_profile(
    "repeatable",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("random", deadline=None, max_examples=100)
settings.load_profile("random" if os.environ.get("RC_TEST_RANDOM") == "1" else "repeatable")
