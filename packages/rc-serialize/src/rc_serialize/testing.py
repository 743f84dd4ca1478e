"""Prove a model's config in RETURNN from your own tests: the checks rc's own test suite runs.

:func:`roundtrip` serializes a called model (its root module), constructs the config in
RETURNN's real TensorFlow backend, runs a forward pass (and training steps), saves and
restores a checkpoint, and raises :class:`RoundTripError` unless

* (N4) the TF variables RETURNN creates, the variables in the checkpoint, the config's
  parameter names and ``model.named_parameters()`` (rendered as TF names) are one set,
  and the restored values equal the saved ones;
* every layer's output template that rc-nn inferred equals RETURNN's (dims in order
  with description and size, dtype, sparse dim; the time axis, and the feature axis
  where RETURNN has its default rule, of ``Tensor.data``); inside loops per frame;
* training losses (with ``train_steps``) are finite.

:func:`check_config` is the lower level: it runs any config code and returns a
:class:`CheckReport` of what RETURNN observed; :func:`template_of` makes a comparable
:class:`LayerTemplate` of a ``returnn.tensor.Tensor``.

Needs RETURNN's TF backend (``pip install 'rc-serialize[check]'``); TensorFlow is
imported only when a check runs, never when this module is imported.

Examples
--------
>>> import rc_nn as nn
>>> from rc_serialize.testing import roundtrip
>>> with nn.Root():
...     time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
...     _ = net(x).mark_as_default_output()
...     result = roundtrip(net)
>>> sorted(result.report.variable_names)
['bias/param', 'weight/param']
>>> result.output().shape[-1]
2

For the torch backend (``backend="torch"``, needs PyTorch: ``pip install
'rc-serialize[torch]'``): :func:`compare_backends` runs a model's TF and torch configs
with the same weights and reports the largest output difference;
:func:`run_torch_forward` runs a torch config's ``forward_step`` on given inputs and
weights; :func:`train_torch_config` trains a torch config with ``python -m returnn``;
:func:`torch_model_parameters` lists its ``state_dict`` keys and shapes.

Why a public module (and not test-only code outside the wheel): a model's config is
proven by RETURNN itself, and users who write their own modules need exactly this
proof in their own test suites; rc's tests use the same functions.
"""

from __future__ import annotations

from ._returnn_check import (
    CheckReport,
    DimInfo,
    LayerTemplate,
    ReturnnCheckError,
    check_config,
    template_of,
)
from ._roundtrip import (
    RoundTrip,
    RoundTripError,
    assert_templates_agree,
    expected_variable_names,
    roundtrip,
)
from ._torch_compare import BackendComparison, compare_backends
from ._torch_run import TorchRun, run_torch_forward, torch_model_parameters
from ._torch_train import TorchTraining, train_torch_config

__all__ = [
    "BackendComparison",
    "CheckReport",
    "DimInfo",
    "LayerTemplate",
    "ReturnnCheckError",
    "RoundTrip",
    "RoundTripError",
    "TorchRun",
    "TorchTraining",
    "assert_templates_agree",
    "check_config",
    "compare_backends",
    "expected_variable_names",
    "roundtrip",
    "run_torch_forward",
    "template_of",
    "torch_model_parameters",
    "train_torch_config",
]
