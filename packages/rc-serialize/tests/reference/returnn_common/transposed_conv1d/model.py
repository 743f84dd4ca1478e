"""``nn.TransposedConv1d`` upsampling time by 2 after a ``nn.Conv1d`` downsampling by 2.

``conv = nn.Conv1d(16, 12, 3, strides=2, padding="same")`` (time -> ceil(time/2)) -> tanh ->
``up = nn.TransposedConv1d(12, 8, [4], strides=[2], padding="same")`` (time -> 2*ceil(time/2)).
Parameters of the transposed conv: ``filter`` [4, 8, 12] (RETURNN's transposed-conv layout, out before in)
and ``bias`` [8].  Seq lens 12, 9, 5 -> 6, 5, 3 -> 12, 10, 6.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(in_dim, nn.FeatureDim("hidden", 12), 3, strides=2, padding="same")
            self.up = nn.TransposedConv1d(
                self.conv.out_dim, nn.FeatureDim("out", 8), [4], strides=[2], padding="same"
            )

        def __call__(self, x, *, spatial_dim):
            x, t = self.conv(x, in_spatial_dim=spatial_dim)
            x = nn.tanh(x)
            x, t = self.up(x, in_spatial_dim=t)
            return x, t

    model = Model()
    out, _out_time = model(data, spatial_dim=time_dim)
    out.mark_as_default_output()
    return model
