"""Parameter layouts on RETURNN's PyTorch backend, declared once per rc-nn module type (N9).

A parameter's dims in the build record (``ParamRecord.dims``) are its TF layout: the
order RETURNN's TF layers expect. On the PyTorch backend (``returnn.frontend``) a few
modules store their parameters in another order; :func:`torch_param_axes` says which.
The torch config creates each parameter with ``tuple(param.dims[i] for i in axes)`` and
``rc-serialize convert`` transposes checkpoint values with the same axes, so the two
agree by construction.

The declarations are a table keyed by the parameter's owner (``ParamRecord.owner``, the
public rc-nn class that holds it under its canonical path) and attribute
(``path[-1]``): one row per module type, not per model. A user's subclass of an rc-nn
module has its base's owner, so it keeps the base's layout. Declared here:

* ``Conv1d/2d/3d.filter``: TF ``[*filter_size, in/groups, out]``, RF/torch
  ``[out, in/groups, *filter_size]`` (``rf.Conv1d`` etc., ``returnn/frontend/conv.py``;
  torch's ``conv1d`` weight order). ``TransposedConv1d/2d/3d.filter``: TF
  ``[*filter_size, out, in]``, RF ``[in, out, *filter_size]`` (``rf.TransposedConv1d``,
  torch's ``conv_transpose1d``) — the same permutation.
* Same order on both (RF uses the same dims): ``Linear`` / ``Embedding`` ``weight``
  ``[in, out]`` and ``bias``, conv ``bias`` ``[out]``, ``LayerNorm`` / ``Normalize``
  ``scale``, ``bias``, ``BatchNorm`` ``running_mean``, ``running_variance``, ``gamma``,
  ``beta`` (all ``[in]``), ``RelPosSelfAttention`` ``pos_bias_u/v`` ``[heads, key/head]``,
  ``LearnedRelativePositionalEncoding.pos_emb`` ``[pos, feat]``, ``WeightNorm`` ``g`` and
  ``v`` (``v`` keeps the weight's rc dims; RF has no weight-norm module to follow), and
  parameters the user creates (owner ``Module``, ``ParameterList``, or no rc-nn holder):
  the user's code reads them by dims, there is no other convention to follow.
* Not declared yet: ``LSTM`` / ``ZoneoutLSTM`` (RF's ``rf.LSTM`` splits and reorders the
  gates; a later coverage step of issue 14). Any other rc-nn class holding a parameter
  directly is not declared either. Both raise :class:`TorchLayoutError`, never a silent
  identity.

Examples
--------
>>> import rc_nn as nn
>>> with nn.Root():
...     feat, time = nn.FeatureDim("feat", 3), nn.SpatialDim("time")
...     conv = nn.Conv1d(feat, nn.FeatureDim("out", 4), 5)
...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
...     _ = conv(x, in_spatial_dim=time)[0].mark_as_default_output()
...     record, _ = nn.build_record(conv)
>>> [(p.path, torch_param_axes(p, record)) for p in record.params]
[(('filter',), (2, 1, 0)), (('bias',), (0,))]
"""

from __future__ import annotations

from collections.abc import Mapping

import rc_nn

from ._convert_errors import TorchLayoutError
from ._errors import RecordVersionError

__all__ = ["TORCH_LAYOUTS", "torch_param_axes", "torch_param_shape"]

#: The record version that has ``ParamRecord.owner``.
_OWNER_SINCE = (1, 1)

#: Same axis order on both backends.
SAME = "same"
#: A (transposed) convolution filter: TF ``[*filter, a, b]`` -> torch ``[b, a, *filter]``.
CONV_FILTER = "conv_filter"

_CONV = {"filter": CONV_FILTER, "bias": SAME}

#: owner class -> attribute -> layout kind; ``"*"``: every attribute of that owner.
TORCH_LAYOUTS: Mapping[str, Mapping[str, str]] = {
    "Linear": {"weight": SAME, "bias": SAME},
    "Embedding": {"weight": SAME},
    "Conv1d": _CONV,
    "Conv2d": _CONV,
    "Conv3d": _CONV,
    "TransposedConv1d": _CONV,
    "TransposedConv2d": _CONV,
    "TransposedConv3d": _CONV,
    "LayerNorm": {"scale": SAME, "bias": SAME},
    "Normalize": {"scale": SAME, "bias": SAME},
    "BatchNorm": {"running_mean": SAME, "running_variance": SAME, "gamma": SAME, "beta": SAME},
    "RelPosSelfAttention": {"pos_bias_u": SAME, "pos_bias_v": SAME},
    "LearnedRelativePositionalEncoding": {"pos_emb": SAME},
    "WeightNorm": {"g": SAME, "v": SAME},
    "Module": {"*": SAME},
    "ParameterList": {"*": SAME},
}

#: Declared later (issue 14's LSTM coverage step): a clear error until then.
_NOT_YET = {
    "LSTM": "RF's rf.LSTM keeps separate input/recurrent weights with another gate order",
    "ZoneoutLSTM": "RF's rf.ZoneoutLSTM keeps separate input/recurrent weights with another gate order",
}


def torch_param_axes(param: rc_nn.ParamRecord, record: rc_nn.BuildRecord) -> tuple[int, ...]:
    """The parameter's torch axes: positions in ``param.dims`` (its TF layout), in torch order.

    The torch parameter is ``tf_value.transpose(axes)`` (numpy), with dims
    ``tuple(param.dims[i] for i in axes)``. See the module docstring for the
    declarations and an example.

    Raises
    ------
    TorchLayoutError
        (``NotImplementedError``) no layout is declared for the parameter's
        owner and attribute (LSTM weights: a later coverage step).
    RecordVersionError
        (``RuntimeError``) the record is older than 1.1 (no ``ParamRecord.owner``).
    """
    ndim = len(param.dims)
    kind = _layout_kind(param, record)
    if kind == SAME:
        return tuple(range(ndim))
    if ndim < 3:  # a conv filter has at least one filter dim and two channel dims
        raise TorchLayoutError(
            f"parameter {_name(param)} ({_where(param, record)}): a {param.owner} filter has "
            f"dims [*filter_size, in, out], but this one has {ndim} dims; was the attribute "
            "replaced by another parameter?"
        )
    nd = ndim - 2
    return (nd + 1, nd, *range(nd))


def torch_param_shape(param: rc_nn.ParamRecord, record: rc_nn.BuildRecord) -> tuple[int, ...]:
    """The parameter's static shape in torch order (dynamic dims as -1).

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     lin = nn.Linear(nn.FeatureDim("a", 2), nn.FeatureDim("b", 3))
    ...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, lin.in_dim]))
    ...     _ = lin(x).mark_as_default_output()
    ...     record, _ = nn.build_record(lin)
    >>> torch_param_shape(record.params[0], record)
    (2, 3)
    """
    sizes = [record.dims[d].size for d in param.dims]
    return tuple(
        -1 if sizes[i] is None else int(sizes[i] or 0) for i in torch_param_axes(param, record)
    )


def _layout_kind(param: rc_nn.ParamRecord, record: rc_nn.BuildRecord) -> str:
    if tuple(record.version) < _OWNER_SINCE:
        raise RecordVersionError(
            f"build record {record.version[0]}.{record.version[1]} has no ParamRecord.owner, "
            f"which the PyTorch parameter layouts need (record {_OWNER_SINCE[0]}."
            f"{_OWNER_SINCE[1]}); install a newer rc-nn together with this rc-serialize"
        )
    owner = param.owner
    if owner is None:  # no path (an error elsewhere) or a holder that is no rc-nn object
        return SAME
    attribute = param.path[-1] if param.path else ""
    if owner in _NOT_YET:
        raise TorchLayoutError(
            f"parameter {_name(param)} ({_where(param, record)}) of nn.{owner}: its PyTorch "
            f"layout is not declared yet ({_NOT_YET[owner]}); LSTM parameters are a later "
            "coverage step of the PyTorch backend (docs/returnn-coverage.md). Use the TF "
            "backend for this model for now."
        )
    declared = TORCH_LAYOUTS.get(owner)
    kind = None if declared is None else declared.get(attribute, declared.get("*"))
    if kind is None:
        raise TorchLayoutError(
            f"parameter {_name(param)} ({_where(param, record)}): no PyTorch layout is declared "
            f"for attribute {attribute!r} of nn.{owner} (see 'PyTorch parameter layouts' in "
            "rc-serialize's README). Hold your own parameters in your own nn.Module subclass, "
            "or report the missing declaration."
        )
    return kind


def _name(param: rc_nn.ParamRecord) -> str:
    return ".".join(param.path) if param.path else "<unreachable>"


def _where(param: rc_nn.ParamRecord, record: rc_nn.BuildRecord) -> str:
    return f"created at {record.layers[param.layer].created_at}"
