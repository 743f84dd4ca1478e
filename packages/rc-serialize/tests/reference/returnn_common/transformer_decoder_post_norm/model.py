"""``nn.TransformerDecoder`` with a post-norm layer (``norm_first=False``), gelu, no final norm, 1 layer.

Like ``transformer_decoder`` (teacher-forced in an ``nn.Loop`` over the target time, memory = ``data``,
``nn.Embedding`` of the sparse ``target``), but ``nn.TransformerDecoderLayer(32, ff_dim=48,
ff_activation=nn.gelu, norm_first=False, norm_eps=1e-5, enc_dec_attention=nn.dot_attention,
causal_self_attention=nn.CausalSelfAttention(32, 32, key_dim_total=16, value_dim_total=32, num_heads=2))``,
``nn.TransformerDecoder(decoder_layer=layer, num_layers=1, norm=None)``.
"""

SEQ_LENS = {"data": [12, 9, 5], "target": [6, 4, 2]}


def build(nn):
    time_dim = nn.SpatialDim("time")
    target_time_dim = nn.SpatialDim("target-time")
    model_dim = nn.FeatureDim("model", 32)
    vocab_dim = nn.FeatureDim("vocab", 9)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, model_dim]))
    target = nn.get_extern_data(
        nn.Data("target", dim_tags=[nn.batch_dim, target_time_dim], sparse_dim=vocab_dim)
    )

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab_dim, model_dim)
            self_att = nn.CausalSelfAttention(
                model_dim,
                model_dim,
                key_dim_total=nn.FeatureDim("key", 16),
                value_dim_total=model_dim,
                num_heads=2,
            )
            layer = nn.TransformerDecoderLayer(
                model_dim,
                enc_dec_attention=nn.dot_attention,
                causal_self_attention=self_att,
                ff_dim=nn.FeatureDim("ff", 48),
                ff_activation=nn.gelu,
                norm_first=False,
                norm_eps=1e-5,
            )
            self.decoder = nn.TransformerDecoder(decoder_layer=layer, num_layers=1, norm=None)

        def __call__(self, memory, *, memory_spatial_dim, target, target_spatial_dim):
            emb = self.embedding(target)
            loop = nn.Loop(axis=target_spatial_dim)
            loop.state.decoder = self.decoder.default_initial_state(batch_dims=[nn.batch_dim])
            with loop:
                x = loop.unstack(emb)
                y, loop.state.decoder = self.decoder(
                    x,
                    axis=nn.single_step_dim,
                    memory=memory,
                    memory_spatial_axis=memory_spatial_dim,
                    state=loop.state.decoder,
                )
                out = loop.stack(y)
            return out  # noqa: RET504  (stacked inside the loop scope)

    model = Decoder()
    out = model(
        data, memory_spatial_dim=time_dim, target=target, target_spatial_dim=target_time_dim
    )
    out.mark_as_default_output()
    return model
