"""Predecessor entry points on ``nn`` that serialize (issue 12): TF-free checks.

``nn.get_returnn_config()`` and friends live on rc-nn but bind rc-serialize when
called; these tests need rc-serialize (rc-nn's own tests check the rest).
"""

from __future__ import annotations

from typing import Any

import pytest

import rc_nn as nn
from rc_serialize import RcSerializeError, get_returnn_config_serialized


def _linear_model() -> tuple[nn.Module, nn.Dim, nn.Dim]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    net(x).mark_as_default_output()
    return net, time, feat


def test_get_returnn_config_complete_code_matches_rc_serialize() -> None:
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
        code = nn.get_returnn_config().get_complete_py_code_str(net)
        assert code == get_returnn_config_serialized(net)
        assert code == nn.get_returnn_config_serialized(net)
    assert "network = {" in code and '"output": {"class": "linear"' in code


def test_raw_dicts_and_pieces() -> None:
    with nn.NameCtx.new_root():
        net, time, feat = _linear_model()
        ser = nn.get_returnn_config()
        net_dict = ser.get_net_dict_raw_dict(net)
        extern = ser.get_extern_data_raw_dict(net)
        full = ser.get_config_raw_dict(net)
        ext_code = ser.get_ext_net_dict_py_code_str(net)
    assert set(net_dict) == {"weight", "bias", "output"}
    assert net_dict["output"]["in_dim"] is feat
    assert extern["data"]["dim_tags"][1] is time
    assert full["network"] == net_dict and full["extern_data"] == extern
    assert isinstance(full["behavior_version"], int)
    # Input dims come from the global config's extern_data, so the piece fits a
    # config whose extern_data was written elsewhere (pipelines).
    assert 'time_dim = _extern_data["data"]["dim_tags"][1]' in ext_code
    assert "Dim(None" not in ext_code


def test_base_extern_data_code_direct_defines_dims_once() -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 5)
    classes = nn.FeatureDim("classes", 7)
    data = nn.Data(name="data", dim_tags=[nn.batch_dim, time, feat])
    labels = nn.Data(name="classes", dim_tags=[nn.batch_dim, time], sparse_dim=classes)
    code = nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct(
        {"data": data, "classes": labels}, other={"num_outputs_hint": 7}
    )
    scope: dict[str, Any] = {}
    exec(code, scope)
    ext = scope["extern_data"]
    assert ext["data"]["dim_tags"][1] is ext["classes"]["dim_tags"][1]  # one shared time dim
    assert ext["classes"]["sparse_dim"].dimension == 7
    assert ext["data"]["dim_tags"][2].dimension == 5
    assert scope["num_outputs_hint"] == 7
    assert code.count('name="time"') == 1
    with pytest.raises(nn.RcNnError, match="no identifier"):
        nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct(
            {"data": data}, other={"not an id": 1}
        )


def test_extra_net_dict_reaches_network() -> None:
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
        nn.NameCtx.top().root.extra_net_dict["#config"] = {"learning_rate": 0.1}
        nn.extra_net_dict()["#copy_param_mode"] = "subset"
        net_dict = nn.get_returnn_config().get_net_dict_raw_dict(net)
        code = nn.get_returnn_config().get_complete_py_code_str(net)
    assert net_dict["#config"] == {"learning_rate": 0.1}
    assert net_dict["#copy_param_mode"] == "subset"
    assert '"#copy_param_mode": "subset",' in code
    # Another root does not see these entries.
    with nn.NameCtx.new_root():
        assert nn.extra_net_dict() == {}


def test_extra_net_dict_key_clash_is_clear_error() -> None:
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
        nn.extra_net_dict()["output"] = {"class": "copy", "from": "data"}
        with pytest.raises(RcSerializeError, match=r"'output'.*name of a layer") as info:
            nn.get_returnn_config().get_complete_py_code_str(net)
    assert isinstance(info.value, ValueError)


def test_extra_net_dict_strings_are_escaped() -> None:
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
        nasty = "a\"b'c\n__import__('os')"
        nn.extra_net_dict()["#config"] = {"key": nasty}
        code = nn.get_returnn_config().get_complete_py_code_str(net)
    scope: dict[str, Any] = {}
    exec(code.replace("from returnn.tensor", "from returnn.tensor"), scope)
    assert scope["network"]["#config"]["key"] == nasty


def test_extern_data_code_loads_in_pipeline_code() -> None:
    """A pipeline's get_network turns rc's extern_data entries back into nn.Data templates."""
    time, feat, classes = nn.SpatialDim("time"), nn.FeatureDim("feat", 5), nn.FeatureDim("cls", 3)
    data = nn.Data(name="data", dim_tags=[nn.batch_dim, time, feat])
    labels = nn.Data(
        name="classes",
        dim_tags=[nn.batch_dim, time],
        sparse_dim=classes,
        available_for_inference=False,
    )
    code = nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct(
        {"data": data, "classes": labels}
    )
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
        code_from_model = nn.get_returnn_config().get_complete_py_code_str(net)
    for config_code in (code, code_from_model):
        scope: dict[str, Any] = {}
        exec(config_code, scope)
        templates = {k: nn.Data(name=k, **v) for k, v in scope["extern_data"].items()}
        with nn.NameCtx.new_root():
            x = nn.get_extern_data(templates["data"])
            out_dim = nn.FeatureDim("out", 2)
            model = nn.Linear(x.feature_dim, out_dim)
            model(x).mark_as_default_output()
            net_dict = nn.get_returnn_config().get_net_dict_raw_dict(model)
        assert net_dict["output"]["in_dim"] is scope["extern_data"]["data"]["dim_tags"][-1]
    assert _labels_template_ok(code)


def _labels_template_ok(code: str) -> bool:
    scope: dict[str, Any] = {}
    exec(code, scope)
    labels = nn.Data(name="classes", **scope["extern_data"]["classes"])
    return bool(labels.sparse_dim is not None and labels.available_for_inference is False)
