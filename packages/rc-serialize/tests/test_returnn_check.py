"""Tests of the RETURNN verification harness on small hand-written configs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from returnn.tensor import Dim, Tensor, batch_dim

from rc_serialize._returnn_check import DimInfo, ReturnnCheckError, template_of
from rc_serialize._returnn_check_rnn import run_returnn_training

pytestmark = pytest.mark.returnn

CheckConfig = Callable[..., Any]

HEADER = textwrap.dedent(
    """\
    from returnn.tensor import Dim, batch_dim

    time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
    in_dim = Dim(5, name="in", kind=Dim.Types.Feature)
    out_dim = Dim(4, name="out", kind=Dim.Types.Feature)
    classes_dim = Dim(6, name="classes", kind=Dim.Types.Feature)

    extern_data = {
        "data": {"dim_tags": [batch_dim, time_dim, in_dim]},
        "classes": {
            "dim_tags": [batch_dim, time_dim],
            "sparse_dim": classes_dim,
            "available_for_inference": False,
        },
    }
    behavior_version = 21
    """
)


def config(network: str) -> str:
    """A config: the common header plus ``network = <network>``."""
    return HEADER + "\nnetwork = " + textwrap.dedent(network).strip() + "\n"


def test_import_does_not_import_tensorflow() -> None:
    """The harness module itself must not import TensorFlow at import time."""
    code = (
        "import sys, rc_serialize._returnn_check\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_linear_name_scope(check_config: CheckConfig) -> None:
    """``name_scope`` decides the variable names: absolute, relative, and ``""``."""
    report = check_config(
        config(
            """
            {
                "abs": {"class": "linear", "from": "data", "out_dim": out_dim,
                        "name_scope": "/enc/proj"},
                "rel": {"class": "linear", "from": "abs", "out_dim": out_dim,
                        "name_scope": "x/y"},
                "plain": {"class": "linear", "from": "rel", "out_dim": out_dim},
                "output": {"class": "copy", "from": "plain"},
            }
            """
        )
    )
    assert report.variable_names == {
        "enc/proj/W",
        "enc/proj/b",
        "x/y/W",
        "x/y/b",
        "plain/W",
        "plain/b",
    }
    assert report.variable_shapes["enc/proj/W"] == (5, 4)
    assert report.restored_variable_names == report.variable_names
    assert report.restore_ok
    assert report.outputs["output"].shape[0] == 3
    assert report.outputs["output"].shape[2] == 4
    tmpl = report.layer_templates["output"]
    assert [d.kind for d in tmpl.dims] == ["batch", "spatial", "feature"]
    assert tmpl.dims[2].size == 4
    assert tmpl.feature_dim_axis == 2
    assert tmpl.time_dim_axis == 1
    assert report.losses == []


def test_subnetwork(check_config: CheckConfig) -> None:
    """Subnetwork layers add a level; inner layers appear by absolute path."""
    report = check_config(
        config(
            """
            {
                "enc": {"class": "subnetwork", "from": "data", "subnetwork": {
                    "lin": {"class": "linear", "from": "data", "out_dim": out_dim},
                    "scoped": {"class": "linear", "from": "lin", "out_dim": out_dim,
                               "name_scope": ""},
                    "output": {"class": "copy", "from": "scoped"},
                }},
                "output": {"class": "copy", "from": "enc"},
            }
            """
        )
    )
    assert report.variable_names == {"enc/lin/W", "enc/lin/b", "enc/W", "enc/b"}
    assert {"enc", "enc/lin", "enc/scoped", "enc/output", "output"} <= set(report.layer_templates)
    assert report.restore_ok


def test_variable_layer(check_config: CheckConfig) -> None:
    """A ``variable`` layer names its variable ``<scope>/<param_name or layer name>``."""
    report = check_config(
        config(
            """
            {
                "w": {"class": "variable", "shape": [in_dim, out_dim], "param_name": "weight",
                      "name_scope": "/model/proj", "init": "glorot_uniform"},
                "b": {"class": "variable", "shape": [out_dim], "init": 1.0},
                "s": {"class": "variable", "shape": [out_dim], "name_scope": ""},
                "mm": {"class": "dot", "from": ["data", "w"], "reduce": in_dim},
                "output": {"class": "combine", "kind": "add", "from": ["mm", "b", "s"]},
            }
            """
        )
    )
    assert report.variable_shapes == {"model/proj/weight": (5, 4), "b/b": (4,), "s": (4,)}
    assert report.restored_variable_names == set(report.variable_shapes)
    assert report.restore_ok
    assert report.layer_templates["w"].dims[0].description == "in"


def test_loss_goes_down(check_config: CheckConfig) -> None:
    """Five Adam steps on a cross-entropy loss reduce it (same batch every step)."""
    report = check_config(
        config(
            """
            {
                "hidden": {"class": "linear", "from": "data", "out_dim": out_dim,
                           "activation": "tanh"},
                "output": {"class": "softmax", "from": "hidden", "out_dim": classes_dim,
                           "loss": "ce", "target": "classes"},
            }
            """
        ),
        train_steps=5,
        learning_rate=0.05,
    )
    assert len(report.losses) == 5
    assert report.losses[-1] < report.losses[0]
    assert all(b < a for a, b in zip(report.losses, report.losses[1:], strict=False))
    assert report.restore_ok  # the trained values were restored


def test_as_is_loss_with_scale(check_config: CheckConfig) -> None:
    """A ``loss: as_is`` layer with ``loss_scale`` contributes to the trained objective."""
    report = check_config(
        config(
            """
            {
                "lin": {"class": "linear", "from": "data", "out_dim": out_dim},
                "sq": {"class": "eval", "from": "lin", "eval": "source(0) ** 2"},
                "loss": {"class": "reduce", "mode": "sum", "from": "sq", "axis": out_dim,
                         "loss": "as_is", "loss_scale": 0.5},
                "output": {"class": "copy", "from": "lin"},
            }
            """
        ),
        train_steps=3,
    )
    assert len(report.losses) == 3
    assert report.losses[-1] < report.losses[0]
    assert set(report.outputs) == {"output", "loss"}  # a layer with a loss is an output layer


def test_checkpoint_round_trip(check_config: CheckConfig, tmp_path: Any) -> None:
    """The checkpoint has exactly the model variables; a fresh construction restores them."""
    report = check_config(
        config(
            """
            {
                "enc": {"class": "subnetwork", "from": "data", "name_scope": "/encoder",
                        "subnetwork": {
                    "ln": {"class": "layer_norm", "from": "data"},
                    "lin": {"class": "linear", "from": "ln", "out_dim": out_dim},
                    "output": {"class": "copy", "from": "lin"},
                }},
                "output": {"class": "softmax", "from": "enc", "out_dim": classes_dim,
                           "loss": "ce", "target": "classes"},
            }
            """
        ),
        train_steps=2,
        tmp_dir=tmp_path,
    )
    expected = {
        "encoder/ln/scale",
        "encoder/ln/bias",
        "encoder/lin/W",
        "encoder/lin/b",
        "output/W",
        "output/b",
    }
    assert report.variable_names == expected
    assert report.restored_variable_names == expected
    assert report.restore_ok
    assert (tmp_path / "returnn_config.py").exists()
    assert list((tmp_path / "model").glob("model.ckpt.index"))


def test_error_is_clear(check_config: CheckConfig) -> None:
    """A config RETURNN rejects gives an error with the net dict and RETURNN's message."""
    with pytest.raises(ReturnnCheckError) as info:
        check_config(
            config(
                """
                {
                    "bad_layer": {"class": "linear", "from": "does_not_exist",
                                  "out_dim": out_dim},
                    "output": {"class": "copy", "from": "bad_layer"},
                }
                """
            )
        )
    message = str(info.value)
    assert "constructing the network" in message
    assert "'bad_layer'" in message  # the net dict is printed
    assert "does_not_exist" in message  # RETURNN's complaint


def test_config_syntax_error_is_clear(check_config: CheckConfig) -> None:
    """A config that is not valid Python fails while loading, with the reason."""
    with pytest.raises(ReturnnCheckError, match="loading the config file"):
        check_config("network = {\n")


def test_repeated_calls_are_deterministic(check_config: CheckConfig) -> None:
    """Many calls in one process work; the same seed gives the same outputs and losses."""
    code = config(
        """
        {"output": {"class": "softmax", "from": "data", "out_dim": classes_dim,
                    "loss": "ce", "target": "classes"}}
        """
    )
    first = check_config(code, train_steps=2, seed=3)
    second = check_config(code, train_steps=2, seed=3)
    np.testing.assert_array_equal(first.outputs["output"], second.outputs["output"])
    assert first.losses == second.losses
    other = check_config(code, train_steps=2, seed=4)
    assert other.losses != first.losses


def test_search_with_choice(check_config: CheckConfig) -> None:
    """A generating rec loop with a ``choice`` layer runs with ``search=True``."""
    report = check_config(
        config(
            """
            {
                "dec": {"class": "rec", "from": [], "max_seq_len": 5, "unit": {
                    "emb": {"class": "linear", "from": "prev:out", "out_dim": out_dim},
                    "prob": {"class": "softmax", "from": "emb", "out_dim": classes_dim},
                    "out": {"class": "choice", "from": "prob", "beam_size": 2,
                            "target": "classes", "initial_output": 0},
                    "end": {"class": "compare", "from": "out", "value": 0},
                    "output": {"class": "copy", "from": "out"},
                }},
                "output": {"class": "decide", "from": "dec"},
            }
            """
        ),
        search=True,
    )
    assert report.variable_names == {
        "dec/rec/emb/W",
        "dec/rec/emb/b",
        "dec/rec/prob/W",
        "dec/rec/prob/b",
    }
    assert report.outputs["output"].shape[0] == 3  # batch-major after decide
    assert report.layer_templates["output"].sparse_dim is not None
    assert report.restore_ok


def test_template_of_without_tensorflow() -> None:
    """``template_of`` works on pure ``returnn.tensor`` objects."""
    time = Dim(None, name="time", kind=Dim.Types.Spatial)
    classes = Dim(7, name="classes")
    tensor = Tensor("x", dims=[batch_dim, time], dtype="int32", sparse_dim=classes)
    tmpl = template_of(tensor)
    assert tmpl.dims == (
        DimInfo("global batch", None, "batch"),
        DimInfo("time", None, "spatial"),
    )
    assert tmpl.sparse_dim == DimInfo("classes", 7, "feature")
    assert tmpl.dtype == "int32"
    # Without the TF backend's extern data handling, RETURNN sets no time axis here.
    assert tmpl.time_dim_axis == tensor.time_dim_axis
    assert tmpl.feature_dim_axis is None


@pytest.mark.slow
def test_rec_lstm(check_config: CheckConfig) -> None:
    """A rec layer with an LSTM unit (native op) inside a rec loop with its own name scope.

    The first native-op compile takes about a minute; RETURNN caches it in
    ``returnn.util.basic.get_cache_dir()`` (``/var/tmp/$USER/returnn_tf_cache/ops`` here).
    """
    report = check_config(
        config(
            """
            {
                "lstm": {"class": "rec", "unit": "nativelstm2", "from": "data",
                         "out_dim": out_dim, "axis": time_dim, "name_scope": "/enc/lstm0"},
                "loop": {"class": "rec", "from": "lstm", "axis": time_dim, "unit": {
                    "h": {"class": "linear", "from": ["data:source", "prev:h"],
                          "out_dim": out_dim, "activation": "tanh"},
                    "output": {"class": "copy", "from": "h"},
                }},
                "output": {"class": "softmax", "from": "loop", "out_dim": classes_dim,
                           "loss": "ce", "target": "classes"},
            }
            """
        ),
        train_steps=2,
    )
    assert report.variable_shapes == {
        "enc/lstm0/W": (5, 16),
        "enc/lstm0/W_re": (4, 16),
        "enc/lstm0/b": (16,),
        "loop/rec/h/W": (8, 4),
        "loop/rec/h/b": (4,),
        "output/W": (4, 6),
        "output/b": (6,),
    }
    assert {"lstm", "loop", "loop/h", "loop/output"} <= set(report.layer_templates)
    assert report.restore_ok
    assert len(report.losses) == 2


@pytest.mark.slow
def test_returnn_entry_point_trains(tmp_path: Any) -> None:
    """RETURNN's own ``python -m returnn`` trains a generated config on random data."""
    code = config(
        """
        {
            "hidden": {"class": "linear", "from": "data", "out_dim": out_dim,
                       "activation": "relu", "name_scope": "/enc/hidden"},
            "output": {"class": "softmax", "from": "hidden", "out_dim": classes_dim,
                       "loss": "ce", "target": "classes"},
        }
        """
    )
    run = run_returnn_training(code, tmp_path)
    assert run.variable_names == {"enc/hidden/W", "enc/hidden/b", "output/W", "output/b"}
    assert "finished after" in run.output
