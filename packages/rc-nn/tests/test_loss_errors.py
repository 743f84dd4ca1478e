"""Loss construction errors that RETURNN would only report (or not at all) at run time."""

from __future__ import annotations

import pytest

import rc_nn as nn


def _ctc_inputs(classes: int) -> tuple[nn.Tensor, nn.Tensor]:
    time, labels = nn.SpatialDim("time"), nn.SpatialDim("labels")
    vocab = nn.FeatureDim("vocab", 6)
    logits = nn.zeros([nn.batch_dim, time, nn.FeatureDim("classes", classes)])
    targets = nn.get_extern_data(
        nn.Data("targets", dim_tags=[nn.batch_dim, labels], sparse_dim=vocab)
    )
    return logits, targets


def test_ctc_loss_without_a_blank_class_names_the_dims() -> None:
    logits, targets = _ctc_inputs(6)  # vocab 6, no room for the blank
    with pytest.raises(nn.DimMismatchError) as info:
        nn.ctc_loss(logits=logits, targets=targets, blank_index=5)
    message = str(info.value)
    assert "classes(6)" in message and "vocab(6)" in message
    assert "plus one blank class" in message and "size 7" in message
    assert "test_loss_errors.py" in message  # the user's line


def test_ctc_loss_blank_index_outside_the_classes() -> None:
    logits, targets = _ctc_inputs(7)
    with pytest.raises(nn.DimMismatchError, match=r"blank_index=7 is outside"):
        nn.ctc_loss(logits=logits, targets=targets, blank_index=7)


def test_ctc_loss_with_the_blank_class_builds() -> None:
    logits, targets = _ctc_inputs(7)
    assert nn.ctc_loss(logits=logits, targets=targets, blank_index=6).dims == (nn.batch_dim,)
