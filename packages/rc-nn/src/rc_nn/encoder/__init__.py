"""Encoder interfaces of the predecessor (``returnn_common.nn.encoder``).

``rc_nn.encoder.base``: ``IEncoder``, ``ISeqFramewiseEncoder``, ``ISeqDownsamplingEncoder``;
``rc_nn.encoder.blstm``: ``BlstmEncoder``, ``BlstmSingleLayer``.
"""

from . import base, blstm
from .base import IEncoder, ISeqDownsamplingEncoder, ISeqFramewiseEncoder

__all__ = ["IEncoder", "ISeqDownsamplingEncoder", "ISeqFramewiseEncoder", "base", "blstm"]
