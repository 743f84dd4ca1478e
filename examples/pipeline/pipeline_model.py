"""A model written for returnn_common, with only the import changed (``import rc_nn as nn``).

``construct_network(epoch, audio_data, label_data, **kwargs)`` is the kind of
function i6_experiments' ``serialization.Import`` + ``serialization.Network`` call
from a generated config: it gets the ``nn.Data`` templates of the config's
``extern_data`` and returns the root module.
"""

import rc_nn as nn  # was: from returnn_common import nn


class LstmModel(nn.Module):
    """Linear front end, one LSTM, an output layer over the labels plus CTC blank."""

    def __init__(self, in_dim: nn.Dim, hidden: int, num_labels_dim: nn.Dim) -> None:
        super().__init__()
        self.hidden_dim = nn.FeatureDim("hidden", hidden)
        self.frontend = nn.Linear(in_dim, self.hidden_dim)
        self.lstm = nn.LSTM(self.hidden_dim, self.hidden_dim)
        self.out_dim = nn.FeatureDim("labels+blank", num_labels_dim.dimension + 1)
        self.output = nn.Linear(self.hidden_dim, self.out_dim)

    def forward(self, x: nn.Tensor, *, spatial_dim: nn.Dim) -> nn.Tensor:
        x = nn.relu(self.frontend(x))
        x, _ = self.lstm(x, spatial_dim=spatial_dim)
        return self.output(x)


def construct_network(
    epoch: int, audio_data: nn.Data, label_data: nn.Data, hidden: int = 8, **_kwargs: object
) -> nn.Module:
    """Build the model on the config's extern data; ``epoch`` could grow it (pretraining)."""
    audio = nn.get_extern_data(audio_data)
    labels = nn.get_extern_data(label_data)
    time_dim = audio_data.dims[1]
    net = LstmModel(audio_data.dims[-1], hidden=hidden, num_labels_dim=label_data.sparse_dim)
    logits = net(audio, spatial_dim=time_dim)
    logits.mark_as_default_output()
    blank = label_data.sparse_dim.dimension
    nn.ctc_loss(logits=logits, targets=labels, blank_index=blank).mark_as_loss("ctc")
    # Extra entries reach the net dict (RETURNN reads '#config' etc. for pretraining). This
    # one differs per epoch, so RETURNN rebuilds the network for epoch 2 (as pretraining does)
    # and keeps the trained parameters.
    nn.NameCtx.top().root.extra_net_dict["#info"] = f"built for epoch {epoch}"
    return net


def build_model() -> nn.Module:
    """The model with the config's dims, e.g. for ``rc-serialize diff pipeline_model:build_model``."""
    audio_time, label_time = nn.SpatialDim("audio_time"), nn.SpatialDim("label_time")
    audio_data = nn.Data(
        name="audio_data", dim_tags=[nn.batch_dim, audio_time, nn.FeatureDim("audio_features", 5)]
    )
    label_data = nn.Data(
        name="label_data",
        dim_tags=[nn.batch_dim, label_time],
        sparse_dim=nn.FeatureDim("phonemes", 4),
        available_for_inference=False,
    )
    return construct_network(epoch=1, audio_data=audio_data, label_data=label_data, hidden=8)
