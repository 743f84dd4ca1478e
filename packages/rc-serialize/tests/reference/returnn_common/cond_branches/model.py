"""``nn.Cond`` (runtime condition, both branches built, parameters created in the branches).

Batch size is 3, so ``nn.length(nn.batch_dim) % 2 == 0`` is false and ``... == 1`` is true:
first ``nn.Cond``: true ``linear_true(x)``, false ``linear_false(x)`` (taken);
second ``nn.Cond``: true ``tanh(out(x))`` (taken), false ``out(x * 2.0)`` (``out`` used in both branches,
one set of parameters).  All three Linears (16 -> 16, 16 -> 16, 16 -> 8) have parameters.
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 16)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear_true = nn.Linear(in_dim, in_dim)
            self.linear_false = nn.Linear(in_dim, in_dim)
            self.out = nn.Linear(in_dim, nn.FeatureDim("out", 8))

        def __call__(self, x):
            with nn.Cond(nn.length(nn.batch_dim) % 2 == 0) as cond:
                cond.true = self.linear_true(x)
                cond.false = self.linear_false(x)
                x = cond.result
            with nn.Cond(nn.length(nn.batch_dim) % 2 == 1) as cond2:
                cond2.true = nn.tanh(self.out(x))
                cond2.false = self.out(x * 2.0)
                y = cond2.result
            return y  # noqa: RET504  (result read inside the with-block, as the predecessor does)

    model = Model()
    out = model(data)
    out.mark_as_default_output()
    return model
