"""Fuzz tests: the generator modules live next to the tests; statistics at the end of the run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """With ``RC_FUZZ_STATS=1`` (``nox -s fuzz``): what the generator produced and what it never did."""
    if not os.environ.get("RC_FUZZ_STATS"):
        return
    from rc_fuzz_gen import GLOBAL_STATS  # noqa: PLC0415  needs the sys.path entry made above

    if GLOBAL_STATS.examples:
        terminalreporter.write_sep("=", "fuzz generator statistics")
        terminalreporter.write_line(GLOBAL_STATS.report())
