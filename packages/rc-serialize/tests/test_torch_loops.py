"""``nn.Loop`` on RETURNN's PyTorch backend (issue 14, coverage step 3).

Marked ``torch`` (``nox -s tests_torch``). Proofs by values (tiny dims, sequence lengths below
the maximum, eval mode, max abs diff <= 1e-4 over valid frames, outputs far from zero):

* a loop with a carried state (a running sum through a Linear), ``loop.stack``,
  ``loop.last``, the state after the loop and ``loop.iteration``: RETURNN TF's rec layer
  and the torch config's Python loop give the same numbers;
* a single-step ``nn.LSTM`` in a loop: the same numbers on both backends, and the same as
  the full-sequence ``nn.LSTM`` with the same weights on the torch backend (this proves the
  gate-order view of the LSTM parameters);
* ``nn.Cond`` with two results: both branches (the condition flipped by the input) give the
  same numbers on both backends; also a cond per frame inside a loop;
* ``nn.MaskedComputation`` in a loop (two states set inside, one with a nonzero initial
  value; sequences whose first frames are masked out);
* a loop until ``loop.end`` (``max_seq_len``, with and without ``include_eos``): the same
  lengths (the new dim made at run time), stacked frames and last values on both backends,
  sequences ending at different frames (also after 0 frames);
* what is not covered (a loop until ``loop.end`` without ``max_seq_len``, a loop inside a
  loop, a block inside a cond) is a clear ``TorchNotCoveredError`` at build time naming the
  user's line.
"""

from __future__ import annotations

import math
import os
import pathlib
import subprocess
import sys
import textwrap
import types
from typing import Any

import numpy as np
import pytest

import rc_nn as nn
import rc_serialize
from rc_serialize import build_network, get_returnn_config_serialized
from rc_serialize._torch_compare import _run_tf
from rc_serialize._torch_layout import torch_param_layout
from rc_serialize.testing import compare_backends, run_torch_forward, train_torch_config

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TOLERANCE = 1e-4


class _RunningSum(nn.Module):
    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.lin = nn.Linear(feat, feat)

    def __call__(self, x: nn.Tensor, time: nn.Dim, feat: nn.Dim) -> dict[str, nn.Tensor]:
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            step = nn.cast(loop.iteration, dtype="float32")
            loop.state.acc = loop.state.acc + nn.tanh(self.lin(x_t)) + step * 0.5
            stacked = loop.stack(loop.state.acc * 2.0)
            last = loop.last(nn.tanh(loop.state.acc))
        return {"stacked": stacked, "last": last, "state": loop.state.acc}


def _running_sum() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    model = _RunningSum(feat)
    for name, value in model(x, time, feat).items():
        value.mark_as_output(name)
    return model


def test_loop_with_state_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    with nn.Root():
        result = compare_backends(_running_sum(), batch=3, max_time=7)
    assert sorted(result.max_abs_diff) == ["last", "stacked", "state"]
    assert max(result.max_abs_diff.values()) <= TOLERANCE, result.max_abs_diff
    for name in ("last", "stacked", "state"):  # far from zero: the comparison can fail
        assert abs(result.torch_outputs[name]).max() > 0.3, name
    # the last frames differ per sequence (lengths below the maximum are compared)
    assert len({tuple(row) for row in result.torch_outputs["state"].round(4)}) == 3


class _Lstm(nn.Module):
    """The same LSTM parameters run as a loop of single steps or over the whole sequence."""

    def __init__(self, feat: nn.Dim, out: nn.Dim, *, steps: bool) -> None:
        super().__init__()
        self.lstm = nn.LSTM(feat, out)
        self.steps = steps

    def __call__(self, x: nn.Tensor, time: nn.Dim) -> tuple[nn.Tensor, nn.Tensor]:
        if not self.steps:
            y, state = self.lstm(x, spatial_dim=time)
            return y, state.c
        loop = nn.Loop(axis=time)
        loop.state.lstm = self.lstm.default_initial_state(batch_dims=[nn.batch_dim])
        with loop:
            h, loop.state.lstm = self.lstm(
                loop.unstack(x), state=loop.state.lstm, spatial_dim=nn.single_step_dim
            )
            y = loop.stack(h)
        return y, loop.state.lstm.c


def _lstm(*, steps: bool) -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    model = _Lstm(feat, nn.FeatureDim("lstm", 4), steps=steps)
    y, c = model(x, time)
    y.mark_as_default_output()
    c.mark_as_output("c")
    return model


def test_single_step_lstm_loop_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    with nn.Root():
        result = compare_backends(_lstm(steps=True), batch=3, max_time=7)
    assert sorted(result.max_abs_diff) == ["c", "output"]
    assert max(result.max_abs_diff.values()) <= TOLERANCE, result.max_abs_diff
    for name in ("c", "output"):
        assert abs(result.torch_outputs[name]).max() > 0.3, name


def _torch_weights(model: nn.Module, tf_values: dict[str, Any]) -> dict[str, Any]:
    """The TF run's variable values by canonical name, in torch layout."""
    names = build_network(model).variable_names
    record, _ = nn.build_record(model)
    return {
        ".".join(p.path): torch_param_layout(p, record).to_torch(tf_values[names[".".join(p.path)]])
        for p in record.params
        if p.path is not None
    }


def test_single_step_lstm_loop_equals_full_sequence_lstm(returnn_tf: types.ModuleType) -> None:
    """Same weights (TF's random values in torch layout): the loop computes the full LSTM."""
    with nn.Root():
        steps = _lstm(steps=True)
        tf_run = _run_tf(
            get_returnn_config_serialized(steps), seed=5, batch=3, max_time=7, random_weights=True
        )
        weights = _torch_weights(steps, tf_run.variables)
        steps_code = get_returnn_config_serialized(steps, backend="torch")
    with nn.Root():
        full_code = get_returnn_config_serialized(_lstm(steps=False), backend="torch")
    assert "rf.split" in steps_code and "rf.split" not in full_code
    runs = [
        run_torch_forward(code, tf_run.inputs, seq_lens=tf_run.seq_lens, weights=weights)
        for code in (steps_code, full_code)
    ]
    lens = tf_run.seq_lens["data"]
    assert min(lens) < 7
    for name in ("output", "c"):
        mask = tf_run.masks[name]
        loop_out, full_out = (np.where(mask, run.outputs[name], 0) for run in runs)
        tf_out = np.where(mask, tf_run.outputs[name], 0)
        assert np.abs(loop_out - full_out).max() <= TOLERANCE, name
        assert np.abs(loop_out - tf_out).max() <= TOLERANCE, name
        assert np.abs(full_out).max() > 0.3, name


def _not_covered(body: str) -> str:
    """Build a model whose loop/cond is ``body``; return the torch backend's error message."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    lin = nn.Linear(feat, feat)
    y = lin(x)
    if body == "cond_in_cond":
        total = nn.reduce_sum(y, axis=[nn.batch_dim, time, feat])
        with nn.Cond(total > 0.0) as cond:
            with nn.Cond(total > 1.0) as inner_cond:
                inner_cond.true = y
                inner_cond.false = -y
            cond.true = inner_cond.result
            cond.false = y
        out = cond.result
    elif body == "end_without_max_seq_len":
        loop = nn.Loop()
        loop.state.h = nn.zeros([nn.batch_dim, feat])
        with loop:
            loop.state.h = lin(loop.state.h)
            loop.end(nn.reduce_sum(loop.state.h, axis=feat) > 1.0, include_eos=True)
            out = loop.stack(loop.state.h)
    else:
        inner_dim = nn.SpatialDim("inner", 2)
        with nn.Loop(axis=time) as loop:
            y_t = loop.unstack(y)
            with nn.Loop(axis=inner_dim) as inner:
                z = inner.stack(nn.tanh(y_t))
            out = loop.stack(nn.reduce_sum(z, axis=inner_dim))
    out.mark_as_default_output()
    with pytest.raises(rc_serialize.TorchNotCoveredError) as info:
        get_returnn_config_serialized(lin, backend="torch")
    assert isinstance(info.value, NotImplementedError)
    return str(info.value)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("cond_in_cond", "nested blocks"),
        ("end_without_max_seq_len", "without max_seq_len"),
        ("nested", "nested blocks"),
    ],
)
def test_control_flow_not_covered_is_a_clear_build_error(body: str, says: str) -> None:
    with nn.Root():
        message = _not_covered(body)
    assert says in message, message
    assert "test_torch_loops.py:" in message  # the user's line
    assert "docs/design/torch-backend.md" in message and "backend='tf'" in message


def _teacher_forced_aed(golden_models: types.ModuleType) -> nn.Module:
    """The golden ``lstm_attention_decoder`` (BLSTM encoder, LSTM attention decoder loop).

    As ``golden_configs/models.py`` builds it, but with targets available for inference:
    the comparison runs RETURNN TF in eval mode, where a target not available for inference
    is not computed (the golden config marks it training-only).
    """
    time, feat, vocab = nn.SpatialDim("time"), nn.FeatureDim("f", 3), nn.FeatureDim("vocab", 5)
    out_time = nn.SpatialDim("out-time")
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, out_time], sparse_dim=vocab)
    )
    model = golden_models.lstm_aed(feat, vocab)
    logits = model(x, source_spatial_dim=time, target=targets, target_spatial_dim=out_time)
    logits.mark_as_default_output()
    nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits").mark_as_loss("ce")
    return model


def test_golden_lstm_attention_decoder_same_outputs_and_losses(
    golden_models: types.ModuleType, returnn_tf: types.ModuleType
) -> None:
    with nn.Root():
        model = _teacher_forced_aed(golden_models)
        tf_run = _run_tf(
            get_returnn_config_serialized(model), seed=2, batch=3, max_time=7, random_weights=True
        )
        weights = _torch_weights(model, tf_run.variables)
        code = get_returnn_config_serialized(model, backend="torch")
    assert "for x" in code and "rf.nested.mask_nested" in code  # the decoder loop runs in torch
    run = run_torch_forward(
        code, tf_run.inputs, seq_lens=tf_run.seq_lens, weights=weights, losses=True
    )
    lens = tf_run.seq_lens["classes"]
    assert min(lens) < max(lens)  # padding inside the batch
    mask = tf_run.masks["output"]
    torch_out, tf_out = (
        np.where(mask, v, 0) for v in (run.outputs["output"], tf_run.outputs["output"])
    )
    assert np.abs(torch_out - tf_out).max() <= TOLERANCE
    assert np.abs(torch_out).max() > 0.3
    # CE per frame: RETURNN TF gives it time-major (the loop's stacked logits), torch batch-major
    tf_ce, torch_ce = np.asarray(tf_run.losses["ce"]).T, np.asarray(run.losses["ce"])
    valid = np.arange(tf_ce.shape[1])[None, :] < np.asarray(lens)[:, None]
    assert tf_ce.shape == torch_ce.shape
    assert np.abs(tf_ce - torch_ce)[valid].max() <= TOLERANCE
    assert torch_ce[valid].min() > 0.1


def test_golden_lstm_attention_decoder_trains_3_steps_with_returnn(
    golden_models: types.ModuleType, tmp_path: pathlib.Path
) -> None:
    """The golden model as it is (training-only targets): ``python -m returnn``, torch backend."""
    with nn.Root():
        model = golden_models.MODELS["lstm_attention_decoder"].build()
        code = get_returnn_config_serialized(model, backend="torch")
        names = [name for name, _ in model.named_parameters()]
    training = train_torch_config(
        code, tmp_path, steps=3, seq_lens={"data": (5, 9), "classes": (2, 6)}
    )
    assert len(training.losses) == 3, training.log[-3000:]
    assert training.finite(), training.losses
    assert all(math.isfinite(v) for step in training.losses for v in step.values())
    assert sorted(training.checkpoint_keys) == sorted(names)
    assert "decoder.s.param_W" in names


class _TwoWays(nn.Module):
    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.lin = nn.Linear(feat, feat)
        self.branch = nn.Linear(feat, feat)  # used only in the true branch

    def __call__(self, x: nn.Tensor, time: nn.Dim, feat: nn.Dim, sign: float) -> nn.Tensor:
        y = self.lin(x)
        total = nn.reduce_sum(y, axis=[nn.batch_dim, time, feat]) * sign
        with nn.Cond(total > 0.0) as cond:
            cond.true = (nn.tanh(self.branch(y)), y)
            cond.false = (-y, y * 2.0)
        first, second = cond.result
        return first + second


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_same_on_both_backends(sign: float, returnn_tf: types.ModuleType) -> None:
    """With the same weights and input, ``sign`` flips the condition: both branches run."""
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model = _TwoWays(feat)
        model(x, time, feat, sign).mark_as_default_output()
        code = get_returnn_config_serialized(model, backend="torch")
        result = compare_backends(model, batch=3, max_time=7)
    assert "if bool(" in code and "else:" in code
    assert result.max_abs_diff["output"] <= TOLERANCE, result.max_abs_diff
    assert abs(result.torch_outputs["output"]).max() > 0.3
    # the same input with the other sign takes the other branch: other numbers
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        other = _TwoWays(feat)
        other(x, time, feat, -sign).mark_as_default_output()
        flipped = compare_backends(other, batch=3, max_time=7)
    assert flipped.max_abs_diff["output"] <= TOLERANCE
    assert np.abs(flipped.torch_outputs["output"] - result.torch_outputs["output"]).max() > 0.1


class _CondInLoop(nn.Module):
    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.lin = nn.Linear(feat, feat)

    def __call__(self, x: nn.Tensor, time: nn.Dim, feat: nn.Dim) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.h = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            with nn.Cond(nn.reduce_sum(x_t, axis=[nn.batch_dim, feat]) > 0.0) as cond:
                cond.true = nn.tanh(self.lin(x_t) + loop.state.h)
                cond.false = loop.state.h * 0.5 - x_t
            loop.state.h = cond.result
            return loop.stack(loop.state.h)


def test_cond_inside_a_loop_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model = _CondInLoop(feat)
        model(x, time, feat).mark_as_default_output()
        result = compare_backends(model, batch=3, max_time=7)
    assert result.max_abs_diff["output"] <= TOLERANCE, result.max_abs_diff
    assert abs(result.torch_outputs["output"]).max() > 0.3


class _Masked(nn.Module):
    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.lin = nn.Linear(feat, feat)

    def __call__(self, x: nn.Tensor, time: nn.Dim, feat: nn.Dim) -> nn.Tensor:
        loop = nn.Loop(axis=time)
        loop.state.acc = nn.zeros([nn.batch_dim, feat]) + 0.7
        loop.state.total = nn.zeros([nn.batch_dim, feat])
        with loop:
            x_t = loop.unstack(x)
            with nn.MaskedComputation(mask=nn.reduce_sum(x_t, axis=feat) > 0.0):
                loop.state.acc = nn.tanh(self.lin(loop.state.acc) + x_t)
                loop.state.total = loop.state.total + x_t
            return loop.stack(loop.state.acc + loop.state.total)


def test_masked_computation_in_a_loop_same_on_both_backends(
    returnn_tf: types.ModuleType,
) -> None:
    """Where the mask is false the results keep their previous value (zeros at first, as TF)."""
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model = _Masked(feat)
        model(x, time, feat).mark_as_default_output()
        result = compare_backends(model, batch=3, max_time=7)
    assert result.max_abs_diff["output"] <= TOLERANCE, result.max_abs_diff
    out = result.torch_outputs["output"]  # [time, batch, feat]
    assert abs(out).max() > 0.3
    # some sequence is masked out in its first frame: its output there is exactly zero
    assert (abs(out[0]).max(axis=-1) == 0.0).any() and (abs(out[0]).max(axis=-1) > 0.0).any()


_SERIALIZE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    import models
    import rc_nn as nn
    from rc_serialize import get_returnn_config_serialized
    with nn.Root():
        model = models.MODELS["lstm_attention_decoder"].build()
        sys.stdout.write(get_returnn_config_serialized(model, backend="torch"))
    """
)


def test_loop_config_is_the_same_under_different_hash_seeds(
    golden_models: types.ModuleType,
) -> None:
    models_dir = str(pathlib.Path(golden_models.__file__).parent)
    outputs = []
    for seed in ("0", "12345"):
        proc = subprocess.run(
            [sys.executable, "-c", _SERIALIZE, models_dir],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert "for x" in outputs[0] and "rf.nested.mask_nested" in outputs[0]


class _UntilEnd(nn.Module):
    def __init__(self, feat: nn.Dim, *, include_eos: bool, threshold: float) -> None:
        super().__init__()
        self.lin = nn.Linear(feat, feat)
        self.include_eos = include_eos
        self.threshold = threshold

    def __call__(self, x: nn.Tensor, time: nn.Dim, feat: nn.Dim) -> dict[str, nn.Tensor]:
        loop = nn.Loop(max_seq_len=6)
        loop.state.h = nn.reduce_mean(x, axis=time)
        with loop:
            loop.state.h = nn.tanh(self.lin(loop.state.h)) + loop.state.h * 0.5
            done = nn.reduce_sum(loop.state.h, axis=feat) > self.threshold
            loop.end(done, include_eos=self.include_eos)
            stacked = loop.stack(loop.state.h * 2.0)
            last = loop.last(loop.state.h)
        return {"stacked": stacked, "last": last, "len": nn.length(loop.axis)}


@pytest.mark.parametrize(
    ("include_eos", "threshold", "seed", "lengths"),
    [(True, 0.0, 1, [1, 3, 2, 3]), (False, 0.0, 1, [0, 2, 1, 2]), (True, -0.5, 2, [6, 1, 1, 6])],
)
def test_loop_until_end_same_on_both_backends(
    include_eos: bool,
    threshold: float,
    seed: int,
    lengths: list[int],
    returnn_tf: types.ModuleType,
) -> None:
    """``lengths``: what RETURNN TF gives for these seeds (checked, so both sides are compared)."""
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model = _UntilEnd(feat, include_eos=include_eos, threshold=threshold)
        for name, value in model(x, time, feat).items():
            value.mark_as_output(name)
        result = compare_backends(model, batch=4, max_time=7, seed=seed)
    assert result.tf_outputs["len"].tolist() == lengths
    assert result.torch_outputs["len"].tolist() == lengths
    assert max(result.max_abs_diff.values()) <= TOLERANCE, result.max_abs_diff
    assert abs(result.torch_outputs["stacked"]).max() > 0.3
    assert abs(result.torch_outputs["last"]).max() > 0.3


@pytest.mark.parametrize("name", ["loop_output_carrier", "masked_computation"])
def test_golden_control_flow_models_same_on_both_backends(
    name: str, golden_models: types.ModuleType, returnn_tf: types.ModuleType
) -> None:
    """The golden end-driven loop with an output carrier, and the golden masked computation."""
    with nn.Root():
        result = compare_backends(
            golden_models.MODELS[name].build(), batch=3, max_time=7, losses=True
        )
    assert max(result.max_abs_diff.values()) <= TOLERANCE, result.max_abs_diff
    assert max(result.loss_max_abs_diff.values(), default=0.0) <= TOLERANCE, result
    assert abs(result.torch_outputs["output"]).max() > 0.3


def test_beam_search_is_a_clear_build_error(golden_models: types.ModuleType) -> None:
    with nn.Root():
        model = golden_models.MODELS["lstm_attention_search"].build()
        with pytest.raises(rc_serialize.TorchNotCoveredError) as info:
            get_returnn_config_serialized(model, backend="torch")
    message = str(info.value)
    assert '"choice"' in message and "beam search" in message and "models.py:" in message
