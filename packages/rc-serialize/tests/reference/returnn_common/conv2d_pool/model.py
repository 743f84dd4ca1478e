"""``nn.Conv2d`` over (time, feature) with max pooling, strided conv and a final merge.

Input [batch, time, 12] gets a channel dim of size 1 (``nn.expand_dim``).
``conv1 = nn.Conv2d(1, 6, (3, 3), padding="same")`` over (time, input) -> relu ->
``nn.pool2d(mode="max", pool_size=(1, 2), padding="same")`` (time kept, 12 -> 6) ->
``conv2 = nn.Conv2d(6, 8, (3, 3), strides=(2, 1), padding="same")`` (time -> ceil(time/2)) ->
``nn.merge_dims`` of (feature 6, channels 8) -> 48.  Output time ceil(time/2).
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 12)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.chan_dim = nn.FeatureDim("chan", 1)
            self.conv1 = nn.Conv2d(self.chan_dim, nn.FeatureDim("conv1", 6), (3, 3), padding="same")
            self.conv2 = nn.Conv2d(
                self.conv1.out_dim,
                nn.FeatureDim("conv2", 8),
                (3, 3),
                strides=(2, 1),
                padding="same",
            )

        def __call__(self, x, *, spatial_dim):
            x = nn.expand_dim(x, dim=self.chan_dim)
            x, (t, f) = self.conv1(x, in_spatial_dims=[spatial_dim, in_dim])
            x = nn.relu(x)
            x, (t, f) = nn.pool2d(
                x, in_spatial_dims=[t, f], pool_size=(1, 2), padding="same", mode="max"
            )
            x, (t, f) = self.conv2(x, in_spatial_dims=[t, f])
            x, _ = nn.merge_dims(x, axes=[f, self.conv2.out_dim])
            return x, t

    model = ConvNet()
    out, _out_time = model(data, spatial_dim=time_dim)
    out.mark_as_default_output()
    return model
