#!rnn.py
"""A RETURNN config that builds its network with rc while RETURNN loads it.

Instead of a generated net dict, this config imports the model code and asks rc
for the net dict at load time (RETURNN calls ``get_network`` once per epoch).
Use it when the model code should be the single source of truth, e.g. in a
pipeline that passes hyperparameters into the factory.

Train one short epoch on random data (the settings below), with rc and RETURNN
installed:

    python -m returnn examples/get_network_config.py
"""

import rc_nn as nn
from rc_serialize import DEFAULT_BEHAVIOR_VERSION, ReturnnConfigPieces, ensure_native_op_cpu_only
from rc_serialize._example import build_example  # your model factory goes here

# A CPU build of TF next to a CUDA toolkit: compile RETURNN's native ops (CTC here) for the CPU.
ensure_native_op_cpu_only()


def _build_pieces() -> ReturnnConfigPieces:
    # A root of its own: the config file can be loaded twice in one process.
    with nn.Root("config"):
        return ReturnnConfigPieces(build_example())


_pieces = _build_pieces()

behavior_version = DEFAULT_BEHAVIOR_VERSION
extern_data = _pieces.extern_data_dict


def get_network(epoch: int, **_kwargs: object) -> dict:
    """The net dict for ``epoch``; its dims are the very objects of ``extern_data``."""
    return _pieces.network_dict


# --- one short training epoch on random data (delete for real training) ---
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
model = "/tmp/rc-get-network-example/model"
log = []
