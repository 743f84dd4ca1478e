"""Per-module PyTorch parameter layouts (issue 14, N9): ``_torch_layout.torch_param_axes``.

Values are proven against ``returnn.frontend`` in ``test_convert.py`` (needs torch); these
tests need neither torch nor TensorFlow.
"""

from __future__ import annotations

import dataclasses
import types

import pytest

import rc_nn as nn
import rc_serialize
from rc_serialize._torch_layout import TORCH_LAYOUTS, torch_param_axes, torch_param_shape

_CONVS = {f"{kind}{n}d" for kind in ("Conv", "TransposedConv") for n in (1, 2, 3)}


def test_every_golden_models_parameter_has_a_declared_layout_or_a_clear_error(
    golden_models: types.ModuleType,
) -> None:
    seen: set[tuple[str | None, str]] = set()
    for name, golden in golden_models.MODELS.items():
        with nn.Root():
            record, _ = nn.build_record(golden.build())
        for param in record.params:
            assert param.path is not None, name
            seen.add((param.owner, param.path[-1]))
            if param.owner == "ZoneoutLSTM":
                with pytest.raises(rc_serialize.TorchLayoutError, match="later coverage step"):
                    torch_param_axes(param, record)
                continue
            axes = torch_param_axes(param, record)
            ndim = len(param.dims)
            assert sorted(axes) == list(range(ndim)), (name, param.path)
            if param.owner in _CONVS and param.path[-1] == "filter":
                assert axes == (ndim - 1, ndim - 2, *range(ndim - 2)), (name, param.path)
            elif param.owner == "LSTM" and param.path[-1] in ("param_W", "param_W_re"):
                assert axes == (1, 0), (name, param.path)  # [4*out, in], gates reordered
            else:
                assert axes == tuple(range(ndim)), (name, param.path)
    owners = {owner for owner, _ in seen}
    # the golden models cover the first coverage step's modules and the LSTM
    assert {"Linear", "Conv1d", "Conv2d", "LayerNorm", "BatchNorm", "RelPosSelfAttention"} <= owners
    assert "LSTM" in owners


def _called(model: nn.Module, feat: nn.Dim, time: nn.Dim) -> nn.BuildRecord:
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    model(x).mark_as_default_output()
    record, _ = nn.build_record(model)
    return record


def test_subclass_keeps_its_rc_nn_bases_layout() -> None:
    class MyConv(nn.Conv2d):
        pass

    with nn.Root():
        time, width, feat = nn.SpatialDim("time"), nn.SpatialDim("w", 4), nn.FeatureDim("f", 2)
        conv = MyConv(feat, nn.FeatureDim("o", 3), (3, 2))
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, width, feat]))
        conv(x, in_spatial_dims=[time, width])[0].mark_as_default_output()
        record, _ = nn.build_record(conv)
    (filt, bias) = record.params
    assert (filt.owner, torch_param_axes(filt, record)) == ("Conv2d", (3, 2, 0, 1))
    assert torch_param_shape(filt, record) == (3, 2, 3, 2)
    assert torch_param_shape(bias, record) == (3,)


def test_parameter_of_an_undeclared_rc_nn_holder_is_a_clear_error() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
        seq = nn.Sequential(nn.Linear(feat, feat))
        seq.offset = nn.Parameter([feat], initial=0.0)

        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.seq = seq

            def __call__(self, x: nn.Tensor) -> nn.Tensor:
                return self.seq(x) + self.seq.offset

        record = _called(Model(), feat, time)
    offset = next(p for p in record.params if p.path == ("seq", "offset"))
    assert offset.owner == "Sequential"
    with pytest.raises(rc_serialize.TorchLayoutError) as info:
        torch_param_axes(offset, record)
    message = str(info.value)
    assert "seq.offset" in message and "'offset' of nn.Sequential" in message
    assert "created at" in message and "test_torch_layout.py" in message


def test_user_parameters_keep_their_dims() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)

        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.w = nn.Parameter([feat, nn.FeatureDim("g", 5)], initial=0.0)

            def __call__(self, x: nn.Tensor) -> nn.Tensor:
                return nn.dot(x, self.w, reduce=feat)

        record = _called(Model(), feat, time)
    (w,) = record.params
    assert (w.owner, torch_param_axes(w, record), torch_param_shape(w, record)) == (
        "Module",
        (0, 1),
        (2, 5),
    )


def test_declarations_are_keyed_by_public_rc_nn_classes() -> None:
    for owner in TORCH_LAYOUTS:
        cls = getattr(nn, owner, None)
        assert isinstance(cls, type) and issubclass(cls, nn.Module), owner


def test_a_record_without_owners_is_refused_not_guessed() -> None:
    with nn.Root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
        record = _called(nn.Linear(feat, feat), feat, time)
    old = dataclasses.replace(record, version=(1, 0))
    with pytest.raises(rc_serialize.RecordVersionError, match=r"no ParamRecord\.owner"):
        torch_param_axes(old.params[0], old)
