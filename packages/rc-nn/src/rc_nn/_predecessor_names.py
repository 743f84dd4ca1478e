"""Public names of the predecessor (returnn_common f7ad63a5 ``nn``) that rc-nn does not provide.

``rc_nn.__getattr__`` turns an access to one of them into a :class:`PredecessorNameError`
naming the replacement. Kept in sync with docs/compat-items.md ("Predecessor names not
provided") by a test.
"""

from __future__ import annotations

from ._errors import PredecessorNameError

__all__ = ["PREDECESSOR_NAMES", "predecessor_name_error"]

_DOC = "see docs/compat-items.md (Predecessor names not provided)"

_MAKE_LAYER = "emit the RETURNN layer with nn.make_layer(layer_dict, name=...)"
_INTERNAL = "rc-nn builds the network differently; see docs/rc-nn-internals.md"

_GROUPS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (
        None,
        (
            "random_frame_drop",
            "ctc_greedy_decode",
            "make_dim_from_length",
            "dim_match_priority_when_needed",
            "dense_image_warp",
            "interpolate_bilinear",
            "label_smoothing",
            "smooth_one_hot",
            "label_smoothed_log_prob_gradient",
            "stochastic_depth",
            "switchout",
            "mean_absolute_difference",
            "identity",
            "rint",
            "safe_exp",
            "expm1",
            "sin",
            "cos",
            "squared_difference",
            "gating",
            "convert_to_tensor",
            "constant_value",
            "window_step",
            "boolean_mask",
            "sparse_to_dense",
            "pool3d",
            "sequential",
            "AttentionFunc",
        ),
    ),
    (
        "it is an internal of nn.register_call_post_hook; use that",
        ("HookedFunction", "HookedModuleCall", "HookedModuleCallInstance"),
    ),
    (
        "it is an internal of nn.weight_norm; use that",
        ("WeightNormDirectionParamInit", "WeightNormScaleParamInit"),
    ),
    ("use nn.abs_", ("abs",)),
    ("search: see docs/models.md", ("SearchFuncInterface", "SearchFunc")),
    (
        _INTERNAL,
        (
            "ReturnnConstructTemplateException",
            "unique_tensor_list",
            "get_dim_deps",
            "control_flow_ctx",
            "NetDictBuilderCtx",
            "Net",
            "ReturnnDimTagsProxy",
            "auto_setup_name_ctx_ignore_func",
            "ReturnnWrappedLayerBase",
            "CondModule",
            "LoopModule",
            "PrevTensorRef",
            "MaskedComputationModule",
        ),
    ),
    (
        _MAKE_LAYER,
        (
            "scaled_gradient",
            "math_norm",
            "scatter_nd",
            "seq_len_mask",
            "random_state_init",
            "range",
            "batch_softmax",
            "rec_window",
            "rec_cum_sum",
            "flatten_batch",
            "unflatten_batch",
            "unflatten_nd",
            "tile",
            "dct",
            "stack",
            "prefix_in_time",
            "postfix_in_time",
            "time_chunking",
            "time_un_chunking",
            "shift_axis",
            "remove",
            "search_sorted",
            "forced_alignment",
            "fast_baum_welch",
            "synthetic_gradient",
            "tikhonov_regularization",
            "print",
            "hdf_dump",
            "rec_unstack",
            "choice_get_beam_scores",
            "choice_get_src_beams",
            "split_batch_beam",
            "positional_encoding",
            "ken_lm_state",
            "edit_distance",
            "edit_distance_table",
            "optimal_completions",
            "rec_cum_concat",
        ),
    ),
    (
        "as an import path; the provided names are at the top level of rc_nn "
        "(nn.<name> instead of nn.utils.<name> / nn.loss.<name>)",
        ("utils", "loss"),
    ),
    ("the predecessor's decoder modules are not provided", ("decoder",)),
)

PREDECESSOR_NAMES: dict[str, str | None] = {name: hint for hint, names in _GROUPS for name in names}
"""Predecessor name -> replacement hint (``None``: no replacement)."""


def predecessor_name_error(name: str) -> PredecessorNameError | None:
    """The error for ``nn.<name>`` if ``name`` is a predecessor name rc-nn does not
    provide, else ``None``.

    Examples
    --------
    >>> print(predecessor_name_error("tile"))  # doctest: +ELLIPSIS
    tile is a returnn_common name that rc-nn does not provide; ...nn.make_layer...
    >>> predecessor_name_error("no_such_name") is None
    True
    """
    if name not in PREDECESSOR_NAMES:
        return None
    hint = PREDECESSOR_NAMES[name]
    message = f"{name} is a returnn_common name that rc-nn does not provide; {_DOC}"
    if hint is not None:
        message += f"; {hint}"
    error = PredecessorNameError(message)
    error.name = name
    return error
