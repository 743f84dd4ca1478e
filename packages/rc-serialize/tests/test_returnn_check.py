"""Tests of the RETURNN verification harness on small hand-written configs."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

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
    import subprocess

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
