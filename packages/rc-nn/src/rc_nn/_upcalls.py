"""Calls from the tensor core up to the parts of rc-nn built on top of it.

``_tensor`` is the bottom of rc-nn's import graph: control flow (``_control``) and
the arithmetic operations (``_math``) make tensors, so they import ``_tensor``. Yet
the tensor core asks two things of them:

* the control-flow question, which every new layer and every tensor input of an
  operation asks: may this layer read these tensors from the block (loop, cond,
  masked computation) open now, and what does an operation inside a loop read for
  a tensor from outside it (:class:`ControlFlow`);
* the Python operators of ``nn.Tensor`` (``x + y``, ``-x``, ``x < 0``), which are
  ``_math``'s operations (:class:`Operators`).

The modules that answer install themselves here when they are imported; importing
``rc_nn`` imports them, so the answers are in place before any tensor exists. This
keeps the import graph free of cycles and of function-level imports.

Examples
--------
>>> import rc_nn  # installs both
>>> callable(control_flow().check_new_layer) and callable(operators().binary)
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import rc_naming

    from ._tensor import Tensor

__all__ = ["ControlFlow", "Operators", "control_flow", "install", "operators"]


class ControlFlow(Protocol):
    """The control-flow question, answered by ``rc_nn._control``."""

    def check_new_layer(self, inputs: Sequence[object], root: rc_naming.Root, what: str) -> None:
        """Raise if a layer made now under ``root`` may not read a tensor in ``inputs``."""

    def read(self, tensor: Tensor) -> Tensor:
        """What an operation made now reads for ``tensor`` (a batch-major view in a loop)."""


class Operators(Protocol):
    """The Python operators of ``nn.Tensor``, answered by ``rc_nn._math``."""

    def binary(self, a: Tensor, b: object, kind: str, *, reverse: bool) -> Tensor:
        """``a <kind> b`` (``b <kind> a`` with ``reverse``), ``b`` a tensor or a number."""

    def unary(self, x: Tensor, kind: str) -> Tensor:
        """``kind`` (``"neg"``, ``"abs"``, ``"logical_not"``) of ``x``."""


@dataclasses.dataclass
class _Installed:
    control_flow: ControlFlow | None = None
    operators: Operators | None = None


_installed = _Installed()


def install(*, control_flow: ControlFlow | None = None, operators: Operators | None = None) -> None:
    """Install the answers (called once by ``_control`` and ``_math`` at import)."""
    if control_flow is not None:
        _installed.control_flow = control_flow
    if operators is not None:
        _installed.operators = operators


def control_flow() -> ControlFlow:
    """The installed control-flow rules."""
    rules = _installed.control_flow
    if rules is None:  # pragma: no cover - importing rc_nn installs them
        raise RuntimeError("rc-nn's control flow is not installed: import rc_nn first")
    return rules


def operators() -> Operators:
    """The installed tensor operators."""
    ops = _installed.operators
    if ops is None:  # pragma: no cover - importing rc_nn installs them
        raise RuntimeError("rc-nn's tensor operators are not installed: import rc_nn first")
    return ops
