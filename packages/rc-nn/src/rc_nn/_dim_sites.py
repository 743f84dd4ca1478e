"""Where dims were made, for messages about two different dims that look alike.

``nn.FeatureDim`` and ``nn.SpatialDim`` remember the user's ``file:line`` that made a
dim (the same lookup parameters do, :func:`rc_nn._userloc.user_location`). A message
about a missing or mismatching dim appends :func:`lookalike_dims_note`: when the dims
it shows contain different ``Dim`` objects with the same description and size (two
``nn.FeatureDim("input", 40)``), it says so and where each was made. The site is kept
in a table beside the dim (by identity, dropped with the dim), never on the dim object:
it reaches neither a config nor a pickle.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from returnn.tensor import Dim

from ._userloc import user_location

__all__ = ["creation_site_of", "lookalike_dims_note", "record_creation_site"]

# Sites by id of the dim, dropped when the dim is garbage collected. Not an attribute of
# the dim: RETURNN's Dim pickles only its slots (it asserts an empty __dict__), and
# pipelines (Sisyphus) pickle and hash configs holding dims.
_sites: dict[int, str] = {}


def record_creation_site(dim: Dim, *, skip: int = 2) -> Dim:
    """Remember the user's ``file:line`` that made ``dim`` (the innermost frame outside rc).

    Examples
    --------
    >>> d = record_creation_site(Dim(3, name="x"))
    >>> creation_site_of(d).count(":") >= 1
    True
    """
    key = id(dim)
    try:
        finalizer = weakref.finalize(dim, _sites.pop, key, None)
    except TypeError:  # pragma: no cover - a Dim without weak references (other RETURNN)
        return dim
    finalizer.atexit = False  # nothing to clean up at interpreter exit
    _sites[key] = user_location(skip)
    return dim


def creation_site_of(dim: Dim) -> str | None:
    """The ``file:line`` recorded by :func:`record_creation_site`, or None.

    Examples
    --------
    >>> creation_site_of(Dim(3, name="x")) is None
    True
    """
    return _sites.get(id(dim))


def _label(dim: Dim) -> str:
    size = dim.dimension if dim.dimension is not None else "?"
    return f"{dim.description}({size})"


def lookalike_dims_note(dims: Iterable[Dim | None]) -> str:
    """A sentence (with a leading space) on different dims that share description and size.

    Empty when all dims in ``dims`` with the same description and size are one object
    (or equal for RETURNN). Otherwise it names each look-alike and where it was made.

    Examples
    --------
    >>> a, b = Dim(40, name="input"), Dim(40, name="input")
    >>> note = lookalike_dims_note([a, b, Dim(5, name="out")])
    >>> "input(40) stands for 2 different nn.Dim objects with the same description" in note
    True
    >>> lookalike_dims_note([a, a])
    ''
    """
    groups: dict[tuple[str, int | None], list[Dim]] = {}
    for dim in dims:
        if dim is None or not isinstance(dim, Dim) or dim.is_batch_dim():
            continue
        group = groups.setdefault((str(dim.description), dim.dimension), [])
        if not any(other is dim or other == dim for other in group):
            group.append(dim)
    notes = []
    for group in groups.values():
        if len(group) < 2:
            continue
        sites = [creation_site_of(dim) for dim in group]
        known = [site for site in sites if site is not None]
        if len(known) == len(sites) and len(set(known)) == 1:
            where = f"both made at {known[0]} (that line ran more than once)"
            if len(group) > 2:
                where = f"all made at {known[0]} (that line ran more than once)"
        else:
            where = "made " + _join(
                [
                    f"at {site}" if site else "somewhere unknown (nn.Dim(...) or an operation)"
                    for site in sites
                ]
            )
        notes.append(
            f"{_label(group[0])} stands for {len(group)} different nn.Dim objects with the same "
            f"description and size, {where}"
        )
    if not notes:
        return ""
    return (
        f" Note: {'; '.join(notes)}. Dims are matched by object, not by description: make "
        "each dim once and pass that same object everywhere it is meant."
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
