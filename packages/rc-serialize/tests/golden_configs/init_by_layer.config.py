#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim
import numpy

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
out_dim = Dim(2, name="out", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "lin_bias": {"class": "variable", "shape": [out_dim], "init": numpy.array([0.25, -0.5], dtype="float32"), "name_scope": "lin/bias", "param_name": "param"},
    "lin_weight_normalized_g": {"class": "variable", "shape": [out_dim], "init_by_layer": "sqrt", "name_scope": "lin/weight_normalized/g", "param_name": "param"},
    "lin_weight_normalized_v": {"class": "variable", "shape": [f_dim, out_dim], "init_by_layer": "random", "name_scope": "lin/weight_normalized/v", "param_name": "param"},
    "random": {"class": "random", "shape": [f_dim, out_dim], "dtype": "float32", "static": True, "distribution": "uniform", "minval": -1.0954451150103324, "maxval": 1.0954451150103324},
    "square": {"class": "activation", "from": "random", "activation": "square"},
    "reduce_sum": {"class": "reduce", "from": "square", "mode": "sum", "axis": f_dim},
    "add": {"class": "eval", "from": "reduce_sum", "eval": "source(0) + 1e-06"},
    "sqrt": {"class": "activation", "from": "add", "activation": "sqrt"},
    "square_1": {"class": "activation", "from": "lin_weight_normalized_v", "activation": "square"},
    "reduce_sum_1": {"class": "reduce", "from": "square_1", "mode": "sum", "axis": f_dim},
    "add_1": {"class": "eval", "from": "reduce_sum_1", "eval": "source(0) + 1e-06"},
    "rsqrt": {"class": "activation", "from": "add_1", "activation": "rsqrt"},
    "mul": {"class": "combine", "from": ["lin_weight_normalized_g", "rsqrt"], "kind": "mul"},
    "mul_1": {"class": "combine", "from": ["lin_weight_normalized_v", "mul"], "kind": "mul"},
    "output": {"class": "linear", "from": "data", "in_dim": f_dim, "out_dim": out_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "mul_1"}, "b": {"layer_output": "lin_bias"}}}},
}
