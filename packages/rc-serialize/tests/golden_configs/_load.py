"""Load ``models.py`` of this folder under a unique module name (tests and tools/ use it)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import types

MODULE_NAME = "rc_serialize_golden_models"


def load_models() -> types.ModuleType:
    """The golden models module (``golden_configs/models.py``), imported once per process."""
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    path = pathlib.Path(__file__).resolve().parent / "models.py"
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module  # dataclasses look the module up while it executes
    spec.loader.exec_module(module)
    return module
