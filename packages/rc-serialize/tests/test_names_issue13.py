"""Names never collide, nothing is dropped silently (issue 13 §4, first two items).

* A ``.`` inside one path component (ModuleDict key ``"en.us"``, ``"."``, an attribute
  literally named ``a.b``) is refused where it is assigned (rc-nn's ``DottedNameError``);
  the serializer refuses it too should it get past rc-nn, and checkpoint variables with
  such a scope never match a model path (``rc-serialize diff``, ``migrate``).
* N4 for unused parameters: a submodule that no output uses keeps its variables in the
  config, so RETURNN's TF variables and checkpoint equal ``named_parameters()``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import numpy
import pytest
import rc_naming
import rc_nn as nn
from rc_serialize import InvalidParameterNameError, RcSerializeError, get_returnn_config_serialized
from rc_serialize._checkpoints import (
    _diff_from_shapes,
    checkpoint_diff,
    migration_mapping,
    variable_to_path,
)
from rc_serialize._final import build_network
from rc_serialize._roundtrip import expected_variable_names


class WithUnused(nn.Module):
    """``enc`` is used, ``aux`` (a submodule) and ``scale`` (a parameter) are not."""

    def __init__(self, feat: nn.Dim, out: nn.Dim) -> None:
        super().__init__()
        self.enc = nn.Linear(feat, out)
        self.aux = nn.ModuleDict({"ctc": nn.Linear(out, feat)})
        self.scale = nn.Parameter([out])

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.enc(x)


def _with_unused(loss: bool = True) -> tuple[WithUnused, nn.Dim]:
    time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 4), nn.FeatureDim("out", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = WithUnused(feat, out)
    y = net(x)
    y.mark_as_default_output()
    if loss:
        nn.reduce_sum(y * y, axis=out).mark_as_loss("l2")
    return net, out


UNUSED_NAMES = {"aux/ctc/weight/param", "aux/ctc/bias/param", "scale/param"}


def test_unused_parameters_are_in_the_config_and_the_checkpoint(
    check_config: Callable[..., Any], tmp_path: pathlib.Path
) -> None:
    net, _ = _with_unused()
    serialized = build_network(net)
    expected = expected_variable_names(net)
    assert UNUSED_NAMES < expected
    assert set(serialized.variable_names.values()) == expected
    assert list(serialized.parameters) == sorted(p for p, _ in net.named_parameters())
    layer = serialized.network["aux_ctc_weight"]
    assert layer["class"] == "variable" and layer["is_output_layer"] is True
    assert not serialized.network["enc_weight"].get("is_output_layer")  # used ones: unchanged

    report = check_config(get_returnn_config_serialized(net), train_steps=3, tmp_dir=tmp_path)
    assert report.variable_names == expected
    assert report.restored_variable_names == expected
    assert report.restore_ok
    assert all(numpy.isfinite(report.losses)) and report.losses[-1] < report.losses[0]

    # rc-serialize diff of the checkpoint RETURNN wrote: every name matches, nothing missing.
    cdiff = checkpoint_diff(net, tmp_path / "model" / "model.ckpt")
    assert cdiff.diff.ok, cdiff.format()
    assert set(cdiff.diff.matched) == {p for p, _ in net.named_parameters()}


def test_unused_parameters_do_not_depend_on_the_outputs(
    roundtrip: Callable[..., Any],
) -> None:
    # A recognition config (no loss) and a training config have the same variables.
    net, _ = _with_unused(loss=False)
    result = roundtrip(net)  # asserts TF variables == checkpoint == named_parameters
    assert UNUSED_NAMES < result.report.variable_names
    assert result.report.variable_names == expected_variable_names(net)
