"""N6 determinism: the same model gives the same config, byte for byte, in any process.

Also: building and serializing never imports TensorFlow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._example import build_example

# A model with shared parameters, extra dims and a loss, defined in the subprocess.
_SHARED_MODEL = textwrap.dedent(
    """
    import rc_nn as nn

    class Block(nn.Module):
        def __init__(self, d, h):
            super().__init__()
            self.up = nn.Linear(d, h)
            self.down = nn.Linear(h, d)
            self.norm = nn.LayerNorm(d)

        def forward(self, x):
            return x + self.down(nn.relu(self.up(self.norm(x))))

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            d, h = nn.FeatureDim("model", 6), nn.FeatureDim("hidden", 7)
            self.blocks = nn.ModuleList([Block(d, h) for _ in range(3)])
            for block in self.blocks:
                block.up.weight = self.blocks[0].up.weight  # shared by all blocks
            self.extra = {"a": 1, "b": 2}
            self.tied = self.blocks[1].down.bias

        def forward(self, x):
            for block in self.blocks:
                x = block(x) + self.tied
            return x

    def build_shared():
        time = nn.SpatialDim("time")
        net = Shared()
        feat = net.blocks[0].norm.in_dim
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, feat]))
        y = net(x)
        y.mark_as_default_output()
        nn.reduce_mean(nn.square(y), axis=feat).mark_as_loss("l2", scale=0.1)
        return net
    """
)

_SERIALIZE = textwrap.dedent(
    """
    import sys
    from rc_serialize import get_returnn_config_serialized
    from rc_serialize._example import build_example
    {model}
    which = sys.argv[1]
    net = build_example() if which == "example" else build_shared()
    sys.stdout.write(get_returnn_config_serialized(net))
    """
)


def _serialize_in_subprocess(which: str, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run(
        [sys.executable, "-c", _SERIALIZE.format(model=_SHARED_MODEL), which],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("which", ["example", "shared"])
def test_same_config_under_different_hash_seeds(which: str) -> None:
    first = _serialize_in_subprocess(which, "0")
    second = _serialize_in_subprocess(which, "123")
    assert first.startswith("#!rnn.py")
    assert "network = {" in first
    assert first == second


def _build_shared_here() -> nn.Module:
    namespace: dict[str, object] = {}
    exec(_SHARED_MODEL, namespace)
    model = namespace["build_shared"]()  # type: ignore[operator]
    assert isinstance(model, nn.Module)
    return model


def test_shared_model_names_shared_weight_once() -> None:
    net = _build_shared_here()
    names = [name for name, _ in net.named_parameters()]
    assert "blocks.0.up.weight" in names
    assert "blocks.1.up.weight" not in names and "blocks.2.up.weight" not in names
    assert "tied" not in names  # an alias of blocks.1.down.bias, assigned later
    code = get_returnn_config_serialized(net)
    assert code.count('"blocks/0/up/weight"') == 1
    assert "blocks/1/up/weight" not in code


@pytest.mark.parametrize("build", [build_example, _build_shared_here])
def test_same_config_twice_in_one_process(build: object) -> None:
    codes = []
    for _ in range(2):
        with nn.Root():
            codes.append(get_returnn_config_serialized(build()))  # type: ignore[operator]
    assert codes[0] == codes[1]


def test_serializing_twice_gives_same_config() -> None:
    net = build_example()
    assert get_returnn_config_serialized(net) == get_returnn_config_serialized(net)


_NO_TF_BUILD = textwrap.dedent(
    """
    import sys
    import rc_nn as nn
    from rc_serialize import get_returnn_config_serialized

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

        def forward(self, x):
            return self.layers(x)

    time, d, h = nn.SpatialDim("time"), nn.FeatureDim("model", 512), nn.FeatureDim("ff", 2048)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, d]))
    net = Stack(d, h, 12)
    net(x).mark_as_default_output()
    code = get_returnn_config_serialized(net)
    assert "layers/11/ff2/weight" in code, "last block missing"
    assert len([n for n, _ in net.named_parameters()]) == 12 * 6
    bad = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow."))
    print("TF-MODULES:", bad)
    """
)


def test_build_and_serialize_conformer_sized_stack_without_tensorflow() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _NO_TF_BUILD],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "TF-MODULES: []" in proc.stdout, proc.stdout
