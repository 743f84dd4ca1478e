"""The bundled example: a small ASR encoder with a CTC loss (what ``rc-serialize build`` makes).

Run ``rc-serialize build -o example.config --check`` to write its config and
prove it in RETURNN; ``rc_serialize.example:build_example`` is the ``MODULE:FACTORY``
the commands use when none is given, and a template for your own factories.

Examples
--------
>>> import rc_nn as nn
>>> from rc_serialize import get_returnn_config_serialized
>>> with nn.Root():
...     model = build_example()
...     code = get_returnn_config_serialized(model)
>>> [name for name, _ in model.named_parameters()][:2]
['input_proj.weight', 'input_proj.bias']
>>> '"ctc": {' in code
True
"""

from __future__ import annotations

import rc_nn as nn

__all__ = ["AsrEncoder", "FeedForwardBlock", "build_example"]


class FeedForwardBlock(nn.Module):
    """Pre-norm residual feed-forward block: ``x + W2 relu(W1 norm(x))``."""

    def __init__(self, model_dim: nn.Dim, ff_dim: nn.Dim, *, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(model_dim)
        self.ff1 = nn.Linear(model_dim, ff_dim)
        self.ff2 = nn.Linear(ff_dim, model_dim)
        self.dropout = dropout

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        """The block's output, same dims as ``x``."""
        hidden = nn.relu(self.ff1(self.norm(x)))
        hidden = nn.dropout(hidden, self.dropout, axis=self.ff1.out_dim)
        out: nn.Tensor = x + self.ff2(hidden)
        return out


class AsrEncoder(nn.Module):
    """Input projection, a stack of feed-forward blocks and a CTC output layer."""

    def __init__(
        self,
        in_dim: nn.Dim,
        model_dim: nn.Dim,
        ff_dim: nn.Dim,
        out_dim: nn.Dim,
        *,
        num_layers: int = 2,
    ) -> None:
        super().__init__()
        self.input_proj = nn.Linear(in_dim, model_dim)
        self.layers = nn.Sequential(FeedForwardBlock(model_dim, ff_dim) for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(model_dim)
        self.output = nn.Linear(model_dim, out_dim)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        """Logits over ``out_dim`` (vocab + blank) per frame."""
        logits: nn.Tensor = self.output(self.final_norm(self.layers(self.input_proj(x))))
        return logits


def build_example() -> nn.Module:
    """Build and call the example model; returns the root module (the factory protocol).

    A factory for ``rc-serialize build MODULE:FACTORY`` declares the inputs, builds
    the model, calls it, marks outputs or losses, and returns the root module.
    """
    time_dim = nn.SpatialDim("time")
    in_dim = nn.FeatureDim("input", 40)
    vocab_dim = nn.FeatureDim("vocab", 10)
    label_time_dim = nn.SpatialDim("label-time")
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, label_time_dim], sparse_dim=vocab_dim)
    )
    model = AsrEncoder(
        in_dim,
        nn.FeatureDim("model", 64),
        nn.FeatureDim("ff", 128),
        nn.FeatureDim("vocab+blank", vocab_dim.dimension + 1),
        num_layers=2,
    )
    logits = model(data)
    logits.mark_as_default_output()
    nn.ctc_loss(logits=logits, targets=targets, blank_index=vocab_dim.dimension).mark_as_loss("ctc")
    return model
