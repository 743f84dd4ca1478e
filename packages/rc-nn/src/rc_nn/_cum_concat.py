"""``cum_concat_step``: all frames of a loop so far, concatenated (RETURNN ``cum_concat``).

Inside an ``nn.Loop``, RETURNN's ``cum_concat`` layer appends the current frame
of its input to the frames of the previous iterations, which it keeps as its
own state (``prev:`` of itself, reordered along with the beam in search). The
output has a new dynamic dim ``out_spatial_dim`` of length ``i + 1`` in frame
``i``. This is the state of step-wise self-attention (keys and values of the
frames decoded so far).
"""

from __future__ import annotations

from returnn.tensor import Dim

from ._control import current_block
from ._errors import AxisError
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor
from ._userloc import user_location

__all__ = ["cum_concat_step"]


def cum_concat_step(x: Tensor, *, out_spatial_dim: Dim | None = None) -> tuple[Tensor, Dim]:
    """Concatenate the current frame ``x`` to the frames of all previous loop iterations.

    Must be called inside an ``nn.Loop``. Returns ``(accumulated, out_spatial_dim)``
    where ``accumulated`` has dims ``[batch, out_spatial_dim, <other dims of x>]``
    (RETURNN keeps this state batch-major) and ``out_spatial_dim`` (a new dynamic
    dim if not given) has length ``i + 1`` in loop frame ``i``.

    Example:
        >>> import rc_nn as nn
        >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
        >>> x = nn.zeros([nn.batch_dim, time, feat])
        >>> with nn.Loop(axis=time) as loop:
        ...     history, hist_dim = nn.cum_concat_step(loop.unstack(x))
        ...     total = loop.stack(nn.reduce_sum(history, axis=hist_dim))
        >>> history.dims == (nn.batch_dim, hist_dim, feat)
        True
    """
    what = "nn.cum_concat_step"
    x = as_tensor(x, what)
    block = current_block(x.root)
    if block is None or block.depth_in_loops() == 0:
        raise NotImplementedError(
            f"{what}: only supported inside an nn.Loop (it accumulates the loop's frames); "
            f"called outside of any loop with {x!r} (at {user_location()})"
        )
    if out_spatial_dim is None:
        out_spatial_dim = Dim(None, name="cum-concat", kind=Dim.Types.Spatial)
    elif not isinstance(out_spatial_dim, Dim) or out_spatial_dim in x.dims:
        raise AxisError(
            f"{what}: out_spatial_dim must be a new nn.Dim (not one of the input's dims), got "
            f"{out_spatial_dim!r} (at {user_location()})"
        )
    if out_spatial_dim.dimension is not None:
        raise AxisError(
            f"{what}: out_spatial_dim {_dim_str(out_spatial_dim)} must be dynamic (its length "
            f"grows with the loop frames; at {user_location()})"
        )
    # RETURNN: the input made batch-major, then the new dim at axis 1.
    template = x.data.copy_as_batch_major()
    template = template.copy_add_dim_by_tag(out_spatial_dim, unbroadcast=True, axis=1)
    layer = {"class": "cum_concat", "from": x, "out_spatial_dim": out_spatial_dim}
    return make_layer_tensor(layer, template, name_hint="cum_concat"), out_spatial_dim
