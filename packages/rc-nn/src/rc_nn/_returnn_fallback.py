"""Ask RETURNN (which imports TensorFlow) for the output template of a layer we do not model.

Only ``nn.make_layer(...)`` without ``out=`` comes here: an explicit, lazy fallback.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Tensor as Template

__all__ = ["infer_template_with_returnn"]


def infer_template_with_returnn(layer_dict: dict[str, Any], *, name: str) -> Template:
    """The output template RETURNN's TF backend computes for ``layer_dict``."""
    raise NotImplementedError(
        f"make_layer {name!r}: inferring the output template with RETURNN is not built yet; "
        "pass out=nn.Data(...)-like template (e.g. x.data.copy_template()) explicitly"
    )
