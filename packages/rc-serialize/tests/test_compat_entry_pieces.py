"""Predecessor config pieces proven by RETURNN (issue 12, section 3): pipelines that split a config.

Pipeline code (i6_experiments) writes ``extern_data`` with
``nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct`` from a dataset's
raw extern data (plain ``Dim`` objects, extra keys such as ``vocab``, further entries
in ``other=``), or with ``get_base_extern_data_py_code_str()``, and the network
separately with ``get_ext_net_dict_py_code_str(net)``, which takes the input dims from
that ``extern_data``. The pieces joined must be a config RETURNN builds and trains, with
the network on the very dim objects of ``extern_data``.
"""

from __future__ import annotations

import pathlib
from typing import Any

from returnn.tensor import Dim, batch_dim

import rc_nn as nn


def _build_on(extern: dict[str, Any]) -> nn.Module:
    """A model on templates made from raw extern data entries, as a pipeline's get_network does."""
    data = nn.Data(name="data", **extern["data"])
    classes = nn.Data(name="classes", **extern["classes"])
    x = nn.get_extern_data(data)
    targets = nn.get_extern_data(classes)
    time_dim, feat_dim = data.dims[1], data.dims[2]
    vocab = classes.sparse_dim
    assert vocab is not None
    net = nn.Linear(feat_dim, vocab)
    logits = net(x)
    logits.mark_as_default_output()
    loss = nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits")
    loss.mark_as_loss("ce")
    assert time_dim is classes.dims[1]
    return net


def _exec(code: str) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(code, scope)
    return scope


def test_dataset_extern_data_direct_plus_ext_net_dict_trains(
    check_config: Any, tmp_path: pathlib.Path
) -> None:
    # What an i6_experiments dataset's get_extern_data() returns: raw kwargs with Dim objects.
    time = Dim(None, name="time", kind=Dim.Types.Spatial)
    feat = Dim(5, name="audio", kind=Dim.Types.Feature)
    vocab = Dim(7, name="vocab", kind=Dim.Types.Feature)
    vocab_file = tmp_path / "vocab.txt"  # RETURNN loads it with the extern data
    vocab_file.write_text(repr({f"<l{i}>": i for i in range(7)}))
    extern = {
        "data": {"dim_tags": [batch_dim, time, feat]},
        "classes": {
            "dim_tags": [batch_dim, time],
            "sparse_dim": vocab,
            "dtype": "int32",
            "available_for_inference": False,
            "vocab": {"vocab_file": str(vocab_file), "unknown_label": None},
        },
    }
    other = {"model_outputs": {"output": {"dims": [batch_dim, time, vocab], "dtype": "float32"}}}
    base = nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct(extern, other=other)
    with nn.NameCtx.new_root():
        net = _build_on(
            {k: {kk: vv for kk, vv in v.items() if kk != "vocab"} for k, v in extern.items()}
        )
        ext = nn.get_returnn_config().get_ext_net_dict_py_code_str(net)
    # Dims are written once; the network piece defines no input dim again.
    assert base.count('name="time"') == 1 and base.count('name="vocab"') == 1
    assert 'name="time"' not in ext and 'name="vocab"' not in ext
    code = base + "\nbehavior_version = 21\n\n" + ext
    scope = _exec(code)
    ext_data, network = scope["extern_data"], scope["network"]
    assert network["output"]["out_dim"] is ext_data["classes"]["sparse_dim"]
    assert scope["model_outputs"]["output"]["dims"][2] is ext_data["classes"]["sparse_dim"]
    assert scope["model_outputs"]["output"]["dims"][1] is ext_data["data"]["dim_tags"][1]
    assert ext_data["classes"]["vocab"]["vocab_file"] == str(vocab_file)
    report = check_config(code, train_steps=3, tmp_dir=tmp_path)
    assert sorted(report.variable_names) == ["bias/param", "weight/param"]
    assert len(report.losses) == 3 and report.losses[-1] < report.losses[0]
    assert report.restore_ok


def test_base_piece_without_module_plus_ext_piece_is_the_config(
    check_config: Any, tmp_path: pathlib.Path
) -> None:
    """The predecessor's split: ``get_base_extern_data_py_code_str()`` + ``get_ext_net_dict_py_code_str(net)``."""
    with nn.NameCtx.new_root():
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 4)
        data = nn.Data("data", dim_tags=[nn.batch_dim, time, feat])
        net = nn.Linear(feat, nn.FeatureDim("out", 3))
        net(nn.get_extern_data(data)).mark_as_default_output()
        ser = nn.get_returnn_config()
        base = ser.get_base_extern_data_py_code_str()
        ext = ser.get_ext_net_dict_py_code_str(net)
        complete = ser.get_complete_py_code_str(net)
    scope = _exec(base + ext)
    assert scope["behavior_version"] == _exec(complete)["behavior_version"]
    assert scope["network"]["output"]["in_dim"] is scope["extern_data"]["data"]["dim_tags"][2]
    split = check_config(base + ext, tmp_dir=tmp_path / "split")
    whole = check_config(complete, tmp_dir=tmp_path / "whole")
    assert split.variable_names == whole.variable_names == {"bias/param", "weight/param"}
    assert split.variable_shapes == whole.variable_shapes
