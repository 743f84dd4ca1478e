"""The Transformer and Conformer encoders on RETURNN's PyTorch backend (issue 14, first coverage step).

Marked ``torch`` (``nox -s tests_torch``). For the golden attention, Transformer encoder and
Conformer encoder (2-D conv front end with pooling, rel-pos self-attention, depthwise conv,
batch norm, CTC) models:

* the same weights give the same outputs and per-sequence losses (CE, CTC) on both backends
  (TF variables set to random values, saved by RETURNN, converted with
  ``convert_checkpoint``; sequence lengths below the
  maximum; eval mode);
* ``python -m returnn`` trains 3 steps on the torch config with finite losses, and the
  checkpoint's keys are the dotted ``named_parameters()``, one per parameter, in the
  ``state_dict`` order of the module RETURNN makes from ``get_model``;
* all of this for a 12-block Conformer with CTC too.
"""

from __future__ import annotations

import math
import pathlib
import types
from typing import Any

import numpy
import pytest

import rc_nn as nn
from rc_serialize import TorchNotCoveredError, get_returnn_config_serialized
from rc_serialize.testing import compare_backends, torch_model_parameters, train_torch_config

pytestmark = pytest.mark.torch

TOLERANCE = 1e-4

MODELS = ["self_attention", "rel_pos_self_attention", "transformer_encoder", "conformer_encoder"]
LOSSES = {"transformer_encoder": ["ce"], "conformer_encoder": ["ctc"]}


@pytest.mark.parametrize("name", MODELS)
def test_same_weights_same_outputs_on_both_backends(
    name: str, golden_models: types.ModuleType, returnn_tf: types.ModuleType
) -> None:
    with nn.Root():
        model = golden_models.MODELS[name].build()
        # seed 2: two of the four random CTC target sequences fit their input
        result = compare_backends(model, batch=4, max_time=7, seed=2, losses=True)
    assert list(result.max_abs_diff) == ["output"]
    assert result.max_abs_diff["output"] <= TOLERANCE, result.max_abs_diff
    # A comparison that cannot fail proves nothing: the outputs are far from zero.
    assert abs(result.torch_outputs["output"]).max() > 0.5
    # The losses (per sequence; an infeasible CTC alignment is 0 on both) agree too.
    assert list(result.loss_max_abs_diff) == LOSSES.get(name, [])
    for loss, diff in result.loss_max_abs_diff.items():
        assert diff <= TOLERANCE, (loss, diff, result.tf_losses, result.torch_losses)
        assert (abs(result.torch_losses[loss]) > 0.5).sum() >= 2, result.torch_losses


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
    _assert_checkpoint_keys(training.checkpoint_keys, code, names)


def _assert_checkpoint_keys(keys: list[str], code: str, names: list[str]) -> None:
    """One key per parameter, rc's canonical names, in the torch module's ``state_dict`` order.

    That order is rc's ``named_parameters()`` order except that torch lists a module's own
    parameters before its submodules' (``pos_bias_u`` before ``qkv.weight``).
    """
    assert keys == list(torch_model_parameters(code))
    assert len(keys) == len(names)
    assert sorted(keys) == sorted(names)


def test_twelve_block_conformer_with_ctc(
    golden_models: types.ModuleType, returnn_tf: types.ModuleType, tmp_path: pathlib.Path
) -> None:
    """The issue's proof model: a 12-block Conformer (front end, CTC), values and training."""
    with nn.Root():
        model = golden_models.conformer_encoder(num_layers=12)
        names = [path for path, _ in model.named_parameters()]
        assert sum(name.endswith(".ffn1.linear_ff.weight") for name in names) == 12
        result = compare_backends(model, batch=4, max_time=7, seed=2, losses=True)
        code = get_returnn_config_serialized(model, backend="torch")
    assert result.max_abs_diff["output"] <= TOLERANCE, result.max_abs_diff
    assert abs(result.torch_outputs["output"]).max() > 0.5
    assert result.loss_max_abs_diff["ctc"] <= TOLERANCE, result.loss_max_abs_diff
    assert (abs(result.torch_losses["ctc"]) > 0.5).sum() >= 2, result.torch_losses
    training = train_torch_config(
        code, tmp_path, steps=3, seq_lens={"data": (8, 12), "classes": (2, 4)}
    )
    assert len(training.losses) == 3 and training.finite(), training.losses
    _assert_checkpoint_keys(training.checkpoint_keys, code, names)


class _EvalAndConvOps(nn.Module):
    """rc-nn's eval layers of every template, and conv/pool options the encoders do not use."""

    def __init__(self, feat: nn.Dim) -> None:
        super().__init__()
        self.feat = feat
        self.conv = nn.Conv1d(feat, feat, filter_size=[3], padding="valid", strides=2)
        self.depthwise = nn.Conv1d(feat, feat, filter_size=[2], padding="same", groups=4)

    def __call__(self, x: nn.Tensor, time: nn.Dim) -> dict[str, nn.Tensor]:
        other = nn.reduce_sum(x, axis=self.feat)  # [B, T]
        flag = x > 0.0
        outs = {
            "scalar_ops": (2.0 - x) * 0.5 + x / 4.0 - x // 2.0 + x % 3.0 + x**2.0,
            "min_max_clip": nn.maximum(0.5, x) + nn.minimum(x, -0.5) + nn.clip_by_value(x, -1, 1),
            "swish": nn.swish(x),
            "logical": nn.cast(nn.logical_not(flag), "float32"),
            "where": nn.where(nn.reduce_max(x, axis=time) > 0.0, other, -1.0),
        }
        conv, conv_time = self.conv(x, in_spatial_dim=time)
        outs["conv_valid_strided"] = nn.reduce_sum(conv, axis=conv_time)
        outs["depthwise_same"] = self.depthwise(x, in_spatial_dim=time)[0]
        pooled, pool_time = nn.pool1d(
            x, mode="avg", pool_size=2, padding="valid", in_spatial_dim=time
        )
        outs["avg_pool"] = nn.reduce_max(pooled, axis=pool_time)
        return outs


def _eval_and_conv_ops() -> nn.Module:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 4)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    model = _EvalAndConvOps(feat)
    for name, out in model(x, time).items():
        out.mark_as_output(name)
    return model


def test_eval_templates_and_conv_options_same_on_both_backends(
    returnn_tf: types.ModuleType,
) -> None:
    with nn.Root():
        result = compare_backends(_eval_and_conv_ops(), batch=3, max_time=9)
    assert len(result.max_abs_diff) == 8, result.max_abs_diff
    for name, diff in result.max_abs_diff.items():
        assert diff <= TOLERANCE, (name, diff)
        assert abs(result.torch_outputs[name]).max() > 0.1, name


def _forward_batches(
    code: str, batches: list[list[int]], state: dict[str, Any] | None = None
) -> tuple[list[numpy.ndarray[Any, Any]], dict[str, Any]]:
    """Run ``forward_step`` of one loaded config on several batches (as RETURNN's engine
    does); the inputs depend only on the lengths. Returns the outputs and the weights."""
    import returnn.frontend as rf  # noqa: PLC0415 - the torch backend only in torch tests
    import torch  # noqa: PLC0415
    from returnn.tensor import TensorDict  # noqa: PLC0415
    from returnn.torch.data.extern_data import raw_dict_to_extern_data  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    rf.select_backend_torch()
    namespace: dict[str, Any] = {"__name__": "__rc_torch_config__"}
    exec(compile(code, "<rc torch config>", "exec"), namespace)
    model = namespace["get_model"](epoch=1, step=0)
    pt_model = rf_module_to_pt_module(model)
    if state is not None:
        pt_model.load_state_dict(state)
    pt_model.eval()
    template = TensorDict()
    template.update({"data": namespace["extern_data"]["data"]}, auto_convert=True)
    outputs = []
    for lens in batches:
        rng = numpy.random.RandomState(sum(lens))
        raw = {
            "data": torch.from_numpy(rng.normal(size=(len(lens), max(lens), 8)).astype("float32")),
            "data:seq_len": torch.tensor(lens, dtype=torch.int32),
        }
        extern_data = raw_dict_to_extern_data(raw, extern_data_template=template, device="cpu")
        rf.init_forward_step_run_ctx()
        with torch.no_grad():
            namespace["forward_step"](model=model, extern_data=extern_data)
        outputs.append(rf.get_run_ctx().outputs.data["output"].raw_tensor.numpy().copy())
    return outputs, pt_model.state_dict()


def test_dims_derived_from_the_time_dim_follow_each_batch(golden_models: types.ModuleType) -> None:
    """The Conformer's rel-pos encoding ranges over ``(time - 1) + time``: a dim derived
    from the extern time dim. In a later batch it must have that batch's sizes (RETURNN
    resets only the extern dims), so a second batch's output equals a fresh run's."""
    from returnn.tensor import batch_dim  # noqa: PLC0415

    with nn.Root():
        code = get_returnn_config_serialized(
            golden_models.MODELS["conformer_encoder"].build(), backend="torch"
        )
    previous = batch_dim.dyn_size_ext
    try:
        (first, second), state = _forward_batches(code, [[7, 5, 3], [4, 2, 9]])
        (fresh,), _ = _forward_batches(code, [[4, 2, 9]], state)
    finally:
        batch_dim.reset_eager()
        batch_dim.dyn_size_ext = previous
    assert first.shape[:2] == (3, 7) and second.shape[:2] == (3, 9)
    assert second.shape == fresh.shape
    for i, n in enumerate([4, 2, 9]):
        numpy.testing.assert_allclose(second[i, :n], fresh[i, :n], atol=1e-5)
