#!/usr/bin/env python3
"""Make a returnn_common reference set (oracle data) for one ``model.py``.

This is a maintainer tool, not part of any package and not run in CI.  It runs the
*predecessor* (rwth-i6/returnn_common) together with RETURNN (TF backend) and writes
``params.npz``, ``inputs.npz``, ``outputs.npz`` and ``meta.json`` in the format of the
golden sets in ``shared/golden/returnn_common`` (see that README):

1. ``build(nn)`` from ``model.py`` is run with returnn_common's ``nn``; the root module is
   serialized with ``nn.get_returnn_config().get_complete_py_code_str(root)``.
2. The config is built in RETURNN: ``TFNetwork(train_flag=False)``,
   ``construct_from_dict(network)``, parameters initialized with seed 1234.
3. Every variable is perturbed (numpy seed 1235, sorted names): ``v += N(0, s^2)`` with
   ``s = 0.5 * std(v)`` (``0.5 * 0.1`` if ``v`` is constant); variables whose name contains
   ``variance`` are instead multiplied elementwise by ``U(0.5, 1.5)``.
4. Inputs: numpy ``RandomState(42)``, ``normal`` for float inputs (``randint`` over the
   sparse dim for sparse inputs), zero padding after the sequence lengths.
5. The default output is fetched as batch, spatial, feature major; frames at/after the
   output lengths are zeroed.

Run (needs a venv with returnn, tensorflow-cpu, dm-tree, numpy and a returnn_common
checkout on PYTHONPATH; see tools/README.md)::

    python tools/make_returnn_common_reference.py MODEL_DIR [--out OUT_DIR]

``model.py`` may define ``SEQ_LENS = {"data": [12, 9, 5], "target": [7, 6, 3]}`` (one
list per extern data key with a dynamic axis, batch size 3); the default is
``[12, 9, 5]`` for every input.  ``--inputs-from`` takes the inputs from an existing
``inputs.npz`` instead (used to verify this tool against the golden sets).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import numpy
import returnn
from returnn.config import Config
from returnn.util.basic import BehaviorVersion

DEFAULT_SEQ_LENS = [12, 9, 5]
INIT_SEED = 1234
PERTURB_SEED = 1235
INPUT_SEED = 42
TOLERANCE = {
    "max_abs_diff": 1e-4,
    "note": (
        "float32 CPU; same-graph reruns are bit-identical; suggested pass: max abs diff over valid "
        "frames <= 1e-4 (relative to max|output| ~1e-5)"
    ),
}
INIT_TEXT = (
    "RETURNN default initializers with seed 1234, then every variable v += N(0, (0.5*std(v) or 0.1 "
    "if constant)^2) (variances: *= U(0.5,1.5)), numpy seed 1235, in sorted-name order"
)
MODE_TEXT = "eval (train_flag=False, no dropout); RETURNN behavior_version from config"
TRAIN_MODE_TEXT = (
    "train (train_flag=True: e.g. BatchNorm uses the batch statistics; only for models without dropout, "
    "checked by a bit-identical rerun); RETURNN behavior_version from config"
)


def _load_model_module(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("rc_reference_model", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _returnn_common_info() -> tuple[str, str]:
    import returnn_common  # noqa: PLC0415  returnn_common (and its TensorFlow) only where it is used

    src = os.path.dirname(os.path.abspath(returnn_common.__file__))
    commit = os.environ.get("RETURNN_COMMON_COMMIT", "")
    note = os.environ.get("RETURNN_COMMON_NOTE", "")
    if not commit:
        try:
            commit = subprocess.check_output(
                ["git", "-C", src, "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL
            ).strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"
    return commit, note


def serialize(model_py: str) -> tuple[str, ModuleType]:
    """Run ``build(nn)`` with returnn_common and return the complete RETURNN config code."""
    from returnn_common import nn  # noqa: PLC0415  returnn_common (and its TensorFlow) only where it is used

    nn.reset_default_root_name_ctx()
    mod = _load_model_module(model_py)
    root = mod.build(nn)
    code = nn.get_returnn_config().get_complete_py_code_str(root)
    return code, mod


def _dim_str(tag: Any, *, lens_key: str | None = None) -> str:
    kind = tag.kind.name if tag.kind is not None else "unspecified"
    if tag.is_batch_dim():
        return "batch(3)" if lens_key else f"batch:{tag.description}({tag.dimension})"
    if lens_key and tag.dimension is None:
        return f"{kind}:{tag.description}(dynamic, given by {lens_key})"
    return f"{kind}:{tag.description}({tag.dimension})"


def _perturb(values: dict[str, Any]) -> dict[str, Any]:
    rng = numpy.random.RandomState(PERTURB_SEED)
    out = {}
    for name in sorted(values):
        v = values[name]  # std in the variable's own dtype (float32), noise in float64, cast back
        if "variance" in name:
            v = v * rng.uniform(0.5, 1.5, size=v.shape)
        else:
            std = float(numpy.std(v)) if v.size else 0.0
            scale = 0.5 * (std if std > 0 else 0.1)
            v = v + rng.normal(0.0, scale, size=v.shape)
        out[name] = v.astype(values[name].dtype)
    return out


def run(
    model_dir: str,
    out_dir: str,
    *,
    inputs_from: str | None = None,
    name: str | None = None,
    train_flag: bool = False,
) -> dict[str, Any]:
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used
    from returnn.tf import native_op  # noqa: PLC0415  TensorFlow only where it is used
    from returnn.tf.network import TFNetwork  # noqa: PLC0415  TensorFlow only where it is used

    native_op.OpMaker.with_cuda = False
    # RETURNN constructs layers recursively (about 5 frames per layer); deep nets exceed the default 1000
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    model_py = os.path.join(model_dir, "model.py")
    code, mod = serialize(model_py)
    seq_lens_spec: dict[str, list[int]] = dict(getattr(mod, "SEQ_LENS", {}) or {})

    scope: dict[str, Any] = {}
    exec(compile(code, "<returnn_common config>", "exec"), scope, scope)
    for tmp in ["__builtins__", "Dim", "batch_dim", "FeatureDim", "SpatialDim"]:
        scope.pop(tmp, None)
    config = Config(scope)
    bv = config.int("behavior_version", None)
    BehaviorVersion._behavior_version = None  # allow several models per process
    BehaviorVersion._min_behavior_version = 0
    BehaviorVersion.set(bv)

    preset = dict(numpy.load(inputs_from)) if inputs_from else None
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        tf.compat.v1.set_random_seed(INIT_SEED)
        net = TFNetwork(config=config, train_flag=train_flag, eval_flag=False, rnd_seed=INIT_SEED)
        net.construct_from_dict(config.typed_value("network"))
        net.initialize_params(session)

        params = [
            v
            for v in net.get_params_list()
            if not ("random" in v.name and "state_var" in v.name)
            and not v.name.startswith("global_step")
        ]
        names = {v.name[: -len(":0")]: v for v in params}
        assert len(names) == len(params), "duplicate variable names"
        init_values = {n: session.run(v) for n, v in names.items()}
        values = _perturb(init_values)
        for n, v in names.items():
            v.load(values[n], session)

        # inputs
        rnd = numpy.random.RandomState(INPUT_SEED)
        feed = {}
        inputs: dict[str, Any] = {}
        inputs_meta: dict[str, Any] = {}
        sizes_fed: dict[Any, str] = {}
        for key in sorted(net.extern_data.data, key=lambda k: (k != "data", k)):
            data = net.extern_data.data[key]
            if key not in net.used_data_keys:
                continue
            dyn = [d for d in data.dim_tags if d.dimension is None and not d.is_batch_dim()]
            assert len(dyn) <= 1, f"{key}: more than one dynamic axis not supported"
            lens_key = "seq_lens" if key == "data" else f"{key}_seq_lens"
            shape = []
            lens = None
            for tag in data.dim_tags:
                if tag.is_batch_dim():
                    shape.append(3)
                elif tag.dimension is None:
                    if preset is not None:
                        lens = numpy.asarray(preset[lens_key], dtype="int32")
                    else:
                        lens = numpy.asarray(
                            seq_lens_spec.get(key, DEFAULT_SEQ_LENS), dtype="int32"
                        )
                    shape.append(int(lens.max()))
                else:
                    shape.append(tag.dimension)
            if preset is not None:
                x = preset[key]
            elif data.sparse:
                x = rnd.randint(0, data.dim, size=shape).astype(data.dtype)
            else:
                x = rnd.normal(size=shape).astype(data.dtype)
            if lens is not None:
                t_axis = next(
                    i
                    for i, t in enumerate(data.dim_tags)
                    if t.dimension is None and not t.is_batch_dim()
                )
                b_axis = data.batch_dim_axis
                assert b_axis == 0 and t_axis == 1, f"{key}: expect batch, time, ... order"
                for b in range(shape[0]):
                    x[b, lens[b] :] = 0
                size_t = dyn[0].dyn_size_ext.placeholder
                if size_t in sizes_fed:
                    raise ValueError(
                        f"{key} shares its time dim with {sizes_fed[size_t]}; not supported"
                    )
                sizes_fed[size_t] = key
                feed[size_t] = lens
                inputs[lens_key] = lens
            feed[data.placeholder] = x
            inputs[key] = x
            entry: dict[str, Any] = {
                "dims": [_dim_str(t, lens_key=lens_key) for t in data.dim_tags],
                "shape": list(x.shape),
                "dtype": str(x.dtype),
            }
            if data.sparse:
                entry["sparse_dim"] = _dim_str(data.sparse_dim)
            if lens is not None:
                entry["padding"] = f"zeros after {lens_key}[b]"
            inputs_meta[key] = entry
            if lens is not None:
                inputs_meta[lens_key] = {
                    "shape": [3],
                    "dtype": "int32",
                    "values": [int(i) for i in lens],
                }

        out_layer = net.get_default_output_layer()
        out_data = out_layer.output.copy_as_batch_spatial_major()
        fetches = {"output": out_data.placeholder}
        dyn_out = [
            i
            for i, t in enumerate(out_data.dim_tags)
            if t.dimension is None and not t.is_batch_dim()
        ]
        assert len(dyn_out) <= 1, "output with more than one dynamic axis not supported"
        if dyn_out:
            fetches["out_seq_lens"] = out_data.dim_tags[dyn_out[0]].dyn_size_ext.placeholder
        res = session.run(fetches, feed_dict=feed)
        # same-graph rerun must be bit-identical
        res2 = session.run(fetches, feed_dict=feed)
        assert numpy.array_equal(res["output"], res2["output"]), "output not deterministic"

    output = numpy.asarray(res["output"])
    outputs: dict[str, Any] = {}
    out_meta: dict[str, Any] = {
        "key": "output",
        "dims": [_dim_str(t) for t in out_data.dim_tags],
        "shape": list(output.shape),
        "dtype": str(output.dtype),
    }
    if dyn_out:
        out_lens = numpy.asarray(res["out_seq_lens"], dtype="int32")
        assert dyn_out[0] == 1 and out_data.batch_dim_axis == 0
        for b in range(output.shape[0]):
            output[b, out_lens[b] :] = 0
        outputs["out_seq_lens"] = out_lens
        out_meta["out_seq_lens"] = [int(i) for i in out_lens]
        out_meta["padding"] = "frames at/after out_seq_lens[b] zeroed; compare valid frames only"
    outputs["output"] = output
    outputs["output_dims"] = numpy.array(out_meta["dims"])
    assert numpy.all(numpy.isfinite(output)), "non-finite output"

    commit, note = _returnn_common_info()
    meta: dict[str, Any] = {
        "model": name or os.path.basename(os.path.normpath(model_dir)),
        "returnn_version": returnn.__version__,
        "tensorflow_version": tf.__version__,
        "returnn_common_commit": commit,
    }
    if note:
        meta["returnn_common_note"] = note
    meta.update(
        {
            "mode": TRAIN_MODE_TEXT if train_flag else MODE_TEXT,
            "inputs": inputs_meta,
            "output": out_meta,
            "tolerance": TOLERANCE,
            "max_abs_output": float(numpy.max(numpy.abs(output))),
            "init": INIT_TEXT,
            "params": {n: list(values[n].shape) for n in sorted(values)},
            "num_params": int(sum(v.size for v in values.values())),
        }
    )
    if train_flag:
        meta["train_flag"] = True

    os.makedirs(out_dir, exist_ok=True)
    numpy.savez(os.path.join(out_dir, "params.npz"), **{n: values[n] for n in sorted(values)})
    numpy.savez(os.path.join(out_dir, "inputs.npz"), **inputs)
    numpy.savez(os.path.join(out_dir, "outputs.npz"), **outputs)
    with open(os.path.join(out_dir, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    if os.path.abspath(out_dir) != os.path.abspath(model_dir):
        with (
            open(model_py, encoding="utf-8") as f_in,
            open(os.path.join(out_dir, "model.py"), "w") as f_out,
        ):
            f_out.write(f_in.read())
    return meta


def compare(new_dir: str, ref_dir: str) -> list[str]:
    """Differences between two sets (npz keys, dtypes, shapes, max abs diffs; meta keys)."""
    lines = []
    for f in ["params", "inputs", "outputs"]:
        za, zb = numpy.load(f"{new_dir}/{f}.npz"), numpy.load(f"{ref_dir}/{f}.npz")
        if sorted(za.keys()) != sorted(zb.keys()):
            lines.append(f"{f}.npz: keys differ: {sorted(set(za) ^ set(zb))}")
        for k in sorted(set(za) & set(zb)):
            x, y = za[k], zb[k]
            if x.dtype != y.dtype or x.shape != y.shape:
                lines.append(f"{f}.npz {k}: {x.dtype}{x.shape} vs {y.dtype}{y.shape}")
            elif x.dtype.kind in "iuU":
                if not numpy.array_equal(x, y):
                    lines.append(f"{f}.npz {k}: differs")
            else:
                d = float(numpy.abs(x.astype("f8") - y.astype("f8")).max()) if x.size else 0.0
                if d > 0 or f == "outputs":
                    lines.append(f"{f}.npz {k}: max abs diff {d:.3g}")
    with (
        open(f"{new_dir}/meta.json", encoding="utf-8") as fa,
        open(f"{ref_dir}/meta.json", encoding="utf-8") as fb,
    ):
        ma, mb = json.load(fa), json.load(fb)
    lines.extend(
        f"meta.json {k} differs" for k in sorted(set(ma) | set(mb)) if ma.get(k) != mb.get(k)
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", help="directory with model.py (build(nn))")
    ap.add_argument("--out", help="output directory (default: model_dir)")
    ap.add_argument("--name", help="model name for meta.json (default: basename of model_dir)")
    ap.add_argument(
        "--inputs-from", help="take inputs from this inputs.npz instead of generating them"
    )
    ap.add_argument("--print-config", action="store_true", help="only print the serialized config")
    ap.add_argument(
        "--compare-with", help="after writing, compare the new set with this existing set"
    )
    ap.add_argument(
        "--train-flag",
        action="store_true",
        help='build with train_flag=True (meta.json gets "train_flag": true; not the golden eval format)',
    )
    args = ap.parse_args(argv)
    if args.print_config:
        print(serialize(os.path.join(args.model_dir, "model.py"))[0])
        return 0
    meta = run(
        args.model_dir,
        args.out or args.model_dir,
        inputs_from=args.inputs_from,
        name=args.name,
        train_flag=args.train_flag,
    )
    print(
        f"{meta['model']}: {meta['num_params']} params, output {meta['output']['shape']}, "
        f"max|out| {meta['max_abs_output']:.4g}"
    )
    if args.compare_with:
        for line in compare(args.out or args.model_dir, args.compare_with) or ["identical"]:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
