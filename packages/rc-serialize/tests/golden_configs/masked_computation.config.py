#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(2, name="f", kind=Dim.Types.Feature)
f_in_dim = Dim(2, name="f:in", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "lin_weight": {"class": "variable", "shape": [f_in_dim, f_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "lin/weight", "param_name": "param"},
    "lin_bias": {"class": "variable", "shape": [f_dim], "init": 0.0, "name_scope": "lin/bias", "param_name": "param"},
    "constant": {"class": "constant", "value": 0.0, "shape": [batch_dim, f_dim], "dtype": "float32"},
    "loop": {"class": "rec", "from": [], "unit": {"unstack": {"class": "rec_unstack", "from": "base:data:data", "axis": time_dim}, "reduce_sum": {"class": "reduce", "from": "unstack", "mode": "sum", "axis": f_dim}, "greater": {"class": "compare", "from": "reduce_sum", "kind": "greater", "value": 0.0}, "masked": {"class": "masked_computation", "from": [], "mask": "greater", "unit": {"class": "subnetwork", "from": [], "subnetwork": {"lin": {"class": "linear", "from": "base:unstack", "in_dim": f_dim, "out_dim": f_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "base:base:lin_weight"}, "b": {"layer_output": "base:base:lin_bias"}}}}, "add": {"class": "combine", "from": ["base:prev:acc", "lin"], "kind": "add"}, "output": {"class": "copy", "from": "add"}}}}, "unmask": {"class": "unmask", "from": "masked", "mask": "greater"}, "output": {"class": "copy", "from": "unmask", "is_output_layer": True}, "acc": {"class": "copy", "from": "unmask", "initial_output": "base:constant"}}, "axis": time_dim},
    "output": {"class": "copy", "from": "loop"},
    "mul": {"class": "combine", "from": ["loop", "loop"], "kind": "mul"},
    "l2": {"class": "reduce", "from": "mul", "mode": "sum", "axis": [time_dim, f_dim], "loss": "as_is"},
}
