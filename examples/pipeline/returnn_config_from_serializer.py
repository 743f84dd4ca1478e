#!rnn.py
# What i6_experiments' returnn_common serialization (Collection with ExternData,
# Import and Network, see common/setups/returnn_common/serialization.py) writes into
# a RETURNN config, for the model in pipeline_model.py. The only change for rc is the
# import line: `import rc_nn as nn` instead of `from returnn_common import nn`.
# tests: packages/rc-serialize/tests/test_compat_entry.py runs it with `python -m returnn`.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rc_nn as nn  # was: from returnn_common import nn

# --- ExternData: dims, nn.Data templates, extern_data from their kwargs ---
audio_features = nn.FeatureDim("audio_features", 5)
audio_time = nn.SpatialDim("audio_time", None)
phonemes = nn.FeatureDim("phonemes", 4)
label_time = nn.SpatialDim("label_time", None)
audio_data = nn.Data(
    name="audio_data",
    dim_tags=[nn.batch_dim, audio_time, audio_features],
    available_for_inference=True,
)
label_data = nn.Data(
    name="label_data",
    dim_tags=[nn.batch_dim, label_time],
    sparse_dim=phonemes,
    available_for_inference=False,
    dtype="int32",
)
audio_data_args = audio_data.get_kwargs()
audio_data_args.pop("name")
label_data_args = label_data.get_kwargs()
label_data_args.pop("name")

extern_data = {
    "audio_data": audio_data_args,
    "label_data": label_data_args,
}

# --- Import: the network construction function ---
from pipeline_model import construct_network  # noqa: E402

# --- Network: get_network calls it with the templates and the hyperparameters ---
network_kwargs = {"hidden": 8, "audio_data": audio_data, "label_data": label_data}


def get_network(epoch, **kwargs):
    nn.reset_default_root_name_ctx()
    net = construct_network(epoch=epoch, **network_kwargs)
    return nn.get_returnn_config().get_net_dict_raw_dict(net)


# --- NonhashedCode / plain config settings: one short epoch on random data ---
from rc_serialize import ensure_native_op_cpu_only  # noqa: E402

ensure_native_op_cpu_only()
behavior_version = 21
backend = "tensorflow-net-dict"
task = "train"
device = "cpu"
train = {
    "class": "DummyGenericDataset",
    "data_template": extern_data,
    "num_seqs": 6,
    "seq_lens": (1, 7),
}
dev = None
num_epochs = 2
batch_size = 10000
max_seqs = 2
optimizer = {"class": "adam"}
learning_rate = 0.01
model = "/tmp/rc-pipeline-example/model"
log = []
