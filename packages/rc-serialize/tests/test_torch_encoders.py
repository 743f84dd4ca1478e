"""The Transformer and Conformer encoders on RETURNN's PyTorch backend (issue 14, first coverage step).

Marked ``torch`` (``nox -s tests_torch``). For the golden attention, Transformer encoder and
Conformer encoder (2-D conv front end with pooling, rel-pos self-attention, depthwise conv,
batch norm, CTC) models:

* the same weights give the same outputs on both backends (TF variables set to random
  values, copied by canonical name; sequence lengths below the maximum; eval mode);
* ``python -m returnn`` trains 3 steps on the torch config with finite losses, and the
  checkpoint's keys are the dotted ``named_parameters()`` (as a set: one per parameter).
"""

from __future__ import annotations

import math
import pathlib
import types

import pytest

import rc_nn as nn
from rc_serialize import TorchNotCoveredError, get_returnn_config_serialized
from rc_serialize.testing import compare_backends, train_torch_config

pytestmark = pytest.mark.torch

TOLERANCE = 1e-4

MODELS = ["self_attention", "rel_pos_self_attention", "transformer_encoder", "conformer_encoder"]


@pytest.mark.parametrize("name", MODELS)
def test_same_weights_same_outputs_on_both_backends(
    name: str, golden_models: types.ModuleType, returnn_tf: types.ModuleType
) -> None:
    with nn.Root():
        model = golden_models.MODELS[name].build()
        result = compare_backends(model, batch=3, max_time=7)
    assert list(result.max_abs_diff) == ["output"]
    assert result.max_abs_diff["output"] <= TOLERANCE, result.max_abs_diff
    # A comparison that cannot fail proves nothing: the outputs are far from zero.
    assert abs(result.torch_outputs["output"]).max() > 0.5


def test_user_written_eval_code_is_a_clear_error() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        model = nn.Linear(feat, feat)
        nn.make_layer(
            {"class": "eval", "from": model(x), "eval": "source(0) * 0.5"}, name="half"
        ).mark_as_default_output()
        with pytest.raises(TorchNotCoveredError) as info:
            get_returnn_config_serialized(model, backend="torch")
    message = str(info.value)
    for part in ('"eval"', "source(0) * 0.5", "written by the user", __file__):
        assert part in message, message


@pytest.mark.parametrize(
    ("name", "seq_lens"),
    [
        # classes share the time dim of data: equal fixed lengths
        ("transformer_encoder", {"data": (6, 6), "classes": (6, 6)}),
        # CTC targets shorter than the input
        ("conformer_encoder", {"data": (8, 12), "classes": (2, 4)}),
    ],
)
def test_encoder_trains_three_steps_with_returnn(
    name: str,
    seq_lens: dict[str, tuple[int, int]],
    golden_models: types.ModuleType,
    tmp_path: pathlib.Path,
) -> None:
    with nn.Root():
        model = golden_models.MODELS[name].build()
        code = get_returnn_config_serialized(model, backend="torch")
        names = [path for path, _ in model.named_parameters()]
    training = train_torch_config(code, tmp_path, steps=3, seq_lens=seq_lens)
    assert len(training.losses) == 3, training.log[-3000:]
    assert training.finite(), training.losses  # a NaN or inf loss fails
    assert all(math.isfinite(v) for step in training.losses for v in step.values())
    # one key per parameter, the canonical names (the order is get_model's: record order)
    assert len(training.checkpoint_keys) == len(names)
    assert sorted(training.checkpoint_keys) == sorted(names)
