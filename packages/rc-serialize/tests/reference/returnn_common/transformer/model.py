"""The predecessor's full ``nn.Transformer`` (encoder + decoder), teacher-forced.

``nn.Transformer(model_dim=32, target_dim=vocab(11), num_heads=4, num_encoder_layers=1,
num_decoder_layers=1, ff_dim=64)``, defaults otherwise (target_bos_symbol 0, norm_first, LayerNorm eps 1e-6,
decoder cross attention ``nn.dot_attention``).  Called as ``t(data, source_spatial_axis=time, target=target,
target_spatial_axis=target_time)``: the decoder loop embeds the *previous* target label (BOS=0 at step 0,
``target_embedding``) and the output is ``out_logits`` (``output_projection``), [batch, target_time, 11].
Inputs: ``data`` [batch, time, 32] float, ``target`` sparse int32 [batch, target_time].
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
    model = nn.Transformer(
        model_dim=model_dim,
        target_dim=vocab_dim,
        num_heads=4,
        num_encoder_layers=1,
        num_decoder_layers=1,
        ff_dim=nn.FeatureDim("ff", 64),
    )
    _memory, logits, _labels, _state = model(
        data, source_spatial_axis=time_dim, target=target, target_spatial_axis=target_time_dim
    )
    logits.mark_as_default_output()
    return model
