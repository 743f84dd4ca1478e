"""The predecessor's ``returnn_common.nn.encoder.blstm`` import path: ``BlstmEncoder``,
``BlstmSingleLayer`` (the classes at the top level of ``rc_nn``).

Examples
--------
>>> import rc_nn
>>> from rc_nn.encoder.blstm import BlstmEncoder
>>> BlstmEncoder is rc_nn.BlstmEncoder
True
"""

from ..models import BlstmEncoder, BlstmSingleLayer

__all__ = ["BlstmEncoder", "BlstmSingleLayer"]
