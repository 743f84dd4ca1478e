#!rnn.py
# A config in the predecessor's style: it builds the model while RETURNN loads it and
# takes extern_data and network from `nn.get_returnn_config()`. Written for
# returnn_common; for rc only the import line changed.
# tests: packages/rc-serialize/tests/test_compat_entry.py runs it with `python -m returnn`.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pipeline_model import build_model

import rc_nn as nn  # was: from returnn_common import nn

nn.reset_default_root_name_ctx()
_net = build_model()
_config = nn.get_returnn_config().get_config_raw_dict(_net)

behavior_version = _config["behavior_version"]
extern_data = _config["extern_data"]
network = _config["network"]

# --- one short epoch on random data ---
from rc_serialize import ensure_native_op_cpu_only  # noqa: E402

ensure_native_op_cpu_only()
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
num_epochs = 1
batch_size = 10000
max_seqs = 2
optimizer = {"class": "adam"}
learning_rate = 0.01
model = "/tmp/rc-predecessor-style-example/model"
log = []
