"""One training step of a small CTC Conformer on RETURNN's TF and PyTorch backends (CPU).

``python bench/bench_train_step.py --backend tf|torch --out result.json`` builds the model
(rc-nn; the front end and encoder of ``bench_conformer.py`` at a smaller size, a linear
output and a CTC loss), writes its config for the given backend, and times training steps
on one fixed batch (the same numbers on both backends, from a seeded generator):

* ``tf``: RETURNN's TF network constructed with ``train_flag``, its total loss minimized
  by Adam; one step is one ``session.run`` of the train op;
* ``torch``: the config's ``get_model`` / ``train_step`` with ``returnn.frontend`` on
  PyTorch; one step is ``train_step`` (forward and losses), ``backward`` of RETURNN's
  total loss and an Adam step (``torch.optim.Adam``).

Both backends use ``--threads`` CPU threads (default 1: on a small shared machine more
threads than free cores make PyTorch's step several times slower, TF's less so, and the
ratio then measures the load, not the backends). The first ``--warmup`` steps (graph/kernel setup, allocator) are excluded; the result is
the median of the next ``--steps``. Each backend runs in its own process (TensorFlow and
PyTorch never share one), started by ``run.py``, alternating. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import statistics
import tempfile
import time
from typing import Any

import numpy

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized

IN_DIM, CONV_CHANNELS, VOCAB = 80, (32, 64), 100
SIZES = {"num_layers": 6, "model_dim": 256, "num_heads": 4, "ff_dim": 1024, "kernel": 32}
#: The batch: sequences x frames (10 ms each), labels per sequence; lengths vary.
BATCH, FRAMES, LABELS = 4, 300, 20


class CtcConformer(nn.Module):
    """Conformer encoder (2-conv front end, time / 4) with a linear output for CTC."""

    def __init__(self, in_dim: nn.Dim, out_dim: nn.Dim, sizes: dict[str, int]) -> None:
        super().__init__()
        model_dim = nn.FeatureDim("model", sizes["model_dim"])
        self.encoder = nn.ConformerEncoder(
            in_dim,
            model_dim,
            ff_dim=nn.FeatureDim("ff", sizes["ff_dim"]),
            input_layer=nn.ConformerConvSubsample(
                in_dim,
                out_dims=[nn.FeatureDim(f"conv{i}", c) for i, c in enumerate(CONV_CHANNELS)],
                filter_sizes=[(3, 3)] * len(CONV_CHANNELS),
                pool_sizes=[(2, 2)] * len(CONV_CHANNELS),
            ),
            num_layers=sizes["num_layers"],
            num_heads=sizes["num_heads"],
            conv_kernel_size=sizes["kernel"],
            dropout=0.1,
            att_dropout=0.1,
        )
        self.output = nn.Linear(model_dim, out_dim)

    def forward(self, x: nn.Tensor, *, in_spatial_dim: nn.Dim) -> nn.Tensor:
        h, _ = self.encoder(x, in_spatial_dim=in_spatial_dim)
        out: nn.Tensor = self.output(h)
        return out


def build_ctc_conformer(sizes: dict[str, int]) -> nn.Module:
    """Build and call the model in the current naming root; inputs ``data``, ``classes``."""
    time_dim, in_dim = nn.SpatialDim("time"), nn.FeatureDim("input", IN_DIM)
    vocab = nn.FeatureDim("vocab", VOCAB)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    targets = nn.get_extern_data(
        nn.Data("classes", dim_tags=[nn.batch_dim, nn.SpatialDim("labels")], sparse_dim=vocab)
    )
    model = CtcConformer(in_dim, nn.FeatureDim("vocab+blank", VOCAB + 1), sizes)
    logits = model(data, in_spatial_dim=time_dim)
    logits.mark_as_default_output()
    nn.ctc_loss(logits=logits, targets=targets, blank_index=VOCAB).mark_as_loss("ctc")
    return model


def fixed_batch() -> dict[str, numpy.ndarray[Any, Any]]:
    """The batch both backends train on: features, labels and their lengths."""
    rng = numpy.random.RandomState(42)
    data_lens = numpy.array([FRAMES - 40 * i for i in range(BATCH)], dtype=numpy.int32)
    label_lens = numpy.array([LABELS - 2 * i for i in range(BATCH)], dtype=numpy.int32)
    return {
        "data": rng.normal(size=(BATCH, FRAMES, IN_DIM)).astype(numpy.float32),
        "data:seq_len": data_lens,
        "classes": rng.randint(0, VOCAB, size=(BATCH, LABELS)).astype(numpy.int32),
        "classes:seq_len": label_lens,
    }


def _tf_steps(
    code: str, batch: dict[str, Any], warmup: int, steps: int, threads: int
) -> list[tuple[float, float]]:
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only in its own process

    from rc_serialize._returnn_construct import construct, load_config  # noqa: PLC0415
    from rc_serialize._returnn_env import (  # noqa: PLC0415
        behavior_version_of,
        ensure_native_op_cpu_only,
        quiet_returnn_log,
    )

    ensure_native_op_cpu_only()
    quiet_returnn_log()
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "tf_config.py"
        path.write_text(code, encoding="utf-8")
        config = load_config(path)
    with behavior_version_of(config):
        built = construct(config, train=True, search=False, seed=1)
        network = built.network
        with built.graph.as_default():
            loss = network.get_total_loss()
            train_op = tf.compat.v1.train.AdamOptimizer(1e-4).minimize(loss)
            feed: dict[Any, Any] = {}
            for key in ("data", "classes"):
                data = network.extern_data.data[key]
                feed[data.placeholder] = batch[key]
                feed[data.get_sequence_lengths()] = batch[f"{key}:seq_len"]
            feed[network.get_extern_data("data").get_batch_dim()] = BATCH
            session_config = tf.compat.v1.ConfigProto(
                intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads
            )
            with tf.compat.v1.Session(graph=built.graph, config=session_config) as session:
                session.run(tf.compat.v1.global_variables_initializer())
                times = []
                for _ in range(warmup + steps):
                    start = time.perf_counter()
                    _, value = session.run([train_op, loss], feed_dict=feed)
                    times.append((time.perf_counter() - start, float(value)))
    return times


def _torch_steps(
    code: str, batch: dict[str, Any], warmup: int, steps: int, threads: int
) -> list[tuple[float, float]]:
    import returnn.frontend as rf  # noqa: PLC0415  PyTorch only in its own process
    import torch  # noqa: PLC0415
    from returnn.tensor import TensorDict  # noqa: PLC0415
    from returnn.torch.data.extern_data import raw_dict_to_extern_data  # noqa: PLC0415
    from returnn.torch.frontend.bridge import rf_module_to_pt_module  # noqa: PLC0415

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    torch.manual_seed(1)
    rf.select_backend_torch()
    namespace: dict[str, Any] = {"__name__": "__rc_bench_torch_config__"}
    exec(compile(code, "<torch config>", "exec"), namespace)
    model = namespace["get_model"](epoch=1, step=0)
    pt_model = rf_module_to_pt_module(model)
    pt_model.train()
    optimizer = torch.optim.Adam(pt_model.parameters(), lr=1e-4)
    template = TensorDict()
    template.update(namespace["extern_data"], auto_convert=True)
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        raw = {k: torch.from_numpy(v) for k, v in batch.items()}
        extern_data = raw_dict_to_extern_data(raw, extern_data_template=template, device="cpu")
        rf.init_train_step_run_ctx(train_flag=True, step=step, epoch=1)
        optimizer.zero_grad()
        namespace["train_step"](model=model, extern_data=extern_data)
        total = rf.get_run_ctx().total_loss()
        total.raw_tensor.backward()
        optimizer.step()
        times.append((time.perf_counter() - start, float(total.raw_tensor.detach())))
    return times


def measure(
    backend: str, *, warmup: int, steps: int, sizes: dict[str, int], threads: int = 1
) -> dict[str, Any]:
    """Build, serialize for ``backend`` and time ``warmup + steps`` training steps."""
    with nn.Root("bench-train-step"):
        model = build_ctc_conformer(sizes)
        params = sum(math.prod(d.dimension or 1 for d in p.dims) for p in model.parameters())
        code = get_returnn_config_serialized(model, backend=backend)
    batch = fixed_batch()
    run = _tf_steps if backend == "tf" else _torch_steps
    rows = run(code, batch, warmup, steps, threads)
    measured = [seconds for seconds, _ in rows[warmup:]]
    losses = [loss for _, loss in rows]
    if not all(math.isfinite(v) for v in losses):
        raise RuntimeError(f"{backend}: a training loss is not finite: {losses}")
    return {
        "backend": backend,
        "step_s": statistics.median(measured),
        "all_step_s": [seconds for seconds, _ in rows],
        "warmup": warmup,
        "steps": steps,
        "threads": threads,
        "losses": losses,
        "params": params,
        "sizes": sizes,
        "batch": {"seqs": BATCH, "frames": FRAMES, "labels": LABELS, "features": IN_DIM},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("tf", "torch"), required=True)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--num-layers", type=int, default=SIZES["num_layers"])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of both backends")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    sizes = {**SIZES, "num_layers": args.num_layers}
    result = measure(
        args.backend, warmup=args.warmup, steps=args.steps, sizes=sizes, threads=args.threads
    )
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("backend", "step_s", "all_step_s", "losses")}))


if __name__ == "__main__":
    main()
