"""Benchmark of rc-naming: canonical path resolution and layer-name finalize.

Run it alone (``python bench/bench_naming.py [--quick]``) or through ``bench/run.py``,
which imports it and calls :func:`run`. It prints the time per object for each size
and the scaling exponent (least-squares slope of log time over log size; 1.0 is
linear). Nothing here asserts on time: machines are noisy.

Resolve: a module tree with ten parameters per module and 10% of the parameters
shared (aliased) into a second, random module. Finalize: a call tree of scopes with
ten children each, repeated names (so suffixes are needed) and some virtual levels.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import time
from typing import Any

from rc_naming import NameTree, OwnershipGraph

RESOLVE_SIZES = [10**3, 10**4, 10**5, 10**6]
RESOLVE_SIZES_QUICK = [10**3, 10**4, 10**5]
FINALIZE_SIZES = [10**3, 10**4, 10**5]
FINALIZE_SIZES_QUICK = [10**3, 10**4]
SHARED_FRACTION = 0.1
PARAMS_PER_MODULE = 10
CHILDREN_PER_SCOPE = 10


class _Node:
    """A plain object standing for a module or a parameter."""

    __slots__ = ("__weakref__",)


def fit_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) over log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-9)) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def build_model(n_params: int, seed: int = 0) -> tuple[OwnershipGraph, object]:
    """A module tree holding ``n_params`` parameters, 10% of them also held by a second module."""
    rnd = random.Random(seed)
    graph = OwnershipGraph()
    root = _Node()
    modules = [root]
    for i in range(1, max(1, n_params // PARAMS_PER_MODULE)):
        module = _Node()
        graph.record_assign(modules[rnd.randrange(len(modules))], f"m{i}", module)
        modules.append(module)
    params = []
    for i in range(n_params):
        param = _Node()
        graph.record_assign(modules[i % len(modules)], f"p{i}", param)
        params.append(param)
    for i in range(int(n_params * SHARED_FRACTION)):
        holder = modules[rnd.randrange(len(modules))]
        graph.record_assign(holder, f"shared{i}", params[rnd.randrange(n_params)])
    return graph, root


def build_name_tree(n_nodes: int, seed: int = 0) -> NameTree:
    """A call tree of ``n_nodes`` nodes: scopes of ten, repeated names, some virtual levels."""
    rnd = random.Random(seed)
    tree = NameTree(reserved={"data", "output"})
    scopes = [tree.root]
    names = ["linear", "dot", "add", "output", "layer_norm", "dropout", "data"]
    for i in range(n_nodes):
        parent = scopes[i // CHILDREN_PER_SCOPE]
        virtual = rnd.random() < 0.05
        node = tree.add(parent, rnd.choice(names), virtual=virtual)
        scopes.append(node)
    return tree


def _best_of(repeats: int, fn: Any) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_resolve(sizes: list[int]) -> dict[str, Any]:
    rows = []
    for n in sizes:
        start = time.perf_counter()
        graph, root = build_model(n)
        build_s = time.perf_counter() - start

        def resolve(graph: OwnershipGraph = graph, root: object = root) -> None:
            graph._cache = None  # measure the work, not the cache
            graph.resolve(root)

        seconds = _best_of(3 if n <= 10**5 else 2, resolve)
        objects = len(graph.resolve(root))
        rows.append({"params": n, "objects": objects, "build_s": build_s, "resolve_s": seconds})
        print(
            f"  resolve  {n:>9,} params ({objects:>9,} objects): {seconds:8.3f} s "
            f"= {seconds / objects * 1e6:6.2f} us/object   (build {build_s:.2f} s)"
        )
        del graph, root
        gc.collect()
    exponent = fit_exponent([r["objects"] for r in rows], [r["resolve_s"] for r in rows])
    print(f"  resolve scaling exponent {exponent:.3f}  (1.0 = linear)")
    return {"rows": rows, "exponent": exponent}


def bench_finalize(sizes: list[int]) -> dict[str, Any]:
    rows = []
    for n in sizes:
        start = time.perf_counter()
        build_name_tree(n)
        build_s = time.perf_counter() - start
        # finalize runs once per tree, so every repeat gets a fresh tree.
        trees = [build_name_tree(n) for _ in range(3)]
        seconds = _best_of(3, lambda trees=trees: trees.pop().finalize())
        rows.append({"nodes": n, "build_s": build_s, "finalize_s": seconds})
        print(
            f"  finalize {n:>9,} nodes: {seconds:8.3f} s = {seconds / n * 1e6:6.2f} us/node"
            f"   (build {build_s:.2f} s)"
        )
    exponent = fit_exponent([r["nodes"] for r in rows], [r["finalize_s"] for r in rows])
    print(f"  finalize scaling exponent {exponent:.3f}  (1.0 = linear)")
    return {"rows": rows, "exponent": exponent}


def run(quick: bool = False) -> dict[str, Any]:
    """Run both benchmarks, print a table, and return the numbers.

    Example:
        >>> results = run(quick=True)  # doctest: +SKIP
        >>> sorted(results)  # doctest: +SKIP
        ['finalize', 'resolve']
    """
    resolve = bench_resolve(RESOLVE_SIZES_QUICK if quick else RESOLVE_SIZES)
    finalize = bench_finalize(FINALIZE_SIZES_QUICK if quick else FINALIZE_SIZES)
    return {"resolve": resolve, "finalize": finalize}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    results = run(quick=args.quick)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
