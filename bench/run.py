"""Benchmarks of rc (``python3 -m nox -s bench``): a table, bench/results/latest.json, a plot.

Timing targets are printed next to the results; nothing here asserts on time.
Ratios are measured side by side in one run, since machines here are noisy.

Sections:
1. import time of rc_naming, rc_nn, rc_serialize (fresh process each; TF must stay out);
2. build + serialize of the 12x512 Conformer and of a 6+6-layer Transformer (dim 512);
3. build + serialize of deep stacks of residual blocks, N = 10 .. 10,000, with the exponent;
4. canonical name resolution and layer-name finalize (rc-naming alone), with exponents;
5. RETURNN TF graph construction of our Conformer config against a hand-written net
   dict (subprocess: only this section imports TensorFlow);
6. peak memory of build + serialize of the largest stack (subprocess);
7. config generation for RETURNN's PyTorch backend against the TF config, same built models;
8. one training step of a small CTC Conformer on RETURNN's TF and PyTorch backends (CPU),
   each backend in its own subprocess (``bench_train_step.py``; only this section imports
   PyTorch).

``--quick`` runs smaller sizes (a smoke run); its numbers are not compared with targets
that need the full sizes. ``--only torch`` runs sections 7 and 8 alone and writes
``torch_backend.json`` (the other results stay as they are).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import bench_conformer
import bench_naming
import bench_transformer

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

TARGET_CONFORMER_S = 0.3
TARGET_IMPORT_S = 1.0
TARGET_RETURNN_RATIO = 1.2
TARGET_EXPONENT = 1.1
TARGET_RESOLVE_1M_S = 5.0


def fit_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(time) over log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-9)) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


# ---------------------------------------------------------------------------
# 1. imports


def import_times(repeats: int) -> dict[str, Any]:
    """Import each package in a fresh process; median seconds and whether TF got imported.

    The three packages are measured round-robin so that load on the machine hits all alike.
    """
    modules = ("rc_naming", "rc_nn", "rc_serialize")
    seconds: dict[str, list[float]] = {m: [] for m in modules}
    tf_loaded = dict.fromkeys(modules, False)
    counts: dict[str, int] = {}
    for _ in range(repeats):
        for module in modules:
            code = (
                "import sys, time; t = time.perf_counter(); import "
                + module
                + "; print(time.perf_counter() - t, 'tensorflow' in sys.modules, len(sys.modules))"
            )
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            secs, tf, count = res.stdout.split()
            seconds[module].append(float(secs))
            tf_loaded[module] = tf_loaded[module] or tf == "True"
            counts[module] = int(count)
    return {
        m: {
            "seconds": statistics.median(seconds[m]),
            "min_s": min(seconds[m]),
            "all_s": seconds[m],
            "imports_tensorflow": tf_loaded[m],
            "modules_loaded": counts[m],
        }
        for m in modules
    }


# ---------------------------------------------------------------------------
# 2. models


def _time_model(build: Any) -> dict[str, Any]:
    """One build + serialize in a fresh naming root: seconds and sizes."""
    gc.collect()
    with nn.Root():
        t0 = time.perf_counter()
        root = build()
        t1 = time.perf_counter()
        code = get_returnn_config_serialized(root)
        t2 = time.perf_counter()
        params = len(list(root.parameters()))
    return {
        "build_s": t1 - t0,
        "serialize_s": t2 - t1,
        "total_s": t2 - t0,
        "params": params,
        "config_chars": len(code),
    }


def model_times(repeats: int, quick: bool) -> dict[str, Any]:
    """Conformer and Transformer, alternating; the first run of each reported on its own."""
    described: dict[str, str] = {}

    def transformer() -> Any:
        root, what = bench_transformer.build_transformer()
        described["transformer"] = what
        return root

    cases = {"conformer": bench_conformer.build_conformer, "transformer": transformer}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for _ in range(1 + repeats):
        for name, build in cases.items():
            runs[name].append(_time_model(build))
    out: dict[str, Any] = {}
    for name, rows in runs.items():
        first, rest = rows[0], rows[1:]
        out[name] = {
            "first_total_s": first["total_s"],
            "build_s": statistics.median(r["build_s"] for r in rest),
            "serialize_s": statistics.median(r["serialize_s"] for r in rest),
            "total_s": statistics.median(r["total_s"] for r in rest),
            "all_total_s": [r["total_s"] for r in rows],
            "params": first["params"],
            "config_chars": first["config_chars"],
        }
    out["conformer"]["what"] = (
        f"ConformerEncoder {bench_conformer.NUM_LAYERS} blocks, dim {bench_conformer.MODEL_DIM}, "
        f"{bench_conformer.NUM_HEADS} heads, ff {bench_conformer.FF_DIM}, 2-conv front end"
    )
    out["transformer"]["what"] = described["transformer"]
    return out


# ---------------------------------------------------------------------------
# 3. deep stacks


def deep_stack(num_blocks: int) -> tuple[float, float, int]:
    """Build + call + serialize a stack of residual blocks; (build s, serialize s, layers)."""

    class Block(nn.Module):
        def __init__(self, dim: nn.Dim, hidden: nn.Dim) -> None:
            super().__init__()
            self.up = nn.Linear(dim, hidden)
            self.down = nn.Linear(hidden, dim)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return x + self.down(nn.relu(self.up(x)))

    gc.collect()
    with nn.Root():
        t0 = time.perf_counter()
        dim, hidden = nn.FeatureDim("model", 8), nn.FeatureDim("hidden", 16)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, nn.SpatialDim("time"), dim]))
        net = nn.Sequential(Block(dim, hidden) for _ in range(num_blocks))
        net(x).mark_as_default_output()
        t1 = time.perf_counter()
        code = get_returnn_config_serialized(net)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, code.count('"class":')


def stacks(sizes: list[int]) -> dict[str, Any]:
    deep_stack(10)  # warm-up: lazy imports and caches are not part of the scaling
    rows = []
    for n in sizes:
        repeats = 3 if n <= 1000 else 1
        runs = [deep_stack(n) for _ in range(repeats)]
        build, ser, layers = min(runs, key=lambda r: r[0] + r[1])
        rows.append(
            {
                "blocks": n,
                "build_s": build,
                "serialize_s": ser,
                "total_s": build + ser,
                "layers": layers,
            }
        )
        print(
            f"  stack {n:>6} blocks: build {build:8.3f} s  serialize {ser:8.3f} s  "
            f"= {(build + ser) / n * 1e3:6.3f} ms/block  ({layers} layers)",
            flush=True,
        )
    return {
        "rows": rows,
        "exponent": fit_exponent(sizes, [r["total_s"] for r in rows]),
        "exponent_build": fit_exponent(sizes, [r["build_s"] for r in rows]),
        "exponent_serialize": fit_exponent(sizes, [r["serialize_s"] for r in rows]),
    }


# ---------------------------------------------------------------------------
# 5. RETURNN construction (subprocess, imports TensorFlow)


def returnn_construction(quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "conformer_returnn.json"
        args = ["--out", str(out)]
        args += (
            ["--repeats", "1", "--num-layers", "2", "--no-check"] if quick else ["--repeats", "3"]
        )
        res = subprocess.run(
            [sys.executable, str(HERE / "bench_conformer.py"), *args],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        if res.returncode != 0:
            print(res.stdout[-3000:], res.stderr[-3000:])
            raise RuntimeError("bench_conformer.py failed")
        result: dict[str, Any] = json.loads(out.read_text())
    return result


# ---------------------------------------------------------------------------
# 6. memory (subprocess)

_MEMORY_CODE = """
import gc, json, resource, sys, time, tracemalloc
sys.path.insert(0, {here!r})
import rc_nn, rc_serialize  # imports are not part of the peak
import run
run.deep_stack(10)
gc.collect()
with open("/proc/self/status") as status:  # current RSS (the peak so far may be higher)
    before = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
if {trace}:
    tracemalloc.start()
build, ser, layers = run.deep_stack({n})
peak = tracemalloc.get_traced_memory()[1] if {trace} else None
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"maxrss_before_kib": before, "maxrss_after_kib": after,
                  "tracemalloc_peak_bytes": peak, "layers": layers}}))
"""


def peak_memory(num_blocks: int) -> dict[str, Any]:
    """Peak memory of build + serialize of ``num_blocks`` residual blocks, two fresh processes.

    ``ru_maxrss`` (process peak RSS) without tracing and its growth over the RSS after
    imports and a warm-up, and the ``tracemalloc`` peak of Python allocations in a second process.
    """
    out: dict[str, Any] = {"blocks": num_blocks}
    for trace in (False, True):
        code = _MEMORY_CODE.format(here=str(HERE), n=num_blocks, trace=trace)
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        row = json.loads(res.stdout.strip().splitlines()[-1])
        if trace:
            out["tracemalloc_peak_mb"] = row["tracemalloc_peak_bytes"] / 2**20
        else:
            out["maxrss_mb"] = row["maxrss_after_kib"] / 1024
            out["rss_after_imports_mb"] = row["maxrss_before_kib"] / 1024
            out["maxrss_growth_mb"] = (row["maxrss_after_kib"] - row["maxrss_before_kib"]) / 1024
            out["layers"] = row["layers"]
    return out


# ---------------------------------------------------------------------------
# 7. torch config generation against TF config generation


def _serialize_times(build: Any, repeats: int) -> dict[str, Any]:
    """Serialize one built model for ``tf`` and ``torch``, alternating; medians and ratio.

    The model is built once; only the serialize call is timed (a fresh serialize each
    time: the record and the config text are made anew). A backend that cannot lower the
    model gets its error message instead of a time.
    """
    # Imported here: bench/compare.py imports this module with a base tree's rc_serialize,
    # which may predate the torch backend.
    from rc_serialize import TorchNotCoveredError  # noqa: PLC0415 (see above)

    seconds: dict[str, list[float]] = {"tf": [], "torch": []}
    chars: dict[str, int] = {}
    with nn.Root():
        root = build()
        try:
            get_returnn_config_serialized(root, backend="torch")
        except TorchNotCoveredError as exc:  # reported, never a made-up number
            return {"torch_error": f"{type(exc).__name__}: {exc}"}
        for index in range(1 + repeats):
            for backend in ("tf", "torch") if index % 2 == 0 else ("torch", "tf"):
                gc.collect()
                t0 = time.perf_counter()
                code = get_returnn_config_serialized(root, backend=backend)
                if index:  # the first round warms caches and lazy imports
                    seconds[backend].append(time.perf_counter() - t0)
                chars[backend] = len(code)
    tf_s, torch_s = statistics.median(seconds["tf"]), statistics.median(seconds["torch"])
    return {
        "tf_s": tf_s,
        "torch_s": torch_s,
        "ratio_torch_over_tf": torch_s / tf_s,
        "pair_ratios": [b / a for a, b in zip(seconds["tf"], seconds["torch"], strict=True)],
        "all_s": seconds,
        "config_chars": chars,
        "repeats": repeats,
    }


def torch_config_times(repeats: int) -> dict[str, Any]:
    """Section 7: the bench's Conformer 12x512, Transformer 6+6x512 and its 6x512 encoder."""

    def transformer() -> Any:
        return bench_transformer.build_transformer()[0]

    def transformer_encoder() -> Any:
        # The 6+6 model's encoder alone: what the torch backend lowers while the
        # decoder-like stack (shift_axis) is not covered yet.
        time_dim = nn.SpatialDim("time")
        in_dim = nn.FeatureDim("input", bench_transformer.IN_DIM)
        data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
        encoder = nn.TransformerEncoder(
            num_layers=bench_transformer.NUM_LAYERS,
            model_dim=nn.FeatureDim("model", bench_transformer.MODEL_DIM),
            in_dim=in_dim,
            ff_dim=nn.FeatureDim("ff", bench_transformer.FF_DIM),
            num_heads=bench_transformer.NUM_HEADS,
            dropout=bench_transformer.DROPOUT,
            att_dropout=bench_transformer.DROPOUT,
        )
        encoder(data, spatial_dim=time_dim).mark_as_default_output()
        return encoder

    return {
        "conformer": _serialize_times(bench_conformer.build_conformer, repeats),
        "transformer": _serialize_times(transformer, repeats),
        "transformer_encoder": _serialize_times(transformer_encoder, repeats),
    }


# ---------------------------------------------------------------------------
# 8. one training step, TF against torch (subprocesses)


def train_step_times(quick: bool) -> dict[str, Any]:
    """Median training-step time per backend, rounds alternating the order of the backends."""
    rounds = [("tf", "torch")] if quick else [("tf", "torch"), ("torch", "tf")]
    extra = ["--num-layers", "2", "--warmup", "1", "--steps", "2"] if quick else []
    runs: dict[str, list[dict[str, Any]]] = {"tf": [], "torch": []}
    with tempfile.TemporaryDirectory() as tmp:
        for index, order in enumerate(rounds):
            for backend in order:
                out = pathlib.Path(tmp) / f"{backend}-{index}.json"
                res = subprocess.run(
                    [
                        sys.executable,
                        str(HERE / "bench_train_step.py"),
                        "--backend",
                        backend,
                        "--out",
                        str(out),
                        *extra,
                    ],
                    check=False,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
                )
                if res.returncode != 0:
                    print(res.stdout[-3000:], res.stderr[-3000:])
                    raise RuntimeError(f"bench_train_step.py --backend {backend} failed")
                runs[backend].append(json.loads(out.read_text()))
    steps = {
        b: [s for r in rows for s in r["all_step_s"][r["warmup"] :]] for b, rows in runs.items()
    }
    tf_s, torch_s = statistics.median(steps["tf"]), statistics.median(steps["torch"])
    first = runs["tf"][0]
    return {
        "tf_step_s": tf_s,
        "torch_step_s": torch_s,
        "ratio_torch_over_tf": torch_s / tf_s,
        "round_ratios": [
            b["step_s"] / a["step_s"] for a, b in zip(runs["tf"], runs["torch"], strict=True)
        ],
        "all_step_s": {b: [r["all_step_s"] for r in rows] for b, rows in runs.items()},
        "losses": {b: [r["losses"] for r in rows] for b, rows in runs.items()},
        "warmup": first["warmup"],
        "steps": first["steps"],
        "threads": first["threads"],
        "params": first["params"],
        "sizes": first["sizes"],
        "batch": first["batch"],
        "load_average": os.getloadavg(),
    }


def run_torch_sections(results: dict[str, Any], quick: bool) -> None:
    """Sections 7 and 8, printed as they finish."""
    print("== 7. config generation: torch backend vs TF backend (same built model) ==", flush=True)
    results["torch_config"] = torch_config_times(3 if quick else 7)
    for name, row in results["torch_config"].items():
        if "torch_error" in row:
            print(f"  {name:<12} torch backend does not lower it yet: {row['torch_error']}")
            continue
        print(
            f"  {name:<12} tf {row['tf_s']:.3f} s  torch {row['torch_s']:.3f} s  "
            f"ratio torch/tf {row['ratio_torch_over_tf']:.2f} (median of {row['repeats']})",
            flush=True,
        )
    print("== 8. one training step, CTC Conformer, RETURNN TF vs torch (CPU) ==", flush=True)
    results["train_step"] = train_step_times(quick)
    ts = results["train_step"]
    print(
        f"  {ts['sizes']['num_layers']}x{ts['sizes']['model_dim']}, batch "
        f"{ts['batch']['seqs']}x{ts['batch']['frames']} frames, {ts['threads']} thread(s): tf {ts['tf_step_s']:.2f} s  "
        f"torch {ts['torch_step_s']:.2f} s  ratio torch/tf {ts['ratio_torch_over_tf']:.2f} "
        f"(rounds {[round(r, 2) for r in ts['round_ratios']]}; load average "
        f"{[round(x, 1) for x in ts['load_average']]})",
        flush=True,
    )


# ---------------------------------------------------------------------------
# table, JSON, plot


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")


def targets_table(results: dict[str, Any], quick: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(what: str, target: str, result: str, ok: bool | None) -> None:
        rows.append({"what": what, "target": target, "result": result, "verdict": _verdict(ok)})

    imp = results["imports"]
    for module in ("rc_naming", "rc_nn", "rc_serialize"):
        row = imp[module]
        ok = None
        if module == "rc_serialize":
            ok = row["seconds"] < TARGET_IMPORT_S and not row["imports_tensorflow"]
        add(
            f"import {module}",
            f"< {TARGET_IMPORT_S} s, no TF" if module == "rc_serialize" else "no TF",
            f"{row['seconds']:.3f} s (min {row['min_s']:.3f}), TF: {row['imports_tensorflow']}",
            ok if ok is not None else not row["imports_tensorflow"],
        )
    models = results["models"]
    conf = models["conformer"]
    add(
        "Conformer 12x512 build+serialize",
        f"< {TARGET_CONFORMER_S} s",
        f"{conf['total_s']:.3f} s (build {conf['build_s']:.3f} + ser {conf['serialize_s']:.3f};"
        f" first run {conf['first_total_s']:.3f})",
        conf["total_s"] < TARGET_CONFORMER_S,
    )
    tr = models["transformer"]
    add(
        "Transformer 6+6x512 build+serialize",
        "(no target)",
        f"{tr['total_s']:.3f} s (build {tr['build_s']:.3f} + ser {tr['serialize_s']:.3f};"
        f" first run {tr['first_total_s']:.3f})",
        None,
    )
    st = results["stacks"]
    largest = st["rows"][-1]
    add(
        f"deep stacks {st['rows'][0]['blocks']}..{largest['blocks']} blocks",
        f"exponent <= {TARGET_EXPONENT}",
        f"{st['exponent']:.3f} ({largest['blocks']} blocks: {largest['total_s']:.2f} s)",
        st["exponent"] <= TARGET_EXPONENT if not quick else None,
    )
    naming = results["naming"]
    res_rows = naming["resolve"]["rows"]
    add(
        f"resolve {res_rows[0]['params']:,}..{res_rows[-1]['params']:,} params",
        f"exponent <= {TARGET_EXPONENT}",
        f"{naming['resolve']['exponent']:.3f}",
        naming["resolve"]["exponent"] <= TARGET_EXPONENT,
    )
    big = [r for r in res_rows if r["params"] == 10**6]
    add(
        "resolve 10^6 params",
        f"< {TARGET_RESOLVE_1M_S} s",
        f"{big[0]['resolve_s']:.2f} s" if big else "(not run in --quick)",
        big[0]["resolve_s"] < TARGET_RESOLVE_1M_S if big else None,
    )
    fin = naming["finalize"]
    add(
        f"finalize {fin['rows'][0]['nodes']:,}..{fin['rows'][-1]['nodes']:,} nodes",
        f"exponent <= {TARGET_EXPONENT}",
        f"{fin['exponent']:.3f}",
        fin["exponent"] <= TARGET_EXPONENT,
    )
    ret = results["returnn"]
    add(
        "RETURNN construction ours / hand-written",
        f"<= {TARGET_RETURNN_RATIO}x",
        f"{ret['ratio_ours_over_hand_written']:.2f}x ({ret['ours']['construct_s']:.2f} s vs "
        f"{ret['hand_written']['construct_s']:.2f} s; layers {ret['ours']['layers']} vs "
        f"{ret['hand_written']['layers']}, subnetworks {ret['ours']['subnetworks']} vs "
        f"{ret['hand_written']['subnetworks']})",
        ret["ratio_ours_over_hand_written"] <= TARGET_RETURNN_RATIO if not quick else None,
    )
    for name, row in results.get("torch_config", {}).items():
        add(
            f"{name} config: torch / tf serialize",
            "(no target)",
            "not lowered yet: " + row["torch_error"].split(" (created")[0]
            if "torch_error" in row
            else f"{row['ratio_torch_over_tf']:.2f}x ({row['torch_s']:.3f} s vs {row['tf_s']:.3f} s)",
            None,
        )
    if "train_step" in results:
        ts = results["train_step"]
        add(
            f"train step torch / tf, CTC Conformer {ts['sizes']['num_layers']}x"
            f"{ts['sizes']['model_dim']}",
            "(no target)",
            f"{ts['ratio_torch_over_tf']:.2f}x ({ts['torch_step_s']:.2f} s vs "
            f"{ts['tf_step_s']:.2f} s; CPU, load average {ts['load_average'][0]:.1f})",
            None,
        )
    mem = results["memory"]
    add(
        f"peak memory, {mem['blocks']} blocks",
        "(no target)",
        f"RSS {mem['maxrss_mb']:.0f} MB (+{mem['maxrss_growth_mb']:.0f} MB over imports), "
        f"tracemalloc peak {mem['tracemalloc_peak_mb']:.0f} MB",
        None,
    )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    widths = [max(len(str(r[k])) for r in rows) for k in ("what", "target")]
    print(f"{'what':<{widths[0]}}  {'target':<{widths[1]}}  verdict  result")
    for r in rows:
        print(
            f"{r['what']:<{widths[0]}}  {r['target']:<{widths[1]}}  {r['verdict']:<7}  {r['result']}"
        )


def plot(results: dict[str, Any], path: pathlib.Path) -> None:
    """Log-log time over model size for every scaling series, with the fitted exponents."""
    import matplotlib  # noqa: PLC0415  matplotlib.use('Agg') must come before pyplot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415  matplotlib.use('Agg') must come before pyplot

    fig, ax = plt.subplots(figsize=(7.5, 5))
    st = results["stacks"]
    series = [
        (
            "build + serialize, residual blocks",
            [r["blocks"] for r in st["rows"]],
            [r["total_s"] for r in st["rows"]],
            st["exponent"],
            "o-",
        ),
        (
            "resolve canonical names, parameters",
            [r["params"] for r in results["naming"]["resolve"]["rows"]],
            [r["resolve_s"] for r in results["naming"]["resolve"]["rows"]],
            results["naming"]["resolve"]["exponent"],
            "s-",
        ),
        (
            "finalize layer names, nodes",
            [r["nodes"] for r in results["naming"]["finalize"]["rows"]],
            [r["finalize_s"] for r in results["naming"]["finalize"]["rows"]],
            results["naming"]["finalize"]["exponent"],
            "^-",
        ),
    ]
    for label, xs, ys, exponent, style in series:
        ax.plot(xs, ys, style, label=f"{label} (exponent {exponent:.2f})")
    for name, marker in (("conformer", "*"), ("transformer", "D")):
        row = results["models"][name]
        label = "Conformer 12x512" if name == "conformer" else "Transformer 6+6x512"
        ax.plot(
            [row["params"]],
            [row["total_s"]],
            marker,
            markersize=10,
            label=f"{label}: {row['params']} params, {row['total_s']:.2f} s",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model size (blocks / parameters / name nodes)")
    ax.set_ylabel("seconds")
    ax.set_title("rc: time against model size (log-log; exponent 1 = linear)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        help="results directory (default: bench/results; with --quick .reports/bench-quick, "
        "so a smoke run never replaces the tracked full results)",
    )
    parser.add_argument(
        "--only",
        choices=("torch",),
        default=None,
        help="torch: only sections 7 and 8 (torch backend), written to torch_backend.json",
    )
    args = parser.parse_args()
    quick = args.quick
    if args.out is None:
        args.out = HERE.parent / ".reports" / "bench-quick" if quick else RESULTS
    results: dict[str, Any] = {
        "python": sys.version.split()[0],
        "quick": quick,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
    }
    started = time.perf_counter()
    if args.only == "torch":
        run_torch_sections(results, quick)
        results["total_bench_s"] = time.perf_counter() - started
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "torch_backend.json"
        path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        print(f"\nwrote {path}")
        return

    print("== 1. import time (fresh process each, median) ==", flush=True)
    results["imports"] = import_times(3 if quick else 7)
    for module, row in results["imports"].items():
        print(
            f"  {module:<13} {row['seconds']:.3f} s (min {row['min_s']:.3f})  "
            f"{row['modules_loaded']} modules  imports tensorflow: {row['imports_tensorflow']}",
            flush=True,
        )

    print("== 2. build + serialize: Conformer 12x512 and Transformer 6+6x512 ==", flush=True)
    results["models"] = model_times(3 if quick else 7, quick)
    for name, row in results["models"].items():
        print(
            f"  {name:<12} build {row['build_s']:.3f} s + serialize {row['serialize_s']:.3f} s "
            f"= {row['total_s']:.3f} s (median; first run {row['first_total_s']:.3f} s), "
            f"{row['params']} params",
            flush=True,
        )
        print(f"               {row['what']}")
    conf, tr = results["models"]["conformer"], results["models"]["transformer"]
    results["models"]["ratio_conformer_over_transformer"] = conf["total_s"] / tr["total_s"]

    print("== 3. build + serialize of deep residual stacks ==", flush=True)
    sizes = [10, 100, 1000] if quick else [10, 100, 1000, 10000]
    results["stacks"] = stacks(sizes)
    print(f"  scaling exponent {results['stacks']['exponent']:.3f}  (target <= 1.1: linear)")

    print("== 4. rc-naming: resolve and finalize ==", flush=True)
    results["naming"] = bench_naming.run(quick=quick)

    print("== 5. RETURNN TF construction: our Conformer config vs hand-written dict ==", flush=True)
    results["returnn"] = returnn_construction(quick)
    ret = results["returnn"]
    print(
        f"  ours {ret['ours']['construct_s']:.2f} s  hand-written "
        f"{ret['hand_written']['construct_s']:.2f} s  ratio {ret['ratio_ours_over_hand_written']:.2f}"
        f"  (median of {ret['repeats']}, {ret['sizes']['num_layers']} blocks; "
        f"all {ret['all_construct_s']})",
        flush=True,
    )

    print("== 6. peak memory of build + serialize, largest stack ==", flush=True)
    results["memory"] = peak_memory(sizes[-1])
    print(f"  {results['memory']}", flush=True)

    run_torch_sections(results, quick)

    results["targets"] = targets_table(results, quick)
    results["total_bench_s"] = time.perf_counter() - started
    print()
    print_table(results["targets"])

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    plot(results, args.out / "scaling.png")
    print(f"\nwrote {args.out / 'latest.json'} and {args.out / 'scaling.png'}")


if __name__ == "__main__":
    main()
