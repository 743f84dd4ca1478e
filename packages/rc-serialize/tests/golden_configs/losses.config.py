#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
f_dim = Dim(3, name="f", kind=Dim.Types.Feature)
cls_dim = Dim(4, name="cls", kind=Dim.Types.Feature)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, f_dim], "dtype": "float32"},
    "classes": {"dim_tags": [batch_dim, time_dim], "dtype": "int32", "sparse_dim": cls_dim, "available_for_inference": True},
}

network = {
    "out_weight": {"class": "variable", "shape": [f_dim, cls_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "out/weight", "param_name": "param"},
    "out_bias": {"class": "variable", "shape": [cls_dim], "init": 0.0, "name_scope": "out/bias", "param_name": "param"},
    "output": {"class": "linear", "from": "data", "in_dim": f_dim, "out_dim": cls_dim, "with_bias": True, "reuse_params": {"map": {"W": {"layer_output": "out_weight"}, "b": {"layer_output": "out_bias"}}}},
    "ce": {"class": "sparse_softmax_cross_entropy_with_logits", "logits": "output", "targets": "data:classes", "axis": cls_dim, "loss": "as_is", "loss_scale": 0.5},
    "reduce_max": {"class": "reduce", "from": "output", "mode": "max", "axis": cls_dim},
    "greater": {"class": "compare", "from": "reduce_max", "kind": "greater", "value": 0.0},
    "fer": {"class": "cast", "from": "greater", "dtype": "float32", "loss": "as_is", "loss_opts": {"as_error": True}},
    "square": {"class": "activation", "from": "output", "activation": "square"},
    "l2": {"class": "reduce", "from": "square", "mode": "sum", "axis": cls_dim, "loss": "as_is", "loss_scale": 0.001},
}
