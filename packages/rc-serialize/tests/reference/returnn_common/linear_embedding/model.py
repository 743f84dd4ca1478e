"""``nn.Embedding`` on sparse input, then ``nn.Linear`` with and without bias.

Input ``data`` is sparse (int32 [batch, time], vocab 20).  ``nn.Embedding(vocab, 16)`` (param ``weight``
[20, 16]) -> tanh -> ``nn.Linear(16, 12)`` + ``nn.Linear(16, 12, with_bias=False)`` (only ``weight``).
"""


def build(nn):
    time_dim = nn.SpatialDim("time")
    vocab_dim = nn.FeatureDim("vocab", 20)
    data = nn.get_extern_data(
        nn.Data("data", dim_tags=[nn.batch_dim, time_dim], sparse_dim=vocab_dim)
    )

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            emb_dim = nn.FeatureDim("emb", 16)
            out_dim = nn.FeatureDim("out", 12)
            self.embedding = nn.Embedding(vocab_dim, emb_dim)
            self.linear = nn.Linear(emb_dim, out_dim)
            self.linear_no_bias = nn.Linear(emb_dim, out_dim, with_bias=False)

        def __call__(self, x):
            x = nn.tanh(self.embedding(x))
            return self.linear(x) + self.linear_no_bias(x)

    model = Model()
    out = model(data)
    out.mark_as_default_output()
    return model
