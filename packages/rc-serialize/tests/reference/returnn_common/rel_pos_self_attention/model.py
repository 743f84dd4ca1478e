"""``nn.RelPosSelfAttention`` with its defaults (Transformer-XL style), standalone.

``nn.RelPosSelfAttention(in_dim=24, proj_dim=24, key_dim_total=16, value_dim_total=24, num_heads=4)``:
with_bias, with_linear_pos (``linear_pos`` [24, 16], no bias), with_pos_bias (``pos_bias_u``/``pos_bias_v``
[4, 4]), sinusoidal ``relative_positional_encoding`` (not learnable), separate_pos_emb_per_head.
Called as ``att(data, axis=time)``.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 24)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    att = nn.RelPosSelfAttention(
        in_dim,
        in_dim,
        key_dim_total=nn.FeatureDim("key", 16),
        value_dim_total=nn.FeatureDim("value", 24),
        num_heads=4,
    )
    out = att(data, axis=time_dim)
    out.mark_as_default_output()
    return att
