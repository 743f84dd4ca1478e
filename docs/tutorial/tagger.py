"""The tutorial's model: a small speech recognizer (feed-forward encoder, CTC loss).

``build()`` is a *factory*: it declares the inputs, builds the model, calls it, marks the
output and the loss, and returns the root module. ``rc-serialize build tagger:build`` and
the scripts next to this file call it.
"""

from __future__ import annotations

import rc_nn as nn


class Block(nn.Module):
    """A residual feed-forward block: ``x + down(relu(up(norm(x))))``."""

    def __init__(self, model_dim: nn.Dim, hidden_dim: nn.Dim) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(model_dim)
        self.up = nn.Linear(model_dim, hidden_dim)
        self.down = nn.Linear(hidden_dim, model_dim)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        hidden = nn.relu(self.up(self.norm(x)))
        return x + self.down(hidden)


class Recognizer(nn.Module):
    """Input projection, ``num_blocks`` residual blocks, and logits over the labels + blank."""

    def __init__(
        self,
        in_dim: nn.Dim,
        model_dim: nn.Dim,
        hidden_dim: nn.Dim,
        out_dim: nn.Dim,
        num_blocks: int,
    ) -> None:
        super().__init__()
        self.input = nn.Linear(in_dim, model_dim)
        self.blocks = nn.ModuleList([Block(model_dim, hidden_dim) for _ in range(num_blocks)])
        self.output = nn.Linear(model_dim, out_dim)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        x = self.input(x)
        for block in self.blocks:
            x = block(x)
        return self.output(x)


def build() -> nn.Module:
    """Declare the inputs, build and call the model, mark output and loss; return the model."""
    time_dim = nn.SpatialDim("time")
    feature_dim = nn.FeatureDim("feature", 20)
    label_time_dim = nn.SpatialDim("label-time")
    vocab_dim = nn.FeatureDim("vocab", 8)
    audio = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, feature_dim]))
    labels = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, label_time_dim], sparse_dim=vocab_dim)
    )

    model = Recognizer(
        feature_dim,
        nn.FeatureDim("model", 32),
        nn.FeatureDim("hidden", 64),
        nn.FeatureDim("vocab+blank", vocab_dim.dimension + 1),
        num_blocks=2,
    )
    logits = model(audio)
    logits.mark_as_default_output()
    loss = nn.ctc_loss(logits=logits, targets=labels, blank_index=vocab_dim.dimension)
    loss.mark_as_loss("ctc")
    return model
