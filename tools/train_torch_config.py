"""Check a torch config by training it a few steps with ``python -m returnn`` (``nox -s main``).

``python tools/train_torch_config.py CONFIG [--steps 3] [--seq-len data=8:12 ...]`` appends a
training setup to the config (random data of its own ``extern_data``, Adam, CPU, one
data-loader worker, so RETURNN pickles the config), runs RETURNN's PyTorch engine through
``rc_serialize.testing.train_torch_config`` and fails (exit 1) unless

* RETURNN logged ``--steps`` training steps, every loss finite;
* the checkpoint RETURNN saved has exactly the keys (and shapes) of the config's model,
  ``get_model(...)``'s ``state_dict``: one per parameter, the canonical names.

Needs ``rc-serialize[torch]`` (PyTorch) and RETURNN.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

from rc_serialize.testing import torch_model_parameters, train_torch_config


def _seq_len(text: str) -> tuple[str, tuple[int, int]]:
    key, _, span = text.partition("=")
    low, _, high = span.partition(":")
    try:
        return key, (int(low), int(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seq-len {text!r}: expected KEY=MIN:MAX, e.g. data=8:12"
        ) from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=pathlib.Path, help="a config written with --backend torch")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument(
        "--seq-len",
        type=_seq_len,
        action="append",
        default=[],
        metavar="KEY=MIN:MAX",
        help="length range of an extern data key's dynamic dim (e.g. CTC targets shorter)",
    )
    args = parser.parse_args()
    code = args.config.read_text(encoding="utf-8")
    expected = torch_model_parameters(code)
    with tempfile.TemporaryDirectory() as tmp:
        training = train_torch_config(
            code, pathlib.Path(tmp), steps=args.steps, seq_lens=dict(args.seq_len)
        )
    problems = []
    if len(training.losses) != args.steps:
        problems.append(f"RETURNN logged {len(training.losses)} steps, expected {args.steps}")
    if not training.finite():
        problems.append(f"a loss is not finite: {training.losses}")
    if sorted(training.checkpoint_keys) != sorted(expected):
        problems.append(
            "checkpoint keys differ from the model's state_dict: only in the checkpoint "
            f"{sorted(set(training.checkpoint_keys) - set(expected))[:5]}, only in the model "
            f"{sorted(set(expected) - set(training.checkpoint_keys))[:5]}"
        )
    if problems:
        print(training.log[-3000:], file=sys.stderr)
        for problem in problems:
            print(f"error: {args.config}: {problem}", file=sys.stderr)
        return 1
    print(
        f"{args.config}: {len(training.losses)} training steps with RETURNN's torch engine, "
        f"losses {training.losses}; checkpoint keys = the model's {len(expected)} parameters"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
