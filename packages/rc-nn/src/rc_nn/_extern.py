"""Extern data: the network inputs (RETURNN ``extern_data``)."""

from __future__ import annotations

from returnn.tensor import Tensor as Template

import rc_naming

from ._state import state_of
from ._tensor import Tensor
from ._userloc import user_location

__all__ = ["get_extern_data"]


def get_extern_data(data: Template) -> Tensor:
    """The tensor standing for the network input described by ``data`` (an ``nn.Data``).

    Asking twice for the same name gives the same tensor.

    Example:
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
    root = rc_naming.current_root()
    state = state_of(root)
    known = state.extern_data.get(data.name)
    if known is not None:
        if (
            known.template.dims != data.dims
            or known.dtype != data.dtype
            or known.sparse_dim != data.sparse_dim
        ):
            raise ValueError(
                f"get_extern_data: input {data.name!r} was already declared as {known!r} "
                f"at {known.created_at}; the new declaration {data} differs"
            )
        return known
    tensor = Tensor(
        data, root=root, name_hint=data.name, extern_name=data.name, created_at=user_location(2)
    )
    state.extern_data[data.name] = tensor
    return tensor
