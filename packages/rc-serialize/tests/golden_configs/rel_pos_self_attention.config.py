#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
model_dim = Dim(4, name="model", kind=Dim.Types.Feature)
d3_model_dim = 3 * model_dim
model_in_dim = Dim(4, name="model:in", kind=Dim.Types.Feature)
model_in2_dim = Dim(4, name="model:in", kind=Dim.Types.Feature)
num_heads_dim = Dim(2, name="num_heads", kind=Dim.Types.Spatial)
model_l_2_dim = Dim(2, name="model /l 2", kind=Dim.Types.Feature)
time_1_dim = time_dim + -1
time_1_time_dim = time_1_dim + time_dim
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
    "att_linear_pos_weight": {"class": "variable", "shape": [model_in2_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "att/linear_pos/weight", "param_name": "param"},
    "att_pos_bias_u": {"class": "variable", "shape": [num_heads_dim, model_l_2_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "att/pos_bias_u", "param_name": "param"},
    "att_pos_bias_v": {"class": "variable", "shape": [num_heads_dim, model_l_2_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "att/pos_bias_v", "param_name": "param"},
    "att_length": {"class": "length", "from": [], "axis": time_dim},
    "att_reduce_max": {"class": "reduce", "from": "att_length", "mode": "max", "axis": batch_dim, "use_time_mask": False},
    "att_sub": {"class": "eval", "from": "att_reduce_max", "eval": "source(0) - 1"},
    "att_range_over_dim": {"class": "range_in_axis", "from": [], "axis": time_1_time_dim, "dtype": "int32"},
    "att_sub_1": {"class": "combine", "from": ["att_range_over_dim", "att_sub"], "kind": "sub"},
    "att_range_over_dim_1": {"class": "range_in_axis", "from": [], "axis": model_l_2_dim, "dtype": "int32"},
    "att_cast": {"class": "cast", "from": "att_range_over_dim_1", "dtype": "float32"},
    "att_mul": {"class": "eval", "from": "att_cast", "eval": "source(0) * -4.605170185988092"},
    "att_exp": {"class": "activation", "from": "att_mul", "activation": "exp"},
    "att_cast_1": {"class": "cast", "from": "att_sub_1", "dtype": "float32"},
    "att_mul_1": {"class": "combine", "from": ["att_cast_1", "att_exp"], "kind": "mul", "allow_broadcast_all_sources": True},
    "att_sin": {"class": "activation", "from": "att_mul_1", "activation": "sin"},
    "att_add": {"class": "eval", "from": "att_mul_1", "eval": "source(0) + 1.5707963267948966"},
    "att_sin_1": {"class": "activation", "from": "att_add", "activation": "sin"},
    "att_concat": {"class": "concat", "from": [["att_sin", model_l_2_dim], ["att_sin_1", model_l_2_dim]], "out_dim": model_dim},
    "att_linear_pos": {"class": "linear", "from": "att_concat", "in_dim": model_dim, "out_dim": model_dim, "with_bias": False, "reuse_params": {"map": {"W": {"layer_output": "att_linear_pos_weight"}}}},
    "att_split_dims": {"class": "split_dims", "from": "att_linear_pos", "axis": model_dim, "dims": [num_heads_dim, model_l_2_dim]},
    "att_qkv": {"class": "linear", "from": "data", "in_dim": model_dim, "out_dim": d3_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "att_qkv_weight"}, "b": {"layer_output": "att_qkv_bias"}}}},
    "att_split_dims_1": {"class": "split_dims", "from": "att_qkv", "axis": d3_model_dim, "dims": [num_heads_dim, d3_model_l_2_dim]},
    "att_split": {"class": "split", "from": "att_split_dims_1", "axis": d3_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim, model_l_2_dim]},
    "att_replace_dim": {"class": "reinterpret_data", "from": "att_split/1", "set_dim_tags": {time_dim: time_kv_dim}},
    "att_replace_dim_1": {"class": "reinterpret_data", "from": "att_split/2", "set_dim_tags": {time_dim: time_kv_dim}},
    "att_add_1": {"class": "combine", "from": ["att_split/0", "att_pos_bias_u"], "kind": "add"},
    "att_add_2": {"class": "combine", "from": ["att_split/0", "att_pos_bias_v"], "kind": "add"},
    "att_dot": {"class": "dot", "from": ["att_add_1", "att_replace_dim"], "reduce": model_l_2_dim},
    "att_dot_1": {"class": "dot", "from": ["att_add_2", "att_split_dims"], "reduce": model_l_2_dim},
    "att_range_over_dim_2": {"class": "range_in_axis", "from": [], "axis": time_dim, "dtype": "int32"},
    "att_replace_dim_2": {"class": "reinterpret_data", "from": "att_range_over_dim_2", "set_dim_tags": {time_dim: time_kv_dim}},
    "att_sub_2": {"class": "combine", "from": ["att_replace_dim_2", "att_range_over_dim_2"], "kind": "sub", "allow_broadcast_all_sources": True},
    "att_add_3": {"class": "combine", "from": ["att_sub_2", "att_sub"], "kind": "add"},
    "att_gather": {"class": "gather", "from": "att_dot_1", "position": "att_add_3", "axis": time_1_time_dim},
    "att_add_4": {"class": "combine", "from": ["att_dot", "att_gather"], "kind": "add"},
    "att_mul_2": {"class": "eval", "from": "att_add_4", "eval": "source(0) * 0.7071067811865476"},
    "att_softmax": {"class": "softmax_over_spatial", "from": "att_mul_2", "axis": time_kv_dim},
    "att_dropout": {"class": "dropout", "from": "att_softmax", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, num_heads_dim: 1, time_dim: 1}},
    "att_dot_2": {"class": "dot", "from": ["att_dropout", "att_replace_dim_1"], "reduce": time_kv_dim},
    "att_reshape": {"class": "reshape", "from": "att_dot_2", "in_dims": [num_heads_dim, model_l_2_dim], "out_dims": [model_dim]},
    "att_proj_replace_dim": {"class": "reinterpret_data", "from": "att_reshape", "set_dim_tags": {model_dim: model_in_dim}},
    "att_proj_dot": {"class": "dot", "from": ["att_proj_replace_dim", "att_proj_weight"], "reduce": model_in_dim},
    "att_proj": {"class": "combine", "from": ["att_proj_dot", "att_proj_bias"], "kind": "add"},
    "output": {"class": "combine", "from": ["data", "att_proj"], "kind": "add"},
}
