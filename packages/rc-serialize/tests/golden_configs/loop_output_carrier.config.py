#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(2, name="f", kind=Dim.Types.Feature)
f_in_dim = Dim(2, name="f:in", kind=Dim.Types.Feature)
loop_dim = Dim(None, name="loop", kind=Dim.Types.Spatial)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "lin_weight": {"class": "variable", "shape": [f_in_dim, f_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "lin/weight", "param_name": "param"},
    "lin_bias": {"class": "variable", "shape": [f_dim], "init": 0.0, "name_scope": "lin/bias", "param_name": "param"},
    "loop": {"class": "rec", "from": [], "unit": {"lin": {"class": "linear", "from": "prev:h", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "base:lin_weight"}, "b": {"layer_output": "base:lin_bias"}}}}, "tanh": {"class": "activation", "from": "lin", "activation": "tanh"}, "i": {"class": "copy", "from": ":i"}, "greater_equal": {"class": "compare", "from": "i", "kind": "greater_equal", "value": 2}, "end": {"class": "copy", "from": "greater_equal"}, "tanh_1": {"class": "copy", "from": "tanh", "is_output_layer": True}, "output": {"class": "copy", "from": "end"}, "tanh_last": {"class": "copy", "from": "tanh", "need_last": True}, "h": {"class": "copy", "from": "tanh", "initial_output": "base:data:data"}}, "axis": loop_dim, "max_seq_len": 4, "include_eos": True},
    "output": {"class": "copy", "from": "loop/tanh_1"},
    "last": {"class": "rec_last_output", "rec_layer": "loop", "sub_layer_name": "tanh_last", "is_output_layer": True},
}
