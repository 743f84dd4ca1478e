"""A single ``nn.LSTM`` (RETURNN native LSTM, ``unit="nativelstm2"``) over time.

``nn.LSTM(in_dim=16, out_dim=24)`` called as ``lstm(data, spatial_dim=time)``; the first element of the
returned ``(output, state)`` is the default output.  Parameters: ``param_W`` [16, 96], ``param_W_re``
[24, 96], ``param_b`` [96] (the predecessor's names).
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    lstm = nn.LSTM(in_dim, nn.FeatureDim("lstm", 24))
    out, _state = lstm(data, spatial_dim=time_dim)
    out.mark_as_default_output()
    return lstm
