"""Input checks shared by the parametrized layers (conv, pool, norm, LSTM).

Every check raises an rc-nn error that says what is wrong, lists the dims
involved and points at the user's line of code.
"""

from __future__ import annotations

from collections.abc import Sequence

from returnn.tensor import Dim, batch_dim

from ._dim_sites import lookalike_dims_note
from ._dimargs import dims_str
from ._errors import AxisError, DimMismatchError
from ._tensor import Tensor, _dim_str
from ._userloc import user_location

__all__ = [
    "infer_spatial_dims",
    "positive_ints",
    "require_batch",
    "require_dim",
    "require_float",
    "require_spatial_dims",
]


def require_dim(x: Tensor, dim: Dim, what: str, *, role: str = "input dim") -> None:
    """Raise ``DimMismatchError`` unless ``dim`` is a dim of ``x``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> require_dim(nn.zeros([f]), f, "Demo")
    """
    if dim not in x.dims:
        raise DimMismatchError(
            f"{what}: the input {x!r} has no {role} {_dim_str(dim)} "
            f"(its dims: {dims_str(x.dims)}; called at {user_location()}). "
            "Pass a tensor with this dim, or build the layer with the input's dim."
            + lookalike_dims_note([dim, *x.dims])
        )


def require_batch(x: Tensor, what: str) -> None:
    """Raise ``DimMismatchError`` unless ``x`` has the batch dim (RETURNN needs it for these layers).

    Examples
    --------
    >>> import rc_nn as nn
    >>> require_batch(nn.zeros([nn.batch_dim]), "Demo")
    """
    if batch_dim not in x.dims:
        raise DimMismatchError(
            f"{what}: the input {x!r} has no batch dim (its dims: {dims_str(x.dims)}; "
            f"called at {user_location()}); RETURNN's layer needs one."
        )


def require_float(x: Tensor, what: str) -> None:
    """Raise ``DimMismatchError`` if ``x`` is sparse or not a float tensor.

    Examples
    --------
    >>> import rc_nn as nn
    >>> require_float(nn.zeros([nn.batch_dim]), "Demo")
    """
    if x.sparse_dim is not None or not x.dtype.startswith("float"):
        raise DimMismatchError(
            f"{what}: the input {x!r} must be a dense float tensor, got dtype {x.dtype}"
            + (f" with sparse dim {_dim_str(x.sparse_dim)}" if x.sparse_dim is not None else "")
            + f" (called at {user_location()}). Use nn.Embedding or nn.cast first."
        )


def positive_ints(value: int | Sequence[int], n: int, what: str, name: str) -> list[int]:
    """``value`` as a list of ``n`` positive ints (an int is repeated), else ``ValueError``.

    Examples
    --------
    >>> positive_ints(2, 3, "Demo", "strides")
    [2, 2, 2]
    """
    items = [value] * n if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(items, int | str | bytes) or not isinstance(items, Sequence):
        raise ValueError(
            f"{what}: {name} must be a positive int or a sequence of {n} positive ints, "
            f"got {value!r} (at {user_location()})"
        )
    result = list(items)
    if len(result) != n or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in result
    ):
        raise ValueError(
            f"{what}: {name} must be {n} positive int{'s' if n > 1 else ''}, "
            f"got {value!r} (at {user_location()})"
        )
    return result


def require_spatial_dims(
    x: Tensor, dims: Sequence[Dim], exclude: Sequence[Dim], what: str, name: str
) -> list[Dim]:
    """Check explicit spatial dims: dims of ``x``, distinct, not batch and not in ``exclude``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> t = nn.SpatialDim("t")
    >>> require_spatial_dims(nn.zeros([nn.batch_dim, t]), [t], [], "Demo", "in_spatial_dims") == [t]
    True
    """
    result = list(dims)
    for dim in result:
        if not isinstance(dim, Dim):
            raise AxisError(
                f"{what}: {name} must be nn.Dim objects, got {dim!r} (at {user_location()})"
            )
        if dim not in x.dims:
            raise AxisError(
                f"{what}: {name} has {_dim_str(dim)}, which is not a dim of the input {x!r} "
                f"(its dims: {dims_str(x.dims)}; at {user_location()})"
                + lookalike_dims_note([dim, *x.dims])
            )
        if dim.is_batch_dim() or dim in exclude:
            role = "the batch dim" if dim.is_batch_dim() else "the layer's feature dim"
            raise AxisError(
                f"{what}: {name} has {_dim_str(dim)}, which is {role}; "
                f"give the spatial dims of the input {dims_str(x.dims)} (at {user_location()})"
            )
    if len(set(result)) != len(result):
        raise AxisError(
            f"{what}: {name} {dims_str(result)} names a dim twice (at {user_location()})"
        )
    return result


def infer_spatial_dims(
    x: Tensor, n: int, exclude: Sequence[Dim], what: str, name: str
) -> list[Dim]:
    """The ``n`` spatial dims of ``x`` when they are unambiguous: all dims but batch and ``exclude``.

    Only a single spatial dim is inferred (the order of several would be a guess).

    Examples
    --------
    >>> import rc_nn as nn
    >>> t, f = nn.SpatialDim("t"), nn.FeatureDim("f", 2)
    >>> infer_spatial_dims(nn.zeros([nn.batch_dim, t, f]), 1, [f], "Demo", "in_spatial_dim") == [t]
    True
    """
    candidates = [d for d in x.dims if not d.is_batch_dim() and d not in exclude]
    if n == 1 and len(candidates) == 1:
        return candidates
    if not candidates:
        problem = "the input has no spatial dim at all"
    elif n == 1:
        problem = f"it is ambiguous: candidates {dims_str(candidates)}"
    else:
        problem = (
            f"{n} spatial dims are needed, in filter order (candidates {dims_str(candidates)})"
        )
    raise AxisError(
        f"{what}: pass {name}= explicitly; {problem}. Input {x!r} has dims "
        f"{dims_str(x.dims)} (called at {user_location()})"
    )
