"""rc-nn: lazy PyTorch-like modules that describe RETURNN networks.

Build a model like in PyTorch; calling it records RETURNN layers instead of
computing. Nothing here imports TensorFlow. Serialize with rc-serialize.

Examples
--------
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
from ._compat_entry import (
    DebugEagerModeUnsupportedError,
    NameCtx,
    RcSerializeMissingError,
    ReturnnConfigSerializer,
    disable_debug_eager_mode,
    enable_debug_eager_mode,
    extra_net_dict,
    get_returnn_config,
    get_returnn_config_serialized,
    is_debug_eager_mode_enabled,
    reset_default_root_name_ctx,
)
from ._compat_ops import (
    NotSpecified,
    combine_bc,
    compare_bc,
    concat_features,
    copy,
    global_train_step,
    inverse_window,
    ones_like,
    prev_target_seq,
    range_from_length,
    reduce_out,
    repeat,
    resize,
    safe_log,
    set_sparse_dim,
    stft,
    train_flag,
    zeros_like,
)
from ._cond import Cond
from ._containers import Functional, ModuleDict, ModuleList, ParameterList, Sequential
from ._control import ControlFlowError
from ._conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    TransposedConv1d,
    TransposedConv2d,
    TransposedConv3d,
    make_conv_out_spatial_dims,
)
from ._cum_concat import cum_concat_step
from ._dim_ops import glu, replace_dim
from ._dims import Data, Dim, FeatureDim, SpatialDim, batch_dim, single_step_dim
from ._errors import (
    AxisError,
    DeclarationTypeError,
    DimMismatchError,
    DimSizeError,
    DottedNameError,
    ExternDataConflictError,
    ExternDataKeyError,
    NoOutputError,
    NotADimError,
    NotATensorError,
    PredecessorNameError,
    RcNnError,
    TensorCopyError,
    UnsupportedPredecessorFeatureError,
)
from ._extern import get_extern_data
from ._gather import gather, one_hot, top_k, where
from ._hooks import RemovableHandle, register_call_post_hook
from ._layer_state import LayerState
from ._linear import Embedding, Linear
from ._loop import Loop
from ._loss import (
    binary_cross_entropy,
    cross_entropy,
    ctc_loss,
    kl_div,
    mean_squared_difference,
    sparse_softmax_cross_entropy_with_logits,
)
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
from ._naming_root import naming_root_of
from ._norm import BatchNorm, LayerNorm, Normalize, moments, normalize
from ._parameter import Parameter
from ._pool import pool, pool1d, pool2d
from ._predecessor_names import predecessor_name_error as _predecessor_name_error
from ._rand_module import Random, random, random_label, random_truncated_normal
from ._random import random_bernoulli, random_normal, random_uniform
from ._range import cumsum, dim_value, length, range_over_dim
from ._returnn_fallback import ReturnnFallbackError
from ._search import choice, decide
from ._shape import expand_dim, merge_dims, reshape, split, split_dims, squeeze
from ._slice import pad, slice, slice_nd, window
from ._tensor import Tensor
from ._transducer import transducer_time_sync_full_sum_neg_log_prob
from ._weight_utils import (
    WeightNorm,
    remove_weight_norm,
    variational_weight_noise,
    weight_dropout,
    weight_norm,
)
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
    "DebugEagerModeUnsupportedError",
    "DeclarationTypeError",
    "Dim",
    "DimMismatchError",
    "DimSizeError",
    "DottedNameError",
    "Embedding",
    "ExternDataConflictError",
    "ExternDataKeyError",
    "FeatureDim",
    "Functional",
    "GenericSelfAttention",
    "LayerNorm",
    "LayerState",
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
    "NameCtx",
    "NoOutputError",
    "Normalize",
    "NotADimError",
    "NotATensorError",
    "NotSpecified",
    "Parameter",
    "ParameterList",
    "PredecessorNameError",
    "Random",
    "RcNnError",
    "RcSerializeMissingError",
    "RelPosSelfAttention",
    "RemovableHandle",
    "ReturnnConfigSerializer",
    "ReturnnFallbackError",
    "Root",
    "SelfAttention",
    "Sequential",
    "SpatialDim",
    "Tensor",
    "TensorCopyError",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TransposedConv1d",
    "TransposedConv2d",
    "TransposedConv3d",
    "UnsupportedPredecessorFeatureError",
    "WeightNorm",
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
    "combine_bc",
    "compare",
    "compare_bc",
    "concat",
    "concat_features",
    "constant",
    "copy",
    "cross_entropy",
    "ctc_loss",
    "cum_concat_step",
    "cumsum",
    "current_root",
    "decide",
    "dim_value",
    "disable_debug_eager_mode",
    "dot",
    "dot_attention",
    "dropout",
    "elu",
    "enable_debug_eager_mode",
    "exp",
    "expand_dim",
    "extra_net_dict",
    "floor",
    "gather",
    "gelu",
    "get_extern_data",
    "get_returnn_config",
    "get_returnn_config_serialized",
    "global_train_step",
    "glu",
    "init",
    "inverse_window",
    "is_debug_eager_mode_enabled",
    "kl_div",
    "length",
    "log",
    "log1p",
    "log_sigmoid",
    "log_softmax",
    "logical_not",
    "make_conv_out_spatial_dims",
    "make_layer",
    "maximum",
    "mean_squared_difference",
    "merge_dims",
    "minimum",
    "moments",
    "naming_root_of",
    "neg",
    "normalize",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pool",
    "pool1d",
    "pool2d",
    "prev_target_seq",
    "random",
    "random_bernoulli",
    "random_label",
    "random_normal",
    "random_truncated_normal",
    "random_uniform",
    "range_from_length",
    "range_over_dim",
    "reduce",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_out",
    "reduce_sum",
    "register_call_post_hook",
    "relative_positional_encoding",
    "relu",
    "remove_weight_norm",
    "repeat",
    "replace_dim",
    "reset_default_root",
    "reset_default_root_name_ctx",
    "reshape",
    "resize",
    "rsqrt",
    "safe_log",
    "selu",
    "set_sparse_dim",
    "sigmoid",
    "silu",
    "single_step_dim",
    "slice",
    "slice_nd",
    "softmax",
    "sparse_softmax_cross_entropy_with_logits",
    "split",
    "split_dims",
    "sqrt",
    "square",
    "squeeze",
    "stft",
    "stop_gradient",
    "swish",
    "tanh",
    "top_k",
    "train_flag",
    "transducer_time_sync_full_sum_neg_log_prob",
    "variational_weight_noise",
    "weight_dropout",
    "weight_norm",
    "where",
    "window",
    "zeros",
    "zeros_like",
]


# The predecessor's submodules as attributes (``nn.hybrid_hmm.HybridHMM``,
# ``nn.encoder.base.IEncoder``, ...) without importing them first, as recipes use them.
# Imported last: they build on the names above (no TensorFlow, no cycle).
from . import asr as asr
from . import conformer as conformer
from . import encoder as encoder
from . import hybrid_hmm as hybrid_hmm
from . import models as models


def __getattr__(name: str) -> object:
    # Only called for names not found: a predecessor name gets a clear error.
    error = _predecessor_name_error(name)
    if error is not None:
        raise error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}", name=name, obj=None)
