#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
input_dim = Dim(40, name="input", kind=Dim.Types.Feature)
label_time_dim = Dim(None, name="label-time", kind=Dim.Types.Spatial)
vocab_dim = Dim(10, name="vocab", kind=Dim.Types.Feature)
model_dim = Dim(64, name="model", kind=Dim.Types.Feature)
ff_dim = Dim(128, name="ff", kind=Dim.Types.Feature)
vocab_blank_dim = Dim(11, name="vocab+blank", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, input_dim], "dtype": "float32"},
    "classes": {"dim_tags": [batch_dim, label_time_dim], "dtype": "int32", "sparse_dim": vocab_dim, "available_for_inference": True},
}

network = {
    "input_proj_weight": {"class": "variable", "shape": [input_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "input_proj/weight", "param_name": "param"},
    "input_proj_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "input_proj/bias", "param_name": "param"},
    "layers_0_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "layers/0/norm/scale", "param_name": "param"},
    "layers_0_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "layers/0/norm/bias", "param_name": "param"},
    "layers_0_ff1_weight": {"class": "variable", "shape": [model_dim, ff_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "layers/0/ff1/weight", "param_name": "param"},
    "layers_0_ff1_bias": {"class": "variable", "shape": [ff_dim], "init": 0.0, "name_scope": "layers/0/ff1/bias", "param_name": "param"},
    "layers_0_ff2_weight": {"class": "variable", "shape": [ff_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "layers/0/ff2/weight", "param_name": "param"},
    "layers_0_ff2_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "layers/0/ff2/bias", "param_name": "param"},
    "layers_1_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "layers/1/norm/scale", "param_name": "param"},
    "layers_1_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "layers/1/norm/bias", "param_name": "param"},
    "layers_1_ff1_weight": {"class": "variable", "shape": [model_dim, ff_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "layers/1/ff1/weight", "param_name": "param"},
    "layers_1_ff1_bias": {"class": "variable", "shape": [ff_dim], "init": 0.0, "name_scope": "layers/1/ff1/bias", "param_name": "param"},
    "layers_1_ff2_weight": {"class": "variable", "shape": [ff_dim, model_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "layers/1/ff2/weight", "param_name": "param"},
    "layers_1_ff2_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "layers/1/ff2/bias", "param_name": "param"},
    "final_norm_scale": {"class": "variable", "shape": [model_dim], "init": 1.0, "name_scope": "final_norm/scale", "param_name": "param"},
    "final_norm_bias": {"class": "variable", "shape": [model_dim], "init": 0.0, "name_scope": "final_norm/bias", "param_name": "param"},
    "output_weight": {"class": "variable", "shape": [model_dim, vocab_blank_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "output/weight", "param_name": "param"},
    "output_bias": {"class": "variable", "shape": [vocab_blank_dim], "init": 0.0, "name_scope": "output/bias", "param_name": "param"},
    "input_proj": {"class": "linear", "from": "data", "in_dim": input_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "input_proj_weight"}, "b": {"layer_output": "input_proj_bias"}}}},
    "layers_0_norm": {"class": "layer_norm", "from": "input_proj", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "layers_0_norm_scale"}, "bias": {"layer_output": "layers_0_norm_bias"}}}},
    "layers_0_ff1": {"class": "linear", "from": "layers_0_norm", "in_dim": model_dim, "out_dim": ff_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "layers_0_ff1_weight"}, "b": {"layer_output": "layers_0_ff1_bias"}}}},
    "layers_0_relu": {"class": "activation", "from": "layers_0_ff1", "activation": "relu"},
    "layers_0_dropout": {"class": "dropout", "from": "layers_0_relu", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "layers_0_ff2": {"class": "linear", "from": "layers_0_dropout", "in_dim": ff_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "layers_0_ff2_weight"}, "b": {"layer_output": "layers_0_ff2_bias"}}}},
    "layers_0": {"class": "combine", "from": ["input_proj", "layers_0_ff2"], "kind": "add"},
    "layers_1_norm": {"class": "layer_norm", "from": "layers_0", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "layers_1_norm_scale"}, "bias": {"layer_output": "layers_1_norm_bias"}}}},
    "layers_1_ff1": {"class": "linear", "from": "layers_1_norm", "in_dim": model_dim, "out_dim": ff_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "layers_1_ff1_weight"}, "b": {"layer_output": "layers_1_ff1_bias"}}}},
    "layers_1_relu": {"class": "activation", "from": "layers_1_ff1", "activation": "relu"},
    "layers_1_dropout": {"class": "dropout", "from": "layers_1_relu", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_dim: 1}},
    "layers_1_ff2": {"class": "linear", "from": "layers_1_dropout", "in_dim": ff_dim, "out_dim": model_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "layers_1_ff2_weight"}, "b": {"layer_output": "layers_1_ff2_bias"}}}},
    "layers_1": {"class": "combine", "from": ["layers_0", "layers_1_ff2"], "kind": "add"},
    "final_norm": {"class": "layer_norm", "from": "layers_1", "in_dim": model_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "final_norm_scale"}, "bias": {"layer_output": "final_norm_bias"}}}},
    "output": {"class": "linear", "from": "final_norm", "in_dim": model_dim, "out_dim": vocab_blank_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "output_weight"}, "b": {"layer_output": "output_bias"}}}},
    "ctc": {"class": "ctc_loss", "logits": "output", "targets": "data:classes", "blank_index": 10, "loss": "as_is"},
}
