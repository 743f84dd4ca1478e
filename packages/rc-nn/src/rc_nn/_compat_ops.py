"""Ops the predecessor (returnn_common ``nn``) had and rc-nn lacked, with its signatures.

Each op records the RETURNN layer the predecessor emitted for it (so the computed values
are the same) and computes the output template itself (pure Python, no TensorFlow), the
way RETURNN's layer computes it; the RETURNN round-trip tests check both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from returnn.tensor import Dim, batch_dim
from returnn.util.basic import NotSpecified

from . import _array
from ._array import ones, zeros
from ._dim_ops import replace_dim
from ._dimargs import as_dim, dims_str
from ._errors import AxisError, DimMismatchError
from ._gather import gather, where
from ._math import combine, compare, maximum
from ._range import length, range_over_dim
from ._shape import merge_dims
from ._slice import slice as slice_
from ._tensor import (
    Tensor,
    _dim_str,
    as_tensor,
    check_axis,
    make_layer_tensor,
    make_template,
)
from ._userloc import user_location

__all__ = [
    "NotSpecified",
    "combine_bc",
    "compare_bc",
    "concat_features",
    "copy",
    "global_train_step",
    "inverse_window",
    "ones_like",
    "prev_target_seq",
    "range_from_length",
    "reduce_out",
    "repeat",
    "resize",
    "safe_log",
    "set_sparse_dim",
    "stft",
    "train_flag",
    "zeros_like",
]


def copy(source: Tensor) -> Tensor:
    """A new layer with the same values (RETURNN ``copy``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> x = nn.zeros([nn.FeatureDim("f", 2)])
    >>> y = nn.copy(x)
    >>> y is not x and y.dims == x.dims
    True
    """
    x = as_tensor(source, "copy")
    return make_layer_tensor(
        {"class": "copy", "from": x}, x.template.copy_template(), name_hint="copy"
    )


def zeros_like(value: Tensor) -> Tensor:
    """Zeros with the dims and dtype of ``value`` (no dependency on its values).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> nn.zeros_like(nn.ones([f], dtype="int32")).dtype
    'int32'
    """
    x = as_tensor(value, "zeros_like")
    return zeros(list(x.dims), dtype=x.dtype)


def ones_like(value: Tensor) -> Tensor:
    """Ones with the dims and dtype of ``value`` (no dependency on its values).

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> nn.ones_like(nn.zeros([nn.batch_dim, f])).dims == (nn.batch_dim, f)
    True
    """
    x = as_tensor(value, "ones_like")
    return ones(list(x.dims), dtype=x.dtype)


def safe_log(x: Tensor, *, eps: float = 1e-7, use_fake_grad: bool = True) -> Tensor:
    """``log(x)``; RETURNN replaces ``log(softmax)`` by ``log_softmax`` (and the like) and
    adds ``eps`` in the gradient only (RETURNN ``activation`` ``safe_log``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.safe_log(nn.ones([nn.FeatureDim("f", 2)])).layer_dict["activation"]
    'safe_log'
    """
    x = as_tensor(x, "safe_log")
    if not x.dtype.startswith("float"):
        raise DimMismatchError(
            f"safe_log: needs a float tensor, got {x!r} (at {user_location()}); "
            "cast first, e.g. nn.cast(x, 'float32')"
        )
    layer: dict[str, Any] = {
        "class": "activation",
        "from": x,
        "activation": "safe_log",
        "opts": {"eps": float(eps), "use_fake_grad": bool(use_fake_grad)},
    }
    return make_layer_tensor(layer, x.template.copy_template(), name_hint="safe_log")


_COMPARE_SYMBOLS = {
    "==": "equal",
    "!=": "not_equal",
    "<": "less",
    "<=": "less_equal",
    ">": "greater",
    ">=": "greater_equal",
}
_COMBINE_SYMBOLS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv"}
_COMBINE_SYMBOLS.update({"%": "mod", "**": "pow"})


def combine_bc(a: Tensor | float | int, kind: str, b: Tensor | float | int) -> Tensor:
    """``combine(a, b, kind=kind, allow_broadcast_all_sources=True)`` (the predecessor's
    short form); ``kind`` may also be an operator symbol such as ``"+"``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    >>> nn.combine_bc(nn.zeros([a]), "+", nn.zeros([b])).dims == (a, b)
    True
    """
    return combine(a, b, kind=_COMBINE_SYMBOLS.get(kind, kind), allow_broadcast_all_sources=True)


def compare_bc(a: Tensor | float | int, kind: str, b: Tensor | float | int) -> Tensor:
    """``compare(a, b, kind=kind, allow_broadcast_all_sources=True)``; ``kind`` may be a
    symbol (``"=="``, ``"<"``, ...) or a RETURNN name (``"equal"``, ``"less"``, ...).

    Examples
    --------
    >>> import rc_nn as nn
    >>> t = nn.SpatialDim("t")
    >>> nn.compare_bc(nn.range_over_dim(t), "<", nn.length(t)).dims == (nn.batch_dim, t)
    True
    """
    return compare(a, b, kind=_COMPARE_SYMBOLS.get(kind, kind), allow_broadcast_all_sources=True)


def set_sparse_dim(source: Tensor, out_dim: Dim) -> Tensor:
    """``source`` (an int tensor) as indices into ``out_dim`` (RETURNN ``reinterpret_data``
    with ``set_sparse_dim``); values are unchanged.

    Examples
    --------
    >>> import rc_nn as nn
    >>> v = nn.FeatureDim("vocab", 10)
    >>> nn.set_sparse_dim(nn.zeros([nn.batch_dim], dtype="int32"), v).sparse_dim == v
    True
    """
    x = as_tensor(source, "set_sparse_dim")
    out_dim = as_dim(out_dim, "set_sparse_dim", "out_dim")
    if not x.dtype.startswith("int"):
        raise DimMismatchError(
            f"set_sparse_dim: {x!r} is not an int tensor; only indices can have a sparse dim "
            f"(at {user_location()}); cast first, e.g. nn.cast(x, 'int32')"
        )
    if out_dim in x.dims:
        raise DimMismatchError(
            f"set_sparse_dim: {_dim_str(out_dim)} is a dim of {x!r}; the sparse dim must be "
            f"another dim (at {user_location()})"
        )
    layer = {"class": "reinterpret_data", "from": x, "set_sparse": True, "set_sparse_dim": out_dim}
    template = make_template(x.dims, x.dtype, sparse_dim=out_dim)
    return make_layer_tensor(layer, template, name_hint="set_sparse_dim")


def train_flag() -> Tensor:
    """The train flag of the running network: a scalar bool, True while training
    (RETURNN ``train_flag``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> flag = nn.train_flag()
    >>> flag.dims, flag.dtype
    ((), 'bool')
    """
    return make_layer_tensor(
        {"class": "train_flag", "from": []}, make_template([], "bool"), name_hint="train_flag"
    )


def global_train_step() -> Tensor:
    """The global train step, a scalar int64 (RETURNN ``global_train_step``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> nn.global_train_step().dtype
    'int64'
    """
    return make_layer_tensor(
        {"class": "global_train_step", "from": []},
        make_template([], "int64"),
        name_hint="global_train_step",
    )


def reduce_out(x: Tensor, *, mode: str, num_pieces: int, out_dim: Dim | None = None) -> Tensor:
    """Split the feature dim into ``num_pieces`` groups of neighbours and reduce each
    (``mode`` ``"max"``: maxout) (RETURNN ``reduce_out``).

    The result's feature dim is ``out_dim`` (``feature_dim // num_pieces`` if not
    given); entry ``i`` reduces input features ``i * num_pieces ... i * num_pieces +
    num_pieces - 1``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 6)
    >>> nn.reduce_out(nn.zeros([nn.batch_dim, f]), mode="max", num_pieces=2).dims[1].dimension
    3
    """
    x = as_tensor(x, "reduce_out")
    if mode not in ("sum", "max", "mean"):
        raise ValueError(f"reduce_out: mode must be 'sum', 'max' or 'mean', got {mode!r}")
    if not isinstance(num_pieces, int) or isinstance(num_pieces, bool) or num_pieces <= 0:
        raise ValueError(f"reduce_out: num_pieces must be a positive int, got {num_pieces!r}")
    feature = x.feature_dim
    if feature is None or feature.dimension is None:
        raise AxisError(
            f"reduce_out: {x!r} has no static feature dim to reduce (at {user_location()})"
        )
    if feature.dimension % num_pieces:
        raise DimMismatchError(
            f"reduce_out: the feature dim {_dim_str(feature)} is not divisible by "
            f"num_pieces={num_pieces} (at {user_location()})"
        )
    size = feature.dimension // num_pieces
    given = out_dim is not None
    if out_dim is None:
        out_dim = feature // num_pieces  # RETURNN's own dim for it
    elif as_dim(out_dim, "reduce_out", "out_dim").dimension != size:
        raise DimMismatchError(
            f"reduce_out: out_dim {_dim_str(out_dim)} must have size "
            f"{feature.dimension} // {num_pieces} = {size} (at {user_location()})"
        )
    dims = [out_dim if d is feature else d for d in x.dims]
    layer: dict[str, Any] = {
        "class": "reduce_out",
        "from": x,
        "mode": mode,
        "num_pieces": num_pieces,
    }
    if given:
        layer["out_dim"] = out_dim
    template = make_template(dims, x.dtype, feature_dim=out_dim)
    return make_layer_tensor(layer, template, name_hint="reduce_out")


def _batch_major_with_axis_second(x: Tensor, axis: Dim) -> list[Dim]:
    """``x``'s dims batch-major with ``axis`` moved right behind the batch dim (RETURNN's
    ``repeat`` and ``resize`` layers order their output like that)."""
    dims = [d for d in x.template.copy_as_batch_major().dims if d is not axis]
    pos = 1 if dims and dims[0].is_batch_dim() else 0
    dims.insert(pos, axis)
    return dims


def repeat(
    source: Tensor, *, repetitions: Tensor | int, axis: Dim, out_dim: Dim | None = None
) -> tuple[Tensor, Dim]:
    """Repeat every frame along ``axis`` (RETURNN ``repeat``, like ``tf.repeat``).

    ``repetitions`` is an int (every frame that often) or an int tensor with ``axis``
    (and maybe batch dims): the number of repetitions per frame. Returns the tensor and
    its new axis (``axis * repetitions`` for an int; a new dynamic dim otherwise). As
    RETURNN orders it, the result is batch-major with the new axis right behind the
    batch dim.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, f = nn.SpatialDim("t"), nn.FeatureDim("f", 2)
    >>> y, t2 = nn.repeat(nn.zeros([nn.batch_dim, t, f]), repetitions=2, axis=t)
    >>> y.dims == (nn.batch_dim, t2, f)
    True
    """
    x = as_tensor(source, "repeat")
    axis = check_axis(x, as_dim(axis, "repeat", "axis"), "repeat")
    if axis.is_batch_dim():
        raise AxisError(f"repeat: cannot repeat along the batch dim (at {user_location()})")
    if isinstance(repetitions, bool) or not isinstance(repetitions, int | Tensor):
        raise TypeError(
            f"repeat: repetitions must be an int or an int tensor, got {repetitions!r} "
            f"(at {user_location()})"
        )
    if isinstance(repetitions, int):
        if repetitions <= 0:
            raise ValueError(f"repeat: repetitions must be positive, got {repetitions}")
        new_dim = axis * repetitions
    else:
        repetitions = as_tensor(repetitions, "repeat repetitions")
        if not repetitions.dtype.startswith("int"):
            raise DimMismatchError(
                f"repeat: repetitions must be an int tensor, got {repetitions!r} "
                f"(at {user_location()})"
            )
        extra = [d for d in repetitions.dims if d not in x.dims]
        if extra:
            raise DimMismatchError(
                f"repeat: repetitions {repetitions!r} has dims {dims_str(extra)} that the source "
                f"{x!r} does not have (at {user_location()})"
            )
        new_dim = Dim(None, name=f"{axis.description}:repeated", kind=axis.kind)
    if out_dim is not None:
        out_dim = as_dim(out_dim, "repeat", "out_dim")
        if isinstance(repetitions, int) and out_dim.dimension != new_dim.dimension:
            raise DimMismatchError(
                f"repeat: out_dim {_dim_str(out_dim)} must have the size of "
                f"{_dim_str(axis)} * {repetitions} (at {user_location()})"
            )
        new_dim = out_dim
    dims = [new_dim if d is axis else d for d in _batch_major_with_axis_second(x, axis)]
    layer: dict[str, Any] = {
        "class": "repeat",
        "from": x,
        "repetitions": repetitions,
        "axis": axis,
        "out_dim": new_dim,
    }
    feature = new_dim if x.feature_dim is axis else x.feature_dim
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="repeat"), new_dim


_RESIZE_KINDS = ("linear", "nn", "nearest_neighbor", "cubic", "fill")


def resize(
    source: Tensor,
    *,
    factor: int | float,
    axis: Dim,
    out_dim: Dim | None = None,
    kind: str = "nn",
    fill_value: float | int | None = None,
    fill_dropout: float | None = None,
) -> tuple[Tensor, Dim]:
    """Up- or downsample ``axis`` by ``factor`` (RETURNN ``resize``): ``kind`` ``"nn"``
    (nearest neighbour, the default), ``"linear"``, ``"cubic"`` or ``"fill"`` (with
    ``fill_value``). Returns the tensor and its new axis (``axis * factor`` for an int
    factor). The result is batch-major with the new axis right behind the batch dim.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, f = nn.SpatialDim("t"), nn.FeatureDim("f", 2)
    >>> y, t2 = nn.resize(nn.zeros([nn.batch_dim, t, f]), factor=2, axis=t, kind="linear")
    >>> y.dims == (nn.batch_dim, t2, f)
    True
    """
    x = as_tensor(source, "resize")
    axis = check_axis(x, as_dim(axis, "resize", "axis"), "resize")
    if axis.is_batch_dim():
        raise AxisError(f"resize: cannot resize the batch dim (at {user_location()})")
    if batch_dim not in x.dims:
        raise AxisError(
            f"resize: RETURNN's resize layer needs a batch dim in the input, {x!r} has none "
            f"(at {user_location()})"
        )
    if kind not in _RESIZE_KINDS:
        raise ValueError(f"resize: kind must be one of {_RESIZE_KINDS}, got {kind!r}")
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        raise TypeError(
            f"resize: factor must be an int or a float, got {factor!r} (at {user_location()}); "
            "a tensor factor is not supported by rc-nn"
        )
    if factor <= 0:
        raise ValueError(f"resize: factor must be positive, got {factor!r}")
    if kind == "fill" and fill_value is None:
        raise ValueError("resize: kind='fill' needs a fill_value")
    if isinstance(factor, int) and not fill_dropout:
        new_dim = axis * factor
    else:
        new_dim = Dim(None, name=f"{axis.description}:resized", kind=axis.kind)
    if out_dim is not None:
        out_dim = as_dim(out_dim, "resize", "out_dim")
        if new_dim.dimension is not None and out_dim.dimension != new_dim.dimension:
            raise DimMismatchError(
                f"resize: out_dim {_dim_str(out_dim)} must have size {new_dim.dimension} "
                f"(at {user_location()})"
            )
        new_dim = out_dim
    dims = [new_dim if d is axis else d for d in _batch_major_with_axis_second(x, axis)]
    layer: dict[str, Any] = {
        "class": "resize",
        "from": x,
        "factor": factor,
        "axis": axis,
        "out_dim": new_dim,
        "kind": kind,
    }
    if fill_value is not None:
        layer["fill_value"] = fill_value
    if fill_dropout:
        layer["fill_dropout"] = float(fill_dropout)
    feature = x.feature_dim if x.feature_dim is not axis else new_dim
    template = make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature)
    return make_layer_tensor(layer, template, name_hint="resize"), new_dim


def range_from_length(
    source: Tensor,
    *,
    dtype: str = "int32",
    sparse: bool = False,
    out_spatial_dim: Dim | None = None,
) -> tuple[Tensor, Dim]:
    """``0, 1, ..., n-1`` over a new dynamic dim whose sizes are the int tensor
    ``source`` (e.g. per-sequence lengths ``[batch]``) (RETURNN ``range_from_length``).

    Returns the range and the new dim (``out_spatial_dim`` if given).

    Examples
    --------
    >>> import rc_nn as nn
    >>> t = nn.SpatialDim("t")
    >>> r, t2 = nn.range_from_length(nn.length(t))
    >>> r.dims == (t2,)
    True
    """
    x = as_tensor(source, "range_from_length")
    if x.dtype not in ("int32", "int64"):
        raise DimMismatchError(
            f"range_from_length: needs int32/int64 sizes, got {x!r} (at {user_location()})"
        )
    if any(d.dimension is None and not d.is_batch_dim() for d in x.dims):
        raise DimMismatchError(
            f"range_from_length: the sizes {x!r} have a dynamic dim; RETURNN takes sizes over "
            f"the batch (and static dims) only (at {user_location()})"
        )
    if sparse and not dtype.startswith("int"):
        raise ValueError(f"range_from_length: a sparse range needs an int dtype, got {dtype!r}")
    of_dim = _length_of(x)
    if of_dim is not None:
        # RETURNN recognizes the sizes of an existing dim and ranges over that dim.
        if out_spatial_dim is not None and out_spatial_dim is not of_dim:
            raise DimMismatchError(
                f"range_from_length: the sizes are nn.length({_dim_str(of_dim)}), so the range "
                f"is over {_dim_str(of_dim)} itself (RETURNN makes the two dims one); do not "
                f"pass another out_spatial_dim, or use nn.range_over_dim({of_dim.description}) "
                f"(at {user_location()})"
            )
        out_spatial_dim = of_dim
    elif out_spatial_dim is None:
        out_spatial_dim = Dim(None, name="range_from_length", kind=Dim.Types.Spatial)
    else:
        out_spatial_dim = as_dim(out_spatial_dim, "range_from_length", "out_spatial_dim")
        if out_spatial_dim.dimension is not None:
            raise DimMismatchError(
                f"range_from_length: out_spatial_dim {_dim_str(out_spatial_dim)} must be "
                f"dynamic (at {user_location()})"
            )
    layer: dict[str, Any] = {
        "class": "range_from_length",
        "from": x,
        "out_spatial_dim": out_spatial_dim,
    }
    if dtype != "int32":
        layer["dtype"] = dtype
    if sparse:
        layer["sparse"] = True
    template = make_template(
        [out_spatial_dim], dtype, sparse_dim=out_spatial_dim if sparse else None
    )
    return make_layer_tensor(layer, template, name_hint="range_from_length"), out_spatial_dim


def _length_of(x: Tensor) -> Dim | None:
    """The dim whose sizes ``x`` is, if ``x`` is ``nn.length(dim)`` of a dynamic dim."""
    layer = x.layer_dict
    if layer is not None and layer.get("class") == "length" and x.dtype == "int32":
        dim = layer.get("axis")
        if isinstance(dim, Dim) and dim.dimension is None and not dim.is_batch_dim():
            return dim
    return None


def stft(
    source: Tensor,
    *,
    frame_shift: int,
    frame_size: int,
    fft_size: int | None = None,
    in_spatial_dims: Sequence[Dim],
    out_spatial_dims: Sequence[Dim] | None = None,
    out_dim: Dim | None = None,
) -> tuple[Tensor, list[Dim]]:
    """Short-time Fourier transform over one spatial dim (RETURNN ``stft``, ``tf.signal.stft``
    with a periodic Hann window): complex64 ``[batch..., frames, fft_size // 2 + 1]``.

    ``source`` is a float signal ``[batch, time]`` (or ``[batch, time, 1]``). Frames are
    taken without padding: ``(time - frame_size) // frame_shift + 1`` of them. Returns
    the tensor and ``[frames_dim]``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t = nn.SpatialDim("samples")
    >>> y, (frames,) = nn.stft(nn.zeros([nn.batch_dim, t]), frame_shift=80, frame_size=200,
    ...                        fft_size=256, in_spatial_dims=[t])
    >>> y.dtype, y.dims[-1].dimension
    ('complex64', 129)
    """
    x = as_tensor(source, "stft")
    for value, arg in ((frame_shift, "frame_shift"), (frame_size, "frame_size")):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"stft: {arg} must be a positive int, got {value!r}")
    fft = frame_size if fft_size is None else fft_size
    if not isinstance(fft, int) or isinstance(fft, bool) or fft < frame_size:
        raise ValueError(f"stft: fft_size must be an int >= frame_size, got {fft_size!r}")
    in_dims = list(in_spatial_dims)
    if len(in_dims) != 1:
        raise AxisError(
            f"stft: in_spatial_dims must name exactly one dim (the signal's time), got "
            f"{in_dims!r} (at {user_location()})"
        )
    time = check_axis(x, as_dim(in_dims[0], "stft", "in_spatial_dims"), "stft")
    if not x.dtype.startswith("float"):
        raise DimMismatchError(f"stft: needs a float signal, got {x!r} (at {user_location()})")
    if batch_dim not in x.dims:
        raise AxisError(f"stft: the signal needs a batch dim, {x!r} has none")
    channels = [d for d in x.dims if d is not time and not d.is_batch_dim()]
    if channels and not (len(channels) == 1 and channels[0].dimension == 1):
        raise DimMismatchError(
            f"stft: the signal must be [batch, time] or [batch, time, 1], got {x!r} "
            f"(at {user_location()})"
        )
    if out_spatial_dims is None:
        frames = time.sub_left(frame_size - 1)
        if frame_shift != 1:
            frames = frames.ceildiv_right(frame_shift)
    else:
        outs = list(out_spatial_dims)
        if len(outs) != 1:
            raise AxisError("stft: out_spatial_dims must have exactly one dim")
        frames = as_dim(outs[0], "stft", "out_spatial_dims")
    n_out = fft // 2 + 1
    if out_dim is None:
        out_dim = Dim(n_out, name="stft", kind=Dim.Types.Feature)
    elif as_dim(out_dim, "stft", "out_dim").dimension != n_out:
        raise DimMismatchError(
            f"stft: out_dim {_dim_str(out_dim)} must have size fft_size // 2 + 1 = {n_out}"
        )
    dims = [batch_dim, frames, out_dim]
    layer: dict[str, Any] = {
        "class": "stft",
        "from": x,
        "frame_shift": frame_shift,
        "frame_size": frame_size,
        "fft_size": fft,
        "in_spatial_dims": [time],
        "out_spatial_dims": [frames],
        "out_dim": out_dim,
    }
    template = make_template(dims, "complex64", feature_dim=out_dim)
    return make_layer_tensor(layer, template, name_hint="stft"), [frames]


def concat_features(*sources: Tensor, allow_broadcast: bool = False) -> Tensor:
    """Concatenate along the feature dim of every source (each needs one).

    Examples
    --------
    >>> import rc_nn as nn
    >>> a, b = nn.FeatureDim("a", 2), nn.FeatureDim("b", 3)
    >>> y = nn.concat_features(nn.zeros([nn.batch_dim, a]), nn.zeros([nn.batch_dim, b]))
    >>> y.feature_dim.dimension
    5
    """
    if not sources:
        raise ValueError("concat_features: needs at least one source")
    pairs: list[tuple[Tensor, Dim]] = []
    for source in sources:
        x = as_tensor(source, "concat_features")
        if x.feature_dim is None:
            raise AxisError(
                f"concat_features: {x!r} has no feature dim (at {user_location()}); use "
                "nn.concat((x, dim), ...) with explicit dims"
            )
        pairs.append((x, x.feature_dim))
    # (nn.concat returns the tensor, or (tensor, dim) as in the predecessor)
    result: Any = _array.concat(*pairs, allow_broadcast=allow_broadcast)
    out = result[0] if isinstance(result, tuple) else result
    assert isinstance(out, Tensor)
    return out


def prev_target_seq(
    targets: Tensor, *, spatial_dim: Dim, bos_idx: int, out_one_longer: bool
) -> tuple[Tensor, Dim]:
    """The targets shifted right by one frame with ``bos_idx`` in front (the inputs of a
    label-synchronous decoder in teacher forcing).

    With ``out_one_longer`` the result has a new dim ``1 + spatial_dim``; else the last
    label is cut off and the result keeps ``spatial_dim``. Returns the tensor and its dim.

    Examples
    --------
    >>> import rc_nn as nn
    >>> s, v = nn.SpatialDim("labels"), nn.FeatureDim("vocab", 5)
    >>> y = nn.get_extern_data(nn.Data("prev_target_doc", dims=[nn.batch_dim, s], sparse_dim=v))
    >>> prev, dim = nn.prev_target_seq(y, spatial_dim=s, bos_idx=0, out_one_longer=False)
    >>> dim is s and set(prev.dims) == {nn.batch_dim, s} and prev.sparse_dim is v
    True
    """
    x = as_tensor(targets, "prev_target_seq")
    spatial_dim = check_axis(
        x, as_dim(spatial_dim, "prev_target_seq", "spatial_dim"), "prev_target_seq"
    )
    if out_one_longer:
        y, dim = x, spatial_dim
    else:
        y, dim = slice_(x, axis=spatial_dim, slice_end=-1)
    bos_dim = Dim(1, name="bos-prefix", kind=Dim.Types.Spatial)
    bos = _array.constant(bos_idx, shape=[bos_dim], dtype=x.dtype, sparse_dim=x.sparse_dim)
    result: Any = _array.concat((bos, bos_dim), (y, dim), allow_broadcast=True)
    if isinstance(result, tuple):  # nn.concat giving (tensor, dim), as the predecessor's
        out, new_dim = result
    else:
        out = result
        new_dim = next(d for d in out.dims if all(d is not old for old in x.dims))
    assert isinstance(out, Tensor) and isinstance(new_dim, Dim)
    if out_one_longer:
        return out, new_dim
    out, _ = replace_dim(out, in_dim=new_dim, out_dim=spatial_dim)
    return out, spatial_dim


def inverse_window(
    source: Tensor,
    *,
    in_spatial_dim: Dim,
    out_spatial_dim: Dim,
    window_dim: Dim,
    stride: int = 1,
    padding: str = "same",
    combine: str = "mean",
) -> Tensor:
    """Undo :func:`rc_nn.window`: put the windows ``[in_spatial_dim, window_dim, ...]`` back
    onto ``out_spatial_dim`` (the axis ``window`` was applied to), averaging the frames
    where windows overlap (``combine="mean"``, the only mode). Same math as the
    predecessor's ``nn.inverse_window``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, w, f = nn.SpatialDim("t"), nn.SpatialDim("win", 3), nn.FeatureDim("f", 2)
    >>> x = nn.zeros([nn.batch_dim, t, f])
    >>> y, t2 = nn.window(x, spatial_dim=t, window_dim=w)
    >>> z = nn.inverse_window(y, in_spatial_dim=t2, out_spatial_dim=t, window_dim=w)
    >>> set(z.dims) == {nn.batch_dim, t, f}
    True
    """
    x = as_tensor(source, "inverse_window")
    in_spatial_dim = check_axis(
        x, as_dim(in_spatial_dim, "inverse_window", "in_spatial_dim"), "inverse_window"
    )
    window_dim = check_axis(x, as_dim(window_dim, "inverse_window", "window_dim"), "inverse_window")
    out_spatial_dim = as_dim(out_spatial_dim, "inverse_window", "out_spatial_dim")
    if window_dim.dimension is None:
        raise DimMismatchError(f"inverse_window: window_dim {_dim_str(window_dim)} must be static")
    if combine != "mean":
        raise ValueError(f"inverse_window: combine must be 'mean' (the only mode), got {combine!r}")
    if padding not in ("same", "valid"):
        raise ValueError(f"inverse_window: padding must be 'same' or 'valid', got {padding!r}")
    if not isinstance(stride, int) or isinstance(stride, bool) or stride <= 0:
        raise ValueError(f"inverse_window: stride must be a positive int, got {stride!r}")
    size = int(window_dim.dimension)
    left = (size + 1) // 2 - 1 if padding == "same" else 0
    num_overlap = -(-size // stride)  # windows that can cover one frame
    overlap_dim = Dim(num_overlap, name="inverse_window:overlap", kind=Dim.Types.Spatial)
    overlap = range_over_dim(overlap_dim, sparse=False)
    positions = range_over_dim(out_spatial_dim, sparse=False)
    shifted = positions + (left - (num_overlap - 1) * stride)
    win_indices = combine_bc(shifted // stride, "add", overlap)  # [out_spatial, overlap]
    offset = (num_overlap - 1 - overlap) * stride
    offset = combine_bc(offset, "add", shifted % stride)
    offset = where(offset < size, offset, -1)
    flat, flat_dim = merge_dims(x, axes=[in_spatial_dim, window_dim])
    flat_indices = win_indices * size + offset
    mask = (win_indices >= 0) & compare_bc(win_indices, "<", length(in_spatial_dim)) & (offset >= 0)
    flat_indices = where(mask, flat_indices, 0)
    overlaps = gather(flat, indices=flat_indices, axis=flat_dim)
    overlaps = where(mask, overlaps, 0.0 if x.dtype.startswith("float") else 0)
    counts = _array.reduce(_array.cast(mask, "int32"), mode="sum", axis=overlap_dim)
    counts = maximum(counts, 1)
    res = _array.reduce(overlaps, mode="mean", axis=overlap_dim)
    return res * (float(num_overlap) / _array.cast(counts, res.dtype))
