"""Conformer benchmark: our emitted config against a compact hand-written RETURNN net dict.

* ``build_conformer()`` builds and calls the 12x512 Conformer encoder with rc-nn
  and returns the root module (for ``bench/run.py``: build + serialize timing).
* ``hand_written_conformer()`` is the same model written directly as a RETURNN
  net dict, the way a RETURNN user would write it by hand: fused layers
  (``linear`` with activation, ``layer_norm``, ``gating``, ``conv`` with
  activation, ``batch_norm``) and the relative positional encoding table and
  index matrix computed once for all blocks with ``eval`` layers. To be the
  *same* model with the *same* checkpoint, every parameter is a ``variable``
  layer with the canonical path as ``name_scope`` (``layers/0/ffn1/linear_ff/weight/param``,
  as ours), handed to the fused layers with ``reuse_params`` (``layer_output``).
* ``returnn_construction_times()`` constructs both in RETURNN's TF backend (new
  graph each, alternating, ``repeats`` times) and reports the median seconds, layer
  counts and the ratio ours / hand-written. It imports TensorFlow; run it as a
  script: ``python bench/bench_conformer.py [--repeats 3] [--out FILE]`` (a minute
  or two); ``bench/run.py`` runs it in a subprocess.
* ``check_same_outputs()`` proves the hand-written dict is the same model: our
  checkpoint loaded into it gives the same outputs.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import pathlib
import statistics
import tempfile
import time
from typing import Any

import numpy
from returnn.config import Config
from returnn.tensor import Dim, batch_dim

import rc_nn as nn
from rc_serialize import get_returnn_config_serialized
from rc_serialize._returnn_check import (
    _behavior_version_of,
    _load_config,
    _quiet_returnn_log,
    _random_feed,
    ensure_native_op_cpu_only,
)

NUM_LAYERS, MODEL_DIM, NUM_HEADS, FF_DIM, IN_DIM = 12, 512, 8, 2048, 80
CONV_CHANNELS = (32, 64)
CONV_KERNEL_SIZE = 32
DROPOUT = 0.1


def build_conformer(
    num_layers: int = NUM_LAYERS,
    model_dim: int = MODEL_DIM,
    num_heads: int = NUM_HEADS,
    ff_dim: int = FF_DIM,
) -> Any:
    """Build and call the Conformer encoder in the current naming root; return the root module.

    Input ``data`` [batch, time, 80]; front end: two 3x3 convs (32, 64 channels),
    each followed by 2x2 max pooling (time / 4); output: the encoder's output
    marked as the default output.
    """
    time_dim, in_dim = nn.SpatialDim("time"), nn.FeatureDim("input", IN_DIM)
    data = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, time_dim, in_dim]))
    input_layer = nn.ConformerConvSubsample(
        in_dim,
        out_dims=[nn.FeatureDim(f"conv{i}", c) for i, c in enumerate(CONV_CHANNELS)],
        filter_sizes=[(3, 3)] * len(CONV_CHANNELS),
        pool_sizes=[(2, 2)] * len(CONV_CHANNELS),
    )
    encoder = nn.ConformerEncoder(
        in_dim,
        nn.FeatureDim("model", model_dim),
        ff_dim=nn.FeatureDim("ff", ff_dim),
        input_layer=input_layer,
        num_layers=num_layers,
        num_heads=num_heads,
        conv_kernel_size=CONV_KERNEL_SIZE,
        dropout=DROPOUT,
        att_dropout=DROPOUT,
    )
    out, _ = encoder(data, in_spatial_dim=time_dim)
    out.mark_as_default_output()
    return encoder


# ---------------------------------------------------------------------------
# The hand-written net dict


def hand_written_conformer(
    num_layers: int = NUM_LAYERS,
    model_dim: int = MODEL_DIM,
    num_heads: int = NUM_HEADS,
    ff_dim: int = FF_DIM,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(extern_data, network)`` of the same Conformer, written directly for RETURNN."""

    def feature(name: str, size: int) -> Dim:
        return Dim(size, name=name, kind=Dim.Types.Feature)

    time = Dim(None, name="time", kind=Dim.Types.Spatial)
    inp = feature("input", IN_DIM)
    channel = feature("input:channel", 1)
    conv_dims = [feature(f"conv{i}", c) for i, c in enumerate(CONV_CHANNELS)]
    model, ff = feature("model", model_dim), feature("ff", ff_dim)
    heads = Dim(num_heads, name="num_heads", kind=Dim.Types.Spatial)
    per_head = model.div_left(num_heads)
    qkv_total, qkv_per_head = 3 * model, 3 * per_head
    kv_time_dims: dict[str, Dim] = {}
    extern_data = {"data": {"dim_tags": [batch_dim, time, inp]}}
    net: dict[str, Any] = {}

    def var(path: str, shape: list[Dim], init: Any) -> str:
        name = "var_" + path.replace("/", "_")
        net[name] = {
            "class": "variable",
            "shape": shape,
            "init": init,
            "name_scope": "/" + path,
            "param_name": "param",
        }
        return name

    glorot = {
        "class": "VarianceScaling",
        "scale": 1.0,
        "mode": "fan_avg",
        "distribution": "uniform",
    }

    def linear(name: str, src: str, path: str, n_in: Dim, n_out: Dim, **opts: Any) -> str:
        params = {"W": {"layer_output": var(f"{path}/weight", [n_in, n_out], glorot)}}
        if opts.get("with_bias", True):
            params["b"] = {"layer_output": var(f"{path}/bias", [n_out], 0.0)}
        net[name] = {
            "class": "linear",
            "from": src,
            "out_dim": n_out,
            "reuse_params": {"map": params},
            **opts,
        }
        return name

    def layer_norm(name: str, src: str, path: str) -> str:
        scale, bias = var(f"{path}/scale", [model], 1.0), var(f"{path}/bias", [model], 0.0)
        net[name] = {
            "class": "layer_norm",
            "from": src,
            "epsilon": 1e-6,
            "reuse_params": {
                "map": {"scale": {"layer_output": scale}, "bias": {"layer_output": bias}}
            },
        }
        return name

    def residual(name: str, x: str, branch: str, scale: float = 1.0) -> str:
        net[name + "_drop"] = {"class": "dropout", "from": branch, "dropout": DROPOUT}
        net[name] = {
            "class": "eval",
            "from": [x, name + "_drop"],
            "eval": f"source(0) + {scale} * source(1)",
        }
        return name

    # Front end: conv + relu + max pool, twice; merge (freq, channels); projection.
    net["channel"] = {"class": "expand_dims", "from": "data", "axis": "spatial", "dim": channel}
    x, prev, spatial = "channel", channel, [time, inp]
    for i, out in enumerate(conv_dims):
        net[f"conv{i}"] = {
            "class": "conv",
            "from": x,
            "in_dim": prev,
            "out_dim": out,
            "in_spatial_dims": spatial,
            "filter_size": [3, 3],
            "padding": "same",
            "activation": "relu",
            "filter": var(
                f"input_layer/conv_layers/{i}/filter",
                [Dim(3, name="filter-dim0"), Dim(3, name="filter-dim1"), prev, out],
                glorot,
            ),
            "bias": var(f"input_layer/conv_layers/{i}/bias", [out], 0.0),
        }
        pooled = [d.ceildiv_right(2) for d in spatial]
        net[f"pool{i}"] = {
            "class": "pool",
            "from": f"conv{i}",
            "mode": "max",
            "pool_size": [2, 2],
            "padding": "same",
            "in_spatial_dims": spatial,
            "out_spatial_dims": pooled,
        }
        x, prev, spatial = f"pool{i}", out, pooled
    out_time, freq = spatial
    net["merge"] = {"class": "merge_dims", "from": x, "axes": [freq, prev], "keep_order": True}
    x = linear("input_projection", "merge", "input_projection", freq * prev, model, with_bias=False)

    # Relative positions, once for all blocks: table [pos, model] and indices [time, time:kv].
    pos = out_time - 1 + out_time
    kv_time = Dim(None, name="time:kv", kind=Dim.Types.Spatial)
    kv_time_dims["kv"] = kv_time
    net["pos_range"] = {"class": "range_in_axis", "from": [], "axis": pos}
    net["pos_table"] = {
        "class": "eval",
        "from": "pos_range",
        "eval": (
            "(lambda r: tf.concat([tf.sin(r), tf.cos(r)], axis=-1))("
            "(lambda p: tf.cast(p - (tf.shape(p)[0] - 1) // 2, tf.float32))"
            "(tf.reshape(source(0), [-1]))[:, None]"
            f" * tf.exp(tf.range({model_dim // 2}, dtype=tf.float32)"
            f" * ({-2.0 * math.log(10000.0) / model_dim!r}))[None, :])"
        ),
        "out_type": {"dims": [pos, model], "dtype": "float32"},
    }
    net["time_range"] = {"class": "range_in_axis", "from": x, "axis": out_time}
    net["kv_range"] = {
        "class": "reinterpret_data",
        "from": "time_range",
        "set_dim_tags": {out_time: kv_time},
    }
    net["rel_index"] = {
        "class": "combine",
        "from": ["kv_range", "time_range"],  # relative position j - i (the predecessor's)
        "kind": "sub",
        "allow_broadcast_all_sources": True,
    }
    net["rel_index_shifted"] = {
        "class": "eval",
        "from": ["rel_index", "time_range"],
        "eval": "source(0) + tf.shape(source(1))[0] - 1",
    }

    for i in range(num_layers):
        p, n = f"layers/{i}", f"l{i}_"
        # FFN 1 (half step)
        h = layer_norm(n + "ffn1_ln", x, f"{p}/ffn1_layer_norm")
        h = linear(n + "ffn1_ff", h, f"{p}/ffn1/linear_ff", model, ff, activation="swish")
        h = linear(n + "ffn1_out", h, f"{p}/ffn1/linear_out", ff, model, dropout=DROPOUT)
        x = residual(n + "ffn1_res", x, h, 0.5)
        # Relative positional multi-head self-attention
        h = layer_norm(n + "att_ln", x, f"{p}/self_att_layer_norm")
        h = linear(n + "qkv", h, f"{p}/self_att/qkv", model, qkv_total)
        net[n + "qkv_heads"] = {
            "class": "split_dims",
            "from": h,
            "axis": qkv_total,
            "dims": [heads, qkv_per_head],
        }
        net[n + "qkv_split"] = {
            "class": "split",
            "from": n + "qkv_heads",
            "axis": qkv_per_head,
            "out_dims": [per_head, per_head, per_head],
        }
        q = n + "qkv_split/0"
        for part, idx in (("k", 1), ("v", 2)):
            net[n + part] = {
                "class": "reinterpret_data",
                "from": f"{n}qkv_split/{idx}",
                "set_dim_tags": {out_time: kv_time},
            }
        bias_u = var(f"{p}/self_att/pos_bias_u", [heads, per_head], glorot)
        bias_v = var(f"{p}/self_att/pos_bias_v", [heads, per_head], glorot)
        net[n + "q_u"] = {"class": "combine", "from": [q, bias_u], "kind": "add"}
        net[n + "q_v"] = {"class": "combine", "from": [q, bias_v], "kind": "add"}
        net[n + "content"] = {"class": "dot", "from": [n + "q_u", n + "k"], "reduce": per_head}
        linear(n + "pos", "pos_table", f"{p}/self_att/linear_pos", model, model, with_bias=False)
        net[n + "pos_heads"] = {
            "class": "split_dims",
            "from": n + "pos",
            "axis": model,
            "dims": [heads, per_head],
        }
        net[n + "position_all"] = {
            "class": "dot",
            "from": [n + "q_v", n + "pos_heads"],
            "reduce": per_head,
        }
        net[n + "position"] = {
            "class": "gather",
            "from": n + "position_all",
            "position": "rel_index_shifted",
            "axis": pos,
        }
        net[n + "scores"] = {
            "class": "eval",
            "from": [n + "content", n + "position"],
            "eval": f"(source(0) + source(1)) * {(model_dim // num_heads) ** -0.5!r}",
        }
        net[n + "weights"] = {
            "class": "softmax_over_spatial",
            "from": n + "scores",
            "axis": kv_time,
        }
        net[n + "weights_drop"] = {"class": "dropout", "from": n + "weights", "dropout": DROPOUT}
        net[n + "att"] = {"class": "dot", "from": [n + "weights_drop", n + "v"], "reduce": kv_time}
        net[n + "att_merged"] = {
            "class": "merge_dims",
            "from": n + "att",
            "axes": [heads, per_head],
            "out_dim": model,
            "keep_order": True,
        }
        h = linear(n + "att_proj", n + "att_merged", f"{p}/self_att/proj", model, model)
        x = residual(n + "att_res", x, h)
        # Convolution module
        h = layer_norm(n + "conv_ln", x, f"{p}/conv_layer_norm")
        h = linear(n + "pw1", h, f"{p}/conv_block/positionwise_conv1", model, 2 * model)
        net[n + "glu"] = {"class": "gating", "from": h, "activation": None, "out_dim": model}
        b = f"{p}/conv_block"
        net[n + "depthwise"] = {
            "class": "conv",
            "from": n + "glu",
            "in_dim": model,
            "out_dim": model,
            "in_spatial_dims": [out_time],
            "filter_size": [CONV_KERNEL_SIZE],
            "padding": "same",
            "groups": model_dim,
            "filter": var(
                f"{b}/depthwise_conv/filter",
                [Dim(CONV_KERNEL_SIZE, name="filter-dim0"), model // model_dim, model],
                glorot,
            ),
            "bias": var(f"{b}/depthwise_conv/bias", [model], 0.0),
        }
        stats = {
            "mean": var(f"{b}/norm/running_mean", [model], 0.0),
            "variance": var(f"{b}/norm/running_variance", [model], 1.0),
            "gamma": var(f"{b}/norm/gamma", [model], 1.0),
            "beta": var(f"{b}/norm/beta", [model], 0.0),
        }
        for key in ("mean", "variance"):
            net[stats[key]]["trainable"] = False
        net[n + "bn"] = {
            "class": "batch_norm",
            "from": n + "depthwise",
            "masked_time": False,  # the predecessor's Conformer: BatchNorm(use_mask=False)
            "momentum": 0.1,
            "epsilon": 1e-3,
            "param_version": 2,
            "update_sample_only_in_training": True,
            "delay_sample_update": True,
            "reuse_params": {
                "map": {f"batch_norm/v2_{k}": {"layer_output": v} for k, v in stats.items()}
            },
        }
        net[n + "bn_swish"] = {"class": "activation", "from": n + "bn", "activation": "swish"}
        h = linear(n + "pw2", n + "bn_swish", f"{b}/positionwise_conv2", model, model)
        x = residual(n + "conv_res", x, h)
        # FFN 2 (half step), final norm
        h = layer_norm(n + "ffn2_ln", x, f"{p}/ffn2_layer_norm")
        h = linear(n + "ffn2_ff", h, f"{p}/ffn2/linear_ff", model, ff, activation="swish")
        h = linear(n + "ffn2_out", h, f"{p}/ffn2/linear_out", ff, model, dropout=DROPOUT)
        x = residual(n + "ffn2_res", x, h, 0.5)
        x = layer_norm(
            n + "final_ln" if i < num_layers - 1 else "output", x, f"{p}/final_layer_norm"
        )
    return extern_data, net


# ---------------------------------------------------------------------------
# Timing in RETURNN


def _construct(config: Any, net_dict: dict[str, Any]) -> tuple[float, Any, set[str]]:
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used
    from returnn.tf.network import TFNetwork  # noqa: PLC0415  TensorFlow only where it is used

    graph = tf.Graph()
    with graph.as_default():
        start = time.perf_counter()
        network = TFNetwork(config=config, train_flag=False, eval_flag=False)
        network.construct_from_dict(net_dict)
        seconds = time.perf_counter() - start
        names = {
            v.name[: -len(":0")]
            for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
            if "random_generator" not in v.name and not v.name.startswith("global_step")
        }
    return seconds, network, names


def _count(net_dict: dict[str, Any]) -> dict[str, int]:
    classes = collections.Counter(layer["class"] for layer in net_dict.values())
    return {
        "layers": len(net_dict),
        "variable_layers": classes["variable"],
        "subnetworks": classes["subnetwork"] + classes["rec"],
    }


def returnn_construction_times(repeats: int = 3, **sizes: int) -> dict[str, Any]:
    """Construct our config and the hand-written dict in RETURNN; seconds (median of ``repeats``).

    ``sizes``: ``num_layers``, ``model_dim``, ``num_heads``, ``ff_dim`` (default 12x512).
    Both are constructed without ``train_flag`` in a new graph each time, alternating.
    Also checks that both create exactly the same TF variable names.
    """
    ensure_native_op_cpu_only()
    _quiet_returnn_log()
    with nn.Root("bench-conformer"):
        start = time.perf_counter()
        model = build_conformer(**sizes)
        built = time.perf_counter()
        code = get_returnn_config_serialized(model)
        serialized = time.perf_counter()
    n_params = len(list(model.parameters()))
    ours: list[float] = []
    hand: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "conformer_config.py"
        path.write_text(code, encoding="utf-8")
        for _ in range(repeats):
            config = _load_config(path)  # fresh dims per construction
            with _behavior_version_of(config):
                seconds, _, our_names = _construct(config, config.typed_value("network"))
                our_dict = config.typed_value("network")
            ours.append(seconds)
            extern_data, hand_dict = hand_written_conformer(**sizes)
            hand_config = Config()
            hand_config.update({"extern_data": extern_data, "behavior_version": 21})
            with _behavior_version_of(hand_config):
                seconds, _, hand_names = _construct(hand_config, hand_dict)
            hand.append(seconds)
    if our_names != hand_names:
        raise AssertionError(
            "the hand-written dict creates other variables: "
            f"only ours {sorted(our_names - hand_names)[:5]}, "
            f"only hand-written {sorted(hand_names - our_names)[:5]}"
        )
    return {
        "num_params": n_params,
        "num_variables_in_tf": len(our_names),
        "build_s": built - start,
        "serialize_s": serialized - built,
        "ours": {"construct_s": statistics.median(ours), **_count(our_dict)},
        "hand_written": {"construct_s": statistics.median(hand), **_count(hand_dict)},
        "ratio_ours_over_hand_written": statistics.median(ours) / statistics.median(hand),
        # Ratios of the side-by-side pairs (ours, then hand-written, in the same round).
        "pair_ratios": [a / b for a, b in zip(ours, hand, strict=True)],
        "all_construct_s": {"ours": ours, "hand_written": hand},
        "repeats": repeats,
        "sizes": {
            "num_layers": NUM_LAYERS,
            "model_dim": MODEL_DIM,
            "num_heads": NUM_HEADS,
            "ff_dim": FF_DIM,
            **sizes,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="alternating constructions each")
    parser.add_argument("--num-layers", type=int, default=NUM_LAYERS)
    parser.add_argument("--no-check", action="store_true", help="skip check_same_outputs")
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(__file__).parent / "results" / "conformer_returnn.json",
    )
    args = parser.parse_args()
    result = returnn_construction_times(args.repeats, num_layers=args.num_layers)
    if not args.no_check:
        # Same model: with the same checkpoint both give the same outputs (2 small blocks).
        result["same_outputs_max_abs_diff_2x16"] = check_same_outputs(
            num_layers=2, model_dim=16, num_heads=2, ff_dim=32
        )
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


def check_same_outputs(seed: int = 3, **sizes: int) -> float:
    """Max abs difference of the outputs of ours and the hand-written dict with the same weights.

    Our config is constructed and initialized, its checkpoint is loaded into the
    hand-written network (same variable names), and both run on the same random
    batch. A small difference (float rounding) shows they are the same model.
    """
    import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used
    from returnn.tf.network import TFNetwork  # noqa: PLC0415  TensorFlow only where it is used

    ensure_native_op_cpu_only()
    _quiet_returnn_log()
    with nn.Root("bench-conformer-check"):
        code = get_returnn_config_serialized(build_conformer(**sizes))
    outputs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "conformer_config.py"
        path.write_text(code, encoding="utf-8")
        checkpoint = str(pathlib.Path(tmp) / "model")
        our_config = _load_config(path)
        extern_data, hand_dict = hand_written_conformer(**sizes)
        hand_config = Config()
        hand_config.update({"extern_data": extern_data, "behavior_version": 21})
        for index, (config, net_dict) in enumerate(
            [(our_config, our_config.typed_value("network")), (hand_config, hand_dict)]
        ):
            with _behavior_version_of(config), tf.Graph().as_default() as graph:
                network = TFNetwork(config=config, train_flag=False, eval_flag=False)
                network.construct_from_dict(net_dict)
                feed = _random_feed(
                    network, rng=numpy.random.RandomState(seed), batch=3, max_time=9
                )
                with tf.compat.v1.Session(graph=graph) as session:
                    if index == 0:
                        network.initialize_params(session)
                        network.save_params_to_file(checkpoint, session)
                    else:
                        network.load_params_from_file(checkpoint, session)
                    out = network.get_default_output_layer().output.copy_as_batch_major()
                    outputs.append(session.run(out.placeholder, feed_dict=feed))
    if outputs[0].shape != outputs[1].shape or not numpy.any(outputs[0]):
        raise AssertionError(f"outputs not comparable: shapes {[o.shape for o in outputs]}")
    return float(numpy.max(numpy.abs(outputs[0] - outputs[1])))


if __name__ == "__main__":
    main()
