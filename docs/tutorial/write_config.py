"""Build the model, list its parameters and write its RETURNN config to ``tutorial.config``."""

from __future__ import annotations

import pathlib

from tagger import build

from rc_serialize import get_returnn_config_serialized, model_names_and_shapes

model = build()

# The parameter names: attribute paths from the root module, like a PyTorch state dict.
for name, shape in model_names_and_shapes(model).items():
    print(f"{name:21} {'x'.join(map(str, shape))}")

config = get_returnn_config_serialized(model)  # the model is the root module
pathlib.Path("tutorial.config").write_text(config, encoding="utf-8")
print(config.splitlines()[0], "...", f"({len(config.splitlines())} lines in tutorial.config)")
