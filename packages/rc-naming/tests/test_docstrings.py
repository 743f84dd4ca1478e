"""The examples in the docstrings of the naming core run and are right."""

from __future__ import annotations

import doctest
import importlib

import pytest

import rc_naming

MODULES = [
    "rc_naming",
    "rc_naming._errors",
    "rc_naming._roots",
    "rc_naming._ownership",
    "rc_naming._resolve",
    "rc_naming._paths",
    "rc_naming._nametree",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name != "rc_naming":
        assert result.attempted > 0


def test_every_public_object_has_an_example() -> None:
    mine: set[str] = set()
    for name in rc_naming.__all__:
        obj = getattr(rc_naming, name)
        module = getattr(obj, "__module__", None)
        if module not in MODULES:
            continue
        mine.add(name)
        assert obj.__doc__ and "Example" in obj.__doc__, name
    assert {"OwnershipGraph", "NameTree", "Root", "render_path"} <= mine
