"""Dims and tensor templates: RETURNN's own ``returnn.tensor`` objects, with the predecessor's names."""

from __future__ import annotations

from collections.abc import Sequence

from returnn.tensor import Dim, batch_dim, single_step_dim
from returnn.tensor import Tensor as Data_

from ._declare import check_dim_size, check_extern_key
from ._dim_sites import record_creation_site
from ._errors import DeclarationTypeError
from ._userloc import user_location

__all__ = ["Data", "Dim", "FeatureDim", "SpatialDim", "batch_dim", "single_step_dim"]


def FeatureDim(description: str, dimension: int) -> Dim:
    """A static feature dim.

    The dim remembers the line that made it, for messages about two different dims with
    the same description (never written to a config).

    The size is an int from 1 to ``2**31 - 1`` (numpy integers are taken as their value);
    anything else is a :class:`DimSizeError` or :class:`DeclarationTypeError`.

    Examples
    --------
    >>> FeatureDim("hidden", 512).dimension
    512
    """
    size = check_dim_size(
        dimension, f"FeatureDim({description!r}, {dimension!r})", user_location(2), allow_none=False
    )
    return record_creation_site(Dim(size, name=description, kind=Dim.Types.Feature))


def SpatialDim(description: str, dimension: int | None = None) -> Dim:
    """A spatial dim, dynamic (per-sequence lengths) unless ``dimension`` is given.

    A static size is checked like :func:`FeatureDim`'s.

    Examples
    --------
    >>> SpatialDim("time").is_dynamic()
    True
    """
    size = check_dim_size(
        dimension, f"SpatialDim({description!r}, {dimension!r})", user_location(2)
    )
    return record_creation_site(Dim(size, name=description, kind=Dim.Types.Spatial))


def Data(
    name: str,
    dim_tags: Sequence[Dim] | None = None,
    *,
    dims: Sequence[Dim] | None = None,
    sparse_dim: Dim | None = None,
    dtype: str | None = None,
    available_for_inference: bool | None = None,
) -> Data_:
    """A tensor template (RETURNN's ``returnn.tensor.Tensor``) describing an input.

    Like RETURNN's own extern data (and the predecessor's ``nn.Data``), it has a time
    axis: ``data.time_dim_axis`` is the first dynamic dim. The feature dim is the last
    ``FeatureDim`` (none for sparse inputs).

    Examples
    --------
    >>> time = SpatialDim("time")
    >>> Data("data", dim_tags=[batch_dim, time, FeatureDim("in", 80)]).dtype
    'float32'
    >>> Data("data", dim_tags=[batch_dim, time, FeatureDim("in", 80)]).time_dim_axis
    1
    """
    location = user_location(2)
    check_extern_key(name, f"Data({name!r})", location)
    if dim_tags is not None and dims is not None:
        raise ValueError(f"Data({name!r}): give either dim_tags or dims, not both")
    dims_ = list(dims if dims is not None else dim_tags or ())
    check_template_dims(name, [*dims_, *([sparse_dim] if sparse_dim is not None else [])], location)
    if dtype is None:
        dtype = "int32" if sparse_dim is not None else "float32"
    kwargs: dict[str, object] = {}
    if available_for_inference is not None:
        kwargs["available_for_inference"] = available_for_inference
    feature_dim = next((d for d in reversed(dims_) if d.kind == Dim.Types.Feature), None)
    if sparse_dim is not None:
        feature_dim = None
    # A version-1 template, as RETURNN makes extern data: it has RETURNN's time axis
    # (``data.time_dim_axis``, the first dynamic dim), which the predecessor's code reads.
    return Data_(
        name,
        dims=dims_,
        dtype=dtype,
        sparse_dim=sparse_dim,
        feature_dim_axis=dims_.index(feature_dim) if feature_dim is not None else None,
        version=1,
        **kwargs,
    )


def check_template_dims(name: str, dims: Sequence[object], location: str) -> None:
    """Every dim of the input ``name`` is an ``nn.Dim`` with a valid (or dynamic) size."""
    for dim in dims:
        if not isinstance(dim, Dim):
            raise DeclarationTypeError(
                f"Data({name!r}): dims must be nn.Dim objects, got {dim!r} (at {location})"
            )
        check_dim_size(dim.dimension, f"Data({name!r}): dim {dim!r}", location)
