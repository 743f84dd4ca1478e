"""Sphinx extension: the API pages, generated from the packages' ``__all__`` at build time.

For each package the page lists every public name in groups, one group per private module
the name is imported from in the package's ``__init__.py`` (read with ``ast``, so a name
added on another branch lands in its module's group without editing the docs). Known modules
get a curated title; an unknown module gets the first line of its docstring, and a name
whose module cannot be found goes to "Other". The pages are written into ``docs/api/`` before
Sphinx lists the sources, and only rewritten when their text changes.
"""

from __future__ import annotations

import ast
import importlib
import pathlib
from dataclasses import dataclass, field

from sphinx.application import Sphinx
from sphinx.util import logging

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """One generated API page."""

    package: str  # import name, e.g. "rc_nn"
    docname: str  # e.g. "api/rc_nn"
    title: str
    intro: str
    # (group title, source modules as imported in __init__.py, e.g. "_math"); first match wins
    groups: list[tuple[str, list[str]]]
    exclude_sources: list[str] = field(default_factory=list)
    errors_group: str | None = None  # names ending in "Error" go here, whatever their module


RC_NN_GROUPS = [
    ("Modules and parameters", ["_module", "_parameter", "_containers", "_hooks", "_layer_state"]),
    ("Naming roots (from rc-naming)", ["rc_naming"]),
    ("Dims, templates and inputs", ["_dims", "_extern"]),
    ("The lazy tensor", ["_tensor"]),
    ("Layers with parameters", ["_linear", "_conv", "_norm", "_lstm", "_weight_utils"]),
    ("Element-wise math and activations", ["_math"]),
    ("Creation, reductions, softmax, dropout", ["_array"]),
    (
        "Shapes, slices, gathering and positions",
        ["_shape", "_slice", "_dim_ops", "_gather", "_range", "_cum_concat", "_pool"],
    ),
    ("Random numbers", ["_random", "_rand_module"]),
    ("Losses", ["_loss", "_transducer"]),
    ("Control flow and search", ["_loop", "_cond", "_masked", "_control", "_search"]),
    ("Parameter initializers", ["init"]),
    ("The predecessor's entry points and ops (returnn_common)", ["_compat_entry", "_compat_ops"]),
    ("Errors", ["_errors"]),
]

PAGES = [
    Page(
        package="rc_nn",
        docname="api/rc_nn",
        title="Op and layer catalogue (``rc_nn``)",
        intro=(
            "Everything ``import rc_nn as nn`` offers, by topic. The model zoo "
            "(``rc_nn.models``) has :doc:`its own page <models>`."
        ),
        groups=RC_NN_GROUPS,
        exclude_sources=["models"],
        errors_group="Errors",
    ),
    Page(
        package="rc_nn.models",
        docname="api/models",
        title="Model zoo (``rc_nn.models``)",
        intro=(
            "Ready-made models with the predecessor's attribute names, parameter shapes and "
            "values (rule N8); each is also importable as ``nn.<Name>``. The guide to the zoo "
            "(what each model computes, options, checkpoints) is :doc:`../models`."
        ),
        groups=[
            ("Attention", ["_attention"]),
            ("Transformer", ["_transformer"]),
            ("Conformer", ["_conformer"]),
            ("LSTM attention encoder-decoder", ["_lstm_attention"]),
        ],
    ),
    Page(
        package="rc_naming",
        docname="api/rc_naming",
        title="Naming tools (``rc_naming``)",
        intro=(
            "Framework-agnostic names for any tree of Python objects (stdlib + networkx only). "
            "The contract behind these functions is :doc:`../rc-naming-api`; the rules they "
            "implement are on :doc:`../naming-rules`."
        ),
        groups=[
            ("Naming roots", ["_roots"]),
            ("Ownership graph and canonical paths", ["_ownership", "_resolve", "_paths"]),
            ("Layer name tree", ["_nametree"]),
            ("Aliases", ["_aliases"]),
            ("Declared renames", ["_renames"]),
            ("Name diffs", ["_diff"]),
            ("Snapshots for tests", ["_snapshot"]),
            ("Pictures and exports", ["_pictures", "_export"]),
            ("Errors", ["_errors"]),
        ],
        errors_group="Errors",
    ),
    Page(
        package="rc_serialize",
        docname="api/rc_serialize",
        title="Serializer (``rc_serialize``)",
        intro=(
            "From a called model to RETURNN config code, and the checkpoint side of the naming "
            "tools. The command line is on :doc:`../cli`."
        ),
        groups=[
            ("Config code", ["_config", "_code"]),
            ("The net dict", ["_final"]),
            ("Checkpoints and pictures", ["_checkpoints"]),
            ("RETURNN check helpers", ["_returnn_check"]),
            ("Errors", ["_errors"]),
        ],
        errors_group="Errors",
    ),
]


def import_sources(init_file: pathlib.Path, package: str) -> dict[str, str]:
    """Public name -> where ``init_file`` imports it from.

    A submodule of ``package`` by its first component below the package (``"_math"``,
    ``"models"``, also for absolute imports such as ``from rc_naming._diff import ...``);
    another package by its full name (``"rc_naming"``).
    """
    sources: dict[str, str] = {}
    for node in ast.parse(init_file.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module or ""
        if node.level == 0 and module.startswith(package + "."):
            module = module[len(package) + 1 :]  # an absolute import of our own submodule
        elif node.level == 0:
            module = "=" + module  # another package
        for alias in node.names:
            name = alias.asname or alias.name
            if not module:  # ``from . import _init as init``
                sources[name] = name
            elif module.startswith("="):
                sources[name] = module[1:]
            else:
                sources[name] = module.split(".")[0]
    return sources


def _docstring_title(package: str, source: str) -> str:
    try:
        module = importlib.import_module(f"{package}.{source}")
    except ImportError:
        return "Other"
    first = (module.__doc__ or "").strip().splitlines()[:1]
    if not first:
        return source.strip("_").replace("_", " ").capitalize()
    head, colon, _ = first[0].partition(": ")
    # "The build record: what ..." -> "The build record"; else the whole first line.
    return head if colon and len(head) <= 40 else first[0].rstrip(".")


def render_page(page: Page) -> str:
    """The page's reStructuredText: a title, the intro and one autosummary table per group."""
    module = importlib.import_module(page.package)
    init_file = pathlib.Path(module.__file__ or "")
    sources = import_sources(init_file, page.package)
    names = [name for name in module.__all__ if name != "__version__"]
    grouped: dict[str, list[str]] = {title: [] for title, _ in page.groups}
    for name in names:
        source = sources.get(name)
        if source in page.exclude_sources:
            continue
        title = None
        if page.errors_group and name.endswith("Error"):
            title = page.errors_group
        else:
            title = next((t for t, mods in page.groups if source in mods), None)
        if title is None:
            title = _docstring_title(page.package, source) if source else "Other"
        grouped.setdefault(title, []).append(name)
    lines = [
        ".. This file is generated by docs/_ext/rc_catalogue.py at build time; do not edit.",
        "",
        page.title,
        "=" * len(page.title),
        "",
        f".. currentmodule:: {page.package}",
        "",
        page.intro,
        "",
    ]
    for title, members in grouped.items():
        if not members:
            continue
        lines += [title, "-" * len(title), ""]
        # Names another package documents (``nn.Root`` is ``rc_naming.Root``): a link, not a
        # second description of the same object.
        foreign = [n for n in members if _is_foreign(sources.get(n))]
        own = [n for n in members if n not in foreign]
        for name in foreign:
            lines.append(f"* ``{name}``: :py:obj:`{sources[name]}.{name}`")
        if foreign:
            lines.append("")
        if own:
            lines += [".. autosummary::", "   :toctree: generated", ""]
            lines += [f"   {name}" for name in own]
            lines.append("")
    return "\n".join(lines)


def _is_foreign(source: str | None) -> bool:
    """``source`` is another of the three packages (``nn.Root`` is ``rc_naming.Root``)."""
    return source is not None and source.startswith("rc_")


def write_pages(app: Sphinx, config: object) -> None:
    """Write every generated page (before Sphinx looks for source files)."""
    for page in PAGES:
        target = pathlib.Path(app.srcdir) / f"{page.docname}.rst"
        text = render_page(page)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            LOG.info("rc_catalogue: wrote %s", target)


def setup(app: Sphinx) -> dict[str, object]:
    """Register the page generator (at ``config-inited``: before the sources are listed)."""
    app.connect("config-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
