"""``nn.LSTM`` on RETURNN's PyTorch backend (issue 14, coverage step 2).

Marked ``torch`` (``nox -s tests_torch``). Proofs by values, tiny dims, sequence lengths below
the maximum, eval mode:

* a forward and a backward LSTM, with their final states: RETURNN TF's ``nativelstm2`` and
  RF's LSTM on torch give the same numbers with the same weights (this proves the torch
  layout ``[4*out, in]`` and the gate order ``i, f, j, o`` of ``_torch_layout``);
* the golden ``blstm`` (2 BLSTM layers, max-pool time reduction): the same outputs through
  a TF checkpoint converted with ``convert_checkpoint``, and 3 training steps with
  ``python -m returnn`` on the torch config;
* what is not covered yet (``ZoneoutLSTM``, one LSTM run both over a sequence and as single
  steps in ``nn.Loop``) is a
  clear error at build time.
"""

from __future__ import annotations

import math
import pathlib
import types

import numpy as np
import pytest

import rc_nn as nn
import rc_serialize
from rc_serialize import build_network, get_returnn_config_serialized
from rc_serialize._convert import _write_tf
from rc_serialize._torch_compare import _run_tf
from rc_serialize.testing import compare_backends, run_torch_forward, train_torch_config

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TOLERANCE = 1e-4


def _lstm_model(direction: int) -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    lstm = nn.LSTM(feat, nn.FeatureDim("lstm", 4))
    y, state = lstm(x, spatial_dim=time, direction=direction)
    y.mark_as_default_output()
    state.h.mark_as_output("h")
    state.c.mark_as_output("c")
    return lstm


@pytest.mark.parametrize("direction", [1, -1])
def test_lstm_and_final_state_same_on_both_backends(
    direction: int, returnn_tf: types.ModuleType
) -> None:
    with nn.Root():
        result = compare_backends(_lstm_model(direction), batch=3, max_time=7)
    assert sorted(result.max_abs_diff) == ["c", "h", "output"]
    assert max(result.max_abs_diff.values()) <= TOLERANCE, result.max_abs_diff
    for name in ("c", "h", "output"):  # far from zero: the comparison can fail
        assert abs(result.torch_outputs[name]).max() > 0.3, name


def test_golden_blstm_same_outputs_through_converted_checkpoint(
    golden_models: types.ModuleType, returnn_tf: types.ModuleType, tmp_path: pathlib.Path
) -> None:
    with nn.Root():
        model = golden_models.MODELS["blstm"].build()
        tf_code = get_returnn_config_serialized(model)
        torch_code = get_returnn_config_serialized(model, backend="torch")
        tf_names = set(build_network(model).variable_names.values())
        tf_run = _run_tf(tf_code, seed=3, batch=3, max_time=7, random_weights=True)
        assert set(tf_run.variables) == tf_names
        checkpoint, pt = tmp_path / "model.003", tmp_path / "model.003.pt"
        _write_tf(tf_run.variables, checkpoint)
        rc_serialize.convert_checkpoint(model, checkpoint, pt)
        names = [name for name, _ in model.named_parameters()]
    state = torch.load(pt, weights_only=True)["model"]
    assert list(state) == names
    assert min(tf_run.seq_lens["data"]) < 7  # padding inside the batch
    torch_run = run_torch_forward(
        torch_code,
        tf_run.inputs,
        seq_lens=tf_run.seq_lens,
        weights={key: value.numpy() for key, value in state.items()},
    )
    mask = tf_run.masks["output"]
    expected = np.where(mask, tf_run.outputs["output"], 0)
    got = np.where(mask, torch_run.outputs["output"], 0)
    assert expected.shape == got.shape
    assert float(np.max(np.abs(expected - got))) <= TOLERANCE
    assert abs(expected).max() > 0.2


class _BlstmCtc(nn.Module):
    """The golden BLSTM encoder (2 layers, time reduction 2) with a CTC loss on top."""

    def __init__(self, feat: nn.Dim, out: nn.Dim) -> None:
        super().__init__()
        lstm = nn.FeatureDim("lstm", 4)
        self.encoder = nn.BlstmEncoder(feat, lstm, num_layers=2, time_reduction=2, dropout=0.1)
        self.output = nn.Linear(2 * lstm, out)

    def forward(self, x: nn.Tensor, time: nn.Dim) -> nn.Tensor:
        h, _ = self.encoder(x, in_spatial_dim=time)
        logits: nn.Tensor = self.output(h)
        return logits


def test_blstm_with_ctc_trains_three_steps_with_returnn(tmp_path: pathlib.Path) -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        vocab = nn.FeatureDim("vocab", 4)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        targets = nn.get_extern_data(
            nn.Data("classes", dim_tags=[nn.batch_dim, nn.SpatialDim("labels")], sparse_dim=vocab)
        )
        model = _BlstmCtc(feat, nn.FeatureDim("vocab+blank", 5))
        logits = model(x, time)
        logits.mark_as_default_output()
        nn.ctc_loss(logits=logits, targets=targets, blank_index=4).mark_as_loss("ctc")
        code = get_returnn_config_serialized(model, backend="torch")
        names = [path for path, _ in model.named_parameters()]
    training = train_torch_config(
        code, tmp_path, steps=3, seq_lens={"data": (8, 12), "classes": (1, 3)}
    )
    assert len(training.losses) == 3, training.log[-3000:]
    assert training.finite(), training.losses
    assert all(math.isfinite(v) for step in training.losses for v in step.values())
    assert sorted(training.checkpoint_keys) == sorted(names)
    assert "encoder.layers.1.bw.param_W" in names


def test_zoneout_lstm_is_a_clear_build_error() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        lstm = nn.ZoneoutLSTM(feat, nn.FeatureDim("lstm", 4))
        y, _ = lstm(x, spatial_dim=time)
        y.mark_as_default_output()
        with pytest.raises(rc_serialize.TorchLayoutError, match=r"nn\.ZoneoutLSTM.*later"):
            get_returnn_config_serialized(lstm, backend="torch")


def test_lstm_both_full_sequence_and_single_step_is_a_clear_build_error() -> None:
    # the single-step LSTM in a loop is covered (tests/test_torch_loops.py), but one LSTM's
    # parameters read by both its full-sequence op and its single-step cell are not
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        lstm = nn.LSTM(feat, nn.FeatureDim("lstm", 4))
        lstm(x, spatial_dim=time)[0].mark_as_output("full")
        loop = nn.Loop(axis=time)
        loop.state.lstm = lstm.default_initial_state(batch_dims=[nn.batch_dim])
        with loop:
            h, loop.state.lstm = lstm(
                loop.unstack(x), state=loop.state.lstm, spatial_dim=nn.single_step_dim
            )
            ys = loop.stack(h)
        ys.mark_as_default_output()
        with pytest.raises(rc_serialize.TorchNotCoveredError) as info:
            get_returnn_config_serialized(lstm, backend="torch")
    assert __file__ in str(info.value) and "single-step" in str(info.value)


def test_other_rec_unit_is_a_clear_build_error() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model = nn.Linear(feat, feat)
        nn.make_layer(
            {"class": "rec", "unit": "lstm", "from": model(x), "axis": time, "out_dim": feat},
            name="tf_lstm",
        ).mark_as_default_output()
        with pytest.raises(rc_serialize.TorchNotCoveredError) as info:
            get_returnn_config_serialized(model, backend="torch")
    message = str(info.value)
    for part in ('"rec"', "rec unit 'lstm'", "'nativelstm2'", __file__):
        assert part in message, message


def test_replaced_lstm_parameter_is_a_clear_layout_error() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        lstm = nn.LSTM(feat, nn.FeatureDim("lstm", 4))
        lstm.param_b = nn.Parameter([feat])  # no longer [4*out]
        y, _ = lstm(x, spatial_dim=time)
        y.mark_as_default_output()
        with pytest.raises(rc_serialize.TorchLayoutError, match=r"param_b.*4\*out_dim"):
            get_returnn_config_serialized(lstm, backend="torch")
