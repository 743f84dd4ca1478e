#!/usr/bin/env python3
"""Rewrite (or, with ``--check``, compare) the golden configs of rc-serialize.

The golden configs are ``packages/rc-serialize/tests/golden_configs/<name>.config.py``
(the exact text of ``get_returnn_config_serialized``, rc-serialize's version in the
header replaced by ``<version>``) and ``<name>.params.txt`` (canonical path, TF variable
name, shape), one pair per model of ``golden_configs/models.py``. Build only: no
TensorFlow is imported.

Usage (in a venv with the three packages installed)::

    python tools/regen_golden_configs.py            # rewrite all golden files
    python tools/regen_golden_configs.py --check    # exit 1 and list the files that differ
    python tools/regen_golden_configs.py NAME ...   # only these models

A config that changes on purpose is committed in its own commit that says why.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "packages" / "rc-serialize" / "tests" / "golden_configs"


def _models() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rc_serialize_golden_load", GOLDEN_DIR / "_load.py"
    )
    assert spec is not None and spec.loader is not None
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    models: types.ModuleType = loader.load_models()
    return models


def main(argv: list[str] | None = None) -> int:
    """Rewrite or check the golden files; the exit code is 1 when ``--check`` finds a change."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a change")
    parser.add_argument("names", nargs="*", help="models to handle (default: all)")
    args = parser.parse_args(argv)
    models = _models()
    names = args.names or list(models.MODELS)
    unknown = sorted(set(names) - set(models.MODELS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; known: {', '.join(models.MODELS)}")
    changed = []
    for name in names:
        config, params = models.render(name)
        for path, text in zip(models.golden_paths(name), (config, params), strict=True):
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old == text:
                continue
            changed.append(path)
            if args.check:
                diff = difflib.unified_diff(
                    (old or "").splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"{path.name} (stored)",
                    f"{path.name} (now)",
                )
                sys.stdout.writelines(diff)
            else:
                path.write_text(text, encoding="utf-8")
    # Golden files of models that no longer exist.
    if not args.names:
        known = {p for name in models.MODELS for p in models.golden_paths(name)}
        stale = sorted(
            p
            for p in (*GOLDEN_DIR.glob("*.config.py"), *GOLDEN_DIR.glob("*.params.txt"))
            if p not in known
        )
        for path in stale:
            changed.append(path)
            if not args.check:
                path.unlink()
    verb = "differ" if args.check else "rewritten"
    for path in changed:
        print(f"{verb}: {path.relative_to(ROOT)}")
    print(f"{len(names)} models, {len(changed)} files {verb}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
