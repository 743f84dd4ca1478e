"""Checkpoint tools for rc-nn models: diff a TF checkpoint against a model, migrate it, picture it.

The framework-agnostic parts (the name diff, declared renames, pictures) live in
rc-naming; this module adds what is RETURNN/TensorFlow specific:

* reading a TF checkpoint's variable names and shapes and mapping them back to
  canonical paths by the naming convention (``a/b/weight/param`` -> ``a.b.weight``
  for the default ``predecessor`` style, ``a/b/weight`` for ``plain``);
* writing a new checkpoint with the model's variable names;
* emitting RETURNN's ``preload_from_files`` option with a ``var_name_mapping``
  (new variable name -> name in the old checkpoint), which lets RETURNN load the
  old checkpoint itself instead.

TensorFlow is imported only inside the functions that read or write checkpoints.

Examples
--------
>>> import rc_nn as nn
>>> with nn.Root():
...     net = nn.Linear(nn.FeatureDim("in", 3), nn.FeatureDim("out", 2))
...     model_names_and_shapes(net)
{'weight': (3, 2), 'bias': (2,)}
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Iterable, Mapping

import numpy

import rc_naming
import rc_nn

from ._checkpoint_errors import CheckpointPathError, CheckpointVariableError
from ._final import ParamNaming
from ._pycode import comment, number_literal, str_literal

__all__ = [
    "CheckpointDiff",
    "checkpoint_diff",
    "migrate_checkpoint",
    "migration_mapping",
    "model_names_and_shapes",
    "model_picture",
    "preload_config_code",
    "read_checkpoint_shapes",
    "variable_to_path",
]

# Variables that are no model parameters: the step counter and optimizer slots.
_IGNORED_NAMES = ("global_step", "beta1_power", "beta2_power")
_IGNORED_SUFFIXES = (
    "/Adam",
    "/Adam_1",
    "/RMSProp",
    "/RMSProp_1",
    "/Momentum",
    "/random_generator/StateVar",
)


def model_names_and_shapes(model: rc_nn.Module) -> dict[str, tuple[int, ...]]:
    """``canonical path -> shape`` of every parameter of ``model`` (its ``named_parameters``).

    See the module docstring for an example.
    """
    result = {}
    for path, param in model.named_parameters():
        result[path] = tuple(int(d.dimension or 0) for d in param.dims)
    return result


def variable_to_path(name: str, param_naming: str = "predecessor") -> str | None:
    """The canonical path of a TF variable name, ``None`` if it is no model parameter.

    Names that do not follow the convention come back with ``/`` replaced by ``.``
    (they then show up in a diff as unexpected). A name with a ``.`` inside one scope
    (``heads/en.us/bias/param``, written by the predecessor for a ModuleDict key
    ``"en.us"``) comes back unchanged: no rc model has such a path (rc-nn refuses
    ``.`` in attribute names and keys), and as ``heads.en.us.bias`` it would match
    the different variable ``heads/en/us/bias/param``. It shows up as unexpected.

    Examples
    --------
    >>> variable_to_path("enc/lin/weight/param")
    'enc.lin.weight'
    >>> variable_to_path("enc/lin/weight", "plain"), variable_to_path("global_step")
    ('enc.lin.weight', None)
    >>> variable_to_path("heads/en.us/bias/param")
    'heads/en.us/bias/param'
    """
    if name in _IGNORED_NAMES or name.endswith(_IGNORED_SUFFIXES):
        return None
    ParamNaming(param_naming)  # validates the style
    if "." in name:
        return name
    if param_naming == "predecessor" and name.endswith("/param"):
        name = name[: -len("/param")]
    return name.replace("/", ".")


def read_checkpoint_shapes(checkpoint: str | os.PathLike[str]) -> dict[str, tuple[int, ...]]:
    """``TF variable name -> shape`` of every variable in a TF checkpoint (imports TensorFlow).

    ``checkpoint`` is the prefix RETURNN writes (``.../model.003``, without ``.index``).

    Raises
    ------
    CheckpointPathError
        (``FileNotFoundError``) no readable checkpoint at that prefix.
    """
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a checkpoint is read

    prefix = _checkpoint_prefix(checkpoint)
    try:
        listed = tf.train.list_variables(prefix)
    except Exception as exc:
        raise CheckpointPathError(
            f"cannot read TF checkpoint {prefix!r}: {type(exc).__name__}: {exc}; give the "
            "checkpoint prefix RETURNN wrote, e.g. model.003 (not model.003.index)"
        ) from exc
    return {name: tuple(int(d) for d in shape) for name, shape in listed}


def _checkpoint_prefix(checkpoint: str | os.PathLike[str]) -> str:
    text = os.fspath(checkpoint)
    for suffix in (".index", ".meta"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


@dataclasses.dataclass(frozen=True)
class CheckpointDiff:
    """A model compared with a checkpoint.

    Attributes
    ----------
    diff
        the name diff (old = checkpoint, new = model), canonical paths.
    variables
        canonical path -> TF variable name in the checkpoint.
    ignored
        checkpoint variables that are no parameters (global step, optimizer slots).
    renames
        the declared renames found (old path -> new path), with reasons.
    param_naming
        the TF naming style used on both sides.
    """

    diff: rc_naming.NameDiff
    variables: dict[str, str]
    ignored: tuple[str, ...]
    renames: rc_naming.RenameMapping
    param_naming: str

    def format(self, *, show_matched: bool = False) -> str:
        """The report ``rc-serialize diff`` prints."""
        lines = [self.diff.format(show_matched=show_matched)]
        if self.renames.ambiguous:
            for old, cands in sorted(self.renames.ambiguous.items()):
                lines.append(
                    f"  declared renames are ambiguous for {old}: {', '.join(cands)} "
                    "(pass --from-version to say which version wrote the checkpoint)"
                )
        if self.ignored:
            lines.append(f"({len(self.ignored)} non-parameter variables ignored, e.g. global_step)")
        return "\n".join(lines)


def checkpoint_diff(
    model: rc_nn.Module,
    checkpoint: str | os.PathLike[str],
    *,
    param_naming: str = "predecessor",
    from_version: int | None = None,
) -> CheckpointDiff:
    """Compare ``model``'s parameters with a TF checkpoint (imports TensorFlow).

    Declared renames of the model's classes (``__rc_renames__`` / ``@rc_naming.renamed``)
    are applied first; see :func:`rc_naming.diff_names` for the other suggestions.

    Raises
    ------
    CheckpointPathError
        (``FileNotFoundError``) no readable checkpoint at that prefix.
    ValueError
        ``param_naming`` is neither ``"predecessor"`` nor ``"plain"``.
    """
    shapes = read_checkpoint_shapes(checkpoint)
    return _diff_from_shapes(model, shapes, param_naming=param_naming, from_version=from_version)


def _diff_from_shapes(
    model: rc_nn.Module,
    var_shapes: Mapping[str, tuple[int, ...]],
    *,
    param_naming: str,
    from_version: int | None,
) -> CheckpointDiff:
    old: dict[str, tuple[int, ...]] = {}
    variables: dict[str, str] = {}
    ignored = []
    for var, shape in sorted(var_shapes.items()):
        path = variable_to_path(var, param_naming)
        if path is None:
            ignored.append(var)
            continue
        old[path] = shape
        variables[path] = var
    graph = rc_nn.naming_root_of(model).graph
    renames = rc_naming.rename_mapping(graph, model, old, from_version=from_version)
    diff = rc_naming.diff_names(old, model_names_and_shapes(model), renames=renames.mapping)
    return CheckpointDiff(diff, variables, tuple(ignored), renames, param_naming)


def migration_mapping(
    cdiff: CheckpointDiff,
    *,
    accept: Iterable[str] = (rc_naming.SUGGESTION_KINDS[0],),
    extra: Mapping[str, str] | None = None,
    allow_unused: bool = False,
) -> dict[str, str]:
    """``new TF variable name -> old TF variable name`` for every model parameter.

    Parameters
    ----------
    accept
        suggestion kinds to apply (default: declared renames only).
    extra
        explicit ``old path -> new path`` choices (canonical paths, ``.``-separated).
    allow_unused
        checkpoint parameters that nothing maps to are dropped silently
        (by default they make the migration refuse).

    Raises
    ------
    rc_naming.UnresolvedNamesError
        something stays missing, unused or ambiguous (also
        an ``extra`` pair that overrides a match or feeds two new names from one old).
    ValueError
        an unknown suggestion kind in ``accept`` (rc-naming's message lists
        the kinds).
    """
    mapping = cdiff.diff.mapping(accept, extra=extra, allow_unexpected=allow_unused)
    naming = ParamNaming(cdiff.param_naming)
    return {
        naming.variable_name(tuple(new.split("."))): cdiff.variables[old]
        for new, old in mapping.items()
    }


def migrate_checkpoint(
    checkpoint: str | os.PathLike[str],
    output: str | os.PathLike[str],
    mapping: Mapping[str, str],
) -> pathlib.Path:
    """Write a TF checkpoint at ``output`` whose variable ``new`` holds ``old``'s value.

    ``mapping`` is ``new variable name -> old variable name`` (from
    :func:`migration_mapping`). ``global_step`` is carried over if present;
    optimizer slots are not. Returns the written prefix. Imports TensorFlow.

    Raises
    ------
    CheckpointPathError
        (``FileNotFoundError``) the checkpoint cannot be read, or the
        output's directory does not exist.
    CheckpointVariableError
        (``LookupError``) ``mapping`` names an old variable the
        checkpoint does not have.
    """
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a checkpoint is written

    out = pathlib.Path(_checkpoint_prefix(output))
    if not out.parent.is_dir():
        raise CheckpointPathError(
            f"output {str(out)!r}: directory {str(out.parent)!r} does not exist"
        )
    values = _old_values(_checkpoint_prefix(checkpoint), mapping)
    graph = tf.Graph()
    with graph.as_default():
        feeds = {}
        variables = {}
        for new, value in sorted(values.items()):
            holder = tf.compat.v1.placeholder(tf.as_dtype(value.dtype), shape=value.shape)
            variables[new] = tf.compat.v1.Variable(holder, name=new.replace(":", "_"))
            feeds[holder] = value
        saver = tf.compat.v1.train.Saver(var_list=variables)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer(), feed_dict=feeds)
            saver.save(session, str(out), write_meta_graph=False, write_state=False)
    return out


def _old_values(prefix: str, mapping: Mapping[str, str]) -> dict[str, numpy.ndarray]:
    """``new name -> value of the old variable`` (plus ``global_step`` if the checkpoint has it)."""
    import tensorflow as tf  # noqa: PLC0415 - TensorFlow only when a checkpoint is read

    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as exc:
        raise CheckpointPathError(
            f"cannot read TF checkpoint {prefix!r}: {type(exc).__name__}: {exc}; give the "
            "checkpoint prefix RETURNN wrote, e.g. model.003 (not model.003.index)"
        ) from exc
    names = dict(mapping)
    if reader.has_tensor("global_step") and "global_step" not in names:
        names["global_step"] = "global_step"
    missing = sorted({old for old in names.values() if not reader.has_tensor(old)})
    if missing:
        raise CheckpointVariableError(
            f"checkpoint {prefix!r} has no variable {', '.join(map(repr, missing))}; the "
            "mapping (new name -> old name) must name variables of the old checkpoint: build it "
            "with migration_mapping(checkpoint_diff(model, checkpoint))"
        )
    return {new: numpy.asarray(reader.get_tensor(old)) for new, old in names.items()}


def preload_config_code(
    checkpoint: str | os.PathLike[str],
    mapping: Mapping[str, str],
    *,
    key: str = "rc_migrated",
    init_for_train: bool = True,
) -> str:
    """RETURNN config code that loads the old checkpoint with a ``var_name_mapping``.

    RETURNN's ``preload_from_files`` (``returnn/tf/engine.py``) passes
    ``var_name_mapping`` (new variable name -> name in the checkpoint) to its
    ``CustomCheckpointLoader``. Only renamed variables are listed; the others load
    under their own names. With ``init_for_train`` the preload happens at the start of
    training (first epoch), else for recognition/forwarding.

    Examples
    --------
    >>> print(preload_config_code("old/model.003", {"conv1/weight/param": "cv1/weight/param",
    ...                                            "b/param": "b/param"}), end="")
    # Load old/model.003 under the model's new parameter names (written by rc-serialize migrate).
    preload_from_files = {
        "rc_migrated": {
            "filename": "old/model.003",
            "init_for_train": True,
            "var_name_mapping": {"conv1/weight/param": "cv1/weight/param"},
        },
    }
    """
    renamed = {new: old for new, old in sorted(mapping.items()) if new != old}
    filename = _checkpoint_prefix(checkpoint)
    # Every user string (path, key, names) goes through the one escaping path (_pycode):
    # the comment stays one line, the values stay literals.
    names = "{" + ", ".join(f"{str_literal(n)}: {str_literal(o)}" for n, o in renamed.items()) + "}"
    return (
        comment(
            f"Load {filename} under the model's new parameter names (written by rc-serialize migrate)."
        )
        + "\n"
        "preload_from_files = {\n"
        f"    {str_literal(key)}: {{\n"
        f'        "filename": {str_literal(filename)},\n'
        f'        "init_for_train": {number_literal(bool(init_for_train))},\n'
        f'        "var_name_mapping": {names},\n'
        "    },\n"
        "}\n"
    )


def model_picture(model: rc_nn.Module, fmt: str = "text") -> str | bytes:
    """The module tree (with aliases) and the layer call tree of a called model.

    ``fmt``: ``text`` (module tree, then call tree), ``dot``, ``svg`` or ``png`` (needs
    Graphviz's ``dot``).

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Root():
    ...     net = nn.Linear(nn.FeatureDim("in", 3), nn.FeatureDim("out", 2))
    ...     print(model_picture(net))
    modules (canonical names):
    <root>  Linear
    ├── weight  Parameter[in(3), out(2)]
    └── bias  Parameter[out(2)]
    <BLANKLINE>
    layer call tree:
    <root>
    """
    graph = rc_nn.naming_root_of(model).graph
    record, _ = rc_nn.build_record(model)
    tree, modules = _call_tree(record, model)

    def call_target(node: rc_naming.NameNode) -> object:
        call = node.payload
        if not isinstance(call, rc_nn.CallRecord) or call.module_path is None:
            return None
        return modules.get(".".join(call.module_path))

    if fmt == "text":
        return (
            "modules (canonical names):\n"
            + rc_naming.module_tree_text(graph, model)
            + "\n\nlayer call tree:\n"
            + rc_naming.call_tree_text(tree, describe=_describe_call, include=_is_call)
        )
    dot = rc_naming.model_dot(
        graph,
        model,
        tree,
        describe_call=_describe_call,
        include_call=_is_call,
        call_target=call_target,
        title=type(model).__name__,
    )
    if fmt == "dot":
        return dot
    return rc_naming.render_dot(dot, fmt)


def _describe_call(node: rc_naming.NameNode) -> str | None:
    call = node.payload
    if not isinstance(call, rc_nn.CallRecord):
        return None
    if call.module is None:
        return call.kind
    where = ""
    if call.module_path is not None:
        where = " = " + (".".join(call.module_path) or "<root module>")
    return f"{call.module_type}{where}"


def _is_call(node: rc_naming.NameNode) -> bool:
    return isinstance(node.payload, rc_nn.CallRecord)


def _call_tree(
    record: rc_nn.BuildRecord, model: rc_nn.Module
) -> tuple[rc_naming.NameTree, dict[str, rc_nn.Module]]:
    """The call tree of a build record as a name tree (payloads: the call records), and the
    modules of ``model`` by canonical path (for the picture's call -> module edges)."""
    tree = rc_naming.NameTree()
    nodes: dict[int, rc_naming.NameNode] = {}
    for call in record.calls:
        parent = tree.root if call.parent is None else nodes[call.parent]
        nodes[call.id] = tree.add(parent, call.suggested, payload=call)
    return tree, dict(model.named_modules())
