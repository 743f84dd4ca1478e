"""The model zoo: attention, Transformer encoder, Conformer encoder.

Constructor and call signatures and attribute names follow the predecessor
(returnn_common), so parameter names are attribute paths like
``layers.0.self_att.qkv.weight`` and existing model code ports by changing the
import. Everything here is also exported from ``rc_nn`` itself.
"""

from ._attention import (
    CausalSelfAttention,
    GenericSelfAttention,
    RelPosSelfAttention,
    SelfAttention,
    dot_attention,
    relative_positional_encoding,
)
from ._conformer import (
    ConformerConvBlock,
    ConformerConvSubsample,
    ConformerEncoder,
    ConformerEncoderLayer,
    ConformerPositionwiseFeedForward,
)
from ._transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "CausalSelfAttention",
    "ConformerConvBlock",
    "ConformerConvSubsample",
    "ConformerEncoder",
    "ConformerEncoderLayer",
    "ConformerPositionwiseFeedForward",
    "GenericSelfAttention",
    "RelPosSelfAttention",
    "SelfAttention",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "dot_attention",
    "relative_positional_encoding",
]
