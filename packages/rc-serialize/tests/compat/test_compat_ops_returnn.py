"""The predecessor's ops as rc-nn provides them, proven in RETURNN: every op is built
into one small network, constructed and run by RETURNN's TF backend (the round trip
asserts template agreement for every layer and N4), and its values are compared with
numpy on the random inputs (docs/compat-items.md lists the items)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy
import pytest

import rc_naming
import rc_nn as nn
from rc_serialize._roundtrip import roundtrip

pytestmark = pytest.mark.returnn

B = nn.batch_dim
Array = numpy.ndarray


class Root(nn.Module):
    """A root module without parameters."""

    def forward(self) -> None:  # pragma: no cover - never called
        raise NotImplementedError


def _mask(lengths: Array, max_time: int) -> Array:
    return numpy.arange(max_time)[None, :] < lengths[:, None]


@pytest.fixture(scope="module")
def ops(returnn_tf: Any) -> Iterator[Any]:
    """One RETURNN round trip with every op as a marked output."""
    with rc_naming.Root("compat_ops"):
        time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 4)
        vocab = nn.FeatureDim("vocab", 5)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[B, time, feat]))
        labels_time = nn.SpatialDim("labels-time")
        y = nn.get_extern_data(nn.Data("classes", dims=[B, labels_time], sparse_dim=vocab))
        x.mark_as_output("inp")
        y.mark_as_output("labels")
        nn.length(time).mark_as_output("len")
        nn.length(labels_time).mark_as_output("labels_len")
        nn.copy(x).mark_as_output("copy")
        nn.ones_like(x).mark_as_output("ones_like")
        nn.zeros_like(x).mark_as_output("zeros_like")
        nn.safe_log(nn.abs_(x) + 0.5).mark_as_output("safe_log")
        nn.safe_log(nn.softmax(x, axis=feat)).mark_as_output("safe_log_softmax")
        other = nn.FeatureDim("other", 3)
        nn.combine_bc(
            nn.reduce_sum(x, axis=feat),
            "+",
            nn.range_over_dim(other, dtype="float32", sparse=False),
        ).mark_as_output("combine_bc")
        nn.compare_bc(nn.range_over_dim(time), "<", nn.length(time)).mark_as_output("compare_bc")
        nn.combine(1.5, x, kind="sub").mark_as_output("combine_scalar_first")
        nn.reduce_out(x, mode="max", num_pieces=2).mark_as_output("reduce_out")
        rep, _ = nn.repeat(x, repetitions=2, axis=time)
        rep.mark_as_output("repeat")
        res, _ = nn.resize(x, factor=2, axis=time, kind="nn")
        res.mark_as_output("resize")
        rng, _ = nn.range_from_length(nn.length(time))
        rng.mark_as_output("range_from_length")
        nn.set_sparse_dim(
            nn.cast(nn.reduce_sum(x, axis=feat) > 0.0, "int32"), vocab
        ).mark_as_output("set_sparse_dim")
        nn.cast(nn.train_flag(), "int32").mark_as_output("train_flag")
        nn.global_train_step().mark_as_output("global_train_step")
        nn.concat_features(x, nn.square(x)).mark_as_output("concat_features")
        prev, _ = nn.prev_target_seq(y, spatial_dim=labels_time, bos_idx=0, out_one_longer=True)
        prev.mark_as_output("prev_target_longer")
        prev_same, _ = nn.prev_target_seq(
            y, spatial_dim=labels_time, bos_idx=1, out_one_longer=False
        )
        prev_same.mark_as_output("prev_target_same")
        win = nn.SpatialDim("win", 3)
        windows, win_time = nn.window(x, spatial_dim=time, window_dim=win)
        nn.inverse_window(
            windows, in_spatial_dim=win_time, out_spatial_dim=time, window_dim=win
        ).mark_as_output("inverse_window")
        nn.constant(value=2, shape=[vocab], dtype="int32").mark_as_output("constant_shape")
        nn.reduce_sum(x, axis=[time, feat]).mark_as_default_output()
        yield roundtrip(Root())


def _lengths(ops: Any) -> tuple[Array, Array]:
    return ops.output("inp"), ops.output("len")


def test_copy_ones_zeros_like(ops: Any) -> None:
    x = ops.output("inp")
    numpy.testing.assert_array_equal(ops.output("copy"), x)
    numpy.testing.assert_array_equal(ops.output("ones_like"), numpy.ones_like(x))
    numpy.testing.assert_array_equal(ops.output("zeros_like"), numpy.zeros_like(x))


def test_safe_log(ops: Any) -> None:
    x = ops.output("inp").astype("float64")
    numpy.testing.assert_allclose(ops.output("safe_log"), numpy.log(numpy.abs(x) + 0.5), rtol=1e-5)
    # RETURNN turns log(softmax) into log_softmax
    expected = x - x.max(-1, keepdims=True)
    expected = expected - numpy.log(numpy.exp(expected).sum(-1, keepdims=True))
    numpy.testing.assert_allclose(ops.output("safe_log_softmax"), expected, rtol=1e-5, atol=1e-5)


def test_combine_compare_bc(ops: Any) -> None:
    x, lengths = _lengths(ops)
    summed = x.sum(-1)  # [B, T]
    out = ops.output("combine_bc")
    assert out.shape == (*summed.shape, 3)
    numpy.testing.assert_allclose(out, summed[..., None] + numpy.arange(3.0), rtol=1e-5)
    cmp = ops.output("compare_bc")  # [B, T] (RETURNN's order, as rc-nn infers it)
    numpy.testing.assert_array_equal(cmp, _mask(lengths, x.shape[1]))
    numpy.testing.assert_allclose(ops.output("combine_scalar_first"), 1.5 - x, rtol=1e-6)


def test_reduce_out(ops: Any) -> None:
    x = ops.output("inp")
    numpy.testing.assert_allclose(ops.output("reduce_out"), x.reshape((*x.shape[:2], 2, 2)).max(-1))


def test_repeat_and_resize(ops: Any) -> None:
    x, lengths = _lengths(ops)
    valid = _mask(lengths, x.shape[1])
    for name in ("repeat", "resize"):
        out = ops.output(name)
        assert out.shape == (x.shape[0], 2 * x.shape[1], x.shape[2]), name
        for b, n in enumerate(lengths):
            numpy.testing.assert_allclose(
                out[b, : 2 * n], numpy.repeat(x[b, :n], 2, axis=0), err_msg=name
            )
    assert valid.any()


def test_range_from_length(ops: Any) -> None:
    lengths = ops.output("len")
    numpy.testing.assert_array_equal(ops.output("range_from_length"), numpy.arange(lengths.max()))


def test_set_sparse_dim_train_flag_step(ops: Any) -> None:
    x = ops.output("inp")
    numpy.testing.assert_array_equal(ops.output("set_sparse_dim"), (x.sum(-1) > 0).astype("int32"))
    assert int(ops.output("train_flag")) == 0  # forward pass without training
    assert ops.output("global_train_step").dtype == numpy.int64


def test_concat_features(ops: Any) -> None:
    x = ops.output("inp")
    numpy.testing.assert_allclose(
        ops.output("concat_features"), numpy.concatenate([x, x * x], -1), rtol=1e-6
    )


def test_prev_target_seq(ops: Any) -> None:
    labels, lengths = ops.output("labels"), ops.output("labels_len")
    longer, same = ops.output("prev_target_longer"), ops.output("prev_target_same")
    assert longer.shape == (labels.shape[0], labels.shape[1] + 1)
    for b, n in enumerate(lengths):
        numpy.testing.assert_array_equal(
            longer[b, : n + 1], numpy.concatenate([[0], labels[b, :n]])
        )
        numpy.testing.assert_array_equal(
            same[b, :n], numpy.concatenate([[1], labels[b, : n - 1]])[:n]
        )


def test_inverse_window_restores_the_input(ops: Any) -> None:
    x, lengths = _lengths(ops)
    out = ops.output("inverse_window")  # window then inverse: every frame is its own mean
    assert out.shape == x.shape
    for b, n in enumerate(lengths):
        numpy.testing.assert_allclose(out[b, :n], x[b, :n], rtol=1e-5, atol=1e-6)


def test_constant_with_shape(ops: Any) -> None:
    numpy.testing.assert_array_equal(ops.output("constant_shape"), numpy.full([5], 2, "int32"))
