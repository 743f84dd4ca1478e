"""Differential fuzzing: random rc-nn models (``rc_fuzz_gen``) judged by RETURNN.

For every generated model:

* it serializes, and the config is deterministic (the same choices rebuild the same
  bytes; for a few fixed examples also in two subprocesses with different
  ``PYTHONHASHSEED``);
* every canonical parameter path is a valid attribute chain from the root module;
* RETURNN constructs it, our inferred template of every layer equals RETURNN's and the
  TF variable names equal ``named_parameters()`` (the ``roundtrip`` fixture);
* the forward pass gives finite values (outputs are reduced over their dynamic dims,
  so padding frames do not count), and with a loss one training step runs with a
  finite loss.

``RC_FUZZ_EXAMPLES`` sets the number of examples (default 30; ``nox -s fuzz`` runs
many more). With ``CI`` set, the "ci" hypothesis profile makes the run derandomized.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from rc_fuzz_gen import FuzzModel, Generator, HypothesisChooser, ReplayChooser

import rc_naming
import rc_nn as nn
from rc_serialize import get_returnn_config_serialized

pytestmark = pytest.mark.returnn

RoundTripFn = Callable[..., Any]
EXAMPLES = int(os.environ.get("RC_FUZZ_EXAMPLES", "30"))
# By default (derandomized, bounded run) a failure is reported with its choices and trace but
# not shrunk: shrinking a failing example re-runs RETURNN hundreds of times (many minutes on a
# loaded machine). ``nox -s fuzz`` (RC_TEST_RANDOM=1) keeps the full shrink phase.
PHASES = (
    (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
    if os.environ.get("RC_TEST_RANDOM") == "1"
    else (Phase.explicit, Phase.reuse, Phase.generate)
)
HERE = Path(__file__).parent


def build(choices: list[int] | None = None, data: Any = None) -> tuple[FuzzModel, list[int]]:
    """Build a model from hypothesis draws or from recorded choices (under a fresh root)."""
    chooser = HypothesisChooser(data) if data is not None else ReplayChooser(choices or [])
    with rc_naming.Root("fuzz"):
        model = Generator(chooser, record=data is not None).build()
    return model, chooser.choices


def config_of(choices: list[int]) -> str:
    model, _ = build(choices)
    return get_returnn_config_serialized(model.root)


def assert_paths_are_attribute_chains(model: FuzzModel) -> None:
    for path, param in model.root.named_parameters():
        obj: Any = model.root
        for part in path.split("."):
            obj = getattr(obj, part)
        assert obj is param, f"{path} reaches {obj!r}, not {param!r}"


def losses_train_parameters(model: FuzzModel) -> bool:
    """Whether a trained loss depends on a trainable parameter. Else TF has nothing to train:
    "No variables to optimize" (no trainable parameter at all, e.g. the running statistics of
    a BatchNorm without affine parameters) or "No gradients provided for any variable" (a
    parameter used only by an output)."""
    record, _ = nn.build_record(model.root)
    trainable = {p.layer for p in record.params if p.trainable}
    stack = [m.layer for m in record.marks if m.loss_scale is not None and not m.as_error]
    seen: set[int] = set()
    while stack:  # what the trained losses depend on (the build record's deps)
        layer = stack.pop()
        if layer not in seen:
            seen.add(layer)
            stack.extend(record.layers[layer].deps)
    return bool(seen & trainable)


def check_model(model: FuzzModel, code: str, roundtrip: RoundTripFn) -> None:
    assert_paths_are_attribute_chains(model)
    result = roundtrip(
        model.root,
        # RETURNN cannot train a network without trainable variables ("No variables to
        # optimize"): train only when the emitted network uses trainable parameters (the
        # running statistics of a BatchNorm without affine parameters are not). A search-only
        # model (choice/decide decoder, see below) is run as RETURNN runs search: forward
        # only, no training step.
        train_steps=1
        if model.has_loss and not model.needs_search and losses_train_parameters(model)
        else 0,
        # A choice/decide decoder is search-only: without the search flag RETURNN does not
        # construct its loop (its parameters would be missing from the TF variables, N4).
        # See test_regressions.py::test_choice_decide_decoder_is_checked_with_search.
        search=model.needs_search,
    )
    for name, values in result.report.outputs.items():
        template = result.report.layer_templates.get(name)
        dynamic = template is not None and any(
            d.size is None and d.kind != "batch" for d in template.dims
        )
        if not dynamic and numpy.issubdtype(values.dtype, numpy.floating):
            assert numpy.all(numpy.isfinite(values)), f"output {name}: {values}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_generated_models_survive_the_pipeline(roundtrip: RoundTripFn, data: st.DataObject) -> None:
    model, choices = build(data=data)
    note("choices: " + json.dumps(choices))
    note("trace:\n" + "\n".join(model.trace))
    code = get_returnn_config_serialized(model.root)
    assert config_of(choices) == code, "the same model built twice gives another config"
    check_model(model, code, roundtrip)


# Fixed choice lists for the cross-process check (a model with loops, conds, containers).
_CROSS_PROCESS_SEEDS = [3, 17, 29]


def _choices_for(seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(0, 99) for _ in range(400)]


_SUBPROCESS = """
import json, sys
sys.path.insert(0, {here!r})
from test_fuzz_pipeline import config_of
print(json.dumps(config_of(json.loads(sys.argv[1]))))
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", _CROSS_PROCESS_SEEDS)
def test_config_is_the_same_across_processes_and_hash_seeds(seed: int) -> None:
    choices = _choices_for(seed)
    outputs = []
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", _SUBPROCESS.format(here=str(HERE)), json.dumps(choices)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0] == config_of(choices)
