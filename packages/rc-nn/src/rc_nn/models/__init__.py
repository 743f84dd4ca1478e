"""The model zoo: attention, Transformer, Conformer encoder, LSTM attention encoder-decoder.

Constructor and call signatures and attribute names follow the predecessor
(returnn_common), so parameter names are attribute paths like
``layers.0.self_att.qkv.weight`` and existing model code ports by changing the
import. Everything here is also exported from ``rc_nn`` itself.
"""

from ._attention import (
    CausalSelfAttention,
    CausalSelfAttentionState,
    CrossAttention,
    CrossAttentionEncoded,
    GenericSelfAttention,
    LearnedRelativePositionalEncoding,
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
from ._lstm_attention import (
    BlstmEncoder,
    BlstmSingleLayer,
    LstmAttentionDecoder,
    LstmAttentionDecoderState,
    LstmAttentionEncoded,
    LstmAttentionEncoderDecoder,
)
from ._transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
    "BlstmEncoder",
    "BlstmSingleLayer",
    "CausalSelfAttention",
    "CausalSelfAttentionState",
    "ConformerConvBlock",
    "ConformerConvSubsample",
    "ConformerEncoder",
    "ConformerEncoderLayer",
    "ConformerPositionwiseFeedForward",
    "CrossAttention",
    "CrossAttentionEncoded",
    "GenericSelfAttention",
    "LearnedRelativePositionalEncoding",
    "LstmAttentionDecoder",
    "LstmAttentionDecoderState",
    "LstmAttentionEncoded",
    "LstmAttentionEncoderDecoder",
    "RelPosSelfAttention",
    "SelfAttention",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "dot_attention",
    "relative_positional_encoding",
]
