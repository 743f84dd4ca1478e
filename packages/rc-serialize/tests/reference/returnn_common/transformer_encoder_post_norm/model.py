"""``nn.TransformerEncoder`` with post-norm layers (``norm_first=False``), gelu, no final norm.

model dim 32, ``nn.TransformerEncoderLayer(32, ff_dim=48, ff_activation=nn.gelu, norm_first=False,
norm_eps=1e-5, self_attention=nn.SelfAttention(32, 32, key_dim_total=32, value_dim_total=32, num_heads=2))``,
``nn.TransformerEncoder(layer, num_layers=2, norm=None)``.  Called as ``enc(data, axis=time)``.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    model_dim = nn.FeatureDim("model", 32)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, model_dim]))
    self_att = nn.SelfAttention(
        model_dim, model_dim, key_dim_total=model_dim, value_dim_total=model_dim, num_heads=2
    )
    layer = nn.TransformerEncoderLayer(
        model_dim,
        self_attention=self_att,
        ff_dim=nn.FeatureDim("ff", 48),
        ff_activation=nn.gelu,
        norm_first=False,
        norm_eps=1e-5,
    )
    enc = nn.TransformerEncoder(layer, num_layers=2, norm=None)
    out = enc(data, axis=time_dim)
    out.mark_as_default_output()
    return enc
