"""Losses proved in RETURNN: marked with a scale, trained 3 steps, numbers against numpy.

Every loss is the output of ordinary rc-nn layers (RETURNN ``as_is`` loss on the
layer), so the objective RETURNN optimizes is ``scale * sum over frames``; the
tests check that number against numpy for the cross entropies, and that training
lowers it for every loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest

import rc_nn as nn

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
Array = numpy.ndarray
B = nn.batch_dim
WEIGHT = (numpy.arange(12, dtype="float32").reshape(3, 4) - 6.0) / 10.0
SCALE = 0.5


def _mask(lengths: Array, max_time: int) -> Array:
    return numpy.arange(max_time)[None, :] < lengths[:, None]


def _log_softmax(x: Array) -> Array:
    x = x.astype("float64")
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True))


class _Setup:
    """x [B, T, in], classes sparse [B, T] into ``classes``, other [B, T, classes]; logits."""

    def __init__(self) -> None:
        self.time = nn.SpatialDim("time")
        self.feat = nn.FeatureDim("feat", 3)
        self.classes = nn.FeatureDim("classes", 4)
        self.x = nn.get_extern_data(nn.Data("data", dim_tags=[B, self.time, self.feat]))
        self.targets = nn.get_extern_data(
            nn.Data("targets", dim_tags=[B, self.time], sparse_dim=self.classes)
        )
        self.other = nn.get_extern_data(nn.Data("other", dim_tags=[B, self.time, self.classes]))
        self.model = nn.Linear(self.feat, self.classes)
        self.model.weight.initial = WEIGHT
        self.logits = self.model(self.x)
        for name, tensor in (
            ("inp", self.x),
            ("inp_targets", self.targets),
            ("inp_other", self.other),
        ):
            tensor.mark_as_output(name)
        nn.length(self.time).mark_as_output("len")

    def frame_loss(self, kind: str) -> nn.Tensor:
        c = self.classes
        if kind == "ce_logits":
            return nn.cross_entropy(
                estimated=self.logits, target=self.targets, estimated_type="logits"
            )
        if kind == "ce_log_probs":
            log_probs = nn.log_softmax(self.logits, axis=c)
            return nn.cross_entropy(
                estimated=log_probs, target=self.targets, estimated_type="log-probs"
            )
        if kind == "ce_probs":
            probs = nn.softmax(self.logits, axis=c)
            return nn.cross_entropy(estimated=probs, target=self.targets, estimated_type="probs")
        target_probs = nn.softmax(self.other, axis=c)
        if kind == "ce_dense_logits":
            return nn.cross_entropy(
                estimated=self.logits, target=target_probs, estimated_type="logits", axis=c
            )
        if kind == "ce_dense_probs":
            return nn.cross_entropy(
                estimated=nn.softmax(self.logits, axis=c),
                target=target_probs,
                estimated_type="probs",
                axis=c,
            )
        if kind == "binary_cross_entropy":
            bce = nn.binary_cross_entropy(pred=self.logits, target=nn.sigmoid(self.other))
            return nn.reduce_sum(bce, axis=c)
        if kind == "kl_div":
            return nn.kl_div(
                target=target_probs,
                target_type="probs",
                pred=self.logits,
                pred_type="logits",
                axis=c,
            )
        if kind == "mean_squared_difference":
            return nn.mean_squared_difference(self.logits, self.other, axis=c)
        raise AssertionError(kind)


def _expected_frame_loss(kind: str, out: Any) -> Array:
    x, targets, other = out("inp"), out("inp_targets"), out("inp_other")
    logits = x.astype("float64") @ WEIGHT  # zero bias
    log_probs = _log_softmax(logits)
    target_probs = numpy.exp(_log_softmax(other))
    if kind.startswith("ce_dense"):
        return -(target_probs * log_probs).sum(-1)
    if kind.startswith("ce"):
        return -numpy.take_along_axis(log_probs, targets[..., None].astype("int64"), -1)[..., 0]
    if kind == "binary_cross_entropy":
        t = 1.0 / (1.0 + numpy.exp(-other.astype("float64")))
        log_sig = -numpy.logaddexp(0.0, -logits)
        log_sig_neg = -numpy.logaddexp(0.0, logits)
        return -(t * log_sig + (1.0 - t) * log_sig_neg).sum(-1)
    if kind == "kl_div":
        return (target_probs * (numpy.log(target_probs) - log_probs)).sum(-1)
    if kind == "mean_squared_difference":
        return ((logits - other) ** 2).mean(-1)
    raise AssertionError(kind)


KINDS = [
    "ce_logits",
    "ce_log_probs",
    "ce_probs",
    "ce_dense_logits",
    "ce_dense_probs",
    "binary_cross_entropy",
    "kl_div",
    "mean_squared_difference",
]


@pytest.mark.parametrize("kind", KINDS)
def test_loss_values_and_training(roundtrip: RoundTripFn, kind: str) -> None:
    setup = _Setup()
    loss = setup.frame_loss(kind)
    assert loss.dims == (B, setup.time), loss
    loss.mark_as_loss("loss", scale=SCALE)
    setup.logits.mark_as_default_output()
    result = roundtrip(setup.model, train_steps=3)
    out = result.output
    valid = _mask(out("len"), out("inp").shape[1])
    expected = _expected_frame_loss(kind, out)
    numpy.testing.assert_allclose(out("loss")[valid], expected[valid], rtol=1e-4, atol=1e-5)
    losses = result.report.losses
    # The objective RETURNN optimizes: scale * sum over the frames (padding masked).
    numpy.testing.assert_allclose(losses[0], SCALE * expected[valid].sum(), rtol=1e-4)
    assert losses[0] > losses[1] > losses[2], losses


def test_ctc_loss(roundtrip: RoundTripFn) -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
    vocab, labels = nn.FeatureDim("vocab", 3), nn.SpatialDim("labels")
    x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
    y = nn.get_extern_data(nn.Data("targets", dim_tags=[B, labels], sparse_dim=vocab))
    model = nn.Linear(feat, vocab + 1)  # blank last
    logits = model(x)
    loss = nn.ctc_loss(logits=logits, targets=y, blank_index=vocab.dimension)
    assert loss.dims == (B,)
    loss.mark_as_loss("ctc", scale=SCALE)
    logits.mark_as_default_output()
    result = roundtrip(model, train_steps=3)
    losses = result.report.losses
    assert losses[0] > losses[1] > losses[2], losses
    assert (result.output("ctc") >= 0.0).all()


def test_as_error_is_reported_not_optimized(roundtrip: RoundTripFn) -> None:
    setup = _Setup()
    ce = setup.frame_loss("ce_logits")
    ce.mark_as_loss("ce")
    # A large error that training would lower quickly if it were optimized.
    mse = setup.frame_loss("mean_squared_difference") * 1000.0
    mse.mark_as_loss("mse_error", as_error=True)
    setup.logits.mark_as_default_output()
    result = roundtrip(setup.model, train_steps=3)
    layer = result.serialized.network["mse_error"]
    assert layer["loss"] == "as_is" and layer.get("loss_opts") == {"as_error": True}, layer
    out = result.output
    valid = _mask(out("len"), out("inp").shape[1])
    # Reported: RETURNN computes it as an output; the objective is the CE alone.
    expected_mse = 1000.0 * _expected_frame_loss("mean_squared_difference", out)
    numpy.testing.assert_allclose(out("mse_error")[valid], expected_mse[valid], rtol=1e-4)
    expected_ce = _expected_frame_loss("ce_logits", out)
    numpy.testing.assert_allclose(result.report.losses[0], expected_ce[valid].sum(), rtol=1e-4)


def test_embedding_rows_are_weight_rows(roundtrip: RoundTripFn) -> None:
    time, vocab, emb_dim = nn.SpatialDim("time"), nn.FeatureDim("vocab", 5), nn.FeatureDim("emb", 3)
    ids = nn.get_extern_data(nn.Data("data", dim_tags=[B, time], sparse_dim=vocab))
    ids.mark_as_output("inp")
    emb = nn.Embedding(vocab, emb_dim)
    weight = numpy.arange(15, dtype="float32").reshape(5, 3) / 4.0
    emb.weight.initial = weight
    out = emb(ids)
    assert out.dims == (B, time, emb_dim) and out.feature_dim is emb_dim
    out.mark_as_default_output()
    nn.reduce_sum(nn.reduce_sum(out * out, axis=emb_dim), axis=time).mark_as_loss("l")
    result = roundtrip(emb, train_steps=2)
    assert result.report.variable_names == {"weight/param"}
    numpy.testing.assert_array_equal(result.output(), weight[result.output("inp")])
