"""Side by side: build + serialize time of this tree against a base commit (no TensorFlow).

``python bench/compare.py --base REV [--repeats N]`` (or ``nox -s bench_compare -- --base REV``)
makes a temporary ``git worktree`` of ``REV``, then times build + serialize (the final pass
and the config code, ``get_returnn_config_serialized``) of three models with the factories
of ``bench/run.py`` (this tree's ``bench/``, so both sides build the same model code):

* ``conformer``: the 12x512 Conformer encoder with its 2-conv front end;
* ``transformer``: the 6+6-layer Transformer (dim 512);
* ``stack1000``: a stack of 1,000 residual blocks.

Every measurement is a fresh subprocess whose ``PYTHONPATH`` holds one tree's
``packages/*/src`` (the subprocess checks that rc_serialize came from there); base and
new alternate, so load on the machine hits both alike. Each subprocess builds the model
once to warm up (lazy imports) and reports the second run. The table gives the median of
``N`` per side and the ratio new/base; it also says whether both sides wrote the same
config (sha256 of the text without its version header line). Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
PACKAGES = ("rc-naming", "rc-nn", "rc-serialize")
MODELS = ("conformer", "transformer", "stack1000")

_WORKER = textwrap.dedent(
    """
    import hashlib, json, sys, time
    bench_dir, model, tree = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, bench_dir)
    import rc_serialize
    assert rc_serialize.__file__.startswith(tree), (rc_serialize.__file__, tree)
    import rc_nn as nn
    from rc_serialize import get_returnn_config_serialized
    import bench_conformer, bench_transformer, run

    def stack():
        class Block(nn.Module):
            def __init__(self, dim, hidden):
                super().__init__()
                self.up = nn.Linear(dim, hidden)
                self.down = nn.Linear(hidden, dim)

            def forward(self, x):
                return x + self.down(nn.relu(self.up(x)))

        dim, hidden = nn.FeatureDim("model", 8), nn.FeatureDim("hidden", 16)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, nn.SpatialDim("time"), dim]))
        net = nn.Sequential(Block(dim, hidden) for _ in range(1000))
        net(x).mark_as_default_output()
        return net

    builds = {
        "conformer": bench_conformer.build_conformer,
        "transformer": lambda: bench_transformer.build_transformer()[0],
        "stack1000": stack,
    }
    build = builds[model]
    with nn.Root():
        run._time_model(build)  # warm-up: lazy imports and caches
    rows = run._time_model(build)
    with nn.Root():
        code = get_returnn_config_serialized(build())
    body = code.split("\\n", 2)[2]  # without the header lines (they carry the version)
    rows["config_sha256"] = hashlib.sha256(body.encode()).hexdigest()
    print("RESULT " + json.dumps(rows))
    """
)


def _git(*args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _measure(tree: pathlib.Path, model: str) -> dict[str, Any]:
    src = [str(tree / "packages" / pkg / "src") for pkg in PACKAGES]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*src, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, str(HERE), model, str(tree)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{model} in {tree} failed:\n{proc.stderr}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


def compare(base_tree: pathlib.Path, new_tree: pathlib.Path, repeats: int) -> dict[str, Any]:
    """Alternate base/new per model and repeat; medians and ratios per model."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {m: {"base": [], "new": []} for m in MODELS}
    for i in range(repeats):
        for model in MODELS:
            order = [("base", base_tree), ("new", new_tree)]
            if i % 2:
                order.reverse()  # alternate who goes first
            for side, tree in order:
                runs[model][side].append(_measure(tree, model))
        print(f"  repeat {i + 1}/{repeats} done", flush=True)
    out: dict[str, Any] = {}
    for model, sides in runs.items():
        row: dict[str, Any] = {}
        for key in ("build_s", "serialize_s", "total_s"):
            base = statistics.median(r[key] for r in sides["base"])
            new = statistics.median(r[key] for r in sides["new"])
            row[key] = {"base": base, "new": new, "ratio": new / base}
        row["all_total_s"] = {side: [r["total_s"] for r in rs] for side, rs in sides.items()}
        row["same_config"] = len({r["config_sha256"] for rs in sides.values() for r in rs}) == 1
        out[model] = row
    return out


def print_table(results: dict[str, Any]) -> None:
    print(
        f"{'model':<12} {'base total':>11} {'new total':>10} {'ratio':>6}  "
        f"{'build ratio':>11} {'serialize ratio':>15}  same config"
    )
    for model, row in results.items():
        total = row["total_s"]
        print(
            f"{model:<12} {total['base']:>10.3f}s {total['new']:>9.3f}s {total['ratio']:>6.2f}  "
            f"{row['build_s']['ratio']:>11.2f} {row['serialize_s']['ratio']:>15.2f}  "
            f"{'yes' if row['same_config'] else 'NO'}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; the exit code is 0 (times are reported, never asserted)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the base revision (commit, branch, tag)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per side and model")
    parser.add_argument("--json", type=pathlib.Path, help="also write the results here")
    args = parser.parse_args(argv)
    base_rev = _git("rev-parse", "--verify", f"{args.base}^{{commit}}")
    new_desc = _git("rev-parse", "HEAD") + (
        " + local changes" if _git("status", "--porcelain") else ""
    )
    with tempfile.TemporaryDirectory(prefix="rc-bench-base-") as tmp:
        base_tree = pathlib.Path(tmp) / "tree"
        _git("worktree", "add", "--detach", str(base_tree), base_rev)
        try:
            print(f"base {base_rev} ({args.base}) vs new {new_desc}; {args.repeats} repeats")
            results = compare(base_tree, REPO, args.repeats)
        finally:
            _git("worktree", "remove", "--force", str(base_tree))
    print_table(results)
    if args.json:
        args.json.write_text(
            json.dumps({"base": base_rev, "new": new_desc, "models": results}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
