"""Compare the checkpoint RETURNN wrote with the model's ``named_parameters()``."""

from __future__ import annotations

import sys

import tensorflow as tf
from tagger import build

checkpoint = sys.argv[1] if len(sys.argv) > 1 else "train.config.model/model.001"
model = build()

# Rule N4: a parameter ``a.b.c`` is the TF variable ``a/b/c/param``, with the same shape.
expected = {
    name.replace(".", "/") + "/param": tuple(d.dimension for d in param.dims)
    for name, param in model.named_parameters()
}
reader = tf.train.load_checkpoint(checkpoint)
stored = reader.get_variable_to_shape_map()
found = {name: tuple(stored[name]) for name in stored if name.endswith("/param")}
assert found == expected, f"checkpoint {sorted(found)} != model {sorted(expected)}"

# Training changed the values: the biases start at zero.
assert reader.get_tensor("output/bias/param").any(), "output.bias is still all zeros"
print(f"{checkpoint}: {len(found)} parameters, names and shapes equal named_parameters()")
