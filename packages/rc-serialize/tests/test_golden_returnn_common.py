"""Golden checks against the predecessor (returnn_common): same TF variables, same outputs (rule N8).

Every folder of the golden data (``<repo>/../shared/golden/returnn_common/<model>/``,
read-only) and of the extra reference sets in ``tests/reference/returnn_common/<model>/``
(same format) is one test; so is every folder of ``tests/reference/returnn_common_train/``
(sets made in training mode, ``"train_flag": true`` in their ``meta.json``):

1. ``model.py``'s ``build(nn)`` runs unchanged with ``nn = rc_nn``;
2. the root module it returns is serialized with
   ``rc_serialize.get_returnn_config_serialized`` and constructed in RETURNN's TF
   backend (``TFNetwork(train_flag=<meta.json's "train_flag", default false>)``,
   ``construct_from_dict``);
3. the graph's variables must be exactly ``params.npz``'s names with its shapes
   (a missing or unexpected name or a shape mismatch fails; nothing is renamed);
4. the values of ``params.npz`` are loaded by name, ``inputs.npz`` is fed (``data`` +
   ``seq_lens``, and any ``<key>`` + ``<key>_seq_lens``), and the default output
   (``copy_as_batch_spatial_major()``) must equal ``outputs.npz["output"]`` on the
   valid frames within ``meta.json``'s ``tolerance.max_abs_diff``, with the same output
   sequence lengths.

The folders are discovered, not listed, so further sets of the same format also run.
The golden directory is looked up as ``shared/golden/returnn_common`` beside the
repository or beside any of its parent directories (a git worktree lives deeper than
the clone), or taken from ``RC_GOLDEN_DIR``. Missing: the test fails under CI (``CI``
set) and is skipped otherwise.
"""

from __future__ import annotations

import json
import os
import pathlib
import runpy
import tempfile
import types
from typing import Any

import numpy
import pytest

import rc_nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._returnn_check import (
    _behavior_version_of,
    _construct,
    _load_config,
    _model_variables,
    _quiet_returnn_log,
    _strip,
)

pytestmark = pytest.mark.returnn

_HERE = pathlib.Path(__file__).resolve().parent
_REPO = _HERE.parents[2]
_REFERENCE_ROOT = _HERE / "reference" / "returnn_common"
_REFERENCE_TRAIN_ROOT = _HERE / "reference" / "returnn_common_train"


def _golden_root() -> pathlib.Path | None:
    """The golden ``returnn_common`` directory, or ``None`` if there is none."""
    env = os.environ.get("RC_GOLDEN_DIR")
    if env:
        return pathlib.Path(env)
    for base in (_REPO, *_REPO.parents):
        candidate = base.parent / "shared" / "golden" / "returnn_common"
        if candidate.is_dir():
            return candidate
    return None


def _model_dirs(root: pathlib.Path | None) -> list[pathlib.Path]:
    if root is None or not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "model.py").is_file())


_GOLDEN_ROOT = _golden_root()
_GOLDEN_DIRS = _model_dirs(_GOLDEN_ROOT)
_REFERENCE_DIRS = _model_dirs(_REFERENCE_ROOT)
_REFERENCE_TRAIN_DIRS = _model_dirs(_REFERENCE_TRAIN_ROOT)


# Reference sets (our own, made with the predecessor) that rc does not pass yet, with the
# reason. Strict xfail: the day one passes, the test fails until its entry is removed.
KNOWN_GAPS: dict[str, str] = {}


def _params(dirs: list[pathlib.Path], prefix: str) -> list[Any]:
    params = []
    for d in dirs:
        name = f"{prefix}/{d.name}"
        gap = KNOWN_GAPS.get(name)
        marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
        params.append(pytest.param(d, id=name, marks=marks))
    return params


def test_golden_data_present() -> None:
    """The golden data must exist in CI; locally its absence is a skip, with the reason."""
    if _GOLDEN_DIRS:
        return
    reason = (
        "golden data from returnn_common not found: expected shared/golden/returnn_common/<model>/ "
        f"beside the repository ({_REPO.parent / 'shared'}) or one of its parents, or "
        "RC_GOLDEN_DIR=<dir>"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


# ---------------------------------------------------------------------------
# One model folder


def _build_config(model_dir: pathlib.Path) -> str:
    """Run ``build(rc_nn)`` from ``model.py`` unchanged and serialize its root module."""
    namespace = runpy.run_path(str(model_dir / "model.py"), run_name=f"golden_{model_dir.name}")
    build = namespace["build"]
    root = build(rc_nn)
    assert isinstance(root, rc_nn.Module), f"{model_dir}/model.py: build() returned {root!r}"
    return get_returnn_config_serialized(root)


def _feed(network: Any, inputs: dict[str, numpy.ndarray]) -> dict[Any, Any]:
    """Feed dict: every input array to its extern data, ``<key>_seq_lens`` to its time dim."""
    feed: dict[Any, Any] = {}
    keys = [k for k in inputs if k != "seq_lens" and not k.endswith("_seq_lens")]
    batch = None
    for key in keys:
        assert key in network.extern_data.data, (
            f"inputs.npz has {key!r}, the config's extern_data only "
            f"{sorted(network.extern_data.data)}"
        )
        data = network.extern_data.data[key]
        value = inputs[key]
        assert data.dims[0].is_batch_dim(), f"extern data {key!r} is not batch-major: {data}"
        assert value.ndim == len(data.dims), f"inputs.npz {key!r} {value.shape} vs {data}"
        feed[data.placeholder] = value.astype(data.dtype)
        batch = value.shape[0]
        dynamic = [d for d in data.dims[1:] if d.dimension is None]
        lens_key = "seq_lens" if key == "data" else f"{key}_seq_lens"
        if not dynamic:
            continue
        assert lens_key in inputs, f"inputs.npz has no {lens_key!r} for {data}"
        assert len(dynamic) == 1, f"extern data {key!r}: expected one dynamic dim, got {data}"
        assert data.dims.index(dynamic[0]) == 1, f"extern data {key!r}: time dim not second"
        size = dynamic[0].dyn_size_ext
        feed[size.raw_tensor] = inputs[lens_key].astype(size.dtype)
    batch_info = network.extern_data.get_batch_info(allow_none=True)
    batch_value = getattr(batch_info, "dim", None)
    if (
        batch_value is not None
        and not isinstance(batch_value, int)
        and batch_value.op.type == "Placeholder"
    ):
        feed[batch_value] = batch
    return feed


def _run_golden(model_dir: pathlib.Path, tf: types.ModuleType) -> float:
    """Check one folder; return the max abs diff on valid frames."""
    meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    params = dict(numpy.load(model_dir / "params.npz"))
    inputs = dict(numpy.load(model_dir / "inputs.npz"))
    outputs = dict(numpy.load(model_dir / "outputs.npz"))
    tolerance = float(meta["tolerance"]["max_abs_diff"])
    train = meta.get("train_flag", False)
    assert isinstance(train, bool), f"{model_dir.name}: meta.json train_flag {train!r}"

    code = _build_config(model_dir)
    _quiet_returnn_log()
    with tempfile.TemporaryDirectory(prefix="rc-golden-") as tmp:
        path = pathlib.Path(tmp) / "returnn_config.py"
        path.write_text(code, encoding="utf-8")
        config = _load_config(path)
    with _behavior_version_of(config):
        built = _construct(config, train=train, search=False, seed=1)
        network = built.network
        with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
            variables = {_strip(v.name): v for v in _model_variables(network)}
            got = {n: tuple(int(d) for d in v.shape.as_list()) for n, v in variables.items()}
            want = {n: tuple(int(d) for d in a.shape) for n, a in params.items()}
            missing = sorted(set(want) - set(got))
            unexpected = sorted(set(got) - set(want))
            shapes = sorted(
                f"{n}: rc {got[n]}, golden {want[n]}"
                for n in set(want) & set(got)
                if got[n] != want[n]
            )
            assert not (missing or unexpected or shapes), (
                f"{model_dir.name}: TF variables differ from the golden params.npz\n"
                f"  missing (golden, not in rc): {missing}\n"
                f"  unexpected (rc, not in golden): {unexpected}\n"
                f"  shape mismatches: {shapes}"
            )
            network.initialize_params(session)
            for name, var in variables.items():
                var.load(params[name], session)
            out_data = network.get_default_output_layer().output.copy_as_batch_spatial_major()
            fetches = {"output": out_data.placeholder}
            spatial = out_data.dims[1] if len(out_data.dims) > 1 else None
            sizes = spatial.dyn_size_ext if spatial is not None else None
            if sizes is not None and sizes.raw_tensor is not None:
                fetches["lens"] = sizes.raw_tensor
            result = session.run(fetches, feed_dict=_feed(network, inputs))
    want_out = outputs["output"]
    got_out = result["output"]
    if "out_seq_lens" not in outputs:  # no spatial output axis: compare everything
        assert got_out.shape == want_out.shape, (
            f"{model_dir.name}: output shape {got_out.shape}, golden {want_out.shape}"
        )
        diff = float(numpy.abs(got_out - want_out).max()) if want_out.size else 0.0
        assert diff <= tolerance, f"{model_dir.name}: max abs diff {diff:.3g} > {tolerance:g}"
        return diff
    want_lens = numpy.asarray(outputs["out_seq_lens"])
    got_lens = numpy.asarray(result.get("lens", [got_out.shape[1]] * got_out.shape[0]))
    numpy.testing.assert_array_equal(got_lens, want_lens, err_msg=f"{model_dir.name}: seq lens")
    assert got_out.shape[0] == want_out.shape[0] and got_out.shape[2:] == want_out.shape[2:], (
        f"{model_dir.name}: output shape {got_out.shape}, golden {want_out.shape}"
    )
    diff = 0.0
    for b, length in enumerate(want_lens):
        d = numpy.abs(got_out[b, :length] - want_out[b, :length])
        diff = max(diff, float(d.max()) if d.size else 0.0)
    assert diff <= tolerance, (
        f"{model_dir.name}: max abs diff {diff:.3g} on valid frames > tolerance {tolerance:g} "
        f"(max |golden output| {float(numpy.abs(want_out).max()):.3g})"
    )
    return diff


@pytest.mark.parametrize("model_dir", _params(_GOLDEN_DIRS, "golden"))
def test_golden_model(model_dir: pathlib.Path, returnn_tf: types.ModuleType) -> None:
    """Predecessor checkpoint names and outputs: a golden folder (shared/golden)."""
    diff = _run_golden(model_dir, returnn_tf)
    print(f"golden {model_dir.name}: max abs diff {diff:.3g}")


@pytest.mark.parametrize("model_dir", _params(_REFERENCE_DIRS, "reference"))
def test_reference_model(model_dir: pathlib.Path, returnn_tf: types.ModuleType) -> None:
    """The same check on the extra reference sets in tests/reference/returnn_common."""
    diff = _run_golden(model_dir, returnn_tf)
    print(f"reference {model_dir.name}: max abs diff {diff:.3g}")


def test_reference_train_sets_present() -> None:
    """The training-mode sets exist and say so in their meta.json (else they run in eval)."""
    assert _REFERENCE_TRAIN_DIRS, f"no reference sets in {_REFERENCE_TRAIN_ROOT}"
    for d in _REFERENCE_TRAIN_DIRS:
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        assert meta.get("train_flag") is True, f'{d}: meta.json has no "train_flag": true'


@pytest.mark.parametrize("model_dir", _params(_REFERENCE_TRAIN_DIRS, "reference_train"))
def test_reference_train_model(model_dir: pathlib.Path, returnn_tf: types.ModuleType) -> None:
    """Training-mode reference sets (``train_flag=True``, e.g. BatchNorm batch statistics)."""
    diff = _run_golden(model_dir, returnn_tf)
    print(f"reference_train {model_dir.name}: max abs diff {diff:.3g}")
