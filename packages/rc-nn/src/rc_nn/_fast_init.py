"""A faster ``__init__`` for the build record's frozen, slotted dataclasses.

A frozen dataclass's generated ``__init__`` stores each field with
``object.__setattr__(self, name, value)``, a method lookup and a generic call per field;
the collector makes thousands of records per model. :func:`fast_init` swaps in an
``__init__`` with the same signature (names, order, defaults) that stores through the
slots' own descriptors. The classes stay frozen (assignment still raises), slotted,
comparable and picklable: only construction changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["fast_init"]


def fast_init(*classes: type[Any]) -> None:
    """Give each of ``classes`` (frozen, slotted dataclasses) the faster ``__init__``.

    Examples
    --------
    >>> @dataclasses.dataclass(frozen=True, slots=True)
    ... class P:
    ...     x: int
    ...     y: int = 2
    >>> fast_init(P)
    >>> P(1), P(1, y=3) == P(1, 3)
    (P(x=1, y=2), True)
    """
    for cls in classes:
        params = dataclasses.fields(cls)
        assert all(f.init and f.default_factory is dataclasses.MISSING for f in params), cls
        namespace: dict[str, Any] = {}
        signature, body = [], []
        for index, field in enumerate(params):
            namespace[f"_set{index}"] = cls.__dict__[field.name].__set__
            if field.default is dataclasses.MISSING:
                signature.append(field.name)
            else:
                namespace[f"_default{index}"] = field.default
                signature.append(f"{field.name}=_default{index}")
            body.append(f"    _set{index}(self, {field.name})\n")
        source = f"def __init__(self, {', '.join(signature)}):\n{''.join(body)}"
        exec(source, namespace)  # field names only, from the class itself
        init = namespace["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__module__ = cls.__module__
        init.__doc__ = cls.__init__.__doc__
        cls.__init__ = init
