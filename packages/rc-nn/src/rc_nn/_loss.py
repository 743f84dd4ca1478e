"""Losses: cross entropy (logits, log-probs, probs), binary CE, KL, MSE."""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim, batch_dim

from ._array import dot, log_softmax, reduce_mean, reduce_sum, softmax
from ._dim_sites import lookalike_dims_note
from ._errors import DimMismatchError
from ._gather import gather
from ._math import combine, exp, log, log_sigmoid, neg
from ._tensor import Tensor, _dim_str, as_tensor, check_axis, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = [
    "binary_cross_entropy",
    "cross_entropy",
    "ctc_loss",
    "kl_div",
    "mean_squared_difference",
    "sparse_softmax_cross_entropy_with_logits",
]

_ESTIMATED_TYPES = ("logits", "log-probs", "probs")


def cross_entropy(
    *, estimated: Tensor, target: Tensor, estimated_type: str, axis: Dim | None = None
) -> Tensor:
    """Cross entropy of ``estimated`` against ``target`` over ``axis`` (per frame, not summed).

    ``target`` is either sparse indices (``sparse_dim`` = the class dim) or a
    dense distribution with the class dim; ``estimated_type`` is ``"logits"``,
    ``"log-probs"`` or ``"probs"``. ``axis`` defaults to the target's sparse dim.

    Examples
    --------
    >>> import rc_nn as nn
    >>> c = nn.FeatureDim("classes", 5)
    >>> logits = nn.zeros([nn.batch_dim, c])
    >>> target = nn.get_extern_data(nn.Data("ce_doc", dim_tags=[nn.batch_dim], sparse_dim=c))
    >>> nn.cross_entropy(estimated=logits, target=target, estimated_type="logits").dims == (nn.batch_dim,)
    True
    """
    if estimated_type not in _ESTIMATED_TYPES:
        raise ValueError(
            f"cross_entropy: estimated_type must be one of {_ESTIMATED_TYPES}, got {estimated_type!r}"
        )
    estimated = as_tensor(estimated, "cross_entropy estimated")
    target = as_tensor(target, "cross_entropy target")
    if axis is None:
        axis = target.sparse_dim
        if axis is None:
            raise DimMismatchError(
                "cross_entropy: the target is dense, so give the class axis explicitly "
                f"(axis=...) (at {user_location(2)})"
            )
    check_axis(estimated, axis, "cross_entropy estimated")
    if target.sparse_dim is not None:
        if target.sparse_dim != axis:
            raise DimMismatchError(
                f"cross_entropy: target indices point into {_dim_str(target.sparse_dim)}, "
                f"but the class axis is {_dim_str(axis)} (at {user_location(2)})"
                + lookalike_dims_note([target.sparse_dim, axis])
            )
        dims = [d for d in estimated.dims if d is not axis]
        template = make_template(dims, estimated.dtype)
        if estimated_type == "logits":
            layer: dict[str, Any] = {
                "class": "sparse_softmax_cross_entropy_with_logits",
                "logits": estimated,
                "targets": target,
                "axis": axis,
            }
            return make_layer_tensor(layer, template, name_hint="cross_entropy")
        log_probs = estimated if estimated_type == "log-probs" else log(estimated)
        # nn.gather knows RETURNN's dim order for the result (tested against RETURNN).
        picked = gather(log_probs, indices=target, axis=axis)
        return neg(picked)
    check_axis(target, axis, "cross_entropy target")
    if estimated_type == "logits":
        log_probs = log_softmax(estimated, axis=axis)
    elif estimated_type == "probs":
        log_probs = log(estimated)
    else:
        log_probs = estimated
    return neg(dot(target, log_probs, reduce=axis))


def sparse_softmax_cross_entropy_with_logits(
    *, logits: Tensor, targets: Tensor, axis: Dim | None = None
) -> Tensor:
    """The predecessor's name for :func:`cross_entropy` with ``estimated_type="logits"``
    and sparse ``targets`` (RETURNN ``sparse_softmax_cross_entropy_with_logits``).

    ``axis`` is the class dim of ``logits``; it defaults to the targets' sparse dim.
    Dense targets are a clear error (use :func:`cross_entropy`).

    Examples
    --------
    >>> import rc_nn as nn
    >>> c = nn.FeatureDim("classes", 5)
    >>> logits = nn.zeros([nn.batch_dim, c])
    >>> targets = nn.get_extern_data(nn.Data("sce_doc", dim_tags=[nn.batch_dim], sparse_dim=c))
    >>> loss = nn.sparse_softmax_cross_entropy_with_logits(logits=logits, targets=targets, axis=c)
    >>> loss.dims == (nn.batch_dim,), loss.layer_dict["class"]
    (True, 'sparse_softmax_cross_entropy_with_logits')
    """
    targets = as_tensor(targets, "sparse_softmax_cross_entropy_with_logits targets")
    if targets.sparse_dim is None:
        raise DimMismatchError(
            f"sparse_softmax_cross_entropy_with_logits: targets {targets!r} are dense, not "
            "sparse class indices; for a dense target distribution use "
            f"nn.cross_entropy(estimated=logits, target=..., estimated_type='logits', axis=...) "
            f"(at {user_location(2)})"
        )
    return cross_entropy(estimated=logits, target=targets, estimated_type="logits", axis=axis)


def binary_cross_entropy(
    *, pred: Tensor, target: Tensor, pos_weight: float | None = None
) -> Tensor:
    """Element-wise binary cross entropy of logits ``pred`` against targets in [0, 1]."""
    pred = as_tensor(pred, "binary_cross_entropy pred")
    target = as_tensor(target, "binary_cross_entropy target")
    pos = target * log_sigmoid(pred)
    if pos_weight is not None:
        pos = pos * pos_weight
    return neg(pos + (1.0 - target) * log_sigmoid(neg(pred)))


def kl_div(*, target: Tensor, target_type: str, pred: Tensor, pred_type: str, axis: Dim) -> Tensor:
    """KL(target || pred) over ``axis``; types are ``"probs"``, ``"log-probs"`` or ``"logits"``."""

    def as_log(x: Tensor, kind: str) -> Tensor:
        return log(x) if kind == "probs" else log_softmax(x, axis=axis) if kind == "logits" else x

    def as_prob(x: Tensor, kind: str) -> Tensor:
        return x if kind == "probs" else softmax(x, axis=axis) if kind == "logits" else exp(x)

    for kind in (target_type, pred_type):
        if kind not in _ESTIMATED_TYPES:
            raise ValueError(f"kl_div: types must be one of {_ESTIMATED_TYPES}, got {kind!r}")
    return reduce_sum(
        as_prob(target, target_type) * (as_log(target, target_type) - as_log(pred, pred_type)),
        axis=axis,
    )


def mean_squared_difference(a: Tensor, b: Tensor, *, axis: Dim) -> Tensor:
    """Mean over ``axis`` of the squared difference."""
    diff = combine(
        as_tensor(a, "mean_squared_difference"),
        as_tensor(b, "mean_squared_difference"),
        kind="squared_difference",
    )
    return reduce_mean(diff, axis=axis)


def ctc_loss(
    *, logits: Tensor, targets: Tensor, blank_index: int, logits_normalized: bool = False
) -> Tensor:
    """CTC loss per sequence (RETURNN ``ctc_loss``): dims ``[batch]``.

    ``logits`` [batch, time, classes] with the class dim as feature dim;
    ``targets`` sparse labels [batch, label time].

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, c = nn.SpatialDim("t"), nn.FeatureDim("c", 4)
    >>> logits = nn.zeros([nn.batch_dim, t, c])
    >>> y = nn.get_extern_data(nn.Data("ctc_doc", dim_tags=[nn.batch_dim, nn.SpatialDim("l")],
    ...                                sparse_dim=nn.FeatureDim("v", 3)))
    >>> nn.ctc_loss(logits=logits, targets=y, blank_index=3).dims == (nn.batch_dim,)
    True
    """
    logits = as_tensor(logits, "ctc_loss logits")
    targets = as_tensor(targets, "ctc_loss targets")
    if targets.sparse_dim is None:
        raise DimMismatchError(f"ctc_loss: targets {targets!r} must be sparse label indices")
    classes = logits.feature_dim or logits.dims[-1]
    vocab = targets.sparse_dim
    if (
        classes.dimension is None
        or vocab.dimension is None
        or classes.dimension != vocab.dimension + 1
    ):
        raise DimMismatchError(
            f"ctc_loss: the logits' class dim {_dim_str(classes)} must be the target vocab "
            f"{_dim_str(vocab)} plus one blank class, i.e. of size "
            f"{'?' if vocab.dimension is None else vocab.dimension + 1}; at {user_location(2)}. "
            f"Project to a dim of the vocab size + 1, e.g. nn.Linear(in_dim, vocab + 1), and "
            f"give blank_index (usually {vocab.dimension})"
        )
    if not 0 <= int(blank_index) < classes.dimension:
        raise DimMismatchError(
            f"ctc_loss: blank_index={blank_index} is outside the logits' class dim "
            f"{_dim_str(classes)} (0 .. {classes.dimension - 1}); at {user_location(2)}"
        )
    layer: dict[str, Any] = {
        "class": "ctc_loss",
        "logits": logits,
        "targets": targets,
        "blank_index": int(blank_index),
    }
    if logits_normalized:
        layer["logits_normalized"] = True
    return make_layer_tensor(layer, make_template([batch_dim], "float32"), name_hint="ctc_loss")
