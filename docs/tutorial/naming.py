"""The naming rules at work: shared parameters, aliases, layer names and the errors."""

from __future__ import annotations

import rc_naming
import rc_nn as nn
from rc_serialize import ReturnnConfigPieces


class Model(nn.Module):
    def __init__(self, dim: nn.Dim) -> None:
        super().__init__()
        self.encoder = nn.Linear(dim, dim)
        self.decoder = nn.Linear(dim, dim)
        self.decoder.weight = self.encoder.weight  # tied: one parameter, reached two ways

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.decoder(nn.relu(self.encoder(x)))


time_dim, dim = nn.SpatialDim("time"), nn.FeatureDim("model", 4)
x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, dim]))
model = Model(dim)
model.head = model.decoder  # an alias added later never moves an existing name
model(x).mark_as_default_output()

# N3/N4: the first assignment wins; a shared parameter has one name.
print([name for name, _ in model.named_parameters()])

# Aliases are visible, not hidden: every other path to the shared weight.
graph = rc_naming.current_root().graph
for info in rc_naming.alias_report(graph, model, only_aliased=True):
    if info.path == ("encoder", "weight"):
        print([".".join(path) for path in info.aliases])

# N6: layer names come from the call tree; the default output is the layer "output".
print(list(ReturnnConfigPieces(model).network_dict))

# N3: a "." inside a name would make two paths look alike, so it is refused where assigned.
try:
    setattr(model, "dec.v2", nn.Linear(dim, dim))
except nn.DottedNameError as exc:
    print(type(exc).__name__, "(also a ValueError)" if isinstance(exc, ValueError) else "")

# N5: a parameter the computation uses must be reachable from the root module.
with nn.Root():
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, dim]))
    stray = nn.Linear(dim, dim)  # not an attribute of the model

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(dim, dim)

        def forward(self, x: nn.Tensor) -> nn.Tensor:
            return stray(self.inner(x))

    wrapper = Wrapper()
    wrapper(x).mark_as_default_output()
    try:
        ReturnnConfigPieces(wrapper)
    except rc_naming.UnreachableError as exc:
        print(str(exc).splitlines()[-1])
