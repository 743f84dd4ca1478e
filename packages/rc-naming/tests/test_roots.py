"""Rule N1: naming roots, default and explicit, isolated across threads and tasks."""

from __future__ import annotations

import asyncio
import threading

import pytest

import rc_naming
from rc_naming import (
    RcNamingError,
    Root,
    RootMismatchError,
    check_same_root,
    current_root,
    default_root,
    reset_default_root,
)


def test_default_root_exists_without_user_action() -> None:
    root = current_root()
    assert root is default_root()
    assert root.name == "default"
    assert isinstance(root.graph, rc_naming.OwnershipGraph)


def test_reset_default_root_replaces_it() -> None:
    old = default_root()
    new = reset_default_root()
    assert new is not old
    assert default_root() is new
    assert current_root() is new
    assert new.graph is not old.graph


def test_explicit_roots_nest_and_restore() -> None:
    outer_default = current_root()
    with Root("outer") as outer:
        assert current_root() is outer
        with Root() as inner:
            assert current_root() is inner
            assert inner.name.startswith("root-")
        assert current_root() is outer
    assert current_root() is outer_default


def test_root_closed_out_of_order_is_an_error() -> None:
    a, b = Root("a"), Root("b")
    a.__enter__()
    b.__enter__()
    with pytest.raises(RuntimeError, match="reverse order"):
        a.__exit__(None, None, None)
    b.__exit__(None, None, None)
    a.__exit__(None, None, None)
    assert current_root() is default_root()


def test_auto_names_are_distinct() -> None:
    assert Root().name != Root().name


def test_check_same_root_names_both_roots() -> None:
    a, b = Root("model-a"), Root("model-b")
    check_same_root(a, a, what="tensor 'x'")
    with pytest.raises(RootMismatchError) as info:
        check_same_root(a, b, what="tensor 'x' used in module 'enc'")
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, RcNamingError)
    text = str(err)
    assert "model-a" in text
    assert "model-b" in text
    assert "tensor 'x' used in module 'enc'" in text
    assert "Fix:" in text
    assert err.expected is a
    assert err.actual is b


def _build_model(tag: str, barrier: threading.Barrier | None = None) -> tuple[str, ...]:
    """Build a tiny model on the current root's graph, yielding between steps."""
    graph = current_root().graph
    root, enc, weight = object(), object(), object()
    graph.record_assign(root, f"enc_{tag}", enc)
    if barrier is not None:
        barrier.wait()
    graph.record_assign(enc, "weight", weight)
    return graph.canonical_path(root, weight)


def test_two_threads_get_independent_explicit_roots() -> None:
    # A timeout turns a broken isolation (one thread raising) into a failure, not a hang.
    barrier = threading.Barrier(2, timeout=10)
    seen: dict[str, object] = {}
    errors: list[BaseException] = []

    def worker(tag: str) -> None:
        try:
            with Root(f"thread-{tag}") as root:
                barrier.wait()  # both roots are open at the same time
                assert current_root() is root
                path = _build_model(tag, barrier)
                assert current_root() is root
                seen[tag] = (root, path, len(root.graph))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    root_a, path_a, size_a = seen["a"]  # type: ignore[misc]
    root_b, path_b, size_b = seen["b"]  # type: ignore[misc]
    assert root_a is not root_b
    assert path_a == ("enc_a", "weight")
    assert path_b == ("enc_b", "weight")
    assert size_a == size_b == 3  # no object leaked into the other root's graph
    assert current_root() is default_root()


def test_thread_without_explicit_root_sees_the_default_root() -> None:
    out: list[Root] = []
    with Root("main-thread-only"):
        t = threading.Thread(target=lambda: out.append(current_root()))
        t.start()
        t.join()
    assert out == [default_root()]


def test_default_root_is_created_once_under_concurrency() -> None:
    rc_naming._roots._default.clear()
    barrier = threading.Barrier(8, timeout=10)
    got: list[Root] = []

    def worker() -> None:
        barrier.wait()
        got.append(default_root())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8
    assert all(r is got[0] for r in got)


def test_two_asyncio_tasks_get_independent_explicit_roots() -> None:
    async def task(tag: str) -> tuple[Root, Root, tuple[str, ...]]:
        with Root(f"task-{tag}") as root:
            await asyncio.sleep(0)  # let the other task open its root in between
            graph = current_root().graph
            model, enc, weight = object(), object(), object()
            graph.record_assign(model, f"enc_{tag}", enc)
            await asyncio.sleep(0)
            graph.record_assign(enc, "weight", weight)
            await asyncio.sleep(0)
            return root, current_root(), graph.canonical_path(model, weight)

    async def main() -> list[tuple[Root, Root, tuple[str, ...]]]:
        return list(await asyncio.gather(task("a"), task("b")))

    (ra, ca, pa), (rb, cb, pb) = asyncio.run(main())
    assert ra is ca
    assert rb is cb
    assert ra is not rb
    assert pa == ("enc_a", "weight")
    assert pb == ("enc_b", "weight")
    assert len(ra.graph) == len(rb.graph) == 3
    assert current_root() is default_root()
