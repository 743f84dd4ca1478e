"""``nn.BatchNorm`` with ``use_mask=True``, with and without affine parameters, in eval mode.

``bn = nn.BatchNorm(16, use_mask=True, epsilon=1e-5)`` -> ``nn.Linear(16, 16)`` ->
``bn_plain = nn.BatchNorm(16, use_mask=True, affine=False)`` (only ``running_mean``/``running_variance``).
Eval mode: both use their (perturbed) running statistics; ``use_mask`` only matters for training statistics.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm(in_dim, use_mask=True, epsilon=1e-5)
            self.linear = nn.Linear(in_dim, in_dim)
            self.bn_plain = nn.BatchNorm(in_dim, use_mask=True, affine=False)

        def __call__(self, x):
            return self.bn_plain(self.linear(self.bn(x)))

    model = Model()
    out = model(data)
    out.mark_as_default_output()
    return model
