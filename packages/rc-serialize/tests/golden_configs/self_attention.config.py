#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
model_dim = Dim(4, name="model", kind=Dim.Types.Feature)
d3_model_dim = 3 * model_dim
model_in_dim = Dim(4, name="model:in", kind=Dim.Types.Feature)
num_heads_dim = Dim(2, name="num_heads", kind=Dim.Types.Spatial)
model_l_2_dim = Dim(2, name="model /l 2", kind=Dim.Types.Feature)
d3_model_l_2_dim = 3 * model_l_2_dim
time_kv_dim = Dim(None, name="time:kv", kind=Dim.Types.Spatial)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, model_dim], "dtype": "float32"},
}

network = {
    "att_qkv_weight": {"class": "variable", "shape": [model_dim, d3_model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "att/qkv/weight", "param_name": "param"},
    "att_qkv_bias": {"class": "variable", "shape": [d3_model_dim], "init": 0.0, "name_scope": "att/qkv/bias", "param_name": "param"},
    "att_proj_weight": {"class": "variable", "shape": [model_in_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "att/proj/weight", "param_name": "param"},
    "att_proj_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "att/proj/bias", "param_name": "param"},
    "att_qkv": {"class": "linear", "from": "data", "in_dim": model_dim, "out_dim": d3_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "att_qkv_weight"}, "b": {"layer_output": "att_qkv_bias"}}}},
    "att_split_dims": {"class": "split_dims", "from": "att_qkv", "axis": d3_model_dim, "dims": [num_heads_dim, d3_model_l_2_dim]},
    "att_split": {"class": "split", "from": "att_split_dims", "axis": d3_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim, model_l_2_dim]},
    "att_replace_dim": {"class": "reinterpret_data", "from": "att_split/1", "set_dim_tags": {time_dim: time_kv_dim}},
    "att_replace_dim_1": {"class": "reinterpret_data", "from": "att_split/2", "set_dim_tags": {time_dim: time_kv_dim}},
    "att_mul": {"class": "eval", "from": "att_split/0", "eval": "source(0) * 0.7071067811865476"},
    "att_dot": {"class": "dot", "from": ["att_mul", "att_replace_dim"], "reduce": model_l_2_dim},
    "att_softmax": {"class": "softmax_over_spatial", "from": "att_dot", "axis": time_kv_dim},
    "att_dropout": {"class": "dropout", "from": "att_softmax", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, num_heads_dim: 1, time_dim: 1}},
    "att_dot_1": {"class": "dot", "from": ["att_dropout", "att_replace_dim_1"], "reduce": time_kv_dim},
    "att_reshape": {"class": "reshape", "from": "att_dot_1", "in_dims": [num_heads_dim, model_l_2_dim], "out_dims": [model_dim]},
    "att_proj_replace_dim": {"class": "reinterpret_data", "from": "att_reshape", "set_dim_tags": {model_dim: model_in_dim}},
    "att_proj_dot": {"class": "dot", "from": ["att_proj_replace_dim", "att_proj_weight"], "reduce": model_in_dim},
    "att_proj": {"class": "combine", "from": ["att_proj_dot", "att_proj_bias"], "kind": "add"},
    "output": {"class": "combine", "from": ["data", "att_proj"], "kind": "add"},
}
