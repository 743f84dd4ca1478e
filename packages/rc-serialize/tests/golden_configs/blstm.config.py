#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
lstm_dim = Dim(4, name="lstm", kind=Dim.Types.Feature)
d4_lstm_dim = 4 * lstm_dim
d2_lstm_dim = 2 * lstm_dim
time_2_dim = time_dim.ceildiv_right(2)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
}

network = {
    "encoder_layers_0_fw_param_W_re": {"class": "variable", "shape": [lstm_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/fw/param_W_re", "param_name": "param"},
    "encoder_layers_0_fw_param_W": {"class": "variable", "shape": [f_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/fw/param_W", "param_name": "param"},
    "encoder_layers_0_fw_param_b": {"class": "variable", "shape": [d4_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/0/fw/param_b", "param_name": "param"},
    "encoder_layers_0_bw_param_W_re": {"class": "variable", "shape": [lstm_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/bw/param_W_re", "param_name": "param"},
    "encoder_layers_0_bw_param_W": {"class": "variable", "shape": [f_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/bw/param_W", "param_name": "param"},
    "encoder_layers_0_bw_param_b": {"class": "variable", "shape": [d4_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/0/bw/param_b", "param_name": "param"},
    "encoder_layers_1_fw_param_W_re": {"class": "variable", "shape": [lstm_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/fw/param_W_re", "param_name": "param"},
    "encoder_layers_1_fw_param_W": {"class": "variable", "shape": [d2_lstm_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/fw/param_W", "param_name": "param"},
    "encoder_layers_1_fw_param_b": {"class": "variable", "shape": [d4_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/1/fw/param_b", "param_name": "param"},
    "encoder_layers_1_bw_param_W_re": {"class": "variable", "shape": [lstm_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/bw/param_W_re", "param_name": "param"},
    "encoder_layers_1_bw_param_W": {"class": "variable", "shape": [d2_lstm_dim, d4_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/bw/param_W", "param_name": "param"},
    "encoder_layers_1_bw_param_b": {"class": "variable", "shape": [d4_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/1/bw/param_b", "param_name": "param"},
    "encoder_layers_0_fw": {"class": "rec", "unit": "nativelstm2", "from": "data", "in_dim": f_dim, "out_dim": lstm_dim, "axis": time_dim, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_fw_param_W"}, "W_re": {"layer_output": "encoder_layers_0_fw_param_W_re"}, "b": {"layer_output": "encoder_layers_0_fw_param_b"}}}},
    "encoder_layers_0_bw": {"class": "rec", "unit": "nativelstm2", "from": "data", "in_dim": f_dim, "out_dim": lstm_dim, "axis": time_dim, "direction": -1, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_bw_param_W"}, "W_re": {"layer_output": "encoder_layers_0_bw_param_W_re"}, "b": {"layer_output": "encoder_layers_0_bw_param_b"}}}},
    "encoder_layers_0": {"class": "concat", "from": [["encoder_layers_0_fw", lstm_dim], ["encoder_layers_0_bw", lstm_dim]], "out_dim": d2_lstm_dim},
    "encoder_pool1d": {"class": "pool", "from": "encoder_layers_0", "mode": "max", "pool_size": [2], "padding": "same", "strides": [2], "in_dim": d2_lstm_dim, "in_spatial_dims": [time_dim], "out_spatial_dims": [time_2_dim]},
    "encoder_dropout": {"class": "dropout", "from": "encoder_pool1d", "dropout": 0.1, "dropout_noise_shape": {batch_dim: 1, time_2_dim: 1}},
    "encoder_layers_1_fw": {"class": "rec", "unit": "nativelstm2", "from": "encoder_dropout", "in_dim": d2_lstm_dim, "out_dim": lstm_dim, "axis": time_2_dim, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_fw_param_W"}, "W_re": {"layer_output": "encoder_layers_1_fw_param_W_re"}, "b": {"layer_output": "encoder_layers_1_fw_param_b"}}}},
    "encoder_layers_1_bw": {"class": "rec", "unit": "nativelstm2", "from": "encoder_dropout", "in_dim": d2_lstm_dim, "out_dim": lstm_dim, "axis": time_2_dim, "direction": -1, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_bw_param_W"}, "W_re": {"layer_output": "encoder_layers_1_bw_param_W_re"}, "b": {"layer_output": "encoder_layers_1_bw_param_b"}}}},
    "output": {"class": "concat", "from": [["encoder_layers_1_fw", lstm_dim], ["encoder_layers_1_bw", lstm_dim]], "out_dim": d2_lstm_dim},
}
