"""``copy.deepcopy`` of tensors and modules, and the error for predecessor names rc-nn
does not provide (docs/compat-items.md, "Predecessor names not provided")."""

from __future__ import annotations

import copy
import re
import signal
from pathlib import Path
from typing import Any

import pytest

import rc_nn as nn
from rc_nn._predecessor_names import PREDECESSOR_NAMES

_DOCS = Path(__file__).resolve().parents[3] / "docs" / "compat-items.md"


def _deepcopy_within(value: Any, seconds: int = 60) -> Any:
    """``copy.deepcopy(value)`` under ``signal.alarm``: a hang fails the test instead of
    blocking it. Returns the copy or the exception raised.

    (Not a thread: the naming root is per thread, so a copy there would mix roots.)
    """

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"copy.deepcopy did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        return copy.deepcopy(value)
    except (nn.RcNnError, TypeError) as exc:
        return exc
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _dims() -> tuple[nn.Dim, nn.Dim]:
    return nn.FeatureDim("in", 2), nn.FeatureDim("out", 3)


def test_deepcopy_of_a_layer_output_raises_right_away() -> None:
    a, _ = _dims()
    x = nn.zeros([nn.batch_dim, a])
    for value in (x, {"h": [x]}, (1, x)):
        error = _deepcopy_within(value)
        assert isinstance(error, nn.TensorCopyError)
        assert isinstance(error, TypeError) and isinstance(error, nn.RcNnError)
        message = str(error)
        assert message.startswith(f"cannot deep-copy {x!r} (created at {x.created_at})")
        assert f"(at {__file__}:" in message  # the user's deepcopy line, not copy.py
        assert "Deep-copy modules before calling them" in message


def test_deepcopy_of_a_weight_normed_module_names_the_attribute() -> None:
    a, b = _dims()
    lin = nn.Linear(a, b)
    nn.weight_norm(lin)
    for value, path in ((lin, "Linear.weight"), ([nn.Sequential(lin)], "Sequential.0.weight")):
        nodes_before = len(lin._rc_naming_root().graph)
        error = _deepcopy_within(value)
        assert isinstance(error, nn.TensorCopyError), error
        assert f"{path} is the tensor {lin.weight!r}" in str(error)
        assert "nn.weight_norm: copy the module first" in str(error)
        # Refused before the copy recorded anything in the naming graph.
        assert len(lin._rc_naming_root().graph) == nodes_before


def test_deepcopy_before_weight_norm_works() -> None:
    a, b = _dims()
    lin = nn.Linear(a, b)
    new = _deepcopy_within(lin)
    assert isinstance(new, nn.Linear) and new is not lin
    assert new.weight is not lin.weight and new.weight.dims == lin.weight.dims
    nn.weight_norm(new)
    assert sorted(n for n, _ in new.named_parameters()) == [
        "bias",
        "weight_normalized.g",
        "weight_normalized.v",
    ]
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]


def test_deepcopy_of_a_module_with_parameters_in_containers_works() -> None:
    a, b = _dims()
    params = nn.ParameterList([nn.Parameter([a], initial=1.0)])
    holder = {"lin": nn.Linear(a, b), "params": params}
    new = _deepcopy_within(holder)
    assert new["lin"].weight is not holder["lin"].weight
    assert new["params"][0] is not params[0] and new["params"][0].initial == 1.0


def test_predecessor_name_gives_a_clear_attribute_error() -> None:
    with pytest.raises(nn.PredecessorNameError) as info:
        _ = nn.label_smoothing  # type: ignore[attr-defined]
    error = info.value
    assert isinstance(error, AttributeError) and isinstance(error, nn.RcNnError)
    assert isinstance(error, nn.UnsupportedPredecessorFeatureError)
    assert str(error) == (
        "label_smoothing is a returnn_common name that rc-nn does not provide; "
        "see docs/compat-items.md (Predecessor names not provided)"
    )
    assert error.name == "label_smoothing"
    assert not hasattr(nn, "label_smoothing")
    assert getattr(nn, "tile", None) is None
    with pytest.raises(ImportError, match="label_smoothing"):
        from rc_nn import label_smoothing  # type: ignore[attr-defined]  # noqa: F401, PLC0415  the failing import is what is tested


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("abs", "use nn.abs_"),
        ("tile", "nn.make_layer(layer_dict, name=...)"),
        ("HookedModuleCall", "nn.register_call_post_hook"),
        ("WeightNormScaleParamInit", "nn.weight_norm"),
        ("LoopModule", "docs/rc-nn-internals.md"),
        ("SearchFunc", "docs/models.md"),
        ("utils", "at the top level of rc_nn"),
    ],
)
def test_predecessor_name_names_the_replacement(name: str, replacement: str) -> None:
    with pytest.raises(nn.PredecessorNameError) as info:
        getattr(nn, name)
    assert str(info.value).startswith(f"{name} is a returnn_common name that rc-nn does not")
    assert replacement in str(info.value)


def test_other_unknown_names_keep_the_plain_attribute_error() -> None:
    with pytest.raises(AttributeError) as info:
        _ = nn.no_such_name  # type: ignore[attr-defined]
    assert type(info.value) is AttributeError
    assert str(info.value) == "module 'rc_nn' has no attribute 'no_such_name'"
    assert info.value.name == "no_such_name"
    assert not hasattr(nn, "abs_x")
    with pytest.raises(ImportError):
        from rc_nn import no_such_name  # type: ignore[attr-defined]  # noqa: F401, PLC0415  the failing import is what is tested


def test_provided_names_are_not_in_the_list() -> None:
    assert not set(PREDECESSOR_NAMES) & set(nn.__all__)
    for name in PREDECESSOR_NAMES:
        assert name not in vars(nn), name


def test_list_matches_the_docs() -> None:
    text = _DOCS.read_text(encoding="utf-8")
    section = text.split("## Predecessor names not provided", 1)[1].split("\n## ", 1)[0]
    documented: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| predecessor module", "|---")):
            continue
        cells = line.split("|")
        names = [n.removeprefix("nn.") for n in re.findall(r"`([^`]+)`", cells[2])]
        if cells[1].strip() == "modules":
            # Only the top-level attributes go through rc_nn.__getattr__.
            names = [n for n in names if n in ("utils", "loss")]
            names += ["decoder"] if "`nn.decoder.*`" in cells[2] else []
        documented.update(names)
    # Names rc-nn provides appear only as replacements (`abs` (rc: `abs_`)).
    assert documented - set(nn.__all__) == set(PREDECESSOR_NAMES)
