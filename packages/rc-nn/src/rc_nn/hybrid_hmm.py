"""Hybrid NN-HMM model interface (the predecessor's ``returnn_common.nn.hybrid_hmm``).

``IHybridHMM`` says how a hybrid acoustic model is called; ``HybridHMM`` is the
predecessor's model: an encoder (:mod:`rc_nn.encoder.base`), a ``Linear`` output
projection ``out_projection`` and framewise cross-entropy training. Parameter names are
the predecessor's (``encoder.*``, ``out_projection.weight``, ``out_projection.bias``).

Examples
--------
>>> import rc_nn as nn
>>> from rc_nn.encoder.base import ISeqFramewiseEncoder
>>> from rc_nn.hybrid_hmm import HybridHMM
>>> class Enc(ISeqFramewiseEncoder):
...     def __init__(self, in_dim, out_dim):
...         super().__init__()
...         self.out_dim = out_dim
...         self.lin = nn.Linear(in_dim, out_dim)
...     def forward(self, source, *, spatial_dim):
...         return nn.relu(self.lin(source))
>>> t, f, h, s = (nn.SpatialDim("t"), nn.FeatureDim("f", 3), nn.FeatureDim("h", 4),
...               nn.FeatureDim("states", 5))
>>> x = nn.get_extern_data(nn.Data("hybrid_doc", dim_tags=[nn.batch_dim, t, f]))
>>> model = HybridHMM(f, s, encoder=Enc(f, h))
>>> log_probs, state = model(x, spatial_dim=t)
>>> log_probs.dims == (nn.batch_dim, t, s), state
(True, None)
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

from ._array import log_softmax
from ._dim_sites import lookalike_dims_note
from ._errors import AxisError, DimMismatchError
from ._layer_state import LayerState
from ._linear import Linear
from ._loss import cross_entropy
from ._module import Module
from ._tensor import Tensor, _dim_str, as_tensor
from ._userloc import user_location
from .encoder.base import ISeqDownsamplingEncoder, ISeqFramewiseEncoder

__all__ = ["EncoderType", "HybridHMM", "IHybridHMM"]

EncoderType = ISeqFramewiseEncoder | ISeqDownsamplingEncoder


class IHybridHMM(Module):
    """A hybrid NN-HMM acoustic model.

    ``forward(source, *, state=None, train=False, targets=None, spatial_dim=None)``
    returns ``(log_posteriors [batch, time', out_dim], final_state or None)``. With
    ``train``, it marks its training losses (``targets``: ``[batch, time']`` indices into
    ``out_dim``).
    """

    encoder: EncoderType
    out_dim: Dim

    def forward(
        self,
        source: Tensor,
        *,
        state: LayerState | None = None,
        train: bool = False,
        targets: Tensor | None = None,
        spatial_dim: Dim | None = None,
    ) -> tuple[Tensor, LayerState | None]:
        """Log posteriors of ``source`` and the final state."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(source, ...)")


def _time_dim(source: Tensor, spatial_dim: Dim | None) -> Dim:
    """The input's time dim: ``spatial_dim`` if given, else RETURNN's time axis of the
    input (``Tensor.data``, as the predecessor read it), else its only
    dynamic dim."""
    if spatial_dim is not None:
        if spatial_dim not in source.dims:
            raise AxisError(
                f"HybridHMM: spatial_dim {_dim_str(spatial_dim)} is not a dim of {source!r} "
                f"(at {user_location(3)})" + lookalike_dims_note([spatial_dim, *source.dims])
            )
        return spatial_dim
    if source.data.time_dim_axis is not None:
        time: Dim = source.dims[source.data.time_dim_axis]
        return time
    dynamic = [d for d in source.dims if d.dimension is None and not d.is_batch_dim()]
    if len(dynamic) != 1:
        raise AxisError(
            f"HybridHMM: cannot tell the time dim of {source!r} ({len(dynamic)} dynamic dims); "
            f"pass spatial_dim= (at {user_location(3)})"
        )
    return dynamic[0]


class HybridHMM(IHybridHMM):
    """Encoder + linear output layer; log-softmax posteriors, framewise CE loss ``"ce"``."""

    def __init__(self, in_dim: Dim, out_dim: Dim, *, encoder: EncoderType) -> None:
        super().__init__()
        if not isinstance(encoder, ISeqFramewiseEncoder | ISeqDownsamplingEncoder):
            raise TypeError(
                f"HybridHMM: encoder must be an ISeqFramewiseEncoder or ISeqDownsamplingEncoder "
                f"(rc_nn.encoder.base), got {type(encoder).__name__}"
            )
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.encoder = encoder
        self.out_projection = Linear(encoder.out_dim, out_dim)

    def forward(
        self,
        source: Tensor,
        *,
        state: LayerState | None = None,
        train: bool = False,
        targets: Tensor | None = None,
        spatial_dim: Dim | None = None,
    ) -> tuple[Tensor, LayerState | None]:
        """Log posteriors ``[batch, time', out_dim]`` (``time'`` = the encoder's output time)."""
        source = as_tensor(source, "HybridHMM")
        if state is not None:
            raise NotImplementedError(
                "HybridHMM: a stateful hybrid HMM is not supported (neither was it in the "
                "predecessor); pass state=None"
            )
        in_spatial_dim = _time_dim(source, spatial_dim)
        out: Any
        if isinstance(self.encoder, ISeqFramewiseEncoder):
            encoded = self.encoder(source, spatial_dim=in_spatial_dim)
            out_spatial_dim = in_spatial_dim
        else:
            encoded, out_spatial_dim = self.encoder(source, in_spatial_dim=in_spatial_dim)
        logits = self.out_projection(encoded)
        if train:
            if targets is None or out_spatial_dim not in targets.dims:
                raise DimMismatchError(
                    f"HybridHMM: training needs targets over the encoder's output time "
                    f"{_dim_str(out_spatial_dim)}, got {targets!r} (at {user_location(2)})"
                    + lookalike_dims_note([out_spatial_dim, *(targets.dims if targets else ())])
                )
            out = cross_entropy(
                estimated=logits, target=targets, axis=self.out_dim, estimated_type="logits"
            )
            out.mark_as_loss("ce")
        return log_softmax(logits, axis=self.out_dim), None
