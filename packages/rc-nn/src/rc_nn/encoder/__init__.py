"""Encoder interfaces of the predecessor (``returnn_common.nn.encoder``).

``rc_nn.encoder.base``: ``IEncoder``, ``ISeqFramewiseEncoder``, ``ISeqDownsamplingEncoder``.
"""

from . import base
from .base import IEncoder, ISeqDownsamplingEncoder, ISeqFramewiseEncoder

__all__ = ["IEncoder", "ISeqDownsamplingEncoder", "ISeqFramewiseEncoder", "base"]
