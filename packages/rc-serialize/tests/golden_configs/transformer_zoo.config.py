#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
out_time_dim = Dim(None, name="out-time", kind=Dim.Types.Spatial)
vocab_dim = Dim(5, name="vocab", kind=Dim.Types.Feature)
model_dim = Dim(8, name="model", kind=Dim.Types.Feature)
d3_model_dim = 3 * model_dim
model_in_dim = Dim(8, name="model:in", kind=Dim.Types.Feature)
ff_dim = Dim(12, name="ff", kind=Dim.Types.Feature)
model_in2_dim = Dim(8, name="model:in", kind=Dim.Types.Feature)
model_in3_dim = Dim(8, name="model:in", kind=Dim.Types.Feature)
d2_model_dim = 2 * model_dim
model_in4_dim = Dim(8, name="model:in", kind=Dim.Types.Feature)
num_heads_dim = Dim(2, name="num_heads", kind=Dim.Types.Spatial)
model_l_2_dim = Dim(4, name="model /l 2", kind=Dim.Types.Feature)
d3_model_l_2_dim = 3 * model_l_2_dim
time_kv_dim = Dim(None, name="time:kv", kind=Dim.Types.Spatial)
num_heads2_dim = Dim(2, name="num_heads", kind=Dim.Types.Spatial)
d2_model_l_2_dim = 2 * model_l_2_dim
num_heads3_dim = Dim(2, name="num_heads", kind=Dim.Types.Spatial)
out_time_kv_dim = Dim(None, name="out-time:kv", kind=Dim.Types.Spatial)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
    "classes": {"dim_tags": [batch_dim, out_time_dim], "dtype": "int32", "sparse_dim": vocab_dim},
}

network = {
    "encoder_input_projection_weight": {"class": "variable", "shape": [f_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/input_projection/weight", "param_name": "param"},
    "encoder_input_projection_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/input_projection/bias", "param_name": "param"},
    "encoder_layers_0_self_attn_qkv_weight": {"class": "variable", "shape": [model_dim, d3_model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/0/self_attn/qkv/weight", "param_name": "param"},
    "encoder_layers_0_self_attn_qkv_bias": {"class": "variable", "shape": [d3_model_dim], "init": 0.0, "name_scope": "encoder/layers/0/self_attn/qkv/bias", "param_name": "param"},
    "encoder_layers_0_self_attn_proj_weight": {"class": "variable", "shape": [model_in_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/0/self_attn/proj/weight", "param_name": "param"},
    "encoder_layers_0_self_attn_proj_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/0/self_attn/proj/bias", "param_name": "param"},
    "encoder_layers_0_linear_ff_weight": {"class": "variable", "shape": [model_dim, ff_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/0/linear_ff/weight", "param_name": "param"},
    "encoder_layers_0_linear_ff_bias": {"class": "variable", "shape": [ff_dim], "init": 0.0, "name_scope": "encoder/layers/0/linear_ff/bias", "param_name": "param"},
    "encoder_layers_0_linear_out_weight": {"class": "variable", "shape": [ff_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/0/linear_out/weight", "param_name": "param"},
    "encoder_layers_0_linear_out_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/0/linear_out/bias", "param_name": "param"},
    "encoder_layers_0_self_att_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "encoder/layers/0/self_att_norm/scale", "param_name": "param"},
    "encoder_layers_0_self_att_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/0/self_att_norm/bias", "param_name": "param"},
    "encoder_layers_0_ff_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "encoder/layers/0/ff_norm/scale", "param_name": "param"},
    "encoder_layers_0_ff_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/0/ff_norm/bias", "param_name": "param"},
    "encoder_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "encoder/norm/scale", "param_name": "param"},
    "encoder_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/norm/bias", "param_name": "param"},
    "decoder_input_embedding_weight": {"class": "variable", "shape": [vocab_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/input_embedding/weight", "param_name": "param"},
    "decoder_layers_0_self_attn_qkv_weight": {"class": "variable", "shape": [model_dim, d3_model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/self_attn/qkv/weight", "param_name": "param"},
    "decoder_layers_0_self_attn_qkv_bias": {"class": "variable", "shape": [d3_model_dim], "init": 0.0, "name_scope": "decoder/layers/0/self_attn/qkv/bias", "param_name": "param"},
    "decoder_layers_0_self_attn_proj_weight": {"class": "variable", "shape": [model_in2_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/self_attn/proj/weight", "param_name": "param"},
    "decoder_layers_0_self_attn_proj_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/self_attn/proj/bias", "param_name": "param"},
    "decoder_layers_0_cross_attn_q_weight": {"class": "variable", "shape": [model_in3_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/cross_attn/q/weight", "param_name": "param"},
    "decoder_layers_0_cross_attn_q_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/cross_attn/q/bias", "param_name": "param"},
    "decoder_layers_0_cross_attn_kv_weight": {"class": "variable", "shape": [model_dim, d2_model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/cross_attn/kv/weight", "param_name": "param"},
    "decoder_layers_0_cross_attn_kv_bias": {"class": "variable", "shape": [d2_model_dim], "init": 0.0, "name_scope": "decoder/layers/0/cross_attn/kv/bias", "param_name": "param"},
    "decoder_layers_0_cross_attn_proj_weight": {"class": "variable", "shape": [model_in4_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/cross_attn/proj/weight", "param_name": "param"},
    "decoder_layers_0_cross_attn_proj_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/cross_attn/proj/bias", "param_name": "param"},
    "decoder_layers_0_linear_ff_weight": {"class": "variable", "shape": [model_dim, ff_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/linear_ff/weight", "param_name": "param"},
    "decoder_layers_0_linear_ff_bias": {"class": "variable", "shape": [ff_dim], "init": 0.0, "name_scope": "decoder/layers/0/linear_ff/bias", "param_name": "param"},
    "decoder_layers_0_linear_out_weight": {"class": "variable", "shape": [ff_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/layers/0/linear_out/weight", "param_name": "param"},
    "decoder_layers_0_linear_out_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/linear_out/bias", "param_name": "param"},
    "decoder_layers_0_self_att_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "decoder/layers/0/self_att_norm/scale", "param_name": "param"},
    "decoder_layers_0_self_att_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/self_att_norm/bias", "param_name": "param"},
    "decoder_layers_0_cross_att_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "decoder/layers/0/cross_att_norm/scale", "param_name": "param"},
    "decoder_layers_0_cross_att_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/cross_att_norm/bias", "param_name": "param"},
    "decoder_layers_0_ff_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "decoder/layers/0/ff_norm/scale", "param_name": "param"},
    "decoder_layers_0_ff_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/layers/0/ff_norm/bias", "param_name": "param"},
    "decoder_final_layer_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "decoder/final_layer_norm/scale", "param_name": "param"},
    "decoder_final_layer_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "decoder/final_layer_norm/bias", "param_name": "param"},
    "decoder_logits_weight": {"class": "variable", "shape": [model_dim, vocab_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/logits/weight", "param_name": "param"},
    "encoder_input_projection": {"class": "linear", "from": "data", "in_dim": f_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_input_projection_weight"}, "b": {"layer_output": "encoder_input_projection_bias"}}}},
    "encoder_layers_0_self_att_norm": {"class": "layer_norm", "from": "encoder_input_projection", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_layers_0_self_att_norm_scale"}, "bias": {"layer_output": "encoder_layers_0_self_att_norm_bias"}}}},
    "encoder_layers_0_self_attn_qkv": {"class": "linear", "from": "encoder_layers_0_self_att_norm", "in_dim": model_dim, "out_dim": d3_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_self_attn_qkv_weight"}, "b": {"layer_output": "encoder_layers_0_self_attn_qkv_bias"}}}},
    "encoder_layers_0_self_attn_split_dims": {"class": "split_dims", "from": "encoder_layers_0_self_attn_qkv", "axis": d3_model_dim, "dims": [num_heads_dim, d3_model_l_2_dim]},
    "encoder_layers_0_self_attn_split": {"class": "split", "from": "encoder_layers_0_self_attn_split_dims", "axis": d3_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim, model_l_2_dim]},
    "encoder_layers_0_self_attn_replace_dim": {"class": "reinterpret_data", "from": "encoder_layers_0_self_attn_split/1", "set_dim_tags": {time_dim: time_kv_dim}},
    "encoder_layers_0_self_attn_replace_dim_1": {"class": "reinterpret_data", "from": "encoder_layers_0_self_attn_split/2", "set_dim_tags": {time_dim: time_kv_dim}},
    "encoder_layers_0_self_attn_mul": {"class": "eval", "from": "encoder_layers_0_self_attn_split/0", "eval": "source(0) * 0.5"},
    "encoder_layers_0_self_attn_dot": {"class": "dot", "from": ["encoder_layers_0_self_attn_mul", "encoder_layers_0_self_attn_replace_dim"], "reduce": model_l_2_dim},
    "encoder_layers_0_self_attn_softmax": {"class": "softmax_over_spatial", "from": "encoder_layers_0_self_attn_dot", "axis": time_kv_dim},
    "encoder_layers_0_self_attn_dot_1": {"class": "dot", "from": ["encoder_layers_0_self_attn_softmax", "encoder_layers_0_self_attn_replace_dim_1"], "reduce": time_kv_dim},
    "encoder_layers_0_self_attn_reshape": {"class": "reshape", "from": "encoder_layers_0_self_attn_dot_1", "in_dims": [num_heads_dim, model_l_2_dim], "out_dims": [model_dim]},
    "encoder_layers_0_self_attn_proj_replace_dim": {"class": "reinterpret_data", "from": "encoder_layers_0_self_attn_reshape", "set_dim_tags": {model_dim: model_in_dim}},
    "encoder_layers_0_self_attn_proj_dot": {"class": "dot", "from": ["encoder_layers_0_self_attn_proj_replace_dim", "encoder_layers_0_self_attn_proj_weight"], "reduce": model_in_dim},
    "encoder_layers_0_self_attn_proj": {"class": "combine", "from": ["encoder_layers_0_self_attn_proj_dot", "encoder_layers_0_self_attn_proj_bias"], "kind": "add"},
    "encoder_layers_0_add": {"class": "combine", "from": ["encoder_input_projection", "encoder_layers_0_self_attn_proj"], "kind": "add"},
    "encoder_layers_0_ff_norm": {"class": "layer_norm", "from": "encoder_layers_0_add", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_layers_0_ff_norm_scale"}, "bias": {"layer_output": "encoder_layers_0_ff_norm_bias"}}}},
    "encoder_layers_0_linear_ff": {"class": "linear", "from": "encoder_layers_0_ff_norm", "in_dim": model_dim, "out_dim": ff_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_linear_ff_weight"}, "b": {"layer_output": "encoder_layers_0_linear_ff_bias"}}}},
    "encoder_layers_0_relu": {"class": "activation", "from": "encoder_layers_0_linear_ff", "activation": "relu"},
    "encoder_layers_0_linear_out": {"class": "linear", "from": "encoder_layers_0_relu", "in_dim": ff_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_linear_out_weight"}, "b": {"layer_output": "encoder_layers_0_linear_out_bias"}}}},
    "encoder_layers_0": {"class": "combine", "from": ["encoder_layers_0_add", "encoder_layers_0_linear_out"], "kind": "add"},
    "encoder_norm": {"class": "layer_norm", "from": "encoder_layers_0", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_norm_scale"}, "bias": {"layer_output": "encoder_norm_bias"}}}},
    "decoder_layers_0_cross_attn_kv": {"class": "linear", "from": "encoder_norm", "in_dim": model_dim, "out_dim": d2_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "decoder_layers_0_cross_attn_kv_weight"}, "b": {"layer_output": "decoder_layers_0_cross_attn_kv_bias"}}}},
    "split_dims": {"class": "split_dims", "from": "decoder_layers_0_cross_attn_kv", "axis": d2_model_dim, "dims": [num_heads2_dim, d2_model_l_2_dim]},
    "split": {"class": "split", "from": "split_dims", "axis": d2_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim]},
    "shift_right": {"class": "shift_axis", "from": "data:classes", "axis": out_time_dim, "amount": 1, "pad": True, "pad_value": 0, "adjust_size_info": False},
    "decoder_input_embedding": {"class": "gather", "from": "decoder_input_embedding_weight", "position": "shift_right", "axis": vocab_dim},
    "decoder_mul": {"class": "eval", "from": "decoder_input_embedding", "eval": "source(0) * 2.8284271247461903"},
    "decoder_layers_0_self_att_norm": {"class": "layer_norm", "from": "decoder_mul", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "decoder_layers_0_self_att_norm_scale"}, "bias": {"layer_output": "decoder_layers_0_self_att_norm_bias"}}}},
    "decoder_layers_0_self_attn_qkv": {"class": "linear", "from": "decoder_layers_0_self_att_norm", "in_dim": model_dim, "out_dim": d3_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "decoder_layers_0_self_attn_qkv_weight"}, "b": {"layer_output": "decoder_layers_0_self_attn_qkv_bias"}}}},
    "decoder_layers_0_self_attn_split_dims": {"class": "split_dims", "from": "decoder_layers_0_self_attn_qkv", "axis": d3_model_dim, "dims": [num_heads3_dim, d3_model_l_2_dim]},
    "decoder_layers_0_self_attn_split": {"class": "split", "from": "decoder_layers_0_self_attn_split_dims", "axis": d3_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim, model_l_2_dim]},
    "decoder_layers_0_self_attn_replace_dim": {"class": "reinterpret_data", "from": "decoder_layers_0_self_attn_split/1", "set_dim_tags": {out_time_dim: out_time_kv_dim}},
    "decoder_layers_0_self_attn_replace_dim_1": {"class": "reinterpret_data", "from": "decoder_layers_0_self_attn_split/2", "set_dim_tags": {out_time_dim: out_time_kv_dim}},
    "decoder_layers_0_self_attn_mul": {"class": "eval", "from": "decoder_layers_0_self_attn_split/0", "eval": "source(0) * 0.5"},
    "decoder_layers_0_self_attn_dot": {"class": "dot", "from": ["decoder_layers_0_self_attn_mul", "decoder_layers_0_self_attn_replace_dim"], "reduce": model_l_2_dim},
    "decoder_layers_0_self_attn_range_over_dim": {"class": "range_in_axis", "from": [], "axis": out_time_dim, "dtype": "int32"},
    "decoder_layers_0_self_attn_replace_dim_2": {"class": "reinterpret_data", "from": "decoder_layers_0_self_attn_range_over_dim", "set_dim_tags": {out_time_dim: out_time_kv_dim}},
    "decoder_layers_0_self_attn_less_equal": {"class": "compare", "from": ["decoder_layers_0_self_attn_replace_dim_2", "decoder_layers_0_self_attn_range_over_dim"], "kind": "less_equal", "allow_broadcast_all_sources": True},
    "decoder_layers_0_self_attn_where": {"class": "switch", "condition": "decoder_layers_0_self_attn_less_equal", "true_from": "decoder_layers_0_self_attn_dot", "false_from": -1e+30},
    "decoder_layers_0_self_attn_softmax": {"class": "softmax_over_spatial", "from": "decoder_layers_0_self_attn_where", "axis": out_time_kv_dim},
    "decoder_layers_0_self_attn_dot_1": {"class": "dot", "from": ["decoder_layers_0_self_attn_softmax", "decoder_layers_0_self_attn_replace_dim_1"], "reduce": out_time_kv_dim},
    "decoder_layers_0_self_attn_reshape": {"class": "reshape", "from": "decoder_layers_0_self_attn_dot_1", "in_dims": [num_heads3_dim, model_l_2_dim], "out_dims": [model_dim]},
    "decoder_layers_0_self_attn_proj_replace_dim": {"class": "reinterpret_data", "from": "decoder_layers_0_self_attn_reshape", "set_dim_tags": {model_dim: model_in2_dim}},
    "decoder_layers_0_self_attn_proj_dot": {"class": "dot", "from": ["decoder_layers_0_self_attn_proj_replace_dim", "decoder_layers_0_self_attn_proj_weight"], "reduce": model_in2_dim},
    "decoder_layers_0_self_attn_proj": {"class": "combine", "from": ["decoder_layers_0_self_attn_proj_dot", "decoder_layers_0_self_attn_proj_bias"], "kind": "add"},
    "decoder_layers_0_add": {"class": "combine", "from": ["decoder_mul", "decoder_layers_0_self_attn_proj"], "kind": "add"},
    "decoder_layers_0_cross_att_norm": {"class": "layer_norm", "from": "decoder_layers_0_add", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "decoder_layers_0_cross_att_norm_scale"}, "bias": {"layer_output": "decoder_layers_0_cross_att_norm_bias"}}}},
    "decoder_layers_0_cross_attn_q": {"class": "linear", "from": "decoder_layers_0_cross_att_norm", "in_dim": model_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "decoder_layers_0_cross_attn_q_weight"}, "b": {"layer_output": "decoder_layers_0_cross_attn_q_bias"}}}},
    "decoder_layers_0_cross_attn_split_dims": {"class": "split_dims", "from": "decoder_layers_0_cross_attn_q", "axis": model_dim, "dims": [num_heads2_dim, model_l_2_dim]},
    "decoder_layers_0_cross_attn_mul": {"class": "eval", "from": "decoder_layers_0_cross_attn_split_dims", "eval": "source(0) * 0.5"},
    "decoder_layers_0_cross_attn_dot": {"class": "dot", "from": ["decoder_layers_0_cross_attn_mul", "split/0"], "reduce": model_l_2_dim},
    "decoder_layers_0_cross_attn_softmax": {"class": "softmax_over_spatial", "from": "decoder_layers_0_cross_attn_dot", "axis": time_dim},
    "decoder_layers_0_cross_attn_dot_1": {"class": "dot", "from": ["decoder_layers_0_cross_attn_softmax", "split/1"], "reduce": time_dim},
    "decoder_layers_0_cross_attn_reshape": {"class": "reshape", "from": "decoder_layers_0_cross_attn_dot_1", "in_dims": [num_heads2_dim, model_l_2_dim], "out_dims": [model_dim]},
    "decoder_layers_0_cross_attn_proj_replace_dim": {"class": "reinterpret_data", "from": "decoder_layers_0_cross_attn_reshape", "set_dim_tags": {model_dim: model_in4_dim}},
    "decoder_layers_0_cross_attn_proj_dot": {"class": "dot", "from": ["decoder_layers_0_cross_attn_proj_replace_dim", "decoder_layers_0_cross_attn_proj_weight"], "reduce": model_in4_dim},
    "decoder_layers_0_cross_attn_proj": {"class": "combine", "from": ["decoder_layers_0_cross_attn_proj_dot", "decoder_layers_0_cross_attn_proj_bias"], "kind": "add"},
    "decoder_layers_0_add_1": {"class": "combine", "from": ["decoder_layers_0_add", "decoder_layers_0_cross_attn_proj"], "kind": "add"},
    "decoder_layers_0_ff_norm": {"class": "layer_norm", "from": "decoder_layers_0_add_1", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "decoder_layers_0_ff_norm_scale"}, "bias": {"layer_output": "decoder_layers_0_ff_norm_bias"}}}},
    "decoder_layers_0_linear_ff": {"class": "linear", "from": "decoder_layers_0_ff_norm", "in_dim": model_dim, "out_dim": ff_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "decoder_layers_0_linear_ff_weight"}, "b": {"layer_output": "decoder_layers_0_linear_ff_bias"}}}},
    "decoder_layers_0_relu": {"class": "activation", "from": "decoder_layers_0_linear_ff", "activation": "relu"},
    "decoder_layers_0_linear_out": {"class": "linear", "from": "decoder_layers_0_relu", "in_dim": ff_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "decoder_layers_0_linear_out_weight"}, "b": {"layer_output": "decoder_layers_0_linear_out_bias"}}}},
    "decoder_layers_0": {"class": "combine", "from": ["decoder_layers_0_add_1", "decoder_layers_0_linear_out"], "kind": "add"},
    "decoder_final_layer_norm": {"class": "layer_norm", "from": "decoder_layers_0", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "decoder_final_layer_norm_scale"}, "bias": {"layer_output": "decoder_final_layer_norm_bias"}}}},
    "output": {"class": "linear", "from": "decoder_final_layer_norm", "in_dim": model_dim, "out_dim": vocab_dim, "with_bias": False, "reuse_params": {"map": {"W": {"layer_output": "decoder_logits_weight"}}}},
}
