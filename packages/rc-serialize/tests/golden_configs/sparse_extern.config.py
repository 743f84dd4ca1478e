#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
vocab_dim = Dim(7, name="vocab", kind=Dim.Types.Feature)
emb_dim = Dim(3, name="emb", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "labels": {"dim_tags": [batch_dim, time_dim], "dtype": "int32", "sparse_dim": vocab_dim, "available_for_inference": True},
}

network = {
    "emb_weight": {"class": "variable", "shape": [vocab_dim, emb_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "emb/weight", "param_name": "param"},
    "output": {"class": "gather", "from": "emb_weight", "position": "data:labels", "axis": vocab_dim},
}
