#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
f_in_dim = Dim(3, name="f:in", kind=Dim.Types.Feature)
f_in2_dim = Dim(3, name="f:in", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "lin_weight": {"class": "variable", "shape": [f_in_dim, f_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "lin/weight", "param_name": "param"},
    "lin_bias": {"class": "variable", "shape": [f_dim], "init": 0.0, "name_scope": "lin/bias", "param_name": "param"},
    "other_weight": {"class": "variable", "shape": [f_in2_dim, f_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "other/weight", "param_name": "param"},
    "other_bias": {"class": "variable", "shape": [f_dim], "init": 0.0, "name_scope": "other/bias", "param_name": "param"},
    "reduce_sum": {"class": "reduce", "from": "data", "mode": "sum", "axis": [batch_dim, time_dim, f_dim]},
    "greater": {"class": "compare", "from": "reduce_sum", "kind": "greater", "value": 0.0},
    "cond": {"class": "cond", "from": [], "condition": "greater", "true_layer": {"class": "subnetwork", "from": [], "subnetwork": {"lin": {"class": "linear", "from": "base:data:data", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "base:lin_weight"}, "b": {"layer_output": "base:lin_bias"}}}}, "tanh": {"class": "activation", "from": "lin", "activation": "tanh"}, "mul": {"class": "eval", "from": "lin", "eval": "source(0) * 2.0"}, "output": {"class": "copy", "from": "tanh"}, "result_1": {"class": "copy", "from": "mul", "is_output_layer": True}}}, "false_layer": {"class": "subnetwork", "from": [], "subnetwork": {"other": {"class": "linear", "from": "base:data:data", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "base:other_weight"}, "b": {"layer_output": "base:other_bias"}}}}, "lin": {"class": "linear", "from": "other", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "base:lin_weight"}, "b": {"layer_output": "base:lin_bias"}}}}, "negative": {"class": "activation", "from": "lin", "activation": "negative"}, "output": {"class": "copy", "from": "lin"}, "result_1": {"class": "copy", "from": "negative", "is_output_layer": True}}}},
    "output": {"class": "combine", "from": ["cond", "cond/result_1"], "kind": "add"},
    "mul": {"class": "combine", "from": ["output", "output"], "kind": "mul"},
    "l2": {"class": "reduce", "from": "mul", "mode": "sum", "axis": [time_dim, f_dim], "loss": "as_is"},
}
