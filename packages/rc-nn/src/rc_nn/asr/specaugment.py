"""SpecAugment (Park et al. 2019) as the predecessor's ``returnn_common.asr.specaugment``
wrote it (``specaugment_v2``, ``random_mask_v2``), on rc-nn ops.

Masks of random length at random positions along time and along the features, during
training only (an ``nn.Cond`` on the train flag); in evaluation the input is returned
unchanged. The number of masks grows with the global train step (after 1000 and 2000
steps) unless ``global_train_step_dependent=False``. Random numbers come from RETURNN
``random`` layers, so the masks differ from the predecessor's run to run, but follow
the same distribution. The predecessor's ``specaugment_v1``, ``specaugment_v1_eval_func``
and ``random_mask_v1`` (TF code run in an ``eval`` layer) are not provided: calling them
raises :class:`rc_nn.UnsupportedPredecessorFeatureError` (use ``specaugment_v2`` /
``random_mask_v2``).

Examples
--------
>>> import rc_nn as nn
>>> from rc_nn.asr.specaugment import specaugment_v2
>>> t, f = nn.SpatialDim("time"), nn.FeatureDim("mel", 40)
>>> x = nn.get_extern_data(nn.Data("specaug_doc", dim_tags=[nn.batch_dim, t, f]))
>>> specaugment_v2(x, spatial_dim=t).dims == x.dims
True
"""

from __future__ import annotations

from collections.abc import Collection

from returnn.tensor import Dim
from returnn.util.basic import NotSpecified

from .._array import constant, reduce, zeros
from .._compat_ops import compare_bc, global_train_step, train_flag
from .._cond import Cond
from .._errors import AxisError, UnsupportedPredecessorFeatureError
from .._gather import gather, top_k, where
from .._loop import Loop
from .._math import maximum as maximum_
from .._math import minimum
from .._rand_module import Random
from .._range import dim_value, length, range_over_dim
from .._tensor import Tensor, as_tensor
from .._userloc import user_location

__all__ = [
    "random_mask_v1",
    "random_mask_v2",
    "specaugment_v1",
    "specaugment_v1_eval_func",
    "specaugment_v2",
]

IntOrTensor = int | Tensor


def specaugment_v2(
    x: Tensor,
    *,
    spatial_dim: Dim,
    feature_dim: Dim | type[NotSpecified] = NotSpecified,
    global_train_step_dependent: bool = True,
    only_on_train: bool = True,
    max_consecutive_spatial_dims: int = 20,
    max_consecutive_feature_dims: int | type[NotSpecified] = NotSpecified,
    num_spatial_mask_factor: int = 100,
) -> Tensor:
    """SpecAugment of ``x`` ``[batch, spatial_dim, feature_dim]`` (any order), same dims out.

    Time masks: between ``min(steps, T)`` and ``min(max(T // num_spatial_mask_factor, 2)
    * (1 + steps'), T)`` masks of up to ``max_consecutive_spatial_dims`` frames; feature
    masks: between ``steps`` and ``2 + steps'`` masks of up to
    ``max_consecutive_feature_dims`` (default ``feature_dim // 5``) features, where
    ``steps`` counts the thresholds 1000 and 2000 the global train step has passed (both
    when not ``global_train_step_dependent``) and ``steps'`` counts the second twice.
    """
    x = as_tensor(x, "specaugment_v2")
    if feature_dim is NotSpecified:
        if x.feature_dim is None:
            raise AxisError(
                f"specaugment_v2: {x!r} has no feature dim; pass feature_dim= (at {user_location()})"
            )
        feature_dim_ = x.feature_dim
    else:
        assert isinstance(feature_dim, Dim)
        feature_dim_ = feature_dim
    if max_consecutive_feature_dims is NotSpecified:
        max_feature = int(feature_dim_.dimension or 0) // 5
    else:
        assert isinstance(max_consecutive_feature_dims, int)
        max_feature = max_consecutive_feature_dims
    step1: IntOrTensor
    step2: IntOrTensor
    if global_train_step_dependent:
        step = global_train_step()
        step1 = where(step >= 1000, 1, 0)
        step2 = where(step >= 2000, 1, 0)
    else:
        step1 = step2 = 1
    condition = train_flag() if only_on_train else constant(True, [], dtype="bool")
    with Cond(condition) as cond:
        spatial_len = dim_value(spatial_dim)
        masked = random_mask_v2(
            x,
            mask_axis=spatial_dim,
            broadcast_axis=feature_dim_,
            min_num=minimum(_as_int_tensor(step1 + step2), spatial_len),
            max_num=minimum(
                maximum_(spatial_len // num_spatial_mask_factor, 2) * (1 + step1 + step2 * 2),
                spatial_len,
            ),
            max_dims=max_consecutive_spatial_dims,
        )
        masked = random_mask_v2(
            masked,
            mask_axis=feature_dim_,
            broadcast_axis=spatial_dim,
            min_num=step1 + step2,
            max_num=2 + step1 + step2 * 2,
            max_dims=max_feature,
        )
        cond.true = masked
        cond.false = x
    result: Tensor = cond.result
    return result


def _as_int_tensor(value: IntOrTensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return constant(int(value), [], dtype="int32")


def random_mask_v2(
    x: Tensor,
    *,
    mask_axis: Dim,
    broadcast_axis: Dim | Collection[Dim],
    min_num: IntOrTensor,
    max_num: IntOrTensor,
    max_dims: IntOrTensor,
    mask_value: int | float = 0.0,
) -> Tensor:
    """Set ``num`` random windows of ``mask_axis`` to ``mask_value``.

    ``num`` is drawn uniformly from ``[min_num, max_num]`` per entry of the dims of ``x``
    that are neither ``mask_axis`` nor ``broadcast_axis``; the windows start at distinct
    random positions and are ``1 .. max_dims`` long (uniform).
    """
    x = as_tensor(x, "random_mask_v2")
    batch_dims = list(x.dims)
    batch_dims.remove(mask_axis)
    for axis in [broadcast_axis] if isinstance(broadcast_axis, Dim) else list(broadcast_axis):
        batch_dims.remove(axis)
    rnd = Random()
    num: IntOrTensor
    if isinstance(min_num, int) and isinstance(max_num, int) and min_num == max_num:
        num = min_num
    else:
        num = rnd.uniform(batch_dims, "int32", minval=_scalar(min_num), maxval=_scalar(max_num + 1))
    scores = rnd.uniform([*batch_dims, mask_axis], minval=0.0, maxval=1.0)
    if isinstance(num, int):
        if num == 0:
            return x
        indices, k_dim = _top_k_indices(scores, axis=mask_axis, k=num)
        for i in range(num):
            x = _mask_v2(
                x,
                mask_axis=mask_axis,
                pos=gather(indices, indices=i, axis=k_dim),
                max_amount=max_dims,
                mask_value=mask_value,
            )
        return x
    # A number of masks per entry: pick the positions one by one in a loop (the k-th
    # largest score in step k, as top_k would sort them), as many steps as the largest
    # count; entries with fewer masks keep their input in the later steps.
    max_k = reduce(num, mode="max", axis=list(num.dims)) if num.dims else num
    loop = Loop(max_seq_len=maximum_(max_k, 1))
    loop.state.x = x
    loop.state.scores = scores
    loop.state.i = (
        zeros(batch_dims, dtype="int32") if batch_dims else constant(0, [], dtype="int32")
    )
    positions = range_over_dim(mask_axis, sparse=False)
    with loop:
        i = loop.state.i
        current = loop.state.scores
        best, k_dim = _top_k_indices(current, axis=mask_axis, k=1)
        pos = gather(best, indices=0, axis=k_dim)
        masked = _mask_v2(
            loop.state.x,
            mask_axis=mask_axis,
            pos=pos,
            max_amount=max_dims,
            mask_value=mask_value,
        )
        loop.state.x = where(compare_bc(i, "<", num), masked, loop.state.x)
        loop.state.scores = where(compare_bc(positions, "==", pos), -1.0, current)
        loop.state.i = i + 1
        loop.end(compare_bc(i + 1, ">=", max_k), include_eos=True)
        loop.stack(i)
    result: Tensor = loop.state.x
    return result


def _scalar(value: IntOrTensor) -> int | Tensor:
    return value if isinstance(value, Tensor) else int(value)


def _top_k_indices(scores: Tensor, *, axis: Dim, k: int) -> tuple[Tensor, Dim]:
    """Indices of the ``k`` largest ``scores`` along ``axis`` (sorted, largest first)."""
    _, indices, k_dim = top_k(scores, axis=axis, k=k)
    return indices, k_dim


def _mask_v2(
    x: Tensor,
    *,
    mask_axis: Dim,
    pos: Tensor,
    max_amount: IntOrTensor,
    mask_value: int | float,
) -> Tensor:
    """``x`` with ``mask_axis`` positions ``pos .. pos + amount - 1`` set to ``mask_value``
    (``amount`` uniform in ``1 .. max_amount``, drawn per entry of ``pos``)."""
    size = length(mask_axis)
    amount = Random().uniform(list(pos.dims), "int32", minval=1, maxval=_scalar(max_amount + 1))
    pos2 = minimum(pos + amount, size)
    idxs = range_over_dim(mask_axis, sparse=False)
    inside = compare_bc(idxs, ">=", pos) & compare_bc(idxs, "<", pos2)
    return where(inside, mask_value, x)


def _v1_unsupported(name: str, replacement: str) -> UnsupportedPredecessorFeatureError:
    return UnsupportedPredecessorFeatureError(
        f"{name} (at {user_location(3)}): the predecessor's v1 SpecAugment ran TensorFlow code "
        "inside an `eval` layer; rc-nn emits no TF code into configs and does not provide it. "
        f"Use rc_nn.asr.specaugment.{replacement} (the predecessor's v2: same masking scheme "
        "from RETURNN layers; see docs/compat-items.md)."
    )


def specaugment_v1(x: object, **kwargs: object) -> Tensor:
    """Not provided (the predecessor's TF-code SpecAugment): raises
    :class:`rc_nn.UnsupportedPredecessorFeatureError`; use :func:`specaugment_v2`.

    Examples
    --------
    >>> import rc_nn as nn
    >>> from rc_nn.asr.specaugment import specaugment_v1
    >>> try:
    ...     specaugment_v1(None)
    ... except NotImplementedError as exc:
    ...     print("specaugment_v2" in str(exc))
    True
    """
    raise _v1_unsupported("specaugment_v1", "specaugment_v2")


def specaugment_v1_eval_func(**kwargs: object) -> Tensor:
    """Not provided (the predecessor's ``eval`` layer function of :func:`specaugment_v1`):
    raises :class:`rc_nn.UnsupportedPredecessorFeatureError`; use :func:`specaugment_v2`.

    Examples
    --------
    >>> from rc_nn.asr.specaugment import specaugment_v1_eval_func
    >>> try:
    ...     specaugment_v1_eval_func(source=None)
    ... except NotImplementedError as exc:
    ...     print(type(exc).__name__)
    UnsupportedPredecessorFeatureError
    """
    raise _v1_unsupported("specaugment_v1_eval_func", "specaugment_v2")


def random_mask_v1(x: object, **kwargs: object) -> Tensor:
    """Not provided (the predecessor's TF-code masking of :func:`specaugment_v1`): raises
    :class:`rc_nn.UnsupportedPredecessorFeatureError`; use :func:`random_mask_v2`.

    Examples
    --------
    >>> from rc_nn.asr.specaugment import random_mask_v1
    >>> try:
    ...     random_mask_v1(None, axis=None)
    ... except NotImplementedError as exc:
    ...     print("random_mask_v2" in str(exc))
    True
    """
    raise _v1_unsupported("random_mask_v1", "random_mask_v2")
