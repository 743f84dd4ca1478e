"""``nn.ConformerEncoder`` without front end and with non-default block options.

``nn.ConformerEncoder(in_dim=24, out_dim=32, num_layers=2, input_layer=None, ff_dim=48,
ff_activation=nn.relu, conv_kernel_size=5, conv_norm=nn.LayerNorm, num_heads=2,
encoder_layer_opts={"self_att_opts": {"learnable_pos_emb": True, "learnable_pos_emb_clipping": 3,
"with_pos_bias": False}})``: ``input_projection`` (no bias) 24 -> 32, no subsampling; the conv module's norm
is a ``LayerNorm`` (class given, instantiated with the model dim), the self-attention has a learned relative
position table (clipping 3) and no ``pos_bias_u/v``.  Called as ``enc(data, in_spatial_dim=time)``.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 24)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    enc = nn.ConformerEncoder(
        in_dim,
        nn.FeatureDim("model", 32),
        num_layers=2,
        input_layer=None,
        ff_dim=nn.FeatureDim("ff", 48),
        ff_activation=nn.relu,
        conv_kernel_size=5,
        conv_norm=nn.LayerNorm,
        num_heads=2,
        encoder_layer_opts={
            "self_att_opts": {
                "learnable_pos_emb": True,
                "learnable_pos_emb_clipping": 3,
                "with_pos_bias": False,
            }
        },
    )
    out, _out_time = enc(data, in_spatial_dim=time_dim)
    out.mark_as_default_output()
    return enc
