"""Run a torch config's ``forward_step`` in this process (for tests: outputs and parameters).

Needs PyTorch (``pip install 'rc-serialize[torch]'``); torch and RETURNN's torch backend
are imported only when a function here is called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy

__all__ = ["TorchRun", "run_torch_forward", "torch_model_parameters"]


@dataclasses.dataclass
class TorchRun:
    """What :func:`run_torch_forward` observed.

    ``outputs``: each marked output's values (in the dims order of the output template);
    ``parameters``: the model's ``state_dict`` (numpy arrays) after loading the weights.
    ``losses``: with ``losses=True``, each loss's values as ``train_step`` marks them
    (without the train flag, before any reduction, e.g. per sequence).

    Examples
    --------
    >>> TorchRun({}, {}).outputs
    {}
    """

    outputs: dict[str, numpy.ndarray[Any, Any]]
    parameters: dict[str, numpy.ndarray[Any, Any]]
    losses: dict[str, numpy.ndarray[Any, Any]] = dataclasses.field(default_factory=dict)


def _load_config(config_code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__rc_torch_config__"}
    exec(compile(config_code, "<rc torch config>", "exec"), namespace)
    return namespace


def torch_model_parameters(config_code: str) -> dict[str, tuple[int, ...]]:
    """The ``state_dict`` keys of the config's model with their shapes (as RETURNN makes it).

    Examples
    --------
    >>> code = '''
    ... import returnn.frontend as rf
    ... from returnn.tensor import Dim
    ... def get_model(*, epoch, step, **_kwargs):
    ...     m = rf.Module()
    ...     m.w = rf.Parameter([Dim(2, name="a")])
    ...     return m
    ... '''
    >>> torch_model_parameters(code)  # doctest: +SKIP
    {'w': (2,)}
    """
    import returnn.frontend as rf  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    rf.select_backend_torch()
    namespace = _load_config(config_code)
    module = rf_module_to_pt_module(namespace["get_model"](epoch=1, step=0))
    return {key: tuple(value.shape) for key, value in module.state_dict().items()}


def run_torch_forward(
    config_code: str,
    inputs: Mapping[str, numpy.ndarray[Any, Any]],
    *,
    seq_lens: Mapping[str, numpy.ndarray[Any, Any]] | None = None,
    weights: Mapping[str, numpy.ndarray[Any, Any]] | None = None,
    losses: bool = False,
) -> TorchRun:
    """Run the torch config's ``forward_step`` in eval mode on ``inputs``.

    With ``losses``, also its ``train_step`` without the train flag (eval mode, the same
    weights): the marked losses' values are in :attr:`TorchRun.losses`.

    ``inputs``: raw arrays per ``extern_data`` key (batch first); ``seq_lens``: the lengths
    of each input's second (dynamic) dim, by key; ``weights``: values per ``state_dict``
    key (in torch layout), loaded strictly (every key, no other). Without ``weights`` the
    parameters keep their initial values.
    """
    from returnn.tensor import batch_dim  # noqa: PLC0415

    # The global batch dim gets this run's size; give it back as it was (a TF construction
    # later in this process must not see a torch size).
    previous = batch_dim.dyn_size_ext
    try:
        return _forward(config_code, inputs, seq_lens, weights, losses)
    finally:
        batch_dim.reset_eager()
        batch_dim.dyn_size_ext = previous


def _forward(
    config_code: str,
    inputs: Mapping[str, numpy.ndarray[Any, Any]],
    seq_lens: Mapping[str, numpy.ndarray[Any, Any]] | None,
    weights: Mapping[str, numpy.ndarray[Any, Any]] | None,
    losses: bool = False,
) -> TorchRun:
    import returnn.frontend as rf  # noqa: PLC0415

    from ._returnn_env import behavior_version_of  # noqa: PLC0415

    rf.select_backend_torch()
    namespace = _load_config(config_code)
    # RETURNN's engine applies the config's behavior_version before it runs a step (RF's
    # defaults follow it, e.g. rf.pad's handle_dynamic_dims); so does this run.
    with behavior_version_of(_ConfigView(namespace)):
        return _forward_in(namespace, inputs, seq_lens, weights, losses)


@dataclasses.dataclass
class _ConfigView:
    """The config's globals, read like RETURNN's ``Config`` (what ``behavior_version_of`` reads)."""

    namespace: dict[str, Any]

    def int(self, key: str, default: int | None) -> int | None:
        value = self.namespace.get(key, default)
        return None if value is None else int(value)


def _forward_in(
    namespace: dict[str, Any],
    inputs: Mapping[str, numpy.ndarray[Any, Any]],
    seq_lens: Mapping[str, numpy.ndarray[Any, Any]] | None,
    weights: Mapping[str, numpy.ndarray[Any, Any]] | None,
    losses: bool,
) -> TorchRun:
    import returnn.frontend as rf  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from returnn.tensor import TensorDict  # noqa: PLC0415
    from returnn.torch.data.extern_data import raw_dict_to_extern_data  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    model = namespace["get_model"](epoch=1, step=0)
    pt_model = rf_module_to_pt_module(model)
    if weights is not None:
        pt_model.load_state_dict(
            {k: torch.from_numpy(numpy.asarray(v)) for k, v in weights.items()}
        )
    pt_model.eval()
    template = TensorDict()
    # Only the given inputs (forward_step reads only what the outputs need).
    template.update(
        {k: v for k, v in namespace["extern_data"].items() if k in inputs}, auto_convert=True
    )
    raw: dict[str, Any] = {key: torch.from_numpy(numpy.asarray(v)) for key, v in inputs.items()}
    for key, lens in (seq_lens or {}).items():
        raw[f"{key}:seq_len"] = torch.from_numpy(numpy.asarray(lens, dtype=numpy.int32))
    extern_data = raw_dict_to_extern_data(raw, extern_data_template=template, device="cpu")
    rf.init_forward_step_run_ctx()
    with torch.no_grad():
        namespace["forward_step"](model=model, extern_data=extern_data)
    outputs = {
        name: tensor.raw_tensor.detach().cpu().numpy()
        for name, tensor in rf.get_run_ctx().outputs.data.items()
    }
    loss_values = {}
    if losses and "train_step" in namespace:
        all_data = TensorDict()
        all_data.update(namespace["extern_data"], auto_convert=True)
        extern_data = raw_dict_to_extern_data(raw, extern_data_template=all_data, device="cpu")
        rf.init_train_step_run_ctx(train_flag=False)
        with torch.no_grad():
            namespace["train_step"](model=model, extern_data=extern_data)
        loss_values = {
            name: loss.loss.raw_tensor.detach().cpu().numpy()
            for name, loss in rf.get_run_ctx().losses.items()
        }
    state = {k: v.detach().cpu().numpy() for k, v in pt_model.state_dict().items()}
    return TorchRun(outputs=outputs, parameters=state, losses=loss_values)
