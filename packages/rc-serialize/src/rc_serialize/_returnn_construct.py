"""Loading a config file and constructing its network in a graph of its own (imports TF lazily)."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import numpy

from ._returnn_errors import ReturnnCheckError, check_error

__all__ = ["Built", "construct", "load_config", "random_feed"]


def load_config(path: pathlib.Path) -> Any:
    """Load a config file (must end in ``.py``) freshly, so its dim tags are new objects."""
    from returnn.config import Config  # noqa: PLC0415 - RETURNN only when a check runs

    config = Config()
    try:
        config.load_file(str(path))
    except Exception as exc:
        raise check_error("loading the config file", "<config not loaded>", exc) from exc
    return config


@dataclasses.dataclass
class Built:
    """A network constructed in its own graph, with the feed for its extern data."""

    graph: Any
    network: Any
    net_dict: Any


def construct(config: Any, *, train: bool, search: bool, seed: int) -> Built:
    """Construct the config's network in a new ``tf.Graph`` (which is returned, not entered)."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a check runs
    from returnn.tf.network import TFNetwork  # noqa: PLC0415 - same

    net_dict = config.typed_value("network")
    if not isinstance(net_dict, dict):
        raise ReturnnCheckError(f"config has no `network` dict, got {type(net_dict).__name__}")
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(seed)
        try:
            network = TFNetwork(
                config=config,
                train_flag=train,
                # With eval_flag, layers depending on data that is not available for
                # inference (targets) are constructed instead of being replaced by
                # placeholder-less DataNotAvailableLayer objects.
                eval_flag=not search,
                search_flag=search,
                rnd_seed=seed,
            )
            network.construct_from_dict(net_dict)
        except Exception as exc:
            raise check_error("constructing the network", net_dict, exc) from exc
    return Built(graph=graph, network=network, net_dict=net_dict)


def random_feed(network: Any, *, rng: Any, batch: int, max_time: int) -> dict[Any, Any]:
    """Random values for every extern data placeholder and its dynamic sizes."""
    lengths_by_name: dict[str, Any] = {}
    feed: dict[Any, Any] = {}

    def lengths_of(dim: Any, data_key: str) -> Any:
        size = dim.dyn_size_ext
        if size is None or size.raw_tensor is None:
            raise ReturnnCheckError(
                f"extern data {data_key!r}: dynamic dim {dim} has no size placeholder"
            )
        raw = size.raw_tensor
        if raw.name not in lengths_by_name:
            if size.dims and (len(size.dims) != 1 or not size.dims[0].is_batch_dim()):
                raise ReturnnCheckError(
                    f"extern data {data_key!r}: dynamic dim {dim} has sizes over {size.dims};"
                    " only [batch] or scalar sizes are supported"
                )
            if size.dims:
                values = rng.randint(1, max_time + 1, size=(batch,))
                values[rng.randint(0, batch)] = max_time
            else:
                values = numpy.array(max_time)
            lengths_by_name[raw.name] = values.astype(size.dtype)
            feed[raw] = lengths_by_name[raw.name]
        return lengths_by_name[raw.name]

    for key, data in sorted(network.extern_data.data.items()):
        if data.placeholder is None:
            continue
        shape: list[int] = []
        for dim in data.dims:
            if dim.is_batch_dim():
                shape.append(batch)
            elif dim.dimension is not None:
                shape.append(dim.dimension)
            else:
                shape.append(int(numpy.max(lengths_of(dim, key))))
        dtype = numpy.dtype(data.dtype)
        if data.sparse_dim is not None:
            value = rng.randint(0, data.sparse_dim.dimension, size=shape)
        elif dtype.kind in "iu":
            value = rng.randint(0, 5, size=shape)
        elif dtype.kind == "b":
            value = rng.randint(0, 2, size=shape) > 0
        else:
            value = rng.normal(size=shape)
        feed[data.placeholder] = numpy.asarray(value).astype(dtype)
    batch_info = network.extern_data.get_batch_info(allow_none=True)
    batch_dim_value = getattr(batch_info, "dim", None)
    if (
        batch_dim_value is not None
        and not isinstance(batch_dim_value, int)
        and batch_dim_value.op.type == "Placeholder"
    ):
        feed[batch_dim_value] = batch
    return feed
