"""Beam search: ``choice`` inside a loop and ``decide`` after it (RETURNN ``choice`` / ``decide``).

With the network's search flag (``check_config(..., search=True)``, RETURNN's
``search`` task) ``choice`` keeps the ``beam_size`` best labels per sequence
and extends the beam; without it, ``choice`` returns the ground truth of
``target`` (teacher forcing). ``decide`` picks the best hypothesis of the beam
after the loop.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim, batch_dim

from ._control import block_of
from ._dimargs import dims_str
from ._errors import DimMismatchError
from ._tensor import Tensor, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["choice", "decide"]

_INPUT_TYPES = ("prob", "log_prob", "logits")


def choice(
    source: Tensor,
    *,
    target: Tensor | None,
    beam_size: int,
    axis: Dim | None = None,
    input_type: str = "logits",
    search: bool | None = None,
    length_normalization: bool = True,
) -> Tensor:
    """Choose the next label inside a loop: beam search with the search flag, else ``target``.

    ``source`` holds scores over the class dim ``axis`` (default: its feature
    dim), dims ``[batch, axis]``, as ``input_type`` ``"logits"``, ``"log_prob"``
    or ``"prob"``. ``target`` is the extern data of the labels (its sparse dim
    must be ``axis``), used without search. Returns the chosen label, int32
    ``[batch]`` with sparse dim ``axis``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> classes = nn.FeatureDim("classes", 5)
    >>> labels = nn.get_extern_data(
    ...     nn.Data("choice_doc", dim_tags=[nn.batch_dim, nn.SpatialDim("out")], sparse_dim=classes)
    ... )
    >>> loop = nn.Loop(max_seq_len=4)
    >>> with loop:
    ...     label = nn.choice(nn.zeros([nn.batch_dim, classes]), target=labels, beam_size=3)
    ...     _ = loop.end(label == 0, include_eos=True)
    ...     out = loop.stack(label)
    >>> label.sparse_dim is classes, label.dims == (nn.batch_dim,)
    (True, True)
    """
    what = "nn.choice"
    source = as_tensor(source, what)
    if axis is None:
        others = [d for d in source.dims if not d.is_batch_dim()]
        axis = source.feature_dim or (others[0] if len(others) == 1 else None)
    if axis is None or set(source.dims) != {batch_dim, axis}:
        raise DimMismatchError(
            f"{what}: source must have the dims [batch, classes] (one frame of class scores), got "
            f"{dims_str(list(source.dims))}; pass axis= for the class dim (at {user_location()})"
        )
    if input_type not in _INPUT_TYPES:
        raise ValueError(
            f"{what}: input_type must be one of {', '.join(_INPUT_TYPES)}, got {input_type!r} "
            f"(at {user_location()})"
        )
    if not isinstance(beam_size, int) or isinstance(beam_size, bool) or beam_size < 1:
        raise ValueError(f"{what}: beam_size must be a positive int, got {beam_size!r}")
    block = block_of(source)
    if block is None or block.depth_in_loops() == 0:
        raise NotImplementedError(
            f"{what}: choice is only supported inside an nn.Loop (one label per frame); "
            f"got {source!r} outside of any loop (at {user_location()})"
        )
    layer: dict[str, Any] = {
        "class": "choice",
        "from": source,
        "beam_size": beam_size,
        "input_type": input_type,
    }
    if target is not None:
        target = as_tensor(target, f"{what} target", loop_read=False)
        if target.extern_name is None:
            raise NotImplementedError(
                f"{what}: target must be extern data (nn.get_extern_data(...)), got {target!r}; "
                f"RETURNN's choice layer takes the target as a data key (at {user_location()})"
            )
        if target.sparse_dim != axis:
            raise DimMismatchError(
                f"{what}: target {target!r} must have the sparse dim {dims_str([axis])} of the "
                f"scores (at {user_location()})"
            )
        layer["target"] = target.extern_name
    if search is not None:
        layer["search"] = bool(search)
    if not length_normalization:
        layer["length_normalization"] = False
    return make_layer_tensor(
        layer, make_template([batch_dim], "int32", sparse_dim=axis), name_hint="choice"
    )


def decide(x: Tensor) -> Tensor:
    """The best hypothesis of the beam of ``x`` (RETURNN ``decide``), after a search loop.

    Examples
    --------
    >>> import rc_nn as nn
    >>> labels = nn.zeros([nn.SpatialDim("out"), nn.batch_dim], dtype="int32")
    >>> nn.decide(labels).dims[0] is nn.batch_dim
    True
    """
    x = as_tensor(x, "nn.decide")
    # RETURNN returns it batch-major (the batch dim first, the others in order).
    dims = [d for d in x.dims if d.is_batch_dim()] + [d for d in x.dims if not d.is_batch_dim()]
    out = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=x.feature_dim)
    return make_layer_tensor({"class": "decide", "from": x}, out, name_hint="decide")
