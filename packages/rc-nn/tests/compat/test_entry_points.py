"""Predecessor entry points on ``nn`` (issue 12, section 1 items 1 and 6): TF-free checks.

Code written for returnn_common runs with ``import rc_nn as nn``: serializer entry
points, ``NameCtx`` roots with ``extra_net_dict``, and a clear error for the debug
eager mode. The serializer entry points need rc-serialize, which is not installed where rc-nn's
tests run: their tests live in rc-serialize's tests/test_compat_entry_points.py
(TF-free) and tests/test_compat_entry.py (RETURNN).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import rc_naming
import rc_nn as nn


def _linear_model() -> tuple[nn.Module, nn.Dim, nn.Dim]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("in", 3)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    net = nn.Linear(feat, nn.FeatureDim("out", 2))
    net(x).mark_as_default_output()
    return net, time, feat


def test_reset_default_root_name_ctx_starts_fresh() -> None:
    # (the autouse fixture runs every test under an explicit root, so look at the default one)
    first = rc_naming.default_root()
    nn.reset_default_root_name_ctx()
    assert rc_naming.default_root() is not first
    nn.NameCtx.reset_default_root()
    second = rc_naming.default_root()
    assert second is not first
    assert nn.extra_net_dict(second) == {}


def test_name_ctx_roots() -> None:
    outer = nn.NameCtx.top()
    assert outer.rc_root is nn.current_root()
    with nn.NameCtx.new_root() as ctx:
        assert nn.NameCtx.top().rc_root is ctx.rc_root is nn.current_root()
        assert ctx.root is ctx and ctx.is_root
        assert nn.NameCtx.current_ctx().rc_root is ctx.rc_root
    assert nn.current_root() is outer.rc_root
    with pytest.raises(nn.RcNnError, match="cannot be opened again") as info:
        with nn.NameCtx.top():
            pass
    assert isinstance(info.value, RuntimeError)


def test_serializer_rejects_non_module_and_other_root() -> None:
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
    with pytest.raises(nn.RcNnError, match=r"must be an nn\.Module") as info:
        nn.get_returnn_config().get_complete_py_code_str("net")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    with nn.NameCtx.new_root():
        with pytest.raises(Exception, match="root"):
            nn.get_returnn_config().get_complete_py_code_str(net)


def test_debug_eager_mode_is_clear_error() -> None:
    for fn in (nn.enable_debug_eager_mode, nn.disable_debug_eager_mode):
        with pytest.raises(nn.DebugEagerModeUnsupportedError, match="not supported by rc") as info:
            fn()
        assert isinstance(info.value, NotImplementedError)
        assert isinstance(info.value, nn.RcNnError)
    assert nn.is_debug_eager_mode_enabled() is False


def test_missing_rc_serialize_is_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import rc_serialize` fail like a missing package.
    monkeypatch.setitem(sys.modules, "rc_serialize", None)
    with nn.NameCtx.new_root():
        net, _, _ = _linear_model()
        with pytest.raises(nn.RcSerializeMissingError, match="pip install rc-serialize") as info:
            nn.get_returnn_config().get_complete_py_code_str(net)
    assert isinstance(info.value, ImportError)


def test_rc_nn_does_not_import_rc_serialize() -> None:
    code = "import sys, rc_nn; print('rc_serialize' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_extra_net_dict_is_live_and_per_root() -> None:
    with nn.NameCtx.new_root() as ctx:
        ctx.root.extra_net_dict["#config"] = {"learning_rate": 0.1}
        assert nn.extra_net_dict() == {"#config": {"learning_rate": 0.1}}
        assert nn.extra_net_dict(ctx.rc_root) is ctx.extra_net_dict
    with nn.NameCtx.new_root():
        assert nn.extra_net_dict() == {}


def test_extern_data_raw_dict_without_module_is_the_roots_extern_data() -> None:
    """The predecessor's ``get_extern_data_raw_dict()`` takes no module: the root's templates."""
    with nn.NameCtx.new_root():
        _, time, feat = _linear_model()
        classes = nn.FeatureDim("classes", 4)
        nn.get_extern_data(
            nn.Data(
                "classes",
                dim_tags=[nn.batch_dim, time],
                sparse_dim=classes,
                available_for_inference=False,
            )
        )
        extern = nn.get_returnn_config().get_extern_data_raw_dict()
    assert list(extern) == ["data", "classes"]
    assert extern["data"]["dim_tags"] == [nn.batch_dim, time, feat]
    assert extern["data"]["dim_tags"][1] is time
    assert extern["data"]["available_for_inference"] is True
    assert extern["classes"]["sparse_dim"] is classes
    assert extern["classes"]["dtype"] == "int32"
    assert extern["classes"]["available_for_inference"] is False
    # Each entry turns back into the same template (pipelines do this in get_network).
    again = nn.Data(name="classes", **extern["classes"])
    assert again.dims == (nn.batch_dim, time) and again.sparse_dim is classes
    # Another root has its own extern data.
    with nn.NameCtx.new_root():
        assert nn.get_returnn_config().get_extern_data_raw_dict() == {}


def test_import_code_attribute() -> None:
    scope: dict[str, object] = {}
    exec(nn.ReturnnConfigSerializer.ImportPyCodeStr, scope)
    assert {"Dim", "batch_dim", "single_step_dim"} <= set(scope)
