"""Full-sum loss of a time-synchronous transducer (RNA: one output, blank or the next
label, per input frame): the predecessor's ``nn.transducer_time_sync_full_sum_neg_log_prob``.

The predecessor called the warp-rna CUDA kernel in an ``eval`` layer. rc-nn writes the
same forward recursion with its own layers (a loop over the input frames in log space),
so it runs on CPU and GPU without a native op:

    alpha_0[u] = 0 if u == 0 else -inf
    alpha_{t+1}[u] = logaddexp(alpha_t[u] + lp[t, u, blank],
                               alpha_t[u-1] + lp[t, u-1, labels[u-1]])
    loss = -alpha_T[U]   (T, U: the lengths of each sequence)
"""

from __future__ import annotations

from returnn.tensor import Dim

from ._array import zeros
from ._compat_ops import compare_bc, set_sparse_dim
from ._dim_ops import replace_dim
from ._dimargs import as_dim
from ._errors import DimMismatchError
from ._gather import gather, where
from ._loop import Loop
from ._math import abs_, exp, log1p, maximum
from ._range import length, range_over_dim
from ._slice import pad
from ._tensor import Tensor, _dim_str, as_tensor, check_axis
from ._userloc import user_location

__all__ = ["transducer_time_sync_full_sum_neg_log_prob"]

_NEG_INF = -1e30  # finite, so that logaddexp of two "impossible" paths stays finite


def _logaddexp(a: Tensor, b: Tensor) -> Tensor:
    return maximum(a, b) + log1p(exp(-abs_(a - b)))


def transducer_time_sync_full_sum_neg_log_prob(
    log_probs: Tensor,
    *,
    labels: Tensor,
    input_spatial_dim: Dim,
    labels_spatial_dim: Dim,
    prev_labels_spatial_dim: Dim,
    blank_index: int = -1,
) -> Tensor:
    """``-log p(labels | input)`` summed over all time-synchronous alignments (RNA loss).

    Parameters
    ----------
    log_probs
        ``[batch..., input_spatial_dim, prev_labels_spatial_dim, vocab]``
        log probabilities (e.g. a ``log_softmax`` over ``vocab``, blank included).
    labels
        ``[batch..., labels_spatial_dim]`` int labels (sparse into the labels'
        vocab, which may be ``vocab`` without blank).
    input_spatial_dim
        the input frames ``T``.
    labels_spatial_dim
        the labels ``U``.
    prev_labels_spatial_dim
        ``1 + labels_spatial_dim`` (with the begin-of-sequence
        label), the second axis of ``log_probs``.
    blank_index
        index of blank in ``vocab`` (negative: from the end).

    Returns
    -------
    ``[batch...]`` float32
        the negative log probability of every sequence.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, u, v = nn.SpatialDim("t"), nn.SpatialDim("u"), nn.FeatureDim("vocab+blank", 4)
    >>> u1 = 1 + u
    >>> lp = nn.log_softmax(nn.zeros([nn.batch_dim, t, u1, v]), axis=v)
    >>> y = nn.zeros([nn.batch_dim, u], dtype="int32")
    >>> loss = nn.transducer_time_sync_full_sum_neg_log_prob(
    ...     lp, labels=y, input_spatial_dim=t, labels_spatial_dim=u,
    ...     prev_labels_spatial_dim=u1)
    >>> loss.dims == (nn.batch_dim,)
    True
    """
    what = "transducer_time_sync_full_sum_neg_log_prob"
    log_probs = as_tensor(log_probs, what)
    labels = as_tensor(labels, f"{what} labels")
    time = check_axis(log_probs, as_dim(input_spatial_dim, what, "input_spatial_dim"), what)
    u1 = check_axis(
        log_probs, as_dim(prev_labels_spatial_dim, what, "prev_labels_spatial_dim"), what
    )
    u = check_axis(labels, as_dim(labels_spatial_dim, what, "labels_spatial_dim"), what)
    vocab = log_probs.feature_dim
    if vocab is None or vocab in (time, u1) or vocab.dimension is None:
        raise DimMismatchError(
            f"{what}: log_probs {log_probs!r} needs its vocab (with blank) as static feature dim "
            f"(at {user_location()})"
        )
    if not labels.dtype.startswith("int"):
        raise DimMismatchError(f"{what}: labels must be int, got {labels!r} (at {user_location()})")
    if labels.sparse_dim is not None and (labels.sparse_dim.dimension or 0) > vocab.dimension:
        raise DimMismatchError(
            f"{what}: the labels' vocab {_dim_str(labels.sparse_dim)} is larger than the "
            f"log_probs' vocab {_dim_str(vocab)} (at {user_location()})"
        )
    if not isinstance(blank_index, int) or isinstance(blank_index, bool):
        raise TypeError(f"{what}: blank_index must be an int, got {blank_index!r}")
    blank = blank_index + vocab.dimension if blank_index < 0 else blank_index
    if not 0 <= blank < vocab.dimension:
        raise ValueError(f"{what}: blank_index {blank_index} is out of range for {_dim_str(vocab)}")
    # Per frame and label position: log prob of blank, and of the next label.
    blank_lp = gather(log_probs, indices=blank, axis=vocab)  # [B, T, U1]
    labels_ext, _ = pad(labels, axes=u, padding=(0, 1), out_dims=u1, value=0)  # [B, U1]
    labels_ext = set_sparse_dim(labels_ext, vocab)
    emit_lp = gather(log_probs, indices=labels_ext, axis=vocab)  # [B, T, U1]
    positions = range_over_dim(u1, sparse=False)  # [U1]
    batch_dims = [d for d in log_probs.dims if d not in (time, u1, vocab)]
    start = where(positions == 0, 0.0, _NEG_INF)
    if batch_dims:
        start = start + zeros(batch_dims)
    frames = range_over_dim(time, sparse=False)
    in_lengths = length(time)
    prev_u, shifted_dim = replace_dim(positions, in_dim=u1)
    del prev_u
    shift_indices = where(positions > 0, positions - 1, 0)  # [U1] -> positions in shifted_dim
    loop = Loop(axis=time)
    loop.state.alpha = start
    with loop:
        alpha = loop.state.alpha
        stay = alpha + loop.unstack(blank_lp)
        move = alpha + loop.unstack(emit_lp)
        move_src, _ = replace_dim(move, in_dim=u1, out_dim=shifted_dim)
        moved = gather(move_src, indices=shift_indices, axis=shifted_dim)
        moved = where(positions > 0, moved, _NEG_INF)
        new_alpha = _logaddexp(stay, moved)
        inside = compare_bc(loop.unstack(frames), "<", in_lengths)
        loop.state.alpha = where(inside, new_alpha, alpha)
        loop.last(loop.state.alpha)
    final = loop.state.alpha  # [B..., U1]
    end = gather(final, indices=length(u), axis=u1)
    return -end
