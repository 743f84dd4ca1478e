"""``nn.ConformerConvSubsample`` alone (the Conformer front end), with strides and pooling.

``nn.ConformerConvSubsample(in_dim=20, out_dims=[4, 8], filter_sizes=[(3, 3), (3, 3)],
strides=[1, (2, 1)], pool_sizes=[(1, 2)], padding="same")``, relu: conv over (time, input) with a
channel dim of 1 added, pool (1, 2) after the first conv (feature 20 -> 10), second conv strided by 2 in
time (time -> ceil(time/2)); (feature, channels) merged -> 10 * 8 = 80.
Called as ``sub(data, in_spatial_dim=time)`` -> ``(out, out_spatial_dim)``; ``out`` is the default output.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 20)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    sub = nn.ConformerConvSubsample(
        in_dim,
        out_dims=[nn.FeatureDim("conv1", 4), nn.FeatureDim("conv2", 8)],
        filter_sizes=[(3, 3), (3, 3)],
        strides=[1, (2, 1)],
        pool_sizes=[(1, 2)],
    )
    out, _out_time = sub(data, in_spatial_dim=time_dim)
    out.mark_as_default_output()
    return sub
