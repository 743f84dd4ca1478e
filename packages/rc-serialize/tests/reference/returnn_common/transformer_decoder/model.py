"""``nn.TransformerDecoder`` (2 ``nn.TransformerDecoderLayer``s) teacher-forced over a target sequence.

The predecessor's decoder only runs step by step (its ``nn.CausalSelfAttention`` has no whole-sequence
form), so it is used as intended: ``nn.Loop`` over the target time, ``axis=nn.single_step_dim``, the
decoder state (per layer the accumulated self-attention keys/values) in ``loop.state``.
Inputs: ``data`` [batch, time, 32] is the encoder output (memory); ``target`` is sparse (int32 [batch,
target_time], vocab 11), embedded with ``nn.Embedding(11, 32)`` before the loop; step t reads embedding t.
Layer: ``nn.CausalSelfAttention(32, 32, key_dim_total=32, value_dim_total=32, num_heads=4)``, cross
attention ``nn.dot_attention`` (the predecessor's default enc-dec attention: one head, no parameters),
ff_dim 64, norm_first=True, LayerNorm eps 1e-6; final ``nn.LayerNorm(32)``.
Output: the decoder output stacked over target time, [batch, target_time, 32].
"""

SEQ_LENS = {"data": [12, 9, 5], "target": [7, 6, 3]}


def build(nn):
    time_dim = nn.SpatialDim("time")
    target_time_dim = nn.SpatialDim("target-time")
    model_dim = nn.FeatureDim("model", 32)
    vocab_dim = nn.FeatureDim("vocab", 11)
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
                key_dim_total=model_dim,
                value_dim_total=model_dim,
                num_heads=4,
            )
            layer = nn.TransformerDecoderLayer(
                model_dim,
                enc_dec_attention=nn.dot_attention,
                causal_self_attention=self_att,
                ff_dim=nn.FeatureDim("ff", 64),
            )
            self.decoder = nn.TransformerDecoder(
                decoder_layer=layer, num_layers=2, norm=nn.LayerNorm(model_dim)
            )

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
