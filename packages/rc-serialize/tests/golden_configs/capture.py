"""Golden capture of every config rendered by rc-serialize's tests (issue 15).

Every config goes through ``rc_serialize.build_network`` (``ReturnnConfigPieces``,
``get_returnn_config_serialized``, the round trip, the checkpoint tools, the CLI called
in-process). This plugin wraps it; for every result it renders the extern data, the net
dict and the parameter table deterministically with the public ``py_code`` /
``DimNamer`` (the same values a config writes) and stores a short sha256 of that text
for the running test. Per test the hashes are a sorted multiset (threads build in any
order). Builds in subprocesses are not seen, nor those of hypothesis property tests (their examples
depend on what the process loaded before, see ``is_property_test``).

Manifest: ``all_tests.sha256`` next to this file, one line per test that built
configs: ``<test id> TAB <count> TAB <hash> <hash> ...``. Modes (``RC_GOLDEN_CAPTURE``):

* ``check`` (default when the manifest exists): a test whose hashes differ from its
  manifest line fails, saying what changed and how to regenerate. Tests without a line
  (new tests) are not checked.
* ``write``: rewrite the lines of the tests that ran (other lines are kept, so a
  partial run updates only its tests).
* ``off``: no capture.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import sys
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

import rc_serialize
from rc_serialize import DimNamer, py_code

MANIFEST = pathlib.Path(__file__).resolve().parent / "all_tests.sha256"
ENV = "RC_GOLDEN_CAPTURE"
_HASH_CHARS = 16
# pytest's tmp_path root: the only part of a config that legitimately differs between runs.
_PYTEST_TMP = re.compile(r"[^\s\"']*/pytest-of-[^/\s\"']+/pytest-[0-9]+")

_REGEN_HINT = (
    f"If the change is on purpose, regenerate with `{ENV}=write` and the same pytest "
    "command (e.g. `CI=true RC_GOLDEN_CAPTURE=write python -m pytest "
    "packages/rc-serialize/tests/<file>.py`) and commit the manifest "
    f"({MANIFEST.name}) in its own commit that says why the configs changed; a refactor "
    "must not change them."
)


def test_key(item: pytest.Item) -> str:
    """The manifest key of a test: its node id (a doctest: its dotted name, path-free)."""
    if type(item).__name__ == "DoctestItem":
        return f"doctest:{item.name}"
    return item.nodeid


def is_property_test(item: pytest.Item) -> bool:
    """Whether ``item`` is a hypothesis property test: its configs are not captured.

    Hypothesis mixes constants it finds in the modules loaded so far into its examples,
    so a derandomized property test generates other models when run alone than in the
    whole suite. Its own assertions check its configs; the capture keeps to fixed models.
    """
    return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def read_manifest(path: pathlib.Path = MANIFEST) -> dict[str, list[str]]:
    """Test key -> sorted hashes, from the manifest file (empty when there is none)."""
    result: dict[str, list[str]] = {}
    if not path.exists():
        return result
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _count, hashes = line.split("\t")
        result[key] = hashes.split(" ") if hashes else []
    return result


def manifest_text(entries: dict[str, list[str]]) -> str:
    """The manifest file's text: sorted by test key, one line each."""
    return "".join(
        f"{key}\t{len(hashes)}\t{' '.join(hashes)}\n" for key, hashes in sorted(entries.items())
    )


def describe_change(old: list[str], new: list[str]) -> str:
    """What changed between two sorted hash multisets, for the failure message."""
    gone, added = list(old), []
    for h in new:
        if h in gone:
            gone.remove(h)
        else:
            added.append(h)
    parts = [f"{len(old)} config(s) before, {len(new)} now"]
    if gone:
        parts.append(f"no longer rendered: {' '.join(gone)}")
    if added:
        parts.append(f"new or changed: {' '.join(added)}")
    return "; ".join(parts)


class GoldenCapture:
    """The pytest plugin: wraps ``build_network`` and records or checks per test."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.expected = read_manifest()
        self.recorded: dict[str, list[str]] = {}
        self.current: str | None = None
        self.hashes: list[str] = []
        self.lock = threading.Lock()
        self.seconds = 0.0  # time spent rendering and hashing (the capture's overhead)
        self.start = time.perf_counter()
        self._undo: list[tuple[Any, str, Any]] = []

    # -- wrapping --------------------------------------------------------------------------

    def install(self) -> None:
        """Replace ``build_network`` wherever rc-serialize holds it (incl. its home module)."""
        original = rc_serialize.build_network
        wrapped = self._wrap(original)
        modules = [
            module
            for name, module in list(sys.modules.items())
            if (name == "rc_serialize" or name.startswith("rc_serialize."))
            and getattr(module, "build_network", None) is original
        ]
        for module in modules:
            self._undo.append((module, "build_network", original))
            module.build_network = wrapped  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        for module, attr, value in reversed(self._undo):
            setattr(module, attr, value)
        self._undo.clear()

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def build_network(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            begin = time.perf_counter()
            digest = self.digest(result)
            with self.lock:
                self.seconds += time.perf_counter() - begin
                if self.current is not None:
                    self.hashes.append(digest)
            return result

        build_network.__wrapped__ = original  # type: ignore[attr-defined]
        build_network.__doc__ = original.__doc__
        return build_network

    def digest(self, serialized: Any) -> str:
        """A short sha256 of the result's extern data, net dict and parameter table."""
        dims = DimNamer()
        extern = py_code(serialized.extern_data, dims)
        network = py_code(serialized.network, dims)
        params = "".join(f"{path}\t{name}\n" for path, name in serialized.variable_names.items())
        text = "\n".join([*dims.definitions(), extern, network, params])
        text = _PYTEST_TMP.sub("<pytest-tmp>", text)  # tmp_path differs between runs
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_CHARS]

    # -- pytest hooks ----------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        with self.lock:
            self.current = None if is_property_test(item) else test_key(item)
            self.hashes = []
        try:
            return (yield)
        finally:
            with self.lock:
                self.current = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        result = yield  # a failing test raises here: nothing to compare
        key = test_key(item)
        with self.lock:
            now = sorted(self.hashes)
        if now:
            self.recorded[key] = now
            if self.mode == "write":  # after every test: an interrupted run keeps its lines
                self._write()
        if self.mode == "check" and key in self.expected and self.expected[key] != now:
            pytest.fail(
                f"golden capture: the configs rendered by {key} changed "
                f"({describe_change(self.expected[key], now)}). {_REGEN_HINT}",
                pytrace=False,
            )
        return result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.uninstall()
        if self.mode == "write" and self.recorded:
            self._write()

    def _write(self) -> None:
        entries = read_manifest()
        entries.update(self.recorded)
        tmp = MANIFEST.with_suffix(".tmp")
        tmp.write_text(manifest_text(entries), encoding="utf-8")
        tmp.replace(MANIFEST)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        total = time.perf_counter() - self.start
        builds = sum(len(h) for h in self.recorded.values())
        terminalreporter.write_line(
            f"golden capture ({self.mode}): {builds} configs in {len(self.recorded)} tests, "
            f"capture time {self.seconds:.2f}s of {total:.1f}s "
            f"({100 * self.seconds / max(total, 1e-9):.2f}%)"
            + (f"; manifest written: {MANIFEST.name}" if self.mode == "write" else "")
        )


def mode_from_env() -> str:
    """``write``, ``check`` or ``off`` from ``RC_GOLDEN_CAPTURE`` (default: check if a manifest exists)."""
    mode = os.environ.get(ENV, "").strip().lower()
    if not mode:
        return "check" if MANIFEST.exists() else "off"
    if mode not in ("write", "check", "off"):
        raise pytest.UsageError(f"{ENV} must be write, check or off, got {mode!r}")
    return mode
