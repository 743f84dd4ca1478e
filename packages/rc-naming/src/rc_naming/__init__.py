"""rc-naming: name hierarchies and canonical parameter paths on networkx.

Framework-agnostic: it names the parameters of any tree of Python objects by
their attribute chains ("first assignment wins"), gives unique readable names
to the layers of a call tree, and builds relative references between them.

Examples
--------
>>> from rc_naming import OwnershipGraph, render_path
>>> class Linear:
...     def __init__(self):
...         self.weight = [0.0]
>>> class Model:
...     def __init__(self):
...         self.enc = Linear()
...         self.dec = Linear()
...         self.dec.weight = self.enc.weight  # shared parameter
>>> model = Model()
>>> graph = OwnershipGraph.from_object_tree(model)
>>> render_path(graph.canonical_path(model, model.dec.weight), "/")
'enc/weight'
"""

from rc_naming._aliases import (
    AliasInfo,
    ParentEdge,
    alias_info,
    alias_report,
    format_alias_report,
)
from rc_naming._diff import (
    SUGGESTION_KINDS,
    Ambiguity,
    NameDiff,
    ShapeMismatch,
    Suggestion,
    UnresolvedNamesError,
    diff_names,
    format_shape,
)
from rc_naming._errors import (
    FinalizedError,
    InvalidNameError,
    InvalidTreeOperationError,
    NameCollisionError,
    NotFinalizedError,
    RcNamingError,
    ReferenceResolutionError,
    RootMismatchError,
    UnreachableError,
)
from rc_naming._nametree import NameNode, NameTree, sanitize_name
from rc_naming._ownership import OwnershipGraph
from rc_naming._paths import render_path
from rc_naming._pictures import (
    PICTURE_FORMATS,
    GraphvizError,
    GraphvizNotFoundError,
    call_tree_dot,
    call_tree_text,
    model_dot,
    module_tree_dot,
    module_tree_text,
    render_dot,
    write_picture,
)
from rc_naming._renames import Rename, RenameMapping, declared_renames, rename_mapping, renamed
from rc_naming._resolve import Resolution
from rc_naming._roots import Root, check_same_root, current_root, default_root, reset_default_root
from rc_naming._snapshot import (
    UPDATE_ENV_VAR,
    SnapshotMismatchError,
    assert_names_snapshot,
    format_names_snapshot,
    parse_names_snapshot,
)

__version__ = "0.1.0"

__all__ = [
    "PICTURE_FORMATS",
    "SUGGESTION_KINDS",
    "UPDATE_ENV_VAR",
    "AliasInfo",
    "Ambiguity",
    "FinalizedError",
    "GraphvizError",
    "GraphvizNotFoundError",
    "InvalidNameError",
    "InvalidTreeOperationError",
    "NameCollisionError",
    "NameDiff",
    "NameNode",
    "NameTree",
    "NotFinalizedError",
    "OwnershipGraph",
    "ParentEdge",
    "RcNamingError",
    "ReferenceResolutionError",
    "Rename",
    "RenameMapping",
    "Resolution",
    "Root",
    "RootMismatchError",
    "ShapeMismatch",
    "SnapshotMismatchError",
    "Suggestion",
    "UnreachableError",
    "UnresolvedNamesError",
    "__version__",
    "alias_info",
    "alias_report",
    "assert_names_snapshot",
    "call_tree_dot",
    "call_tree_text",
    "check_same_root",
    "current_root",
    "declared_renames",
    "default_root",
    "diff_names",
    "format_alias_report",
    "format_names_snapshot",
    "format_shape",
    "model_dot",
    "module_tree_dot",
    "module_tree_text",
    "parse_names_snapshot",
    "rename_mapping",
    "renamed",
    "render_dot",
    "render_path",
    "reset_default_root",
    "sanitize_name",
    "write_picture",
]
