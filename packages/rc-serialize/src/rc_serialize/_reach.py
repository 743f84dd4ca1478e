"""Reach pass: what a set of layers depends on, a walk over the record's ``deps``.

Examples
--------
>>> from rc_nn import LayerRecord, TemplateRecord
>>> t = TemplateRecord((), "float32")
>>> layers = [LayerRecord(i, "layer", "x", "f.py:1", "", t, deps=d)
...           for i, d in enumerate([(), (0,), (1, 0), ()])]
>>> list(reach(layers, [2]))
[2, 0, 1]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import rc_nn

__all__ = ["reach"]


def reach(layers: Sequence[rc_nn.LayerRecord], targets: Iterable[int]) -> dict[int, None]:
    """The ids of ``targets`` and of every layer they depend on, as an ordered set.

    The order is that of a depth-first walk (last pushed, first visited), iterative
    because deep models exceed the recursion limit; it decides which of several
    errors about the used layers is raised first.
    """
    used: dict[int, None] = {}
    stack = list(targets)
    while stack:
        layer = stack.pop()
        if layer in used:
            continue
        used[layer] = None
        stack.extend(layers[layer].deps)
    return used
