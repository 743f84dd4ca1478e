"""Two different dims with the same description and size: messages say so, and where each was made.

Issue 13 §6: "has no dim input(40) (its dims: ..., input(40))" confused users. Every dim
mismatch message now ends with a note naming the look-alike dims and the user's lines
that made them (``nn.FeatureDim`` / ``nn.SpatialDim`` remember their creation site).
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Callable

import pytest

import rc_nn as nn
from rc_nn import _dim_sites
from rc_nn._dim_sites import creation_site_of, lookalike_dims_note

_HERE = __file__


def _line_of(text: str) -> int:
    """The line of this file that ends with ``text`` (once)."""
    with open(_HERE, encoding="utf-8") as handle:
        lines = [number for number, line in enumerate(handle, 1) if line.rstrip().endswith(text)]
    assert len(lines) == 1, (text, lines)
    return lines[0]


def _input(*dims: nn.Dim) -> nn.Tensor:
    return nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, *dims]))


def test_feature_and_spatial_dims_remember_the_users_line() -> None:
    feature = nn.FeatureDim("input", 40)  # site: feature
    spatial = nn.SpatialDim("time")  # site: spatial
    assert creation_site_of(feature) == f"{_HERE}:{_line_of('# site: feature')}"
    assert creation_site_of(spatial) == f"{_HERE}:{_line_of('# site: spatial')}"
    assert creation_site_of(nn.Dim(3, name="plain")) is None  # RETURNN's own constructor


def test_linear_names_both_input_dims_and_their_lines() -> None:
    wanted = nn.FeatureDim("input", 40)  # site: wanted
    x = _input(nn.SpatialDim("time"), nn.FeatureDim("input", 40))  # site: given
    lin = nn.Linear(wanted, nn.FeatureDim("out", 5))
    with pytest.raises(nn.DimMismatchError) as info:
        lin(x)
    message = str(info.value)
    assert "has no dim input(40)" in message  # the first part is unchanged
    assert (
        "Note: input(40) stands for 2 different nn.Dim objects with the same description and "
        f"size, made at {_HERE}:{_line_of('# site: wanted')} and at "
        f"{_HERE}:{_line_of('# site: given')}. Dims are matched by object, not by description"
    ) in message
    assert isinstance(info.value, ValueError)


def test_two_dynamic_time_dims() -> None:
    time = nn.SpatialDim("time")  # site: time data
    x = _input(time, nn.FeatureDim("f", 3))
    with pytest.raises(nn.AxisError) as info:
        nn.reduce(x, mode="max", axis=nn.SpatialDim("time"))  # site: time axis
    message = str(info.value)
    assert "time(?) is not a dim of" in message
    assert "time(?) stands for 2 different nn.Dim objects" in message
    # the dim asked for first, then the tensor's
    assert message.index(f":{_line_of('# site: time axis')}") < message.index(
        f":{_line_of('# site: time data')}"
    )


def test_dims_made_by_one_line_that_ran_twice() -> None:
    def make() -> nn.Dim:
        return nn.FeatureDim("hidden", 8)  # site: helper

    x = _input(make())
    with pytest.raises(nn.AxisError) as info:
        nn.reduce(x, mode="sum", axis=make())
    assert (
        f"hidden(8) stands for 2 different nn.Dim objects with the same description and size, "
        f"both made at {_HERE}:{_line_of('# site: helper')} (that line ran more than once)"
    ) in str(info.value)


def test_dim_made_with_nn_dim_directly_has_no_known_site() -> None:
    x = _input(nn.FeatureDim("f", 3))  # site: known
    with pytest.raises(nn.AxisError) as info:
        nn.reduce(x, mode="sum", axis=nn.Dim(3, name="f"))
    assert (
        "made somewhere unknown (nn.Dim(...) or an operation) and at "
        f"{_HERE}:{_line_of('# site: known')}"
    ) in str(info.value)


def _layer_norm(a: nn.Dim, b: nn.Dim) -> None:
    nn.LayerNorm(a)(_input(b))


def _embedding(a: nn.Dim, b: nn.Dim) -> None:
    labels = nn.get_extern_data(nn.Data("classes", dim_tags=[nn.batch_dim], sparse_dim=b))
    nn.Embedding(a, nn.FeatureDim("emb", 4))(labels)


def _cross_entropy(a: nn.Dim, b: nn.Dim) -> None:
    logits = nn.zeros([nn.batch_dim, a])
    target = nn.get_extern_data(nn.Data("classes", dim_tags=[nn.batch_dim], sparse_dim=b))
    nn.cross_entropy(estimated=logits, target=target, estimated_type="logits", axis=a)


def _remaining_dims(a: nn.Dim, b: nn.Dim) -> None:
    nn.zeros([nn.batch_dim, b]).remaining_dims(a)


def _gather_sparse(a: nn.Dim, b: nn.Dim) -> None:
    indices = nn.get_extern_data(nn.Data("classes", dim_tags=[nn.batch_dim], sparse_dim=b))
    nn.gather(nn.zeros([nn.batch_dim, a]), axis=a, indices=indices)


def _cond_branches(a: nn.Dim, b: nn.Dim) -> None:
    x = _input(a)
    with nn.Cond(nn.reduce(x, mode="max", axis=[nn.batch_dim, a]) > 0.0) as cond:
        cond.true = x
        cond.false = nn.zeros([nn.batch_dim, b])


def _dot(a: nn.Dim, b: nn.Dim) -> None:
    nn.dot(nn.zeros([nn.batch_dim, a]), nn.zeros([b]), reduce=a)


def _loop_unstack(a: nn.Dim, b: nn.Dim) -> None:
    x = nn.zeros([nn.batch_dim, b, nn.FeatureDim("f", 2)])
    loop = nn.Loop(axis=a)
    with loop:
        loop.unstack(x)


def _lstm_spatial(a: nn.Dim, b: nn.Dim) -> None:
    f = nn.FeatureDim("f", 2)
    nn.LSTM(f, nn.FeatureDim("h", 2))(nn.zeros([nn.batch_dim, b, f]), spatial_dim=a)


def _transformer_model_dim(a: nn.Dim, b: nn.Dim) -> None:
    layer = nn.TransformerEncoderLayer(b, num_heads=2, ff_dim=nn.FeatureDim("ff", 4))
    nn.TransformerEncoder(layer, num_layers=1, model_dim=a)


MISMATCHES: list[tuple[str, Callable[[nn.Dim, nn.Dim], None], type[Exception], str]] = [
    ("LayerNorm", _layer_norm, nn.DimMismatchError, "has no"),
    ("Embedding", _embedding, nn.DimMismatchError, "must be indices with sparse_dim"),
    ("cross_entropy", _cross_entropy, nn.DimMismatchError, "target indices point into"),
    ("remaining_dims", _remaining_dims, nn.AxisError, "is not a dim of"),
    ("gather", _gather_sparse, nn.DimMismatchError, "not into the axis"),
    ("cond", _cond_branches, nn.DimMismatchError, "does not match cond.true"),
    ("dot", _dot, nn.DimMismatchError, "reduce dim classes(6) is not in the second input"),
    ("loop.unstack", _loop_unstack, nn.AxisError, "has no dim classes(6) (the loop's axis)"),
    ("LSTM", _lstm_spatial, nn.AxisError, "is not a spatial dim of the input"),
    ("Transformer", _transformer_model_dim, nn.DimMismatchError, "differs from the encoder layer"),
]


@pytest.mark.parametrize(
    ("op", "build", "error", "text"), MISMATCHES, ids=[row[0] for row in MISMATCHES]
)
def test_every_dim_mismatch_message_names_lookalike_dims(
    op: str, build: Callable[[nn.Dim, nn.Dim], None], error: type[Exception], text: str
) -> None:
    a = nn.FeatureDim("classes", 6)  # site: a
    b = nn.FeatureDim("classes", 6)  # site: b
    with pytest.raises(error) as info:
        build(a, b)
    message = str(info.value)
    assert text in message, message
    assert "classes(6) stands for 2 different nn.Dim objects" in message, message
    assert f"{_HERE}:{_line_of('# site: a')}" in message
    assert f"{_HERE}:{_line_of('# site: b')}" in message
    assert isinstance(info.value, nn.RcNnError)


@pytest.mark.parametrize(
    "other",
    [
        lambda: nn.FeatureDim("input", 41),  # other size
        lambda: nn.FeatureDim("inputs", 40),  # other description
    ],
    ids=["other_size", "other_description"],
)
def test_no_note_for_dims_that_do_not_look_alike(other: Callable[[], nn.Dim]) -> None:
    x = _input(other())
    lin = nn.Linear(nn.FeatureDim("input", 40), nn.FeatureDim("out", 5))
    with pytest.raises(nn.DimMismatchError) as info:
        lin(x)
    assert "has no dim input(40)" in str(info.value)
    assert "Note:" not in str(info.value)


def test_note_helper_groups_only_distinct_objects() -> None:
    a, b, c = nn.FeatureDim("x", 2), nn.FeatureDim("x", 2), nn.FeatureDim("x", 2)
    assert lookalike_dims_note([a, a, None, nn.batch_dim]) == ""
    three = lookalike_dims_note([a, b, c, b])
    assert "x(2) stands for 3 different nn.Dim objects" in three
    assert f"all made at {_HERE}:" in three  # one line made all three
    two_groups = lookalike_dims_note([a, b, nn.SpatialDim("t"), nn.SpatialDim("t")])
    assert "x(2) stands for 2" in two_groups and "t(?) stands for 2" in two_groups


def test_site_never_changes_what_the_dim_is() -> None:
    d = nn.FeatureDim("input", 40)
    e = nn.FeatureDim("input", 40)
    assert d != e  # two dims stay two dims, as before
    assert (d.description, d.dimension, d.kind) == ("input", 40, nn.Dim.Types.Feature)
    # Pipelines (Sisyphus) pickle and hash configs holding dims: a FeatureDim pickles
    # exactly like RETURNN's own Dim (RETURNN refuses dims with extra attributes).
    plain = nn.Dim(40, name="input", kind=nn.Dim.Types.Feature)
    assert pickle.dumps(d) == pickle.dumps(plain)
    assert pickle.loads(pickle.dumps(d)).description == "input"
    assert not vars(d)


def test_site_is_forgotten_with_the_dim() -> None:
    d = nn.SpatialDim("gone")
    key = id(d)
    assert key in _dim_sites._sites
    del d
    gc.collect()
    assert key not in _dim_sites._sites
