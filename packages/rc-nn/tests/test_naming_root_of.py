"""``nn.naming_root_of``: the public accessor of a module's naming root (issue 15, P5/P7/P9)."""

from __future__ import annotations

import pytest

import rc_naming
import rc_nn as nn


class _Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(nn.FeatureDim("in", 3), nn.FeatureDim("out", 2))
        self.b = self.a  # alias: same module under a second name


def test_root_of_modules_and_parameters_is_the_root_they_were_made_under() -> None:
    with nn.Root("one") as one:
        first = _Shared()
    with nn.Root("two") as two:
        second = _Shared()
    assert nn.naming_root_of(first) is one
    assert nn.naming_root_of(first.a.weight) is one
    assert nn.naming_root_of(second) is two
    assert nn.naming_root_of(second.b.bias) is two
    assert one is not two


def test_default_root_when_no_root_is_open() -> None:
    model = _Shared()
    assert nn.naming_root_of(model) is rc_naming.current_root()


def test_graph_of_the_root_gives_the_alias_paths() -> None:
    with nn.Root():
        model = _Shared()
    graph = nn.naming_root_of(model).graph
    paths = sorted(".".join(p) for p in graph.alias_paths(model, model.a.weight))
    assert paths == ["a.weight", "b.weight"]


@pytest.mark.parametrize("obj", [None, "model", nn.FeatureDim("f", 2)])
def test_anything_else_is_a_clear_type_error(obj: object) -> None:
    with pytest.raises(TypeError, match=r"expected an nn\.Module or nn\.Parameter, got") as info:
        nn.naming_root_of(obj)  # type: ignore[arg-type]
    assert isinstance(info.value, nn.RcNnError)
