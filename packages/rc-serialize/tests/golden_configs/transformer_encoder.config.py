#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
in_dim = Dim(5, name="in", kind=Dim.Types.Feature)
cls_dim = Dim(3, name="cls", kind=Dim.Types.Feature)
model_dim = Dim(8, name="model", kind=Dim.Types.Feature)
d3_model_dim = 3 * model_dim
model_in_dim = Dim(8, name="model:in", kind=Dim.Types.Feature)
ff_dim = Dim(16, name="ff", kind=Dim.Types.Feature)
num_heads_dim = Dim(2, name="num_heads", kind=Dim.Types.Spatial)
model_l_2_dim = Dim(4, name="model /l 2", kind=Dim.Types.Feature)
d3_model_l_2_dim = 3 * model_l_2_dim
time_kv_dim = Dim(None, name="time:kv", kind=Dim.Types.Spatial)
time_kv2_dim = Dim(None, name="time:kv", kind=Dim.Types.Spatial)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, in_dim], "dtype": "float32"},
    "classes": {"dim_tags": [batch_dim, time_dim], "dtype": "int32", "sparse_dim": cls_dim, "available_for_inference": True},
}

network = {
    "encoder_input_projection_weight": {"class": "variable", "shape": [in_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/input_projection/weight", "param_name": "param"},
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
    "encoder_layers_1_self_attn_qkv_weight": {"class": "variable", "shape": [model_dim, d3_model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/1/self_attn/qkv/weight", "param_name": "param"},
    "encoder_layers_1_self_attn_qkv_bias": {"class": "variable", "shape": [d3_model_dim], "init": 0.0, "name_scope": "encoder/layers/1/self_attn/qkv/bias", "param_name": "param"},
    "encoder_layers_1_self_attn_proj_weight": {"class": "variable", "shape": [model_in_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/1/self_attn/proj/weight", "param_name": "param"},
    "encoder_layers_1_self_attn_proj_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/1/self_attn/proj/bias", "param_name": "param"},
    "encoder_layers_1_linear_ff_weight": {"class": "variable", "shape": [model_dim, ff_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/1/linear_ff/weight", "param_name": "param"},
    "encoder_layers_1_linear_ff_bias": {"class": "variable", "shape": [ff_dim], "init": 0.0, "name_scope": "encoder/layers/1/linear_ff/bias", "param_name": "param"},
    "encoder_layers_1_linear_out_weight": {"class": "variable", "shape": [ff_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "encoder/layers/1/linear_out/weight", "param_name": "param"},
    "encoder_layers_1_linear_out_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/1/linear_out/bias", "param_name": "param"},
    "encoder_layers_1_self_att_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "encoder/layers/1/self_att_norm/scale", "param_name": "param"},
    "encoder_layers_1_self_att_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/1/self_att_norm/bias", "param_name": "param"},
    "encoder_layers_1_ff_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "encoder/layers/1/ff_norm/scale", "param_name": "param"},
    "encoder_layers_1_ff_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/layers/1/ff_norm/bias", "param_name": "param"},
    "encoder_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "encoder/norm/scale", "param_name": "param"},
    "encoder_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "encoder/norm/bias", "param_name": "param"},
    "output_weight": {"class": "variable", "shape": [model_dim, cls_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "output/weight", "param_name": "param"},
    "output_bias": {"class": "variable", "shape": [cls_dim], "init": 0.0, "name_scope": "output/bias", "param_name": "param"},
    "encoder_input_projection": {"class": "linear", "from": "data", "in_dim": in_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_input_projection_weight"}, "b": {"layer_output": "encoder_input_projection_bias"}}}},
    "encoder_layers_0_self_att_norm": {"class": "layer_norm", "from": "encoder_input_projection", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_layers_0_self_att_norm_scale"}, "bias": {"layer_output": "encoder_layers_0_self_att_norm_bias"}}}},
    "encoder_layers_0_self_attn_qkv": {"class": "linear", "from": "encoder_layers_0_self_att_norm", "in_dim": model_dim, "out_dim": d3_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_self_attn_qkv_weight"}, "b": {"layer_output": "encoder_layers_0_self_attn_qkv_bias"}}}},
    "encoder_layers_0_self_attn_split_dims": {"class": "split_dims", "from": "encoder_layers_0_self_attn_qkv", "axis": d3_model_dim, "dims": [num_heads_dim, d3_model_l_2_dim]},
    "encoder_layers_0_self_attn_split": {"class": "split", "from": "encoder_layers_0_self_attn_split_dims", "axis": d3_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim, model_l_2_dim]},
    "encoder_layers_0_self_attn_replace_dim": {"class": "reinterpret_data", "from": "encoder_layers_0_self_attn_split/1", "set_dim_tags": {time_dim: time_kv_dim}},
    "encoder_layers_0_self_attn_replace_dim_1": {"class": "reinterpret_data", "from": "encoder_layers_0_self_attn_split/2", "set_dim_tags": {time_dim: time_kv_dim}},
    "encoder_layers_0_self_attn_mul": {"class": "eval", "from": "encoder_layers_0_self_attn_split/0", "eval": "source(0) * 0.5"},
    "encoder_layers_0_self_attn_dot": {"class": "dot", "from": ["encoder_layers_0_self_attn_mul", "encoder_layers_0_self_attn_replace_dim"], "reduce": model_l_2_dim},
    "encoder_layers_0_self_attn_softmax": {"class": "softmax_over_spatial", "from": "encoder_layers_0_self_attn_dot", "axis": time_kv_dim},
    "encoder_layers_0_self_attn_dropout": {"class": "dropout", "from": "encoder_layers_0_self_attn_softmax", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, num_heads_dim: 1, time_dim: 1}},
    "encoder_layers_0_self_attn_dot_1": {"class": "dot", "from": ["encoder_layers_0_self_attn_dropout", "encoder_layers_0_self_attn_replace_dim_1"], "reduce": time_kv_dim},
    "encoder_layers_0_self_attn_reshape": {"class": "reshape", "from": "encoder_layers_0_self_attn_dot_1", "in_dims": [num_heads_dim, model_l_2_dim], "out_dims": [model_dim]},
    "encoder_layers_0_self_attn_proj_replace_dim": {"class": "reinterpret_data", "from": "encoder_layers_0_self_attn_reshape", "set_dim_tags": {model_dim: model_in_dim}},
    "encoder_layers_0_self_attn_proj_dot": {"class": "dot", "from": ["encoder_layers_0_self_attn_proj_replace_dim", "encoder_layers_0_self_attn_proj_weight"], "reduce": model_in_dim},
    "encoder_layers_0_self_attn_proj": {"class": "combine", "from": ["encoder_layers_0_self_attn_proj_dot", "encoder_layers_0_self_attn_proj_bias"], "kind": "add"},
    "encoder_layers_0_dropout": {"class": "dropout", "from": "encoder_layers_0_self_attn_proj", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "encoder_layers_0_add": {"class": "combine", "from": ["encoder_input_projection", "encoder_layers_0_dropout"], "kind": "add"},
    "encoder_layers_0_ff_norm": {"class": "layer_norm", "from": "encoder_layers_0_add", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_layers_0_ff_norm_scale"}, "bias": {"layer_output": "encoder_layers_0_ff_norm_bias"}}}},
    "encoder_layers_0_linear_ff": {"class": "linear", "from": "encoder_layers_0_ff_norm", "in_dim": model_dim, "out_dim": ff_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_linear_ff_weight"}, "b": {"layer_output": "encoder_layers_0_linear_ff_bias"}}}},
    "encoder_layers_0_relu": {"class": "activation", "from": "encoder_layers_0_linear_ff", "activation": "relu"},
    "encoder_layers_0_dropout_1": {"class": "dropout", "from": "encoder_layers_0_relu", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "encoder_layers_0_linear_out": {"class": "linear", "from": "encoder_layers_0_dropout_1", "in_dim": ff_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_linear_out_weight"}, "b": {"layer_output": "encoder_layers_0_linear_out_bias"}}}},
    "encoder_layers_0_dropout_2": {"class": "dropout", "from": "encoder_layers_0_linear_out", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "encoder_layers_0": {"class": "combine", "from": ["encoder_layers_0_add", "encoder_layers_0_dropout_2"], "kind": "add"},
    "encoder_layers_1_self_att_norm": {"class": "layer_norm", "from": "encoder_layers_0", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_layers_1_self_att_norm_scale"}, "bias": {"layer_output": "encoder_layers_1_self_att_norm_bias"}}}},
    "encoder_layers_1_self_attn_qkv": {"class": "linear", "from": "encoder_layers_1_self_att_norm", "in_dim": model_dim, "out_dim": d3_model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_self_attn_qkv_weight"}, "b": {"layer_output": "encoder_layers_1_self_attn_qkv_bias"}}}},
    "encoder_layers_1_self_attn_split_dims": {"class": "split_dims", "from": "encoder_layers_1_self_attn_qkv", "axis": d3_model_dim, "dims": [num_heads_dim, d3_model_l_2_dim]},
    "encoder_layers_1_self_attn_split": {"class": "split", "from": "encoder_layers_1_self_attn_split_dims", "axis": d3_model_l_2_dim, "out_dims": [model_l_2_dim, model_l_2_dim, model_l_2_dim]},
    "encoder_layers_1_self_attn_replace_dim": {"class": "reinterpret_data", "from": "encoder_layers_1_self_attn_split/1", "set_dim_tags": {time_dim: time_kv2_dim}},
    "encoder_layers_1_self_attn_replace_dim_1": {"class": "reinterpret_data", "from": "encoder_layers_1_self_attn_split/2", "set_dim_tags": {time_dim: time_kv2_dim}},
    "encoder_layers_1_self_attn_mul": {"class": "eval", "from": "encoder_layers_1_self_attn_split/0", "eval": "source(0) * 0.5"},
    "encoder_layers_1_self_attn_dot": {"class": "dot", "from": ["encoder_layers_1_self_attn_mul", "encoder_layers_1_self_attn_replace_dim"], "reduce": model_l_2_dim},
    "encoder_layers_1_self_attn_softmax": {"class": "softmax_over_spatial", "from": "encoder_layers_1_self_attn_dot", "axis": time_kv2_dim},
    "encoder_layers_1_self_attn_dropout": {"class": "dropout", "from": "encoder_layers_1_self_attn_softmax", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, num_heads_dim: 1, time_dim: 1}},
    "encoder_layers_1_self_attn_dot_1": {"class": "dot", "from": ["encoder_layers_1_self_attn_dropout", "encoder_layers_1_self_attn_replace_dim_1"], "reduce": time_kv2_dim},
    "encoder_layers_1_self_attn_reshape": {"class": "reshape", "from": "encoder_layers_1_self_attn_dot_1", "in_dims": [num_heads_dim, model_l_2_dim], "out_dims": [model_dim]},
    "encoder_layers_1_self_attn_proj_replace_dim": {"class": "reinterpret_data", "from": "encoder_layers_1_self_attn_reshape", "set_dim_tags": {model_dim: model_in_dim}},
    "encoder_layers_1_self_attn_proj_dot": {"class": "dot", "from": ["encoder_layers_1_self_attn_proj_replace_dim", "encoder_layers_1_self_attn_proj_weight"], "reduce": model_in_dim},
    "encoder_layers_1_self_attn_proj": {"class": "combine", "from": ["encoder_layers_1_self_attn_proj_dot", "encoder_layers_1_self_attn_proj_bias"], "kind": "add"},
    "encoder_layers_1_dropout": {"class": "dropout", "from": "encoder_layers_1_self_attn_proj", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "encoder_layers_1_add": {"class": "combine", "from": ["encoder_layers_0", "encoder_layers_1_dropout"], "kind": "add"},
    "encoder_layers_1_ff_norm": {"class": "layer_norm", "from": "encoder_layers_1_add", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_layers_1_ff_norm_scale"}, "bias": {"layer_output": "encoder_layers_1_ff_norm_bias"}}}},
    "encoder_layers_1_linear_ff": {"class": "linear", "from": "encoder_layers_1_ff_norm", "in_dim": model_dim, "out_dim": ff_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_linear_ff_weight"}, "b": {"layer_output": "encoder_layers_1_linear_ff_bias"}}}},
    "encoder_layers_1_relu": {"class": "activation", "from": "encoder_layers_1_linear_ff", "activation": "relu"},
    "encoder_layers_1_dropout_1": {"class": "dropout", "from": "encoder_layers_1_relu", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "encoder_layers_1_linear_out": {"class": "linear", "from": "encoder_layers_1_dropout_1", "in_dim": ff_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_linear_out_weight"}, "b": {"layer_output": "encoder_layers_1_linear_out_bias"}}}},
    "encoder_layers_1_dropout_2": {"class": "dropout", "from": "encoder_layers_1_linear_out", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "encoder_layers_1": {"class": "combine", "from": ["encoder_layers_1_add", "encoder_layers_1_dropout_2"], "kind": "add"},
    "encoder_norm": {"class": "layer_norm", "from": "encoder_layers_1", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "encoder_norm_scale"}, "bias": {"layer_output": "encoder_norm_bias"}}}},
    "output": {"class": "linear", "from": "encoder_norm", "in_dim": model_dim, "out_dim": cls_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "output_weight"}, "b": {"layer_output": "output_bias"}}}},
    "cross_entropy": {"class": "sparse_softmax_cross_entropy_with_logits", "logits": "output", "targets": "data:classes", "axis": cls_dim},
    "ce": {"class": "reduce", "from": "cross_entropy", "mode": "sum", "axis": time_dim, "loss": "as_is"},
}
