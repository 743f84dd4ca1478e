"""``nn.Conv1d`` with stride and ``padding="valid"``, a dilated conv, a no-bias conv, and ``nn.pool1d``.

``conv1 = nn.Conv1d(16, 24, 5, strides=2, padding="valid")`` (time -> ceil((time-4)/2)) -> relu ->
``conv2 = nn.Conv1d(24, 24, 3, dilation_rate=2, padding="same")`` ->
``conv3 = nn.Conv1d(24, 8, 1, padding="same", with_bias=False)`` (only ``filter``) ->
``nn.pool1d(mode="avg", pool_size=2, padding="same")`` (time halved again).
Seq lens 12, 9, 5 -> 4, 3, 1 after conv1 -> 2, 2, 1 after the pool.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            hid = nn.FeatureDim("hidden", 24)
            self.conv1 = nn.Conv1d(in_dim, hid, 5, strides=2, padding="valid")
            self.conv2 = nn.Conv1d(hid, hid, 3, dilation_rate=2, padding="same")
            self.conv3 = nn.Conv1d(hid, nn.FeatureDim("out", 8), 1, padding="same", with_bias=False)

        def __call__(self, x, *, spatial_dim):
            x, t = self.conv1(x, in_spatial_dim=spatial_dim)
            x = nn.relu(x)
            x, t = self.conv2(x, in_spatial_dim=t)
            x, t = self.conv3(x, in_spatial_dim=t)
            x, t = nn.pool1d(x, mode="avg", pool_size=2, padding="same", in_spatial_dim=t)
            return x, t

    model = ConvNet()
    out, _out_time = model(data, spatial_dim=time_dim)
    out.mark_as_default_output()
    return model
