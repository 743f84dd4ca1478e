"""Several models in one root (issue 13 §4): the default root keeps every model built in it.

README style, no explicit root: a second model built after a first one (or by another
thread) must serialize to exactly the config it gets when built alone, the first one
too; where that cannot be (one input key declared twice with other dims) the error
names the cause and says to use ``nn.Root()`` / ``nn.reset_default_root()``.

The scenarios run in an empty ``contextvars.Context`` (no open root: the default root
is current, as in a user's script) after ``reset_default_root()``.
"""

from __future__ import annotations

import contextvars
import functools
import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

import rc_naming
import rc_nn as nn
from rc_serialize import get_returnn_config_serialized

T = TypeVar("T")


def _in_default_root(fn: Callable[[], T]) -> T:
    """Run ``fn`` as a script would: no explicit root open, a fresh default root."""

    def run() -> T:
        rc_naming.reset_default_root()
        try:
            return fn()
        finally:
            rc_naming.reset_default_root()

    return contextvars.Context().run(run)


class Encoder(nn.Module):
    def __init__(self, in_dim: nn.Dim, out_dim: nn.Dim) -> None:
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return nn.tanh(self.lin(x))


def _readme_model(key: str, size: int, *, loss: bool) -> tuple[nn.Module, Callable[[], str]]:
    """The README's model (plus a loss if asked), built in the current root."""
    time_dim = nn.SpatialDim(f"{key}-time")
    in_dim = nn.FeatureDim(f"{key}-in", size)
    out_dim = nn.FeatureDim(f"{key}-out", 3)
    data = nn.get_extern_data(nn.Data(key, dim_tags=[nn.batch_dim, time_dim, in_dim]))
    net = Encoder(in_dim, out_dim)
    out = net(data)
    out.mark_as_default_output()
    if loss:
        nn.reduce(out * out, mode="sum", axis=out_dim).mark_as_loss(f"{key}_l2")
    return net, lambda: get_returnn_config_serialized(net)


def _build_and_serialize(key: str, size: int, *, loss: bool) -> str:
    return _readme_model(key, size, loss=loss)[1]()


def _alone(key: str, size: int, *, loss: bool) -> str:
    with rc_naming.Root("alone"):
        _, serialize = _readme_model(key, size, loss=loss)
        return serialize()


@pytest.mark.parametrize("loss", [False, True], ids=["outputs", "losses"])
def test_second_model_in_the_default_root_gets_only_its_own_config(loss: bool) -> None:
    def script() -> tuple[str, str, str]:
        _, first = _readme_model("data", 5, loss=loss)
        first_code = first()
        _, second = _readme_model("feat", 4, loss=loss)
        # Before: the second config also had the first model's input "data" (and, with a
        # loss, failed naming the first model's parameter lin.weight as unreachable).
        return first_code, second(), first()

    first_code, second_code, first_again = _in_default_root(script)
    assert second_code == _alone("feat", 4, loss=loss)
    assert '"data"' not in second_code and "data-in" not in second_code
    assert first_code == first_again == _alone("data", 5, loss=loss)


def test_two_models_on_one_input_tensor() -> None:
    """Two models called on the same input, both marking a default output and a loss."""

    def script() -> tuple[str, str]:
        time_dim, in_dim = nn.SpatialDim("data-time"), nn.FeatureDim("data-in", 5)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
        codes = []
        nets = []
        for name in ("a", "b"):
            out_dim = nn.FeatureDim(f"{name}-out", 3)
            net = Encoder(in_dim, out_dim)
            y = net(x)
            y.mark_as_default_output()
            nn.reduce(y * y, mode="sum", axis=out_dim).mark_as_loss(f"{name}_l2")
            nets.append(net)
        for net in nets:
            codes.append(get_returnn_config_serialized(net))
        return codes[0], codes[1]

    first, second = _in_default_root(script)
    # Before: the second default output replaced the first, and the first model's config
    # failed naming the second model's parameter as unreachable.
    assert '"a_l2"' in first and "b-out" not in first
    assert '"b_l2"' in second and "a-out" not in second
    assert first.replace("a-out", "b-out").replace("a_out", "b_out").replace("a_l2", "b_l2") == (
        second
    )


def test_second_model_config_runs_in_returnn(check_config: Callable[..., Any]) -> None:
    def script() -> str:
        _readme_model("data", 5, loss=True)[1]()
        return _readme_model("feat", 4, loss=True)[1]()

    report = check_config(_in_default_root(script), train_steps=2)
    assert report.variable_names == {"lin/bias/param", "lin/weight/param"}
    assert report.variable_shapes["lin/weight/param"] == (4, 3)  # the second model's input
    assert len(report.losses) == 2 and all(math.isfinite(v) for v in report.losses)
    assert report.restore_ok


def test_same_input_key_with_other_dims_names_the_cause() -> None:
    def script() -> None:
        _readme_model("data", 5, loss=False)[1]()
        _readme_model("data", 4, loss=False)

    with pytest.raises(nn.ExternDataConflictError) as info:
        _in_default_root(script)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "input 'data' was already declared" in message
    assert "test_default_root_state.py:" in message  # where each declaration was made
    assert "nn.Root()" in message and "nn.reset_default_root()" in message


def test_serializing_a_model_that_was_never_called_says_so() -> None:
    def script() -> None:
        _readme_model("data", 5, loss=False)
        unused = Encoder(nn.FeatureDim("a", 2), nn.FeatureDim("b", 2))
        get_returnn_config_serialized(unused)

    with pytest.raises(
        nn.NoOutputError, match=r"the root module Encoder \(created at [^)]*\) was never called"
    ) as info:
        _in_default_root(script)
    assert "with nn.Root()" in str(info.value)


def test_default_output_marked_twice_for_one_model_keeps_the_last() -> None:
    def script() -> str:
        time_dim, in_dim = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
        net = Encoder(in_dim, nn.FeatureDim("out", 2))
        y = net(x)
        y.mark_as_default_output()
        (y * 2.0).mark_as_default_output()
        return get_returnn_config_serialized(net)

    code = _in_default_root(script)
    assert '"output": {"class": "eval"' in code or '"output": {"class": "combine"' in code
    assert code.count('"output"') == 1


def _threads(*jobs: Callable[[], str]) -> list[str | BaseException]:
    """Run the jobs in threads that start together (the default root shared by all)."""
    barrier = threading.Barrier(len(jobs))
    results: list[str | BaseException] = [RuntimeError("not run")] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as exc:  # reported by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_input_of_a_thread_that_has_not_marked_yet_stays_out() -> None:
    # The timing that made the threads test flaky, forced: thread "a" has declared its
    # input but not called or marked its model yet when thread "b" serializes.
    declared, serialized = threading.Event(), threading.Event()

    def slow() -> str:
        time_dim = nn.SpatialDim("a-time")
        in_dim = nn.FeatureDim("a-in", 3)
        data = nn.get_extern_data(nn.Data("a", dim_tags=[nn.batch_dim, time_dim, in_dim]))
        declared.set()
        assert serialized.wait(60)
        net = Encoder(in_dim, nn.FeatureDim("a-out", 3))
        net(data).mark_as_default_output()
        return get_returnn_config_serialized(net)

    def fast() -> str:
        assert declared.wait(60)
        try:
            return _build_and_serialize("b", 4, loss=False)
        finally:
            serialized.set()

    rc_naming.reset_default_root()
    try:
        results = _threads(slow, fast)
    finally:
        rc_naming.reset_default_root()
    assert results[1] == _alone("b", 4, loss=False)
    assert '"a":' not in str(results[1])


def test_threads_building_in_the_default_root() -> None:
    rc_naming.reset_default_root()
    try:
        results = _threads(
            *(
                functools.partial(_build_and_serialize, key, 3 + i, loss=True)
                for i, key in enumerate(["a", "b", "c"])
            )
        )
        assert results == [_alone(k, 3 + i, loss=True) for i, k in enumerate(["a", "b", "c"])]
        # The same key with other dims from two threads: the error names the other thread.
        rc_naming.reset_default_root()
        results = _threads(
            functools.partial(_build_and_serialize, "data", 3, loss=False),
            functools.partial(_build_and_serialize, "data", 4, loss=False),
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], nn.ExternDataConflictError)
        assert "by another thread" in str(errors[0])
        assert "one per thread" in str(errors[0])
    finally:
        rc_naming.reset_default_root()
