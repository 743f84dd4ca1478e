"""Small helpers shared by the regression tests of fuzz-found bugs (``test_regressions*.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rc_nn as nn

Roundtrip = Callable[..., Any]
B = nn.batch_dim


def data(*dims: nn.Dim, name: str = "data") -> nn.Tensor:
    """Extern data ``name`` with the batch dim first, then ``dims``."""
    return nn.get_extern_data(nn.Data(name, dim_tags=[B, *dims]))


class Fn(nn.Module):
    """A root module that runs ``fn``."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args: Any) -> Any:
        return self.fn(*args)
