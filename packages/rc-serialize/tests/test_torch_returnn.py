"""The torch configs in RETURNN's PyTorch backend (marked ``torch``: ``nox -s tests_torch``).

* same weights, same outputs as the TF config (max abs diff <= 1e-4, float32, eval mode);
* ``python -m returnn`` trains 3 steps (finite losses) and saves a checkpoint whose keys
  are the canonical names of ``named_parameters()``.
"""

from __future__ import annotations

import math
import pathlib
import types

import pytest

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._example import build_example
from rc_serialize.testing import compare_backends, torch_model_parameters, train_torch_config

pytestmark = pytest.mark.torch

TOLERANCE = 1e-4


class _Ops(nn.Module):
    """Every basic lowering in one model (outputs of several kinds)."""

    def __init__(self, in_dim: nn.Dim, out_dim: nn.Dim, classes: nn.Dim) -> None:
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim)
        self.same = nn.Linear(out_dim, out_dim)  # in_dim == out_dim: a weight dim "out:in"
        self.norm = nn.LayerNorm(out_dim)
        self.logits = nn.Linear(out_dim, classes)

    def __call__(
        self, x: nn.Tensor, targets: nn.Tensor, time: nn.Dim
    ) -> tuple[nn.Tensor, nn.Tensor, nn.Tensor, nn.Tensor]:
        h = self.lin(x)
        a = nn.tanh(h) + nn.sigmoid(h) * nn.swish(h) - nn.elu(h)
        b = nn.maximum(nn.exp(nn.log_sigmoid(h)), nn.square(h)) / nn.sqrt(nn.abs_(h) + 1.0)
        c = self.norm(self.same(nn.dropout(nn.minimum(a, b), 0.5, axis=h.feature_dim)))
        pooled = nn.reduce(c, mode="mean", axis=time) + nn.reduce(c, mode="max", axis=time)
        big = nn.cast(nn.compare(c, pooled, kind="greater"), "float32")
        ce = nn.sparse_softmax_cross_entropy_with_logits(
            logits=self.logits(nn.relu(c)), targets=targets, axis=self.logits.out_dim
        )
        return c, pooled, big, ce


def _ops_model() -> nn.Module:
    time = nn.SpatialDim("time")
    feat, out, classes = nn.FeatureDim("in", 5), nn.FeatureDim("out", 4), nn.FeatureDim("cls", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, time], sparse_dim=classes)
    )
    net = _Ops(feat, out, classes)
    c, pooled, big, ce = net(x, targets, time)
    c.mark_as_default_output()
    pooled.mark_as_output("pooled")
    big.mark_as_output("big")
    ce.mark_as_output("ce")
    return net


@pytest.mark.parametrize("build", [build_example, _ops_model], ids=["example", "ops"])
def test_same_weights_same_outputs_on_both_backends(
    build: object, returnn_tf: types.ModuleType
) -> None:
    assert callable(build)
    model = build()
    result = compare_backends(model, batch=3, max_time=7)
    assert result.max_abs_diff, "no output compared"
    for name, diff in result.max_abs_diff.items():
        assert diff <= TOLERANCE, (name, diff)
        # A comparison that cannot fail proves nothing: the outputs are not all zero.
        if name != "big":
            assert abs(result.torch_outputs[name]).max() > 1e-2, name


def test_state_dict_keys_and_shapes_are_the_canonical_parameters() -> None:
    model = build_example()
    code = get_returnn_config_serialized(model, backend="torch")
    shapes = torch_model_parameters(code)
    assert shapes == {
        name: tuple(d.dimension for d in param.dims) for name, param in model.named_parameters()
    }


def test_example_trains_three_steps_with_returnn(tmp_path: pathlib.Path) -> None:
    model = build_example()
    code = get_returnn_config_serialized(model, backend="torch")
    training = train_torch_config(
        code, tmp_path, steps=3, seq_lens={"data": (8, 12), "classes": (2, 4)}
    )
    assert len(training.losses) == 3, training.log[-3000:]
    assert training.finite(), training.losses  # a NaN or inf loss fails
    assert all(math.isfinite(step["ctc"]) for step in training.losses)
    assert training.checkpoint_keys == [name for name, _ in model.named_parameters()]


def test_reserved_names_cover_the_installed_torch_and_returnn() -> None:
    import returnn.frontend as rf  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from returnn.torch.frontend.bridge import RFModuleAsPTModule  # noqa: PLC0415

    from rc_serialize._torch_names import RESERVED_TORCH_NAMES  # noqa: PLC0415

    rf.select_backend_torch()
    live = set(dir(torch.nn.Module)) | set(dir(RFModuleAsPTModule)) | set(dir(rf.Module))
    live |= set(vars(RFModuleAsPTModule(rf.Module()))) | set(vars(rf.Module()))
    assert live <= RESERVED_TORCH_NAMES, sorted(live - RESERVED_TORCH_NAMES)
