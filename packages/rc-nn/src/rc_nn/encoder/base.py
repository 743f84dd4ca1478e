"""Encoder interfaces (the predecessor's ``returnn_common.nn.encoder.base``).

Abstract module classes that say how an encoder is called; models and recipes type
their encoders by them (e.g. :mod:`rc_nn.hybrid_hmm`). Implement ``forward`` (or, as in
the predecessor, ``__call__``) with the documented signature.

Examples
--------
>>> import rc_nn as nn
>>> from rc_nn.encoder.base import ISeqFramewiseEncoder
>>> class Proj(ISeqFramewiseEncoder):
...     def __init__(self, in_dim, out_dim):
...         super().__init__()
...         self.out_dim = out_dim
...         self.lin = nn.Linear(in_dim, out_dim)
...     def forward(self, source, *, spatial_dim):
...         return self.lin(source)
>>> t, f, o = nn.SpatialDim("t"), nn.FeatureDim("f", 3), nn.FeatureDim("o", 2)
>>> Proj(f, o)(nn.zeros([nn.batch_dim, t, f]), spatial_dim=t).dims == (nn.batch_dim, t, o)
True
"""

from __future__ import annotations

from returnn.tensor import Dim

from .._module import Module
from .._tensor import Tensor

__all__ = ["IEncoder", "ISeqDownsamplingEncoder", "ISeqFramewiseEncoder"]


class IEncoder(Module):
    """Any encoder ``x -> y``; the output is dense with the feature dim ``out_dim``.

    ``forward(source) -> Tensor``.
    """

    out_dim: Dim

    def forward(self, source: Tensor) -> Tensor:
        """Encode ``source``."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(source)")


class ISeqFramewiseEncoder(Module):
    """A sequence encoder whose output has the input's length.

    ``forward(source, *, spatial_dim) -> Tensor`` (the output keeps ``spatial_dim``).
    """

    out_dim: Dim

    def forward(self, source: Tensor, *, spatial_dim: Dim) -> Tensor:
        """Encode ``source`` over ``spatial_dim``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement forward(source, *, spatial_dim)"
        )


class ISeqDownsamplingEncoder(Module):
    """A sequence encoder whose output is shorter than its input (e.g. 10 ms frames in,
    30 or 60 ms frames out).

    ``forward(source, *, in_spatial_dim) -> (Tensor, out_spatial_dim)``.
    ``downsample_factor`` is the length ratio in the limit (often an int).
    """

    out_dim: Dim
    downsample_factor: int | float

    def forward(self, source: Tensor, *, in_spatial_dim: Dim) -> tuple[Tensor, Dim]:
        """Encode ``source`` over ``in_spatial_dim``; return the output and its dim."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement forward(source, *, in_spatial_dim)"
        )
