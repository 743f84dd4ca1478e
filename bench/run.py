"""Benchmarks of rc (``python3 -m nox -s bench``): printed as a table, written to bench/results/.

Timing targets are printed next to the results; nothing here asserts on time.
Ratios are measured side by side in one run, since machines here are noisy.

Sections:
1. import time of rc_naming, rc_nn, rc_serialize (fresh process each; TF must stay out);
2. canonical name resolution and layer-name finalize (rc-naming alone), with scaling exponents;
3. build + serialize of deep stacks of residual blocks, N = 10 .. 10,000, with the exponent.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import subprocess
import sys
import time
from typing import Any

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


def fit_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(time) over log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-9)) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def import_times() -> dict[str, Any]:
    """Import each package in a fresh process; report seconds and whether TF got imported."""
    out: dict[str, Any] = {}
    for module in ("rc_naming", "rc_nn", "rc_serialize"):
        code = (
            "import sys, time; t = time.perf_counter(); import "
            + module
            + "; print(time.perf_counter() - t, 'tensorflow' in sys.modules)"
        )
        best = math.inf
        tf_loaded = False
        for _ in range(3):
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            seconds, tf = res.stdout.split()
            best = min(best, float(seconds))
            tf_loaded = tf_loaded or tf == "True"
        out[module] = {"seconds": best, "imports_tensorflow": tf_loaded}
    return out


def deep_stack(num_blocks: int) -> tuple[float, float, int]:
    """Build + call + serialize a stack of residual blocks; (build s, serialize s, layers)."""
    import rc_nn as nn
    from rc_serialize import get_returnn_config_serialized

    class Block(nn.Module):
        def __init__(self, dim: nn.Dim, hidden: nn.Dim) -> None:
            super().__init__()
            self.up = nn.Linear(dim, hidden)
            self.down = nn.Linear(hidden, dim)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return x + self.down(nn.relu(self.up(x)))

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
    rows = []
    for n in sizes:
        build, ser, layers = deep_stack(n)
        rows.append({"blocks": n, "build_s": build, "serialize_s": ser, "layers": layers})
        print(
            f"  stack {n:>6} blocks: build {build:8.3f} s  serialize {ser:8.3f} s  ({layers} layers)",
            flush=True,
        )
    total = [r["build_s"] + r["serialize_s"] for r in rows]
    return {"rows": rows, "exponent": fit_exponent(sizes, total)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    results: dict[str, Any] = {"python": sys.version.split()[0]}

    print("== import time (fresh process, best of 3) ==")
    results["imports"] = import_times()
    for module, row in results["imports"].items():
        print(
            f"  {module:<13} {row['seconds']:.3f} s   imports tensorflow: {row['imports_tensorflow']}"
        )
    print("  target: import rc_serialize < 1 s, no tensorflow")

    print("== rc-naming: resolve and finalize ==")
    try:
        import bench_naming
    except ImportError as exc:  # pragma: no cover - the naming bench is its own module
        print(f"  (skipped: {exc})")
    else:
        results["naming"] = bench_naming.run(quick=args.quick)

    print("== build + serialize of deep residual stacks ==")
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10000]
    results["stacks"] = stacks(sizes)
    print(f"  scaling exponent {results['stacks']['exponent']:.3f}  (target <= 1.1: linear)")

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
