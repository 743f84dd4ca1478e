"""rc-nn: lazy PyTorch-like modules that describe RETURNN networks.

Build a model like in PyTorch; calling it records RETURNN layers instead of
computing. Nothing here imports TensorFlow. Serialize with rc-serialize.

Example:
    >>> import rc_nn as nn
    >>> time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 8), nn.FeatureDim("out", 4)
    >>> x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
    >>> y = nn.Linear(feat, out)(x)
    >>> y.dims == (nn.batch_dim, time, out)
    True
"""

from rc_naming import Root, current_root, reset_default_root

from . import _init as init
from ._array import (
    cast,
    concat,
    constant,
    dot,
    dropout,
    log_softmax,
    make_layer,
    ones,
    reduce,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    softmax,
    stop_gradient,
    zeros,
)
from ._cond import Cond
from ._containers import ModuleDict, ModuleList, ParameterList, Sequential
from ._control import ControlFlowError
from ._conv import Conv1d, Conv2d, Conv3d, TransposedConv1d, TransposedConv2d
from ._cum_concat import cum_concat_step
from ._dim_ops import glu, replace_dim
from ._dims import Data, Dim, FeatureDim, SpatialDim, batch_dim, single_step_dim
from ._errors import AxisError, DimMismatchError, NoOutputError, NotATensorError, RcNnError
from ._extern import get_extern_data
from ._gather import gather, one_hot, top_k, where
from ._linear import Embedding, Linear
from ._loop import Loop
from ._loss import binary_cross_entropy, cross_entropy, ctc_loss, kl_div, mean_squared_difference
from ._lstm import LSTM, LstmState, ZoneoutLSTM
from ._masked import MaskedComputation
from ._math import (
    abs_,
    activation,
    ceil,
    clip_by_value,
    combine,
    compare,
    elu,
    exp,
    floor,
    gelu,
    log,
    log1p,
    log_sigmoid,
    logical_not,
    maximum,
    minimum,
    neg,
    relu,
    rsqrt,
    selu,
    sigmoid,
    silu,
    sqrt,
    square,
    swish,
    tanh,
)
from ._module import Module
from ._norm import BatchNorm, LayerNorm, Normalize, moments, normalize
from ._parameter import Parameter
from ._pool import pool, pool1d, pool2d
from ._random import random_bernoulli, random_normal, random_uniform
from ._range import cumsum, dim_value, length, range_over_dim
from ._search import choice, decide
from ._shape import expand_dim, merge_dims, reshape, split, split_dims, squeeze
from ._slice import pad, slice, slice_nd, window
from ._tensor import Tensor
from .models import (
    BlstmEncoder,
    BlstmSingleLayer,
    CausalSelfAttention,
    CausalSelfAttentionState,
    ConformerConvBlock,
    ConformerConvSubsample,
    ConformerEncoder,
    ConformerEncoderLayer,
    ConformerPositionwiseFeedForward,
    CrossAttention,
    CrossAttentionEncoded,
    GenericSelfAttention,
    LearnedRelativePositionalEncoding,
    LstmAttentionDecoder,
    LstmAttentionDecoderState,
    LstmAttentionEncoded,
    LstmAttentionEncoderDecoder,
    RelPosSelfAttention,
    SelfAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    dot_attention,
    relative_positional_encoding,
)

__version__ = "0.2.0"

__all__ = [
    "LSTM",
    "AxisError",
    "BatchNorm",
    "BlstmEncoder",
    "BlstmSingleLayer",
    "CausalSelfAttention",
    "CausalSelfAttentionState",
    "Cond",
    "ConformerConvBlock",
    "ConformerConvSubsample",
    "ConformerEncoder",
    "ConformerEncoderLayer",
    "ConformerPositionwiseFeedForward",
    "ControlFlowError",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "CrossAttention",
    "CrossAttentionEncoded",
    "Data",
    "Dim",
    "DimMismatchError",
    "Embedding",
    "FeatureDim",
    "GenericSelfAttention",
    "LayerNorm",
    "LearnedRelativePositionalEncoding",
    "Linear",
    "Loop",
    "LstmAttentionDecoder",
    "LstmAttentionDecoderState",
    "LstmAttentionEncoded",
    "LstmAttentionEncoderDecoder",
    "LstmState",
    "MaskedComputation",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NoOutputError",
    "Normalize",
    "NotATensorError",
    "Parameter",
    "ParameterList",
    "RcNnError",
    "RelPosSelfAttention",
    "Root",
    "SelfAttention",
    "Sequential",
    "SpatialDim",
    "Tensor",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TransposedConv1d",
    "TransposedConv2d",
    "ZoneoutLSTM",
    "__version__",
    "abs_",
    "activation",
    "batch_dim",
    "binary_cross_entropy",
    "cast",
    "ceil",
    "choice",
    "clip_by_value",
    "combine",
    "compare",
    "concat",
    "constant",
    "cross_entropy",
    "ctc_loss",
    "cum_concat_step",
    "cumsum",
    "current_root",
    "decide",
    "dim_value",
    "dot",
    "dot_attention",
    "dropout",
    "elu",
    "exp",
    "expand_dim",
    "floor",
    "gather",
    "gelu",
    "get_extern_data",
    "glu",
    "init",
    "kl_div",
    "length",
    "log",
    "log1p",
    "log_sigmoid",
    "log_softmax",
    "logical_not",
    "make_layer",
    "maximum",
    "mean_squared_difference",
    "merge_dims",
    "minimum",
    "moments",
    "neg",
    "normalize",
    "one_hot",
    "ones",
    "pad",
    "pool",
    "pool1d",
    "pool2d",
    "random_bernoulli",
    "random_normal",
    "random_uniform",
    "range_over_dim",
    "reduce",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_sum",
    "relative_positional_encoding",
    "relu",
    "replace_dim",
    "reset_default_root",
    "reshape",
    "rsqrt",
    "selu",
    "sigmoid",
    "silu",
    "single_step_dim",
    "slice",
    "slice_nd",
    "softmax",
    "split",
    "split_dims",
    "sqrt",
    "square",
    "squeeze",
    "stop_gradient",
    "swish",
    "tanh",
    "top_k",
    "where",
    "window",
    "zeros",
]
