"""``nn.RelPosSelfAttention`` configured like Shaw et al. 2018 (the predecessor's docstring recipe).

``nn.RelPosSelfAttention(in_dim=24, proj_dim=24, key_dim_total=16, value_dim_total=24, num_heads=4,
with_bias=False, with_linear_pos=False, with_pos_bias=False, learnable_pos_emb=True,
learnable_pos_emb_clipping=4, separate_pos_emb_per_head=False)``: no biases, no ``linear_pos``, no
``pos_bias_u/v``; a learned relative position table ``learned_pos_emb/pos_emb`` [2*4+1, key per head 4]
shared by the heads.  Clipping 4 < time 12, so clipping is exercised.  Called as ``att(data, axis=time)``.
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
        with_bias=False,
        with_linear_pos=False,
        with_pos_bias=False,
        learnable_pos_emb=True,
        learnable_pos_emb_clipping=4,
        separate_pos_emb_per_head=False,
    )
    out = att(data, axis=time_dim)
    out.mark_as_default_output()
    return att
