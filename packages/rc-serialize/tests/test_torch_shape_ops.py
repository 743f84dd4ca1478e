"""Slice, pad, cumsum, shift, window (and squeeze, constant) on RETURNN's PyTorch backend.

Marked ``torch`` (``nox -s tests_torch``). Each op's outputs are computed by RETURNN's TF
backend and by the torch config with the same input (``compare_backends``: random input,
sequence lengths below the maximum, eval mode) and must agree (max abs diff <= 1e-4), and be
far from zero so a wrong lowering shows. Options the lowerings do not implement are clear
build-time errors naming the option.
"""

from __future__ import annotations

import pathlib
import types

import numpy
import pytest

import rc_nn as nn
from rc_serialize import TorchNotCoveredError, get_returnn_config_serialized
from rc_serialize.testing import compare_backends, train_torch_config

pytestmark = pytest.mark.torch

TOLERANCE = 1e-4


def _data(feat_size: int = 4) -> tuple[nn.Tensor, nn.Dim, nn.Dim]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", feat_size)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    return x, time, feat


def _slice_and_pad_outputs(x: nn.Tensor, time: nn.Dim, feat: nn.Dim) -> dict[str, nn.Tensor]:
    outs = {
        "slice_start": nn.slice(x, axis=time, slice_start=1)[0],
        "slice_step": nn.slice(x, axis=time, slice_start=1, slice_end=-1, slice_step=2)[0],
        "slice_static": nn.slice(
            x, axis=feat, slice_start=1, slice_end=3, out_dim=nn.FeatureDim("f13", 2)
        )[0],
        "slice_feat_step": nn.slice(x, axis=feat, slice_step=3)[0],
        "pad_time": nn.pad(x, axes=[time], padding=[(1, 2)], value=1.5)[0],
        "pad_reflect": nn.pad(x, axes=[feat], padding=[(2, 1)], mode="reflect")[0],
        "pad_replication": nn.pad(x, axes=feat, padding=(1, 3), mode="replication")[0],
        "cumsum": nn.cumsum(x, axis=time),
        "cumsum_reverse": nn.cumsum(x, axis=time, reverse=True),
    }
    one = nn.FeatureDim("one", 1)
    outs["squeeze"] = nn.squeeze(
        nn.slice(x, axis=feat, slice_start=2, slice_end=3, out_dim=one)[0], axis=one
    )
    for mode in ("max", "sum", "mean"):
        outs[f"reduce_out_{mode}"] = nn.reduce_out(x, mode=mode, num_pieces=2)
    outs["constant"] = nn.constant(2.5, [nn.batch_dim, feat]) + nn.reduce_max(x, axis=time)
    # start per sequence: len - 2 (negative for a sequence of 1 frame: zeros there, as TF)
    start = nn.length(time) - 2
    outs["slice_nd"] = nn.slice_nd(x, axis=time, start=start, size=nn.SpatialDim("nd", 3))
    # a new dim from sizes (2 * len + 1, bound at run time) and the time dim from its lengths
    sizes = nn.length(time) * 2 + 1
    new_range, _new_dim = nn.range_from_length(sizes)
    outs["range_new_dim"] = nn.cast(new_range, "float32") + nn.cast(sizes, "float32")
    time_range, _time = nn.range_from_length(nn.length(time))
    # top_k over the features (over a dynamic axis RETURNN's TF layer fails to build: its
    # padding mask has other dims than the input)
    values, indices, _k_dim = nn.top_k(x, axis=feat, k=3)
    outs["top_k"] = values
    outs["top_k_indices"] = nn.cast(indices, "float32") + 1.0
    # repeat: TF zeroes the frames after each sequence's end, which a reversed cumsum sees
    repeated, repeated_time = nn.repeat(x, repetitions=2, axis=time)
    outs["repeat"] = repeated
    outs["repeat_cumsum_reverse"] = nn.cumsum(repeated, axis=repeated_time, reverse=True)
    outs["repeat_feat"] = nn.repeat(x, repetitions=3, axis=feat)[0]
    outs["range_time"] = nn.cast(time_range, "float32") + nn.reduce_sum(x, axis=feat)
    return outs


def _window_outputs(x: nn.Tensor, time: nn.Dim) -> dict[str, nn.Tensor]:
    outs = {}
    for name, kwargs in {
        "window_same": {},
        "window_causal": {"window_left": 2, "window_right": 0},
        "window_same_stride": {"stride": 2},
        "window_valid": {"padding": "valid"},
        "window_valid_stride": {"padding": "valid", "stride": 2},
    }.items():
        win = nn.SpatialDim(f"w_{name}", 3)
        outs[name] = nn.window(x, spatial_dim=time, window_dim=win, **kwargs)[0]  # type: ignore[arg-type]
    return outs


class _Outputs(nn.Module):
    def __init__(self, outputs: dict[str, nn.Tensor]) -> None:
        super().__init__()
        for name, out in outputs.items():
            out.mark_as_output(name)


def _check(result: object, count: int, *, far: float = 0.5) -> None:
    diffs = result.max_abs_diff  # type: ignore[attr-defined]
    assert len(diffs) == count, diffs
    for name, diff in diffs.items():
        assert diff <= TOLERANCE, (name, diff)
        assert abs(result.torch_outputs[name]).max() > far, name  # type: ignore[attr-defined]


def test_slice_pad_cumsum_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    with nn.Root():
        x, time, feat = _data()
        model = _Outputs(_slice_and_pad_outputs(x, time, feat))
        result = compare_backends(model, batch=4, max_time=7, seed=3)
    _check(result, 22)
    # slice_nd: a start past the sequence end gives zeros, inside it the frames
    assert abs(result.torch_outputs["slice_nd"]).max() > 0.5


def test_window_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    with nn.Root():
        x, time, _feat = _data()
        model = _Outputs(_window_outputs(x, time))
        result = compare_backends(model, batch=3, max_time=8, seed=5)
    _check(result, 5)


def _shift(x: nn.Tensor, time: nn.Dim, amount: int, value: float) -> nn.Tensor:
    layer = {
        "class": "shift_axis",
        "from": x,
        "axis": time,
        "amount": amount,
        "pad": True,
        "pad_value": value,
        "adjust_size_info": False,
    }
    return nn.make_layer(layer, name=f"shift_{amount}", out=x.template)


def test_shift_axis_both_directions_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    """TF shifts the padded tensor as it is: a left shift pads at the padded end (a shorter
    sequence's last valid frame gets its first padded frame), a shift by more than the
    length gives only the pad value."""
    with nn.Root():
        x, time, _feat = _data()
        outs = {
            "right_1": _shift(x, time, 1, 2.5),
            "right_3": _shift(x, time, 3, -1.5),
            "left_2": _shift(x, time, -2, 0.75),
            "right_9": _shift(x, time, 9, 1.25),
        }
        result = compare_backends(_Outputs(outs), batch=4, max_time=7, seed=4)
    _check(result, 4)


def _transformer(dropout: float) -> nn.Module:
    """rc's Transformer (1+1 layers) in teacher forcing, logits marked, per-frame CE the loss."""
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    out_time, vocab = nn.SpatialDim("out_time"), nn.FeatureDim("vocab", 5)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    labels = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, out_time], sparse_dim=vocab, dtype="int32")
    )
    model = nn.Transformer(
        nn.FeatureDim("d", 8),
        target_dim=vocab,
        in_dim=feat,
        num_encoder_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        dropout=dropout,
        att_dropout=dropout,
    )
    logits = model(x, source_spatial_dim=time, target=labels, target_spatial_dim=out_time)
    logits.mark_as_output("logits")
    nn.cross_entropy(estimated=logits, target=labels, estimated_type="logits").mark_as_loss("ce")
    return model


def test_transformer_teacher_forcing_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    """The decoder input is the labels shifted right by ``shift_axis`` with BOS in front
    (causal self-attention, cross attention): logits and per-frame CE agree."""
    with nn.Root():
        result = compare_backends(_transformer(0.0), batch=3, max_time=6, seed=2, losses=True)
    _check(result, 1)
    assert list(result.loss_max_abs_diff) == ["ce"]
    assert result.loss_max_abs_diff["ce"] <= TOLERANCE, result.loss_max_abs_diff
    assert (abs(result.torch_losses["ce"]) > 0.5).sum() >= 4, result.torch_losses


def test_transformer_trains_three_steps_with_returnn(tmp_path: pathlib.Path) -> None:
    """``python -m returnn`` trains the torch config (dropout on: the train flag's path)."""
    with nn.Root():
        model = _transformer(0.1)
        code = get_returnn_config_serialized(model, backend="torch")
        names = [path for path, _ in model.named_parameters()]
    seq_lens = {"data": (3, 7), "classes": (2, 5)}
    training = train_torch_config(code, tmp_path, steps=3, seq_lens=seq_lens)
    assert len(training.losses) == 3, training.log[-3000:]
    assert training.finite(), training.losses
    assert sorted(training.checkpoint_keys) == sorted(names)


def _torch_config_error(make: object) -> str:
    with nn.Root():
        x, time, feat = _data()
        out = make(x, time, feat)  # type: ignore[operator]
        out.mark_as_output("output")
        with pytest.raises(TorchNotCoveredError) as info:
            get_returnn_config_serialized(_Outputs({}), backend="torch")
    assert isinstance(info.value, NotImplementedError)
    assert __file__.rsplit("/", 1)[-1] in str(info.value), info.value
    return str(info.value)


def test_pad_modes_without_a_torch_counterpart_are_clear_errors() -> None:
    text = _torch_config_error(
        lambda x, time, feat: nn.pad(x, axes=[feat], padding=[(1, 1)], mode="symmetric")[0]
    )
    assert '"pad"' in text and "mode='symmetric'" in text and "no 'symmetric'" in text
    text = _torch_config_error(
        lambda x, time, feat: nn.pad(x, axes=[time], padding=[(1, 1)], mode="reflect")[0]
    )
    assert "pads a dynamic axis with mode='reflect'" in text


def test_unknown_options_are_clear_errors() -> None:
    text = _torch_config_error(
        lambda x, time, feat: _shift_layer(x, time, {"adjust_size_info": True})
    )
    assert '"shift_axis"' in text and "adjust_size_info=True" in text
    text = _torch_config_error(
        lambda x, time, feat: nn.make_layer(
            {
                "class": "cumsum",
                "from": x,
                "axis": time,
                "additional_left_summand_per_element": 1.0,
            },
            name="cumsum_extra",
            out=x.template,
        )
    )
    assert '"cumsum"' in text and "'additional_left_summand_per_element'" in text
    text = _torch_config_error(
        lambda x, time, feat: nn.constant(numpy.ones([4], dtype="float32"), [feat])
    )
    assert '"constant"' in text and "array value" in text
    text = _torch_config_error(
        lambda x, time, feat: nn.make_layer(
            {"class": "reinterpret_data", "from": x, "set_axes": {"B": time}},
            name="odd_axes",
            out=x.template,
        )
    )
    assert '"reinterpret_data"' in text and "set_axes=" in text and "'T'/'F'" in text
    text = _torch_config_error(lambda x, time, feat: nn.top_k(x, axis=feat, k=2, sorted=False)[0])
    assert '"top_k"' in text and "sorted=False" in text


def _shift_layer(x: nn.Tensor, time: nn.Dim, extra: dict[str, object]) -> nn.Tensor:
    layer = {"class": "shift_axis", "from": x, "axis": time, "amount": 1, **extra}
    return nn.make_layer(layer, name="shift", out=x.template)


def _linear_loss_config(loss_of: object) -> str:
    with nn.Root():
        x, _time, feat = _data(3)
        net = nn.Linear(feat, nn.FeatureDim("out", 2))
        y = net(x)
        loss = nn.reduce_sum(loss_of(y), axis=net.out_dim)  # type: ignore[operator]
        loss.mark_as_loss("loss")
        return get_returnn_config_serialized(net, backend="torch")


def _gradients(code: str, state: dict[str, object] | None) -> dict[str, object]:
    """Run ``train_step`` (no train flag: no dropout) and backprop the summed losses."""
    import returnn.frontend as rf  # noqa: PLC0415 - the torch backend only in torch tests
    import torch  # noqa: PLC0415
    from returnn.tensor import TensorDict, batch_dim  # noqa: PLC0415
    from returnn.torch.data.extern_data import raw_dict_to_extern_data  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    rf.select_backend_torch()
    namespace: dict[str, object] = {"__name__": "__rc_torch_config__"}
    exec(compile(code, "<rc torch config>", "exec"), namespace)
    model = namespace["get_model"](epoch=1, step=0)  # type: ignore[operator]
    module = rf_module_to_pt_module(model)
    if state is not None:
        module.load_state_dict(state)
    template = TensorDict()
    template.update(namespace["extern_data"], auto_convert=True)
    rng = numpy.random.RandomState(7)
    raw = {
        "data": torch.from_numpy(rng.normal(size=(3, 5, 3)).astype("float32")),
        "data:seq_len": torch.tensor([5, 3, 4], dtype=torch.int32),
    }
    previous = batch_dim.dyn_size_ext
    try:
        extern = raw_dict_to_extern_data(raw, extern_data_template=template, device="cpu")
        rf.init_train_step_run_ctx(train_flag=False)
        namespace["train_step"](model=model, extern_data=extern)  # type: ignore[operator]
        losses = rf.get_run_ctx().losses.values()
        total = sum(loss.loss.raw_tensor.sum() for loss in losses)
        if total.requires_grad:  # not when no parameter reaches the loss
            total.backward()
    finally:
        batch_dim.reset_eager()
        batch_dim.dyn_size_ext = previous
    grads = {k: p.grad for k, p in module.named_parameters()}
    return {"state": module.state_dict(), **grads}


def test_stop_gradient_stops_the_gradient_on_the_torch_backend() -> None:
    """``nn.stop_gradient`` (``scaled_grad`` with scale 0): identity forward, no gradient:
    d/dW sum(y * stop_gradient(y)) is half of d/dW sum(y * y), and sum(stop_gradient(y))
    has none."""
    squared = _gradients(_linear_loss_config(lambda y: y * y), None)
    state = squared.pop("state")
    half = _gradients(_linear_loss_config(lambda y: y * nn.stop_gradient(y)), state)  # type: ignore[arg-type]
    half.pop("state")
    stopped = _gradients(_linear_loss_config(nn.stop_gradient), state)  # type: ignore[arg-type]
    stopped.pop("state")
    assert sorted(squared) == sorted(half) == ["bias", "weight"]
    for key, grad in squared.items():
        assert float(abs(grad).max()) > 0.5, key  # type: ignore[arg-type]
        numpy.testing.assert_allclose(half[key].numpy(), 0.5 * grad.numpy(), rtol=1e-5)  # type: ignore[union-attr]
    assert all(grad is None or float(abs(grad).max()) == 0.0 for grad in stopped.values())


def test_golden_linear_norms_same_on_both_backends(
    golden_models: types.ModuleType, returnn_tf: types.ModuleType
) -> None:
    """``nn.BatchNorm`` states TF's time axis (``reinterpret_data`` with ``set_axes``): RF has
    no such axis, the values stay; the golden Linear + LayerNorm + BatchNorm agree."""
    with nn.Root():
        model = golden_models.MODELS["linear_norms"].build()
        code = get_returnn_config_serialized(model, backend="torch")
        result = compare_backends(model, batch=3, max_time=7, seed=2)
    assert "set_axes" not in code
    _check(result, 1)
