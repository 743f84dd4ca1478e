"""Checkpoint names: a real RETURNN round trip through `rc-serialize migrate`, and the CLI.

Train a model a few steps in RETURNN and save its checkpoint; rename attributes of
the model (declared with ``@rc_naming.renamed`` / ``__rc_renames__``); migrate the
checkpoint; restore it into the renamed model in RETURNN: the outputs are equal.
The same holds when RETURNN loads the old checkpoint itself with the emitted
``var_name_mapping``. One TF process for all of it.
"""

from __future__ import annotations

import importlib
import itertools
import pathlib
import shutil
import sys
import textwrap
import types
from typing import Any

import numpy as np
import pytest

import rc_naming
from rc_serialize import get_returnn_config_serialized
from rc_serialize._checkpoints import checkpoint_diff, migration_mapping
from rc_serialize._cli import main
from rc_serialize._returnn_check import (
    _behavior_version_of,
    _construct,
    _load_config,
    _random_feed,
    check_config,
)

_numbers = itertools.count()

MODELS = textwrap.dedent(
    """
    import rc_nn as nn
    from rc_naming import renamed


    class BlockV1(nn.Module):
        def __init__(self, d, h):
            super().__init__()
            self.cv1 = nn.Linear(d, h)
            self.out = nn.Linear(h, d)

        def forward(self, x):
            return x + self.out(nn.tanh(self.cv1(x)))


    class ModelV1(nn.Module):
        def __init__(self, f, d, h, o):
            super().__init__()
            self.proj = nn.Linear(f, d)
            self.layers = nn.Sequential(BlockV1(d, h), BlockV1(d, h))
            self.head = nn.Linear(d, o)

        def forward(self, x):
            return self.head(self.layers(self.proj(x)))


    @renamed(conv1=("cv1", 2))
    class BlockV2(nn.Module):
        def __init__(self, d, h):
            super().__init__()
            self.conv1 = nn.Linear(d, h)
            self.out = nn.Linear(h, d)

        def forward(self, x):
            return x + self.out(nn.tanh(self.conv1(x)))


    class ModelV2(nn.Module):
        __rc_renames__ = {"blocks": [("layers", 2)]}

        def __init__(self, f, d, h, o):
            super().__init__()
            self.proj = nn.Linear(f, d)
            self.blocks = nn.Sequential(BlockV2(d, h), BlockV2(d, h))
            self.head = nn.Linear(d, o)

        def forward(self, x):
            return self.head(self.blocks(self.proj(x)))


    class ModelV3(ModelV2):
        # `head` became `classifier` without a declaration: only a suggestion.
        def __init__(self, f, d, h, o):
            super().__init__(f, d, h, o)
            del self.head
            self.classifier = nn.Linear(d, o)

        def forward(self, x):
            return self.classifier(self.blocks(self.proj(x)))


    def _build(cls):
        time = nn.SpatialDim("time")
        f, d, h, o = (nn.FeatureDim(n, s) for n, s in (("in", 5), ("model", 6), ("hidden", 7), ("classes", 4)))
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time, f]))
        y = nn.get_extern_data(nn.Data("classes", dim_tags=[nn.batch_dim, time], sparse_dim=o))
        model = cls(f, d, h, o)
        logits = model(x)
        logits.mark_as_default_output()
        nn.cross_entropy(estimated=logits, target=y, estimated_type="logits").mark_as_loss("ce")
        return model


    def build_v1():
        return _build(ModelV1)


    def build_v2():
        return _build(ModelV2)


    def build_v3():
        return _build(ModelV3)
    """
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    directory = tmp_path_factory.mktemp("migrate_models")
    name = f"rc_migrate_models_{next(_numbers)}"
    (directory / f"{name}.py").write_text(MODELS, encoding="utf-8")
    return types.SimpleNamespace(directory=directory, name=name)


@pytest.fixture
def on_path(models: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.syspath_prepend(str(models.directory))
    return str(models.name)


def _config_code(module: str, factory: str) -> str:
    with rc_naming.Root("test"):
        return get_returnn_config_serialized(getattr(importlib.import_module(module), factory)())


def _forward(
    config_code: str,
    work_dir: pathlib.Path,
    *,
    checkpoint: pathlib.Path | None = None,
    preload: dict[str, str] | None = None,
    preload_from: pathlib.Path | None = None,
) -> Any:
    """The default output on fixed random data, after loading a checkpoint."""
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used

    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "config.py"
    path.write_text(config_code, encoding="utf-8")
    config = _load_config(path)
    with _behavior_version_of(config):
        built = _construct(config, train=False, search=False, seed=5)
        with built.graph.as_default(), tf.compat.v1.Session(graph=built.graph) as session:
            network = built.network
            network.initialize_params(session)
            if checkpoint is not None:
                network.load_params_from_file(str(checkpoint), session)
            if preload_from is not None:
                from returnn.tf.network import CustomCheckpointLoader  # noqa: PLC0415  TensorFlow only where it is used

                loader = CustomCheckpointLoader(
                    filename=str(preload_from),
                    saveable_params=network.get_params_list(),
                    var_name_mapping=preload,
                )
                loader.load_now(session=session)
            feed = _random_feed(network, rng=np.random.RandomState(7), batch=3, max_time=6)
            output = network.get_default_output_layer().output.placeholder
            return session.run(output, feed_dict=feed)


@pytest.fixture(scope="module")
def trained(
    models: types.SimpleNamespace, tmp_path_factory: pytest.TempPathFactory, returnn_tf: Any
) -> types.SimpleNamespace:
    """ModelV1 trained 3 steps in RETURNN; its checkpoint and its outputs after training."""
    sys.path.insert(0, str(models.directory))
    try:
        code = _config_code(models.name, "build_v1")
        work = tmp_path_factory.mktemp("v1")
        report = check_config(code, train_steps=3, tmp_dir=work)
        assert len(report.losses) == 3 and report.losses[-1] < report.losses[0]
        checkpoint = work / "model" / "model.ckpt"
        output = _forward(code, work / "fwd", checkpoint=checkpoint)
        return types.SimpleNamespace(
            checkpoint=checkpoint, output=output, names=report.variable_names
        )
    finally:
        sys.path.remove(str(models.directory))


@pytest.mark.returnn
def test_migrate_and_restore_into_renamed_model_gives_equal_outputs(
    trained: types.SimpleNamespace,
    on_path: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "layers/0/cv1/weight/param" in trained.names
    assert main(["diff", f"{on_path}:build_v1", "--checkpoint", str(trained.checkpoint)]) == 0
    assert main(["diff", f"{on_path}:build_v2", "--checkpoint", str(trained.checkpoint)]) == 1
    out = capsys.readouterr().out
    assert "layers.0.cv1.weight -> blocks.0.conv1.weight" in out and "declared" in out

    new = tmp_path / "migrated" / "model.001"
    new.parent.mkdir()
    code = main(
        ["migrate", f"{on_path}:build_v2", "--checkpoint", str(trained.checkpoint), "-o", str(new)]
    )
    assert code == 0, capsys.readouterr()
    assert main(["diff", f"{on_path}:build_v2", "--checkpoint", str(new)]) == 0
    v2_code = _config_code(on_path, "build_v2")
    migrated = _forward(v2_code, tmp_path / "v2", checkpoint=new)
    np.testing.assert_array_equal(migrated, trained.output)

    # RETURNN's own loader with the emitted var_name_mapping gives the same outputs.
    preload_file = tmp_path / "preload.py"
    assert (
        main(
            [
                "migrate",
                f"{on_path}:build_v2",
                "--checkpoint",
                str(trained.checkpoint),
                "-o",
                str(preload_file),
                "--as-preload-config",
            ]
        )
        == 0
    )
    namespace: dict[str, Any] = {}
    exec(preload_file.read_text(), namespace)
    opts = namespace["preload_from_files"]["rc_migrated"]
    assert opts["filename"] == str(trained.checkpoint)
    assert opts["var_name_mapping"]["blocks/1/conv1/weight/param"] == "layers/1/cv1/weight/param"
    preloaded = _forward(
        v2_code, tmp_path / "v2p", preload=opts["var_name_mapping"], preload_from=trained.checkpoint
    )
    np.testing.assert_array_equal(preloaded, trained.output)


@pytest.mark.returnn
def test_migrate_refuses_undeclared_renames_until_accepted(
    trained: types.SimpleNamespace,
    on_path: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    new = tmp_path / "model.002"
    args = [
        "migrate",
        f"{on_path}:build_v3",
        "--checkpoint",
        str(trained.checkpoint),
        "-o",
        str(new),
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "REFUSED" in captured.err
    assert "suggestion not accepted: head.weight -> classifier.weight" in captured.err
    assert not list(tmp_path.glob("model.002*"))
    # An explicit choice for one, the unique-shape suggestion for the other.
    assert main([*args, "--map", "head.weight=classifier.weight"]) == 1
    assert main([*args, "--map", "head.weight=classifier.weight", "--accept", "unique-shape"]) == 0
    output = _forward(_config_code(on_path, "build_v3"), tmp_path / "v3", checkpoint=new)
    np.testing.assert_array_equal(output, trained.output)


@pytest.mark.returnn
def test_cli_errors_exit_2(
    trained: types.SimpleNamespace,
    on_path: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "nothing" / "model.001"
    assert main(["diff", f"{on_path}:build_v2", "--checkpoint", str(missing)]) == 2
    assert "cannot read TF checkpoint" in capsys.readouterr().err
    bad_map = ["migrate", f"{on_path}:build_v2", "--checkpoint", str(trained.checkpoint)]
    assert main([*bad_map, "-o", str(tmp_path / "x"), "--map", "nonsense"]) == 2
    assert "expected OLD=NEW" in capsys.readouterr().err


def test_graph_command_formats(
    on_path: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", f"{on_path}:build_v2"]) == 0
    out = capsys.readouterr().out
    assert "├── blocks  Sequential" in out
    assert "linear  Linear = blocks.0.conv1" in out
    assert main(["graph", f"{on_path}:build_v2", "-o", str(tmp_path / "m.dot")]) == 0
    assert (tmp_path / "m.dot").read_text().startswith("digraph model {")
    assert main(["graph", f"{on_path}:build_v2", "-o", str(tmp_path / "m.txt")]) == 0
    assert main(["graph", f"{on_path}:build_v2", "-o", str(tmp_path / "m.jpeg")]) == 2
    assert main(["graph", f"{on_path}:build_v2", "--format", "svg"]) == 2
    if shutil.which("dot"):
        assert main(["graph", f"{on_path}:build_v2", "-o", str(tmp_path / "m.svg")]) == 0
        assert "<svg" in (tmp_path / "m.svg").read_text()
        assert (
            main(["graph", f"{on_path}:build_v2", "-o", str(tmp_path / "m.bin"), "--format", "png"])
            == 0
        )
        assert (tmp_path / "m.bin").read_bytes().startswith(b"\x89PNG")


def test_graph_without_dot_is_a_clear_error(
    on_path: str,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", f"{on_path}:build_v2", "-o", str(tmp_path / "m.svg")]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err


@pytest.mark.returnn
def test_preload_config_with_a_newline_in_the_checkpoint_path_is_safe(
    trained: types.SimpleNamespace,
    on_path: str,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13 §3: the path reaches a ``#`` comment and a value; neither may start code."""
    nasty = tmp_path / "old\nopen('PWNED', 'w').close()\n#\"'"
    nasty.mkdir()
    for file in trained.checkpoint.parent.glob(trained.checkpoint.name + ".*"):
        shutil.copy(file, nasty / file.name)
    checkpoint = nasty / trained.checkpoint.name
    preload_file = tmp_path / "preload.py"
    args = ["migrate", f"{on_path}:build_v2", "--checkpoint", str(checkpoint)]
    assert main([*args, "-o", str(preload_file), "--as-preload-config"]) == 0
    code = preload_file.read_text(encoding="ascii")  # ASCII only
    assert code.splitlines()[0].startswith("# Load ") and "\\n" in code.splitlines()[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(preload_file), "exec"), namespace)
    del namespace["__builtins__"]
    assert set(namespace) == {"preload_from_files"}
    assert namespace["preload_from_files"]["rc_migrated"]["filename"] == str(checkpoint)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.returnn
def test_explicit_map_never_overrides_a_match_or_merges_names(
    trained: types.SimpleNamespace,
    on_path: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 13 §4: ``--map`` onto a matched name, or two old names onto one new name.

    Before, with ``--allow-unused`` both wrote a checkpoint: ``proj.bias`` silently got
    ``layers.0.out.bias``'s values, and of two pairs onto one name the last one won.
    """
    new = tmp_path / "model.002"
    args = [
        "migrate",
        f"{on_path}:build_v2",
        "--checkpoint",
        str(trained.checkpoint),
        "-o",
        str(new),
        "--allow-unused",
    ]
    override = ["--map", "layers.0.out.bias=proj.bias"]
    assert main([*args, *override]) == 1
    err = capsys.readouterr().err
    assert "REFUSED" in err
    assert "explicit mapping layers.0.out.bias -> proj.bias: proj.bias already matches" in err
    two_onto_one = [
        "--map",
        "layers.0.out.bias=blocks.0.out.bias",
        "--map",
        "layers.1.out.bias=blocks.0.out.bias",
    ]
    assert main([*args, *two_onto_one]) == 1
    err = capsys.readouterr().err
    assert (
        "explicit mappings layers.0.out.bias -> blocks.0.out.bias and "
        "layers.1.out.bias -> blocks.0.out.bias: two old names onto one new name"
    ) in err
    one_onto_two = [
        "--map",
        "layers.0.out.bias=blocks.0.out.bias",
        "--map",
        "layers.0.out.bias=blocks.1.out.bias",
    ]
    assert main([*args, *one_onto_two]) == 2
    assert "one old name mapped to two new names" in capsys.readouterr().err
    assert not list(tmp_path.glob("model.002*"))
    # A pair that says what the declared rename says is fine and gives the declared mapping.
    same = ["--map", "layers.0.out.bias=blocks.0.out.bias"]
    assert main([*args, *same]) == 0
    capsys.readouterr()
    # The same rules through the Python API.
    with rc_naming.Root("api"):
        model = importlib.import_module(on_path).build_v2()
        cdiff = checkpoint_diff(model, trained.checkpoint)
    declared = migration_mapping(cdiff)
    assert declared["blocks/0/out/bias/param"] == "layers/0/out/bias/param"
    for extra in (
        {"layers.0.out.bias": "proj.bias"},
        {"layers.0.out.bias": "blocks.0.out.bias", "layers.1.out.bias": "blocks.0.out.bias"},
    ):
        with pytest.raises(rc_naming.UnresolvedNamesError, match="explicit mapping"):
            migration_mapping(cdiff, extra=extra, allow_unused=True)
    assert migration_mapping(cdiff, extra={"layers.0.out.bias": "blocks.0.out.bias"}) == declared
