"""Slice, pad, cumsum, shift, window (and squeeze, constant) on RETURNN's PyTorch backend.

Marked ``torch`` (``nox -s tests_torch``). Each op's outputs are computed by RETURNN's TF
backend and by the torch config with the same input (``compare_backends``: random input,
sequence lengths below the maximum, eval mode) and must agree (max abs diff <= 1e-4), and be
far from zero so a wrong lowering shows. Options the lowerings do not implement are clear
build-time errors naming the option.
"""

from __future__ import annotations

import types

import pytest

import rc_nn as nn
from rc_serialize import TorchNotCoveredError, get_returnn_config_serialized
from rc_serialize.testing import compare_backends

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
    outs["constant"] = nn.constant(2.5, [nn.batch_dim, feat]) + nn.reduce_max(x, axis=time)
    # start per sequence: len - 2 (negative for a sequence of 1 frame: zeros there, as TF)
    start = nn.length(time) - 2
    outs["slice_nd"] = nn.slice_nd(x, axis=time, start=start, size=nn.SpatialDim("nd", 3))
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
    _check(result, 12)
    # slice_nd: a start past the sequence end gives zeros, inside it the frames
    assert abs(result.torch_outputs["slice_nd"]).max() > 0.5


def test_window_same_on_both_backends(returnn_tf: types.ModuleType) -> None:
    with nn.Root():
        x, time, _feat = _data()
        model = _Outputs(_window_outputs(x, time))
        result = compare_backends(model, batch=3, max_time=8, seed=5)
    _check(result, 5)
