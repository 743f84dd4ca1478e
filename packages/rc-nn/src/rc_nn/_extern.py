"""Extern data: the network inputs (RETURNN ``extern_data``)."""

from __future__ import annotations

import threading

from returnn.tensor import Tensor as Template

import rc_naming

from ._declare import check_extern_key
from ._dims import check_template_dims
from ._errors import ExternDataConflictError
from ._state import state_of
from ._tensor import Tensor
from ._userloc import user_location

__all__ = ["get_extern_data"]


def get_extern_data(data: Template) -> Tensor:
    """The tensor standing for the network input described by ``data`` (an ``nn.Data``).

    Asking twice for the same name gives the same tensor.

    Examples
    --------
    >>> import rc_nn as nn
    >>> x = nn.get_extern_data(nn.Data("feats", dim_tags=[nn.batch_dim, nn.FeatureDim("f", 3)]))
    >>> x is nn.get_extern_data(nn.Data("feats", dim_tags=x.dims))
    True
    """
    if not isinstance(data, Template):
        raise TypeError(
            f"get_extern_data: expected an nn.Data(...) template, got {type(data).__name__} "
            f"(at {user_location(2)})"
        )
    location = user_location(2)
    check_extern_key(data.name, "get_extern_data", location)
    check_template_dims(
        data.name,
        [*data.dims, *([data.sparse_dim] if data.sparse_dim is not None else [])],
        location,
    )
    root = rc_naming.current_root()
    state = state_of(root)
    with state.lock:
        known = state.extern_data.get(data.name)
        if known is None:
            tensor = Tensor(
                data, root=root, name_hint=data.name, extern_name=data.name, created_at=location
            )
            state.extern_data[data.name] = tensor
            state.extern_threads[data.name] = threading.get_ident()
            return tensor
        thread = state.extern_threads.get(data.name)
    if (
        known.template.dims == data.dims
        and known.dtype == data.dtype
        and known.sparse_dim == data.sparse_dim
    ):
        return known
    if thread is not None and thread != threading.get_ident():
        cause = (
            f"by another thread (id {thread}), in the same naming root {root.name!r}: "
            "the default root is shared by all threads of the process"
        )
    else:
        cause = f"in the same naming root {root.name!r}"
    raise ExternDataConflictError(
        f"get_extern_data: input {data.name!r} was already declared as {known!r} at "
        f"{known.created_at} {cause}; the new declaration {data} at {location} differs. "
        "If this is a second model, build each model under its own root "
        "(`with nn.Root(): ...`, also one per thread) or call nn.reset_default_root() "
        "before building the next one; if it is the same model, declare the input once "
        "and reuse the tensor."
    )
