"""The predecessor's ``BlstmEncoder`` (``returnn_common.nn.encoder.blstm``) with time pooling.

``BlstmEncoder(in_dim=16, dim=16, num_layers=3, time_reduction=2)``: three ``BlstmSingleLayer``s
(``fw``/``bw`` ``nn.LSTM``, outputs concatenated -> 32), max-pooling by 2 (``padding="same"``) after the
first layer (the predecessor pools after layer i for i < len(time_reduction)), so the output time is
ceil(time/2).  Dropout and L2 are irrelevant in eval.  Called as ``enc(data, in_spatial_dim=time)``;
``(out, out_spatial_dim)`` is returned, ``out`` is the default output.

The predecessor does not import ``nn.encoder`` into ``nn``; it is loaded as ``<nn>.encoder.blstm``
(falling back to ``nn.BlstmEncoder`` for a package that exports it at the top level).
"""

import importlib


def _blstm_encoder_class(nn):
    try:
        return importlib.import_module(nn.__name__ + ".encoder.blstm").BlstmEncoder
    except ImportError:
        return nn.BlstmEncoder


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    blstm_encoder = _blstm_encoder_class(nn)
    enc = blstm_encoder(in_dim, nn.FeatureDim("lstm", 16), num_layers=3, time_reduction=2)
    out, _out_time = enc(data, in_spatial_dim=time_dim)
    out.mark_as_default_output()
    return enc
