"""Sphinx configuration of rc's documentation site (``python3 -m nox -s docs``).

Built from the packages' docstrings (numpydoc sections, rendered by ``numpydoc``) and the
Markdown pages in this folder (``myst-parser``). Nothing here imports TensorFlow: autodoc
imports ``rc_naming``, ``rc_nn`` and ``rc_serialize``, which never import it at import time.
"""

from __future__ import annotations

import pathlib
import sys

from sphinx.util import logging as sphinx_logging

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import rc_naming  # noqa: E402
import rc_nn  # noqa: E402
import rc_serialize  # noqa: E402

project = "rc"
author = "the rc developers"
copyright = "the rc developers"
release = f"rc-naming {rc_naming.__version__}, rc-nn {rc_nn.__version__}, rc-serialize {rc_serialize.__version__}"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "rc_catalogue",
    "rc_cli_help",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "tutorial/README.md"]
templates_path = ["_templates"]

# API reference
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Nitpicky mode (`sphinx-build -n`): every cross-reference to a public, dotted name must
# resolve. Not resolvable offline (no intersphinx) and therefore ignored: the standard
# library's and other packages' classes in type hints, private names (a component starting
# with "_": base classes, type aliases of private modules) and bare names (type variables).
nitpicky = True
nitpick_ignore_regex = [
    (r"py:class", r"(collections\.abc|os|pathlib|typing|numpy|networkx|returnn)\..*"),
    (r"py:.*", r"(.*\.)?_.*"),
    (r"py:.*", r"[A-Za-z_]\w*"),
]

# Markdown pages (docs/*.md)
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

html_theme = "alabaster"
html_title = "rc: RETURNN models as PyTorch-like modules"
html_static_path: list[str] = []


def _no_tensorflow(app: object, doctree: object) -> None:
    """Building the docs must not import TensorFlow (autodoc imports the packages)."""
    if "tensorflow" in sys.modules:
        sphinx_logging.getLogger("rc-docs").warning(
            "tensorflow was imported while reading the sources; the packages must not import it"
        )


def setup(app: object) -> None:
    """Local hooks."""
    app.connect("doctree-read", _no_tensorflow)  # type: ignore[attr-defined]
