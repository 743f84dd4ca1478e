#!rnn.py
# RETURNN config written by rc-serialize <version>. Do not edit: regenerate it.
from returnn.tensor import Dim, batch_dim, single_step_dim

time_dim = Dim(None, name="time", kind=Dim.Types.Spatial)
width_dim = Dim(6, name="width", kind=Dim.Types.Spatial)
in_dim = Dim(2, name="in", kind=Dim.Types.Feature)
filter_dim0_dim = Dim(3, name="filter-dim0", kind=Dim.Types.Spatial)
out_dim = Dim(4, name="out", kind=Dim.Types.Feature)
filter_dim02_dim = Dim(3, name="filter-dim0", kind=Dim.Types.Spatial)
filter_dim1_dim = Dim(2, name="filter-dim1", kind=Dim.Types.Spatial)
mid_dim = Dim(3, name="mid", kind=Dim.Types.Feature)
d1_time_dim = -1 + time_dim
d1_time_1_dim = d1_time_dim + -1
width_1_dim = width_dim + -1
width_1_2_dim = width_1_dim.ceildiv_right(2)

behavior_version = 21

extern_data = {
    "data": {"dim_tags": [batch_dim, time_dim, width_dim, in_dim], "dtype": "float32"},
}

network = {
    "conv1_filter": {"class": "variable", "shape": [filter_dim0_dim, in_dim, out_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "conv1/filter", "param_name": "param"},
    "conv1_bias": {"class": "variable", "shape": [out_dim], "init": 0.0, "name_scope": "conv1/bias", "param_name": "param"},
    "conv2_filter": {"class": "variable", "shape": [filter_dim02_dim, filter_dim1_dim, in_dim, mid_dim], "init": {"class": "VarianceScaling", "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, "name_scope": "conv2/filter", "param_name": "param"},
    "conv2_bias": {"class": "variable", "shape": [mid_dim], "init": 0.0, "name_scope": "conv2/bias", "param_name": "param"},
    "output": {"class": "conv", "from": "data", "in_dim": in_dim, "out_dim": mid_dim, "filter_size": [3, 2], "padding": "valid", "in_spatial_dims": [time_dim, width_dim], "out_spatial_dims": [d1_time_1_dim, width_1_2_dim], "filter": "conv2_filter", "strides": [1, 2], "with_bias": True, "bias": "conv2_bias"},
    "reduce_mean": {"class": "reduce", "from": "data", "mode": "mean", "axis": width_dim},
    "conv1d": {"class": "conv", "from": "reduce_mean", "in_dim": in_dim, "out_dim": out_dim, "filter_size": [3], "padding": "same", "in_spatial_dims": [time_dim], "out_spatial_dims": [time_dim], "filter": "conv1_filter", "with_bias": True, "bias": "conv1_bias", "is_output_layer": True},
}
