"""The predecessor's ``returnn_common.nn.conformer`` import path: rc-nn's Conformer modules.

The same classes as at the top level of ``rc_nn`` (``rc_nn.conformer.ConformerEncoder is
rc_nn.ConformerEncoder``); same parameter names as the predecessor's.

Examples
--------
>>> import rc_nn
>>> from rc_nn.conformer import ConformerEncoder
>>> ConformerEncoder is rc_nn.ConformerEncoder
True
"""

from .models import (
    ConformerConvBlock,
    ConformerConvSubsample,
    ConformerEncoder,
    ConformerEncoderLayer,
    ConformerPositionwiseFeedForward,
)

__all__ = [
    "ConformerConvBlock",
    "ConformerConvSubsample",
    "ConformerEncoder",
    "ConformerEncoderLayer",
    "ConformerPositionwiseFeedForward",
]
