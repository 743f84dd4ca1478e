"""rc-serialize: turn a called rc-nn model into a RETURNN config.

Examples
--------
>>> import rc_nn as nn
>>> from rc_serialize import get_returnn_config_serialized
>>> with nn.Root():
...     feat = nn.FeatureDim("in", 3)
...     x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
...     net = nn.Linear(feat, nn.FeatureDim("out", 2))
...     _ = net(x).mark_as_default_output()
...     print(get_returnn_config_serialized(net).splitlines()[0])
#!rnn.py
"""

from ._checkpoint_errors import CheckpointPathError, CheckpointVariableError
from ._checkpoints import (
    CheckpointDiff,
    checkpoint_diff,
    migrate_checkpoint,
    migration_mapping,
    model_names_and_shapes,
    model_picture,
    preload_config_code,
    read_checkpoint_shapes,
    variable_to_path,
)
from ._code import DimNamer, py_code
from ._config import (
    DEFAULT_BEHAVIOR_VERSION,
    ReturnnConfigPieces,
    get_returnn_config_serialized,
)
from ._convert import ConvertResult, convert_checkpoint
from ._convert_errors import (
    CheckpointFormatError,
    MissingParameterError,
    ParameterShapeError,
    TorchLayoutError,
    UnexpectedParameterError,
)
from ._errors import (
    BackendError,
    ControlFlowError,
    ExtraNetDictError,
    InitialValueShapeError,
    InvalidParameterNameError,
    MarkInsideBlockError,
    NoOutputError,
    NotAModuleError,
    ParamNamingError,
    RcSerializeError,
    RecordVersionError,
    RootMismatchError,
    UnreachableError,
)
from ._final import ParamNaming, SerializedNetwork, build_network
from ._pycode import ConfigCodeError
from ._returnn_check import ensure_native_op_cpu_only
from ._torch_errors import TorchNameError, TorchNotCoveredError
from ._version import __version__

__all__ = [
    "DEFAULT_BEHAVIOR_VERSION",
    "BackendError",
    "CheckpointDiff",
    "CheckpointFormatError",
    "CheckpointPathError",
    "CheckpointVariableError",
    "ConfigCodeError",
    "ControlFlowError",
    "ConvertResult",
    "DimNamer",
    "ExtraNetDictError",
    "InitialValueShapeError",
    "InvalidParameterNameError",
    "MarkInsideBlockError",
    "MissingParameterError",
    "NoOutputError",
    "NotAModuleError",
    "ParamNaming",
    "ParamNamingError",
    "ParameterShapeError",
    "RcSerializeError",
    "RecordVersionError",
    "ReturnnConfigPieces",
    "RootMismatchError",
    "SerializedNetwork",
    "TorchLayoutError",
    "TorchNameError",
    "TorchNotCoveredError",
    "UnexpectedParameterError",
    "UnreachableError",
    "__version__",
    "build_network",
    "checkpoint_diff",
    "convert_checkpoint",
    "ensure_native_op_cpu_only",
    "get_returnn_config_serialized",
    "migrate_checkpoint",
    "migration_mapping",
    "model_names_and_shapes",
    "model_picture",
    "preload_config_code",
    "py_code",
    "read_checkpoint_shapes",
    "variable_to_path",
]
