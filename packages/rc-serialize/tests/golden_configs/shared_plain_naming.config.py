#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
model_dim = Dim(6, name="model", kind=Dim.Types.Feature)
hidden_dim = Dim(7, name="hidden", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, model_dim], "dtype": "float32"},
}

network = {
    "blocks_0_up_weight": {"class": "variable", "shape": [model_dim, hidden_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "blocks/0/up", "param_name": "weight"},
    "blocks_0_up_bias": {"class": "variable", "shape": [hidden_dim], "init": 0.0, "name_scope": "blocks/0/up", "param_name": "bias"},
    "blocks_0_down_weight": {"class": "variable", "shape": [hidden_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "blocks/0/down", "param_name": "weight"},
    "blocks_0_down_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "blocks/0/down", "param_name": "bias"},
    "blocks_0_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "blocks/0/norm", "param_name": "scale"},
    "blocks_0_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "blocks/0/norm", "param_name": "bias"},
    "blocks_1_up_bias": {"class": "variable", "shape": [hidden_dim], "init": 0.0, "name_scope": "blocks/1/up", "param_name": "bias"},
    "blocks_1_down_weight": {"class": "variable", "shape": [hidden_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "blocks/1/down", "param_name": "weight"},
    "blocks_1_down_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "blocks/1/down", "param_name": "bias"},
    "blocks_1_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "blocks/1/norm", "param_name": "scale"},
    "blocks_1_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "blocks/1/norm", "param_name": "bias"},
    "blocks_2_up_bias": {"class": "variable", "shape": [hidden_dim], "init": 0.0, "name_scope": "blocks/2/up", "param_name": "bias"},
    "blocks_2_down_weight": {"class": "variable", "shape": [hidden_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "blocks/2/down", "param_name": "weight"},
    "blocks_2_down_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "blocks/2/down", "param_name": "bias"},
    "blocks_2_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "blocks/2/norm", "param_name": "scale"},
    "blocks_2_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "blocks/2/norm", "param_name": "bias"},
    "blocks_0_norm": {"class": "layer_norm", "from": "data", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "blocks_0_norm_scale"}, "bias": {"layer_output": "blocks_0_norm_bias"}}}},
    "blocks_0_up": {"class": "linear", "from": "blocks_0_norm", "in_dim": model_dim, "out_dim": hidden_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "blocks_0_up_weight"}, "b": {"layer_output": "blocks_0_up_bias"}}}},
    "blocks_0_relu": {"class": "activation", "from": "blocks_0_up", "activation": "relu"},
    "blocks_0_down": {"class": "linear", "from": "blocks_0_relu", "in_dim": hidden_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "blocks_0_down_weight"}, "b": {"layer_output": "blocks_0_down_bias"}}}},
    "blocks_0": {"class": "combine", "from": ["data", "blocks_0_down"], "kind": "add"},
    "add": {"class": "combine", "from": ["blocks_0", "blocks_1_down_bias"], "kind": "add"},
    "blocks_1_norm": {"class": "layer_norm", "from": "add", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "blocks_1_norm_scale"}, "bias": {"layer_output": "blocks_1_norm_bias"}}}},
    "blocks_1_up": {"class": "linear", "from": "blocks_1_norm", "in_dim": model_dim, "out_dim": hidden_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "blocks_0_up_weight"}, "b": {"layer_output": "blocks_1_up_bias"}}}},
    "blocks_1_relu": {"class": "activation", "from": "blocks_1_up", "activation": "relu"},
    "blocks_1_down": {"class": "linear", "from": "blocks_1_relu", "in_dim": hidden_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "blocks_1_down_weight"}, "b": {"layer_output": "blocks_1_down_bias"}}}},
    "blocks_1": {"class": "combine", "from": ["add", "blocks_1_down"], "kind": "add"},
    "add_1": {"class": "combine", "from": ["blocks_1", "blocks_1_down_bias"], "kind": "add"},
    "blocks_2_norm": {"class": "layer_norm", "from": "add_1", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "blocks_2_norm_scale"}, "bias": {"layer_output": "blocks_2_norm_bias"}}}},
    "blocks_2_up": {"class": "linear", "from": "blocks_2_norm", "in_dim": model_dim, "out_dim": hidden_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "blocks_0_up_weight"}, "b": {"layer_output": "blocks_2_up_bias"}}}},
    "blocks_2_relu": {"class": "activation", "from": "blocks_2_up", "activation": "relu"},
    "blocks_2_down": {"class": "linear", "from": "blocks_2_relu", "in_dim": hidden_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "blocks_2_down_weight"}, "b": {"layer_output": "blocks_2_down_bias"}}}},
    "blocks_2": {"class": "combine", "from": ["add_1", "blocks_2_down"], "kind": "add"},
    "output": {"class": "combine", "from": ["blocks_2", "blocks_1_down_bias"], "kind": "add"},
    "square": {"class": "activation", "from": "output", "activation": "square"},
    "l2": {"class": "reduce", "from": "square", "mode": "mean", "axis": model_dim, "loss": "as_is", "loss_scale": 0.1},
}
