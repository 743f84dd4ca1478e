"""A single ``nn.ConformerEncoderLayer`` (Conformer block) on a 32-dim input.

``nn.ConformerEncoderLayer(out_dim=32, ff_dim=64, num_heads=4, conv_kernel_size=7)``, defaults otherwise:
swish FFNs (half-step residuals), ``nn.RelPosSelfAttention`` with its defaults, conv module with GLU
(``nn.gating``), depthwise conv (kernel 7) and ``nn.BatchNorm(use_mask=False)`` in eval (running stats),
final LayerNorm.  Called as ``block(data, spatial_dim=time)``.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    model_dim = nn.FeatureDim("model", 32)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, model_dim]))
    block = nn.ConformerEncoderLayer(
        model_dim, ff_dim=nn.FeatureDim("ff", 64), num_heads=4, conv_kernel_size=7
    )
    out = block(data, spatial_dim=time_dim)
    out.mark_as_default_output()
    return block
