"""Ask RETURNN (which imports TensorFlow) for the output template of a layer we do not model.

Only ``nn.make_layer(...)`` without ``out=`` comes here: an explicit, lazy fallback.
Everything else in rc-nn computes templates in pure Python; this module imports
TensorFlow inside :func:`infer_template_with_returnn` only, so ``import rc_nn``
and every other op stay TF-free.
"""

from __future__ import annotations

from typing import Any

from returnn.config import Config
from returnn.tensor import Tensor as Template

from ._errors import RcNnError
from ._tensor import Tensor, iter_tensors
from ._userloc import user_location

__all__ = ["ReturnnFallbackError", "infer_template_with_returnn"]


class ReturnnFallbackError(RcNnError, ValueError):
    """RETURNN could not infer the output template of a ``make_layer`` dict.

    The message says how to pass the template yourself (``make_layer(..., out=...)``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> issubclass(nn.ReturnnFallbackError, nn.RcNnError)
    True
    """


def _with_layer_names(value: object, names: dict[int, str]) -> Any:
    """``value`` with every rc-nn tensor replaced by its stand-in layer name."""
    if isinstance(value, Tensor):
        return names[id(value)]
    if isinstance(value, dict):
        return {key: _with_layer_names(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_layer_names(item, names) for item in value]
    if isinstance(value, tuple):
        return tuple(_with_layer_names(item, names) for item in value)
    return value


def infer_template_with_returnn(layer_dict: dict[str, Any], *, name: str) -> Template:
    """The output template RETURNN's TF backend computes for ``layer_dict``.

    Slow (imports TensorFlow, a few seconds the first time) and explicit: only
    ``nn.make_layer(layer_dict, name=...)`` without ``out=`` calls it. Each input
    tensor becomes a template-only RETURNN layer in a throwaway ``TFNetwork`` in
    its own TF graph; then the layer class resolves its options
    (``transform_config_dict``) and computes its output template
    (``get_out_data_from_opts``), exactly as during RETURNN's own construction,
    without building any TF ops for the layer.

    Raises
    ------
    ReturnnFallbackError
        RETURNN does not know the class or cannot infer the
        template from templates alone; pass ``out=`` to ``make_layer`` then.

    Examples
    --------
    >>> import rc_nn as nn  # doctest: +SKIP
    >>> f = nn.FeatureDim("f", 4)  # doctest: +SKIP
    >>> x = nn.zeros([nn.batch_dim, f])  # doctest: +SKIP
    >>> nn.make_layer({"class": "gating", "from": x, "activation": "tanh"}, name="glu").dims[1].dimension  # doctest: +SKIP
    2
    """
    where = user_location(3)
    class_name = layer_dict.get("class")
    hint = (
        "pass the output template explicitly: make_layer(..., out=...), "
        "e.g. out=x.template.copy_template(), or "
        'out=returnn.tensor.Tensor("out", dims=[...], dtype="float32")'
    )
    try:
        import tensorflow as tf  # noqa: PLC0415  TensorFlow only where it is used
        from returnn.tf.layers.base import InternalLayer  # noqa: PLC0415  TensorFlow only where it is used
        from returnn.tf.layers.basic import get_layer_class  # noqa: PLC0415  TensorFlow only where it is used
        from returnn.tf.network import ExternData, TFNetwork  # noqa: PLC0415  TensorFlow only where it is used
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ReturnnFallbackError(
            f"make_layer {name!r} at {where}: inferring the output template needs RETURNN's "
            f"TensorFlow backend, which is not importable here ({exc}); {hint}"
        ) from exc

    try:
        layer_class = get_layer_class(class_name)
    except Exception as exc:
        raise ReturnnFallbackError(
            f"make_layer {name!r} at {where}: RETURNN has no layer class {class_name!r} ({exc})"
        ) from exc

    inputs: list[Tensor] = []
    for tensor in iter_tensors(list(layer_dict.values())):
        if all(tensor is not seen for seen in inputs):
            inputs.append(tensor)
    names = {id(tensor): f"rc_input_{i}" for i, tensor in enumerate(inputs)}
    desc: dict[str, Any] = _with_layer_names(dict(layer_dict), names)
    desc.pop("class")
    desc.setdefault("from", [])
    layer_name = name or "rc_layer"

    with tf.Graph().as_default():
        network = TFNetwork(config=Config(), extern_data=ExternData(), name="rc_template_inference")
        layers = {
            names[id(tensor)]: InternalLayer(
                name=names[id(tensor)],
                network=network,
                output=tensor.template.copy_template(name=f"{names[id(tensor)]}_output"),
            )
            for tensor in inputs
        }
        network.layers.update(layers)

        def get_layer(layer_ref: str) -> Any:
            if layer_ref not in layers:
                raise ReturnnFallbackError(
                    f"make_layer {name!r} at {where}: the layer dict refers to {layer_ref!r} by "
                    "name; use rc-nn tensors in place of layer names"
                )
            return layers[layer_ref]

        try:
            desc["_network"] = network
            desc["_name"] = layer_name
            layer_class.transform_config_dict(desc, network=network, get_layer=get_layer)
            desc = network._create_layer_layer_desc(name=layer_name, layer_desc=desc)
            out = layer_class.get_out_data_from_opts(**desc)
            out = layer_class.fixup_out_data(output=out, **desc)
        except ReturnnFallbackError:
            raise
        except Exception as exc:
            raise ReturnnFallbackError(
                f"make_layer {name!r} at {where}: RETURNN could not infer the output template "
                f"of the {class_name!r} layer from the input templates "
                f"({type(exc).__name__}: {exc}); {hint}"
            ) from exc
    if not isinstance(out, Template):  # pragma: no cover - RETURNN always returns a Tensor
        raise ReturnnFallbackError(f"make_layer {name!r} at {where}: RETURNN returned {out!r}")
    result: Template = out.copy_template(name="output")
    return result
