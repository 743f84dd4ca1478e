"""``nn.MaskedComputation`` inside an ``nn.Loop``: an ``nn.LSTM`` step that only runs on masked frames.

As in the predecessor's own test: per frame, ``mask = nn.reduce(x_t, mode="mean", axis=feature) > 0.0``
([batch] bool); inside ``with nn.MaskedComputation(mask):`` the LSTM step updates ``loop.state.lstm_out``
and ``loop.state.lstm``; on unmasked frames both keep their previous values.  ``> 0.0`` (not the
test's ``>= 0.0``) keeps the zero padding frames unmasked: with ``>= 0.0`` RETURNN (eval, the masked LSTM
moved out of the loop) fails at runtime with a GatherNd index error, as more frames are masked than exist.  ``nn.LSTM(12, 16)``,
initial output ``nn.constant(0.0, [batch, 16])``, initial state ``lstm.default_initial_state``.  Output:
``loop.stack(loop.state.lstm_out)``.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 12)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(in_dim, nn.FeatureDim("lstm", 16))

        def __call__(self, x, *, axis):
            loop = nn.Loop(axis=axis)
            loop.state.lstm_out = nn.constant(value=0.0, shape=[nn.batch_dim, self.lstm.out_dim])
            loop.state.lstm = self.lstm.default_initial_state(batch_dims=[nn.batch_dim])
            with loop:
                x_t = loop.unstack(x)
                mask = nn.reduce(x_t, mode="mean", axis=x_t.feature_dim) > 0.0
                with nn.MaskedComputation(mask):
                    loop.state.lstm_out, loop.state.lstm = self.lstm(
                        x_t, state=loop.state.lstm, spatial_dim=nn.single_step_dim
                    )
                y = loop.stack(loop.state.lstm_out)
            return y  # noqa: RET504  (stacked inside the loop scope)

    model = Model()
    out = model(data, axis=time_dim)
    out.mark_as_default_output()
    return model
