"""Containers and raw parameters: ``nn.Sequential`` with a plain function, ``nn.ModuleList`` from a dict,
``nn.ParameterList``, and ``nn.Parameter`` attributes.

``seq = nn.Sequential(nn.Linear(16, 24), nn.relu, nn.Linear(24, 24))`` (children ``0``, ``1`` (the function,
no parameters), ``2``); ``heads = nn.ModuleList({"a": nn.Linear(24, 8), "b": nn.Linear(24, 8)})`` (children
named by the keys); ``scale = nn.Parameter([out])`` (initial 1.0); ``offsets = nn.ParameterList(
nn.Parameter([out]), nn.Parameter([out]))`` (initial 0.0).
Output: ``heads.a(h) * scale + heads.b(h) + offsets[0] - offsets[1]`` with ``h = seq(x)``.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            hid = nn.FeatureDim("hidden", 24)
            out = nn.FeatureDim("out", 8)
            self.seq = nn.Sequential(nn.Linear(in_dim, hid), nn.relu, nn.Linear(hid, hid))
            self.heads = nn.ModuleList({"a": nn.Linear(hid, out), "b": nn.Linear(hid, out)})
            self.scale = nn.Parameter([out])
            self.scale.initial = 1.0
            self.offsets = nn.ParameterList(nn.Parameter([out]), nn.Parameter([out]))
            for p in self.offsets:
                p.initial = 0.0

        def __call__(self, x):
            h = self.seq(x)
            offsets = list(self.offsets)
            return self.heads.a(h) * self.scale + self.heads.b(h) + offsets[0] - offsets[1]

    model = Model()
    out = model(data)
    out.mark_as_default_output()
    return model
