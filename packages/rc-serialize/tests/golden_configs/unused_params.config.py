#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
f_in_dim = Dim(3, name="f:in", kind=Dim.Types.Feature)
spare_dim = Dim(2, name="spare", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "used_weight": {"class": "variable", "shape": [f_in_dim, f_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "used/weight", "param_name": "param"},
    "used_bias": {"class": "variable", "shape": [f_dim], "init": 0.0, "name_scope": "used/bias", "param_name": "param"},
    "unused_weight": {"class": "variable", "shape": [f_dim, spare_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "unused/weight", "param_name": "param", "is_output_layer": True},
    "unused_bias": {"class": "variable", "shape": [spare_dim], "init": 0.0, "name_scope": "unused/bias", "param_name": "param", "is_output_layer": True},
    "output": {"class": "linear", "from": "data", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "used_weight"}, "b": {"layer_output": "used_bias"}}}},
}
