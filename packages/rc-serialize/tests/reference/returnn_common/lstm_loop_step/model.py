"""``nn.LSTM`` run step by step in an ``nn.Loop`` (``spatial_dim=nn.single_step_dim``), plus an initial state.

``lstm = nn.LSTM(16, 20)``; ``loop.state.lstm = lstm.default_initial_state(batch_dims=[nn.batch_dim])``
(zeros ``h``/``c``); per step ``y, loop.state.lstm = lstm(x, spatial_dim=nn.single_step_dim,
state=loop.state.lstm)``; ``y`` stacked, then ``nn.Linear(20, 8)``.  Same parameters as the whole-sequence
form (``param_W``, ``param_W_re``, ``param_b``), different RETURNN config (rec unit inside a rec loop).
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(in_dim, nn.FeatureDim("lstm", 20))
            self.out = nn.Linear(self.lstm.out_dim, nn.FeatureDim("out", 8))

        def __call__(self, x, *, spatial_dim):
            loop = nn.Loop(axis=spatial_dim)
            loop.state.lstm = self.lstm.default_initial_state(batch_dims=[nn.batch_dim])
            with loop:
                x_t = loop.unstack(x)
                y, loop.state.lstm = self.lstm(
                    x_t, spatial_dim=nn.single_step_dim, state=loop.state.lstm
                )
                ys = loop.stack(y)
            return self.out(ys)

    model = Model()
    out = model(data, spatial_dim=time_dim)
    out.mark_as_default_output()
    return model
