"""``LayerState``: the recurrent state of a module, a dict with attribute access (the
predecessor's ``nn.LayerState``)."""

from __future__ import annotations

from typing import Any

from ._tensor import Tensor, iter_tensors

__all__ = ["LayerState"]


class LayerState(dict[str, Any]):
    """The state of a layer or module: what it passes to its next call (e.g. in a loop).

    A ``dict`` whose keys are also attributes. ``LayerState(x)`` with a single
    non-dict value is ``LayerState(state=x)``. ``loop.state.s = LayerState(...)`` keeps
    the type: reading ``loop.state.s`` gives a ``LayerState`` again.

    Examples
    --------
    >>> import rc_nn as nn
    >>> f = nn.FeatureDim("f", 2)
    >>> s = nn.LayerState(h=nn.zeros([f]), c=nn.zeros([f]))
    >>> s.h is s["h"], sorted(s)
    (True, ['c', 'h'])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            if args:
                raise TypeError("LayerState: give either one positional value or keywords")
            super().__init__(**kwargs)
        elif args:
            if len(args) != 1:
                raise TypeError(f"LayerState: at most one positional value, got {len(args)}")
            if isinstance(args[0], dict):
                super().__init__(**args[0])
            else:
                super().__init__(state=args[0])
        else:
            super().__init__()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.items())})"

    def __getattr__(self, item: str) -> Any:
        if item in self:
            return self[item]
        raise AttributeError(f"{type(self).__name__} has no entry {item!r} (has {sorted(self)})")

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    def deep_tensors(self) -> list[Tensor]:
        """All tensors in this state, nested structures included, in order."""
        return self.cls_deep_tensors(self)

    @classmethod
    def cls_deep_tensors(cls, obj: Any) -> list[Tensor]:
        """All tensors in ``obj`` (dicts, lists, tuples, named tuples), in order.

        Examples
        --------
        >>> import rc_nn as nn
        >>> f = nn.FeatureDim("f", 2)
        >>> len(nn.LayerState.cls_deep_tensors({"a": (nn.zeros([f]), nn.zeros([f]))}))
        2
        """
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):
            obj = [getattr(obj, field) for field in obj._fields]
        return list(iter_tensors(obj))
