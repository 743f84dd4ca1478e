"""``naming_root_of``: the public way to reach the naming root of a module or parameter."""

from __future__ import annotations

import rc_naming

from ._errors import RcNnError
from ._module import Module
from ._parameter import Parameter

__all__ = ["naming_root_of"]


class _NotNamedObjectError(RcNnError, TypeError):
    """``naming_root_of`` was given something that is no module or parameter."""


def naming_root_of(obj: Module | Parameter) -> rc_naming.Root:
    """The naming root (``rc_naming.Root``) a module or parameter was created under.

    The root holds the ownership graph (``root.graph``) from which canonical parameter
    paths, alias paths and renames are resolved with rc-naming's public API. This is the
    accessor for tools outside rc-nn (the serializer, checkpoint tools); it never
    creates a root.

    Raises
    ------
    TypeError
        (an ``RcNnError``) ``obj`` is no ``nn.Module`` or ``nn.Parameter``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root("demo") as root:
    ...     net = nn.Linear(nn.FeatureDim("in", 3), nn.FeatureDim("out", 2))
    >>> naming_root_of(net) is root, naming_root_of(net.weight) is root
    (True, True)
    >>> [".".join(p) for p in naming_root_of(net).graph.alias_paths(net, net.bias)]
    ['bias']
    """
    if isinstance(obj, Parameter):
        return obj.root
    if isinstance(obj, Module):
        return obj._rc_naming_root()
    raise _NotNamedObjectError(
        f"naming_root_of: expected an nn.Module or nn.Parameter, got {type(obj).__name__}; "
        "pass the root module of your model (or one of its parameters)"
    )
