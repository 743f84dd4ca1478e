"""Torch/RF layout of parameters: how a parameter's dims are ordered in the torch config.

The per-module declarations (conv filters, LSTM weights, ...) come with the checkpoint
conversion work (``rc-serialize convert``); until then every parameter keeps the dim
order of its record, which is also RF's order for the modules the torch backend covers
(``Linear``: ``[in, out]``, norms: ``[dim]``).
"""

from __future__ import annotations

import rc_nn

__all__ = ["torch_param_axes"]


def torch_param_axes(param: rc_nn.ParamRecord, record: rc_nn.BuildRecord) -> tuple[int, ...]:
    """The permutation ``p`` of ``param.dims`` that gives the torch parameter's dims.

    The torch parameter's dims are ``tuple(param.dims[i] for i in p)``; its values are
    the TF variable's values transposed by ``p`` (``numpy.transpose(value, p)``).

    Examples
    --------
    >>> torch_param_axes(rc_nn.ParamRecord(0, ("w",), True, (1, 2), "float32"), None)
    (0, 1)
    """
    del record  # the declarations per module come with the convert work
    return tuple(range(len(param.dims)))
