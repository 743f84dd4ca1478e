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
* ``LSTM`` ``param_W`` / ``param_W_re``: TF (RETURNN's ``nativelstm2``) ``[in, 4*out]`` /
  ``[out, 4*out]``, torch ``[4*out, in]`` / ``[4*out, out]`` (``rf.LSTM``'s ``ff_weight`` and
  ``rec_weight``, which ``returnn/torch/frontend/_backend.py`` passes to ``torch.lstm`` as
  ``w_ih`` and ``w_hh``); ``param_b`` ``[4*out]`` on both. The ``4*out`` axis also holds the
  gates in another order: the native op's blocks are (cell input ``j``, input gate ``i``,
  forget gate ``f``, output gate ``o``), torch's are (``i``, ``f``, ``j``, ``o``); the
  conversion moves the blocks (:data:`LSTM_GATES_TORCH_FROM_TF`). Proven by values in
  ``tests/test_torch_lstm.py`` (RETURNN TF full-sequence LSTM vs RF torch LSTM).
* Not declared yet: ``ZoneoutLSTM`` (RETURNN's ``zoneoutlstm`` unit, another cell; a later
  coverage step of issue 14). Any other rc-nn class holding a parameter directly is not
  declared either. Both raise :class:`TorchLayoutError`, never a silent identity.

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

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy

import rc_nn

from ._convert_errors import TorchLayoutError
from ._errors import RecordVersionError

__all__ = [
    "LSTM_GATES_TORCH_FROM_TF",
    "TORCH_LAYOUTS",
    "TorchParamLayout",
    "torch_param_axes",
    "torch_param_layout",
    "torch_param_shape",
]

#: The record version that has ``ParamRecord.owner``.
_OWNER_SINCE = (1, 1)

#: Same axis order on both backends.
SAME = "same"
#: A (transposed) convolution filter: TF ``[*filter, a, b]`` -> torch ``[b, a, *filter]``.
CONV_FILTER = "conv_filter"

#: An LSTM weight: TF ``[x, 4*out]`` -> torch ``[4*out, x]``, gate blocks reordered.
LSTM_WEIGHT = "lstm_weight"
#: An LSTM bias: ``[4*out]`` on both, gate blocks reordered.
LSTM_BIAS = "lstm_bias"

#: Torch gate block ``k`` (``i, f, j, o``) is the native op's block ``LSTM_GATES_TORCH_FROM_TF[k]``
#: (``j, i, f, o``).
LSTM_GATES_TORCH_FROM_TF = (1, 2, 0, 3)

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
    "LSTM": {"param_W": LSTM_WEIGHT, "param_W_re": LSTM_WEIGHT, "param_b": LSTM_BIAS},
    "Module": {"*": SAME},
    "ParameterList": {"*": SAME},
}

#: Declared later (a later coverage step of issue 14): a clear error until then.
_NOT_YET = {
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
        owner and attribute (``ZoneoutLSTM``: a later coverage step).
    RecordVersionError
        (``RuntimeError``) the record is older than 1.1 (no ``ParamRecord.owner``).
    """
    return torch_param_layout(param, record).axes


@dataclasses.dataclass(frozen=True)
class TorchParamLayout:
    """How a parameter's TF value becomes its torch value, and back.

    ``axes``: the TF axes in torch order (``tf_value.transpose(axes)``). ``gates``: ``None``,
    or ``(axis, blocks)``: after the transpose, torch axis ``axis`` is split into
    ``len(blocks)`` equal blocks and torch block ``k`` is the TF block ``blocks[k]`` (the LSTM
    gate order).

    Examples
    --------
    >>> import numpy
    >>> layout = TorchParamLayout((1, 0), (0, (1, 2, 0, 3)))
    >>> tf_value = numpy.arange(8).reshape(1, 8)  # [in=1, 4*out=8], gate blocks j i f o
    >>> layout.to_torch(tf_value)[:, 0].tolist()  # [4*out, in], blocks i f j o
    [2, 3, 4, 5, 0, 1, 6, 7]
    >>> (layout.to_tf(layout.to_torch(tf_value)) == tf_value).all()
    np.True_
    """

    axes: tuple[int, ...]
    gates: tuple[int, tuple[int, ...]] | None = None

    def to_torch(self, value: Any) -> Any:
        """The torch value (numpy) of the TF value ``value`` (exact: only moves entries)."""
        out = numpy.transpose(numpy.asarray(value), self.axes)
        if self.gates is not None:
            axis, blocks = self.gates
            parts = numpy.split(out, len(blocks), axis=axis)
            out = numpy.concatenate([parts[b] for b in blocks], axis=axis)
        return numpy.ascontiguousarray(out)

    def to_tf(self, value: Any) -> Any:
        """The TF value (numpy) of the torch value ``value``; inverse of :meth:`to_torch`."""
        out = numpy.asarray(value)
        if self.gates is not None:
            axis, blocks = self.gates
            parts = numpy.split(out, len(blocks), axis=axis)
            out = numpy.concatenate([parts[int(k)] for k in numpy.argsort(blocks)], axis=axis)
        return numpy.ascontiguousarray(numpy.transpose(out, numpy.argsort(self.axes)))


def torch_param_layout(param: rc_nn.ParamRecord, record: rc_nn.BuildRecord) -> TorchParamLayout:
    """The parameter's torch layout: axes and gate reorder (the declarations of the table).

    Raises
    ------
    TorchLayoutError
        (``NotImplementedError``) no layout is declared for the parameter's
        owner and attribute (``ZoneoutLSTM``: a later coverage step).
    RecordVersionError
        (``RuntimeError``) the record is older than 1.1 (no ``ParamRecord.owner``).
    """
    ndim = len(param.dims)
    kind = _layout_kind(param, record)
    if kind == SAME:
        return TorchParamLayout(tuple(range(ndim)))
    if kind in (LSTM_WEIGHT, LSTM_BIAS):
        return _lstm_layout(param, record, kind)
    if ndim < 3:  # a conv filter has at least one filter dim and two channel dims
        raise TorchLayoutError(
            f"parameter {_name(param)} ({_where(param, record)}): a {param.owner} filter has "
            f"dims [*filter_size, in, out], but this one has {ndim} dims; was the attribute "
            "replaced by another parameter?"
        )
    nd = ndim - 2
    return TorchParamLayout((nd + 1, nd, *range(nd)))


def _lstm_layout(
    param: rc_nn.ParamRecord, record: rc_nn.BuildRecord, kind: str
) -> TorchParamLayout:
    ndim = 2 if kind == LSTM_WEIGHT else 1
    gate_size = record.dims[param.dims[-1]].size if param.dims else None
    if len(param.dims) != ndim or gate_size is None or gate_size % 4:
        raise TorchLayoutError(
            f"parameter {_name(param)} ({_where(param, record)}): an nn.{param.owner} "
            f"{'weight' if ndim == 2 else 'bias'} has {ndim} dim(s), the last one 4*out_dim "
            f"(the gates), but this one has dims of sizes "
            f"{[record.dims[d].size for d in param.dims]}; was the attribute replaced by "
            "another parameter?"
        )
    if kind == LSTM_WEIGHT:
        return TorchParamLayout((1, 0), (0, LSTM_GATES_TORCH_FROM_TF))
    return TorchParamLayout((0,), (0, LSTM_GATES_TORCH_FROM_TF))


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
            f"layout is not declared yet ({_NOT_YET[owner]}); ZoneoutLSTM is a later "
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
