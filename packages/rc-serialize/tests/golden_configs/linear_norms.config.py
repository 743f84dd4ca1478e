#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
in_dim = Dim(3, name="in", kind=Dim.Types.Feature)
h_dim = Dim(4, name="h", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, in_dim], "dtype": "float32"},
}

network = {
    "lin_weight": {"class": "variable", "shape": [in_dim, h_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "lin/weight", "param_name": "param"},
    "lin_bias": {"class": "variable", "shape": [h_dim], "init": 0.0, "name_scope": "lin/bias", "param_name": "param"},
    "ln_scale": {"class": "variable", "shape": [h_dim], "init": 1.0, "name_scope": "ln/scale", "param_name": "param"},
    "ln_bias": {"class": "variable", "shape": [h_dim], "init": 0.0, "name_scope": "ln/bias", "param_name": "param"},
    "bn_running_mean": {"class": "variable", "shape": [h_dim], "trainable": False, "init": 0.0, "name_scope": "bn/running_mean", "param_name": "param"},
    "bn_running_variance": {"class": "variable", "shape": [h_dim], "trainable": False, "init": 1.0, "name_scope": "bn/running_variance", "param_name": "param"},
    "bn_gamma": {"class": "variable", "shape": [h_dim], "init": 1.0, "name_scope": "bn/gamma", "param_name": "param"},
    "bn_beta": {"class": "variable", "shape": [h_dim], "init": 0.0, "name_scope": "bn/beta", "param_name": "param"},
    "lin": {"class": "linear", "from": "data", "in_dim": in_dim, "out_dim": h_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "lin_weight"}, "b": {"layer_output": "lin_bias"}}}},
    "ln": {"class": "layer_norm", "from": "lin", "in_dim": h_dim, "epsilon": 1e-06, "reuse_params": {"map": {"scale": {"layer_output": "ln_scale"}, "bias": {"layer_output": "ln_bias"}}}},
    "bn_time_axis": {"class": "reinterpret_data", "from": "ln", "set_axes": {"T": time_dim}},
    "output": {"class": "batch_norm", "from": "bn_time_axis", "in_dim": h_dim, "use_shift": True, "use_std": True, "momentum": 0.1, "epsilon": 0.001, "masked_time": True, "param_version": 2, "update_sample_only_in_training": True, "delay_sample_update": True, "reuse_params": {"map": {"batch_norm/v2_mean": {"layer_output": "bn_running_mean"}, "batch_norm/v2_variance": {"layer_output": "bn_running_variance"}, "batch_norm/v2_gamma": {"layer_output": "bn_gamma"}, "batch_norm/v2_beta": {"layer_output": "bn_beta"}}}},
}
