"""A '.' inside one path component is refused where it is assigned (issue 13 §4)."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

import rc_nn as nn


def _line() -> int:
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


F = nn.FeatureDim("f", 2)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Module()
        self.a.b = nn.Linear(F, F)


def _dict_key(key: str) -> Callable[[], object]:
    return lambda: nn.ModuleDict({key: nn.Linear(F, F)})


def _dotted_attribute() -> object:
    net = Net()
    setattr(net, "a.b", nn.Linear(F, F))  # would have the path of net.a.b
    return net


def _dotted_parameter() -> object:
    net = Net()
    setattr(net, "a.b.weight", nn.Parameter([F]))
    return net


def _list_item_name() -> object:
    return nn.ModuleList({"enc.0": nn.Linear(F, F)})


def _sequential_item_name() -> object:
    return nn.Sequential([("x.y", nn.Linear(F, F))])


@pytest.mark.parametrize(
    ("make", "what", "fix"),
    [
        (_dict_key("en.us"), "ModuleDict key 'en.us'", "'en_us'"),
        (_dict_key("."), "ModuleDict key '.'", "'dot'"),
        (_dict_key("a..b."), "ModuleDict key 'a..b.'", "'a__b'"),
        (_dotted_attribute, "Net attribute 'a.b'", "'a_b'"),
        (_dotted_parameter, "Net attribute 'a.b.weight'", "'a_b_weight'"),
        (_list_item_name, "ModuleList item name 'enc.0'", "'enc_0'"),
        (_sequential_item_name, "Sequential item name 'x.y'", "'x_y'"),
    ],
)
def test_dot_in_a_path_component_is_refused(
    make: Callable[[], object], what: str, fix: str
) -> None:
    with pytest.raises(nn.DottedNameError) as info:
        make()
    exc = info.value
    assert isinstance(exc, nn.RcNnError) and isinstance(exc, ValueError)
    message = str(exc)
    assert message.startswith(f"{what} (at {__file__}:"), message
    assert "separates the components of parameter paths" in message
    assert message.endswith(f"Use a name without '.', e.g. {fix}.")


def test_the_refused_assignment_leaves_the_module_unchanged() -> None:
    net = Net()
    before = [name for name, _ in net.named_parameters()]
    line = _line() + 2
    with pytest.raises(nn.DottedNameError) as info:
        setattr(net, "a.b", nn.Linear(F, F))
    assert f"{__file__}:{line}" in str(info.value)
    assert not hasattr(net, "a.b")
    assert [name for name, _ in net.named_parameters()] == before == ["a.b.weight", "a.b.bias"]
    heads = nn.ModuleDict({"en": nn.Linear(F, F)})
    with pytest.raises(nn.DottedNameError):
        heads["en.us"] = nn.Linear(F, F)
    assert list(heads) == ["en"]


def test_dots_in_other_attributes_are_fine() -> None:
    # Only submodules and parameters name parameters; other values may use any name.
    net = Net()
    setattr(net, "config.v1", 3)
    assert getattr(net, "config.v1") == 3
    assert [name for name, _ in net.named_parameters()] == ["a.b.weight", "a.b.bias"]
