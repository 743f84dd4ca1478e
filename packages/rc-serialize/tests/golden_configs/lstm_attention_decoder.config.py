#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
out_time_dim = Dim(None, name="out-time", kind=Dim.Types.Spatial)
vocab_dim = Dim(5, name="vocab", kind=Dim.Types.Feature)
enc_lstm_dim = Dim(4, name="enc-lstm", kind=Dim.Types.Feature)
d4_enc_lstm_dim = 4 * enc_lstm_dim
d2_enc_lstm_dim = 2 * enc_lstm_dim
att_key_dim = Dim(4, name="att-key", kind=Dim.Types.Feature)
embed_dim = Dim(3, name="embed", kind=Dim.Types.Feature)
dec_lstm_dim = Dim(5, name="dec-lstm", kind=Dim.Types.Feature)
d4_dec_lstm_dim = 4 * dec_lstm_dim
att_dim = Dim(8, name="att", kind=Dim.Types.Feature)
embed_att_dim = embed_dim + att_dim
att_heads_dim = Dim(1, name="att-heads", kind=Dim.Types.Spatial)
dec_lstm_embed_dim = dec_lstm_dim + embed_dim
dec_lstm_embed_att_dim = dec_lstm_embed_dim + att_dim
readout_dim = Dim(6, name="readout", kind=Dim.Types.Feature)
readout_maxout_dim = Dim(3, name="readout-maxout", kind=Dim.Types.Feature)
time_2_dim = time_dim.ceildiv_right(2)
readout_pair_dim = Dim(2, name="readout-pair", kind=Dim.Types.Spatial)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
    "classes": {"dim_tags": [batch_dim, out_time_dim], "dtype": "int32", "sparse_dim": vocab_dim},
}

network = {
    "encoder_layers_0_fw_param_W_re": {"class": "variable", "shape": [enc_lstm_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/fw/param_W_re", "param_name": "param"},
    "encoder_layers_0_fw_param_W": {"class": "variable", "shape": [f_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/fw/param_W", "param_name": "param"},
    "encoder_layers_0_fw_param_b": {"class": "variable", "shape": [d4_enc_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/0/fw/param_b", "param_name": "param"},
    "encoder_layers_0_bw_param_W_re": {"class": "variable", "shape": [enc_lstm_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/bw/param_W_re", "param_name": "param"},
    "encoder_layers_0_bw_param_W": {"class": "variable", "shape": [f_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/0/bw/param_W", "param_name": "param"},
    "encoder_layers_0_bw_param_b": {"class": "variable", "shape": [d4_enc_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/0/bw/param_b", "param_name": "param"},
    "encoder_layers_1_fw_param_W_re": {"class": "variable", "shape": [enc_lstm_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/fw/param_W_re", "param_name": "param"},
    "encoder_layers_1_fw_param_W": {"class": "variable", "shape": [d2_enc_lstm_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/fw/param_W", "param_name": "param"},
    "encoder_layers_1_fw_param_b": {"class": "variable", "shape": [d4_enc_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/1/fw/param_b", "param_name": "param"},
    "encoder_layers_1_bw_param_W_re": {"class": "variable", "shape": [enc_lstm_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/bw/param_W_re", "param_name": "param"},
    "encoder_layers_1_bw_param_W": {"class": "variable", "shape": [d2_enc_lstm_dim, d4_enc_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "L2": 0.0001, "name_scope": "encoder/layers/1/bw/param_W", "param_name": "param"},
    "encoder_layers_1_bw_param_b": {"class": "variable", "shape": [d4_enc_lstm_dim], "init": 0.0, "L2": 0.0001, "name_scope": "encoder/layers/1/bw/param_b", "param_name": "param"},
    "decoder_enc_ctx_weight": {"class": "variable", "shape": [d2_enc_lstm_dim, att_key_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/enc_ctx/weight", "param_name": "param"},
    "decoder_enc_ctx_bias": {"class": "variable", "shape": [att_key_dim], "init": 0.0, "name_scope": "decoder/enc_ctx/bias", "param_name": "param"},
    "decoder_target_embed_weight": {"class": "variable", "shape": [vocab_dim, embed_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/target_embed/weight", "param_name": "param"},
    "decoder_s_param_W_re": {"class": "variable", "shape": [dec_lstm_dim, d4_dec_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/s/param_W_re", "param_name": "param"},
    "decoder_s_param_W": {"class": "variable", "shape": [embed_att_dim, d4_dec_lstm_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/s/param_W", "param_name": "param"},
    "decoder_s_param_b": {"class": "variable", "shape": [d4_dec_lstm_dim], "init": 0.0, "name_scope": "decoder/s/param_b", "param_name": "param"},
    "decoder_s_transformed_weight": {"class": "variable", "shape": [dec_lstm_dim, att_key_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/s_transformed/weight", "param_name": "param"},
    "decoder_energy_weight": {"class": "variable", "shape": [att_key_dim, att_heads_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/energy/weight", "param_name": "param"},
    "decoder_readout_in_weight": {"class": "variable", "shape": [dec_lstm_embed_att_dim, readout_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/readout_in/weight", "param_name": "param"},
    "decoder_readout_in_bias": {"class": "variable", "shape": [readout_dim], "init": 0.0, "name_scope": "decoder/readout_in/bias", "param_name": "param"},
    "decoder_output_prob_weight": {"class": "variable", "shape": [readout_maxout_dim, vocab_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "decoder/output_prob/weight", "param_name": "param"},
    "decoder_output_prob_bias": {"class": "variable", "shape": [vocab_dim], "init": 0.0, "name_scope": "decoder/output_prob/bias", "param_name": "param"},
    "encoder_layers_0_fw": {"class": "rec", "unit": "nativelstm2", "from": "data", "in_dim": f_dim, "out_dim": enc_lstm_dim, "axis": time_dim, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_fw_param_W"}, "W_re": {"layer_output": "encoder_layers_0_fw_param_W_re"}, "b": {"layer_output": "encoder_layers_0_fw_param_b"}}}},
    "encoder_layers_0_bw": {"class": "rec", "unit": "nativelstm2", "from": "data", "in_dim": f_dim, "out_dim": enc_lstm_dim, "axis": time_dim, "direction": -1, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_0_bw_param_W"}, "W_re": {"layer_output": "encoder_layers_0_bw_param_W_re"}, "b": {"layer_output": "encoder_layers_0_bw_param_b"}}}},
    "encoder_layers_0": {"class": "concat", "from": [["encoder_layers_0_fw", enc_lstm_dim], ["encoder_layers_0_bw", enc_lstm_dim]], "out_dim": d2_enc_lstm_dim},
    "encoder_pool1d": {"class": "pool", "from": "encoder_layers_0", "mode": "max", "pool_size": [2], "padding": "same", "strides": [2], "in_dim": d2_enc_lstm_dim, "in_spatial_dims": [time_dim], "out_spatial_dims": [time_2_dim]},
    "encoder_layers_1_fw": {"class": "rec", "unit": "nativelstm2", "from": "encoder_pool1d", "in_dim": d2_enc_lstm_dim, "out_dim": enc_lstm_dim, "axis": time_2_dim, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_fw_param_W"}, "W_re": {"layer_output": "encoder_layers_1_fw_param_W_re"}, "b": {"layer_output": "encoder_layers_1_fw_param_b"}}}},
    "encoder_layers_1_bw": {"class": "rec", "unit": "nativelstm2", "from": "encoder_pool1d", "in_dim": d2_enc_lstm_dim, "out_dim": enc_lstm_dim, "axis": time_2_dim, "direction": -1, "reuse_params": {"map": {"W": {"layer_output": "encoder_layers_1_bw_param_W"}, "W_re": {"layer_output": "encoder_layers_1_bw_param_W_re"}, "b": {"layer_output": "encoder_layers_1_bw_param_b"}}}},
    "encoder_layers_1": {"class": "concat", "from": [["encoder_layers_1_fw", enc_lstm_dim], ["encoder_layers_1_bw", enc_lstm_dim]], "out_dim": d2_enc_lstm_dim},
    "decoder_enc_ctx": {"class": "linear", "from": "encoder_layers_1", "in_dim": d2_enc_lstm_dim, "out_dim": att_key_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "decoder_enc_ctx_weight"}, "b": {"layer_output": "decoder_enc_ctx_bias"}}}},
    "bos": {"class": "constant", "value": 0, "shape": [batch_dim], "dtype": "int32", "sparse_dim": vocab_dim},
    "constant": {"class": "constant", "value": 0.0, "shape": [batch_dim, dec_lstm_dim], "dtype": "float32"},
    "constant_1": {"class": "constant", "value": 0.0, "shape": [batch_dim, dec_lstm_dim], "dtype": "float32"},
    "constant_2": {"class": "constant", "value": 0.0, "shape": [batch_dim, att_dim], "dtype": "float32"},
    "decoder_loop": {"class": "rec", "from": [], "unit": {"decoder_target_embed": {"class": "gather", "from": "base:decoder_target_embed_weight", "position": "prev:label", "axis": vocab_dim}, "decoder_concat": {"class": "concat", "from": [["decoder_target_embed", embed_dim], ["prev:decoder_att", att_dim]], "out_dim": embed_att_dim}, "decoder_s_dot": {"class": "dot", "from": ["decoder_concat", "base:decoder_s_param_W"], "reduce": embed_att_dim}, "decoder_s_dot_1": {"class": "dot", "from": ["prev:decoder_s_h", "base:decoder_s_param_W_re"], "reduce": dec_lstm_dim}, "decoder_s_add": {"class": "combine", "from": ["decoder_s_dot", "decoder_s_dot_1"], "kind": "add"}, "decoder_s_add_1": {"class": "combine", "from": ["decoder_s_add", "base:decoder_s_param_b"], "kind": "add"}, "decoder_s_split": {"class": "split", "from": "decoder_s_add_1", "axis": d4_dec_lstm_dim, "out_dims": [dec_lstm_dim, dec_lstm_dim, dec_lstm_dim, dec_lstm_dim]}, "decoder_s_sigmoid": {"class": "activation", "from": "decoder_s_split/2", "activation": "sigmoid"}, "decoder_s_mul": {"class": "combine", "from": ["decoder_s_sigmoid", "prev:decoder_s_c"], "kind": "mul"}, "decoder_s_sigmoid_1": {"class": "activation", "from": "decoder_s_split/1", "activation": "sigmoid"}, "decoder_s_tanh": {"class": "activation", "from": "decoder_s_split/0", "activation": "tanh"}, "decoder_s_mul_1": {"class": "combine", "from": ["decoder_s_sigmoid_1", "decoder_s_tanh"], "kind": "mul"}, "decoder_s_add_2": {"class": "combine", "from": ["decoder_s_mul", "decoder_s_mul_1"], "kind": "add"}, "decoder_s_sigmoid_2": {"class": "activation", "from": "decoder_s_split/3", "activation": "sigmoid"}, "decoder_s_tanh_1": {"class": "activation", "from": "decoder_s_add_2", "activation": "tanh"}, "decoder_s": {"class": "combine", "from": ["decoder_s_sigmoid_2", "decoder_s_tanh_1"], "kind": "mul"}, "decoder_s_transformed": {"class": "linear", "from": "decoder_s", "in_dim": dec_lstm_dim, "out_dim": att_key_dim, "with_bias": False, "reuse_params": {"map": {"W": {"layer_output": "base:decoder_s_transformed_weight"}}}}, "decoder_add": {"class": "combine", "from": ["base:linear_batch_major", "decoder_s_transformed"], "kind": "add"}, "decoder_tanh": {"class": "activation", "from": "decoder_add", "activation": "tanh"}, "decoder_energy": {"class": "linear", "from": "decoder_tanh", "in_dim": att_key_dim, "out_dim": att_heads_dim, "with_bias": False, "reuse_params": {"map": {"W": {"layer_output": "base:decoder_energy_weight"}}}}, "decoder_softmax": {"class": "softmax_over_spatial", "from": "decoder_energy", "axis": time_2_dim}, "decoder_dot": {"class": "dot", "from": ["decoder_softmax", "base:concat_batch_major"], "reduce": time_2_dim}, "decoder": {"class": "reshape", "from": "decoder_dot", "in_dims": [att_heads_dim, d2_enc_lstm_dim], "out_dims": [att_dim]}, "decoder_concat_1": {"class": "concat", "from": [["decoder_s", dec_lstm_dim], ["decoder_target_embed", embed_dim], ["decoder", att_dim]], "out_dim": dec_lstm_embed_att_dim}, "decoder_readout_in": {"class": "linear", "from": "decoder_concat_1", "in_dim": dec_lstm_embed_att_dim, "out_dim": readout_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "base:decoder_readout_in_weight"}, "b": {"layer_output": "base:decoder_readout_in_bias"}}}}, "decoder_split_dims": {"class": "split_dims", "from": "decoder_readout_in", "axis": readout_dim, "dims": [readout_maxout_dim, readout_pair_dim]}, "decoder_reduce_max": {"class": "reduce", "from": "decoder_split_dims", "mode": "max", "axis": readout_pair_dim}, "decoder_output_prob_dot": {"class": "dot", "from": ["decoder_reduce_max", "base:decoder_output_prob_weight"], "reduce": readout_maxout_dim}, "decoder_output_prob": {"class": "combine", "from": ["decoder_output_prob_dot", "base:decoder_output_prob_bias"], "kind": "add"}, "unstack": {"class": "rec_unstack", "from": "base:data:classes", "axis": out_time_dim}, "output": {"class": "copy", "from": "decoder_output_prob", "is_output_layer": True}, "label": {"class": "copy", "from": "unstack", "initial_output": "base:bos"}, "decoder_s_h": {"class": "copy", "from": "decoder_s", "initial_output": "base:constant"}, "decoder_s_c": {"class": "copy", "from": "decoder_s_add_2", "initial_output": "base:constant_1"}, "decoder_att": {"class": "copy", "from": "decoder", "initial_output": "base:constant_2"}}, "axis": out_time_dim},
    "linear_batch_major": {"class": "transpose", "from": "decoder_enc_ctx", "perm": [batch_dim, time_2_dim, att_key_dim]},
    "concat_batch_major": {"class": "transpose", "from": "encoder_layers_1", "perm": [batch_dim, time_2_dim, d2_enc_lstm_dim]},
    "output": {"class": "copy", "from": "decoder_loop"},
    "ce": {"class": "sparse_softmax_cross_entropy_with_logits", "logits": "decoder_loop", "targets": "data:classes", "axis": vocab_dim, "loss": "as_is"},
}
