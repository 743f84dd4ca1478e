"""``nn.RelPosSelfAttention`` with ``learnable_pos_emb=True`` and otherwise default options.

``nn.RelPosSelfAttention(in_dim=24, proj_dim=24, key_dim_total=16, value_dim_total=24, num_heads=4,
learnable_pos_emb=True, learnable_pos_emb_clipping=5)``: with_bias, with_linear_pos (the learned table has
the input dim 24 and goes through ``linear_pos``), with_pos_bias, separate_pos_emb_per_head.  Clipping 5 <
time 12.  Called as ``att(data, axis=time)``.
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
        learnable_pos_emb=True,
        learnable_pos_emb_clipping=5,
    )
    out = att(data, axis=time_dim)
    out.mark_as_default_output()
    return att
