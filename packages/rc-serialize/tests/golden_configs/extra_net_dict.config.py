#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
f_in_dim = Dim(3, name="f:in", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "lin_weight": {"class": "variable", "shape": [f_in_dim, f_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "lin/weight", "param_name": "param"},
    "lin_bias": {"class": "variable", "shape": [f_dim], "init": 0.0, "name_scope": "lin/bias", "param_name": "param"},
    "output": {"class": "linear", "from": "data", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "lin_weight"}, "b": {"layer_output": "lin_bias"}}}},
    "#config": {"learning_rate": 0.1, "note": 'quote " and \\ backslash'},
    "#copy_param_mode": "subset",
}
