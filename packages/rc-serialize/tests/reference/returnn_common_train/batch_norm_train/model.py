"""``nn.BatchNorm`` in TRAINING mode (``train_flag=True``): batch statistics, with and without masking.

``bn_masked = nn.BatchNorm(16, use_mask=True)`` (statistics over the valid frames only) and
``bn_unmasked = nn.BatchNorm(16, use_mask=False)`` (statistics over all batch*time frames, padding
included), both applied to the input; the output is their sum.  No dropout anywhere, so the training-mode
output is deterministic.  This set has ``"train_flag": true`` in meta.json: build the network with
``TFNetwork(train_flag=True)``; it is kept outside ``reference/returnn_common`` because the golden format
is eval-only.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn_masked = nn.BatchNorm(in_dim, use_mask=True)
            self.bn_unmasked = nn.BatchNorm(in_dim, use_mask=False)

        def __call__(self, x):
            return self.bn_masked(x) + self.bn_unmasked(x)

    model = Model()
    out = model(data)
    out.mark_as_default_output()
    return model
