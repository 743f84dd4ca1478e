"""Building and calling a model never imports TensorFlow (checked in a fresh process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_BUILD = textwrap.dedent(
    """
    import sys

    import rc_nn as nn

    assert "tensorflow" not in sys.modules, "imported by `import rc_nn`"

    class Block(nn.Module):
        def __init__(self, d, h):
            super().__init__()
            self.norm = nn.LayerNorm(d)
            self.ff1 = nn.Linear(d, h)
            self.ff2 = nn.Linear(h, d)

        def forward(self, x):
            return x + self.ff2(nn.relu(self.ff1(self.norm(x))))

    class Stack(nn.Module):
        def __init__(self, d, h, n):
            super().__init__()
            self.layers = nn.Sequential(Block(d, h) for _ in range(n))
            self.final_norm = nn.LayerNorm(d)

        def forward(self, x):
            return self.final_norm(self.layers(x))

    time = nn.SpatialDim("time")
    d, h = nn.FeatureDim("model", 512), nn.FeatureDim("ff", 2048)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, d]))
    net = Stack(d, h, 12)
    y = net(x)
    y.mark_as_default_output()
    assert y.dims == (nn.batch_dim, time, d), y.dims
    names = [name for name, _ in net.named_parameters()]
    assert len(names) == 12 * 6 + 2, len(names)
    assert names[-3:] == ["layers.11.ff2.bias", "final_norm.scale", "final_norm.bias"], names[-3:]
    assert "rc_serialize" not in sys.modules
    loaded = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow."))
    print("TF-MODULES:", loaded)
    """
)


def test_build_and_call_conformer_sized_stack_without_tensorflow() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _BUILD],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "TF-MODULES: []" in proc.stdout, proc.stdout
