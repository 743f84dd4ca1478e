"""Predecessor behaviour that real i6_experiments recipes relied on (issue 12 recipe trial).

Each item blocked a recipe model written for returnn_common with only the import changed:
``nn.NameCtx.inner_loop()``, loop states whose dict entries are assigned in another
order than the initial value's, ``nn.minimum``/``nn.maximum`` with the Python number
first, and ``nn.sparse_softmax_cross_entropy_with_logits``.
"""

from __future__ import annotations

import pytest

import rc_nn as nn


def _loop_over_time() -> tuple[nn.Loop, nn.Dim]:
    time = nn.SpatialDim("time")
    return nn.Loop(axis=time), time


def test_inner_loop_is_the_innermost_open_loop() -> None:
    assert nn.NameCtx.inner_loop() is None
    outer, _ = _loop_over_time()
    outer.state.h = nn.zeros([nn.batch_dim])
    seen: list[nn.Loop | None] = []
    with outer:
        seen.append(nn.NameCtx.inner_loop())
        inner, _ = _loop_over_time()
        inner.state.g = nn.zeros([nn.batch_dim])
        with inner:
            seen.append(nn.NameCtx.inner_loop())
            cond = nn.Cond(nn.train_flag())
            with cond:
                seen.append(nn.NameCtx.inner_loop())  # a cond inside the loop: still that loop
                cond.true = inner.state.g + 1.0
                cond.false = inner.state.g
            inner.state.g = cond.result
        seen.append(nn.NameCtx.inner_loop())
        outer.state.h = outer.state.h + 1.0
    seen.append(nn.NameCtx.inner_loop())
    assert seen[0] is outer
    assert seen[1] is inner and seen[2] is inner
    assert seen[3] is outer
    assert seen[4] is None


def test_loop_state_dict_entries_in_another_order_are_matched_by_key() -> None:
    loop, _ = _loop_over_time()
    a_dim, b_dim = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    loop.state.dec = nn.LayerState(
        a=nn.zeros([nn.batch_dim, a_dim]), b=nn.zeros([nn.batch_dim, b_dim])
    )
    with loop:
        prev = loop.state.dec
        new = nn.LayerState()
        new.b = prev.b + 1.0  # filled in the other order than the initial value
        new.a = prev.a + 2.0
        loop.state.dec = new
    last = loop.state.dec
    assert set(last["a"].dims) == {nn.batch_dim, a_dim}
    assert set(last["b"].dims) == {nn.batch_dim, b_dim}
    assert list(last) == ["a", "b"]  # the initial value's structure


def test_loop_state_dict_with_other_keys_is_still_an_error() -> None:
    loop, _ = _loop_over_time()
    a_dim = nn.FeatureDim("a", 2)
    loop.state.dec = {"a": nn.zeros([nn.batch_dim, a_dim])}
    with pytest.raises(nn.DimMismatchError, match="structure"):
        with loop:
            loop.state.dec = {"c": loop.state.dec["a"] + 1.0}


@pytest.mark.parametrize("kind", ["minimum", "maximum"])
def test_minimum_maximum_take_the_number_first(kind: str) -> None:
    x = nn.zeros([nn.batch_dim, nn.FeatureDim("f", 2)])
    func = getattr(nn, kind)
    first = func(3, x)
    second = func(x, 3)
    assert first.layer_dict is not None and second.layer_dict is not None
    assert first.layer_dict["eval"] == f"tf.{kind}(3, source(0))"
    assert second.layer_dict["eval"] == f"tf.{kind}(source(0), 3)"
    assert first.dims == x.dims
    with pytest.raises(nn.NotATensorError, match=kind):
        func(1, 2)


def test_sparse_softmax_cross_entropy_with_logits() -> None:
    classes = nn.FeatureDim("classes", 5)
    time = nn.SpatialDim("time")
    logits = nn.zeros([nn.batch_dim, time, classes])
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, time], sparse_dim=classes)
    )
    loss = nn.sparse_softmax_cross_entropy_with_logits(logits=logits, targets=targets, axis=classes)
    same = nn.cross_entropy(estimated=logits, target=targets, estimated_type="logits")
    assert loss.layer_dict is not None and same.layer_dict is not None
    assert loss.layer_dict["class"] == "sparse_softmax_cross_entropy_with_logits"
    assert set(loss.dims) == {nn.batch_dim, time}
    assert loss.layer_dict.keys() == same.layer_dict.keys()


def test_sparse_softmax_cross_entropy_with_dense_targets_is_a_clear_error() -> None:
    classes = nn.FeatureDim("classes", 5)
    logits = nn.zeros([nn.batch_dim, classes])
    with pytest.raises(
        nn.DimMismatchError, match=r"dense.*nn\.cross_entropy.*test_recipe_items\.py:\d+"
    ):
        nn.sparse_softmax_cross_entropy_with_logits(logits=logits, targets=logits, axis=classes)


def test_linear_on_sparse_indices_points_to_embedding() -> None:
    # returnn_common's Linear took sparse indices before March 2023 (recipes still do that)
    classes, out = nn.FeatureDim("classes", 5), nn.FeatureDim("out", 3)
    labels = nn.get_extern_data(nn.Data("labels", dim_tags=[nn.batch_dim], sparse_dim=classes))
    with pytest.raises(
        nn.DimMismatchError,
        match=r"has no dim classes\(5\).*test_recipe_items\.py:\d+.*indices into classes\(5\).*nn\.Embedding",
    ):
        nn.Linear(classes, out)(labels)
    assert nn.Embedding(classes, out)(labels).dims == (nn.batch_dim, out)


def test_loop_state_of_indices_shows_its_sparse_dim() -> None:
    # messages about a previous-frame label (e.g. the Linear-on-indices one) name its sparse dim
    loop, _ = _loop_over_time()
    classes = nn.FeatureDim("classes", 5)
    loop.state.label = nn.constant(0, shape=[nn.batch_dim], sparse_dim=classes)
    with loop:
        prev = loop.state.label
        loop.state.label = prev
    assert repr(prev).endswith("int32, sparse_dim=classes(5)>")


def test_dims_set_is_a_property_that_can_also_be_called() -> None:
    # The predecessor's ``x.dims_set`` (and its older ``x.shape``) is a property; rc-nn's
    # own code calls ``x.dims_set()``. Both spellings give the same set.
    f = nn.FeatureDim("f", 2)
    x = nn.zeros([nn.batch_dim, f])
    assert x.dims_set == {nn.batch_dim, f}
    assert x.dims_set() == {nn.batch_dim, f}
    assert x.shape == {nn.batch_dim, f}
    assert f in x.dims_set and nn.batch_dim in x.shape
    assert isinstance(x.dims_set, frozenset)
