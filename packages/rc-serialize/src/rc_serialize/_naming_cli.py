"""The naming subcommands of ``rc-serialize``: ``diff``, ``migrate`` and ``graph``.

Exit codes as for the other subcommands: 0 success, 1 a mismatch (``diff``) or a
refused migration (``migrate``), 2 bad usage or a model/checkpoint that cannot be
loaded.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

import rc_naming

from ._checkpoints import (
    checkpoint_diff,
    migrate_checkpoint,
    migration_mapping,
    model_picture,
    preload_config_code,
)
from ._cli_model import CliError, build_model
from ._cli_output import write_atomically

__all__ = ["add_naming_commands"]


def _model_arg(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "model", nargs="?", default=default, help=f"MODULE:FACTORY (default: {default})"
    )


def _naming_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="TF checkpoint prefix, e.g. model.003")
    parser.add_argument("--param-naming", choices=("predecessor", "plain"), default="predecessor")
    parser.add_argument(
        "--from-version",
        type=int,
        default=None,
        help="model version that wrote the checkpoint: only renames declared for later "
        "versions apply (default: all declared renames)",
    )


def add_naming_commands(sub: Any, *, default_model: str) -> None:
    """Register ``diff``, ``migrate`` and ``graph`` on the subparsers object ``sub``."""
    diff = sub.add_parser(
        "diff", help="compare a model's parameter names and shapes with a TF checkpoint"
    )
    _model_arg(diff, default_model)
    _naming_args(diff)
    diff.add_argument("--show-matched", action="store_true", help="also list matched names")
    diff.set_defaults(func=_cmd_diff)

    migrate = sub.add_parser(
        "migrate",
        help="write a checkpoint with the model's names (declared renames + accepted suggestions)",
    )
    _model_arg(migrate, default_model)
    _naming_args(migrate)
    migrate.add_argument(
        "-o", "--output", required=True, help="new checkpoint prefix (or config file)"
    )
    migrate.add_argument(
        "--accept",
        action="append",
        choices=rc_naming.SUGGESTION_KINDS,
        default=None,
        help="suggestion kind to apply (repeatable; declared renames are always applied)",
    )
    migrate.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="explicit pair of canonical paths, e.g. --map enc.cv1.weight=enc.conv1.weight",
    )
    migrate.add_argument(
        "--allow-unused",
        action="store_true",
        help="drop checkpoint parameters nothing maps to (default: refuse)",
    )
    migrate.add_argument(
        "--as-preload-config",
        action="store_true",
        help="write RETURNN's preload_from_files option with a var_name_mapping to OUTPUT "
        "instead of a new checkpoint",
    )
    migrate.set_defaults(func=_cmd_migrate)

    graph = sub.add_parser(
        "graph", help="picture of the module tree (aliases dashed) and the layer call tree"
    )
    _model_arg(graph, default_model)
    graph.add_argument("-o", "--output", default=None, help="file to write (default: stdout)")
    graph.add_argument(
        "--format",
        choices=rc_naming.PICTURE_FORMATS,
        default=None,
        help="text, dot, svg or png (default: from the output suffix, text on stdout)",
    )
    graph.set_defaults(func=_cmd_graph)


def _checkpoint_diff(args: argparse.Namespace) -> Any:
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        try:
            return checkpoint_diff(
                model,
                args.checkpoint,
                param_naming=args.param_naming,
                from_version=args.from_version,
            )
        except FileNotFoundError as exc:
            raise CliError(str(exc)) from exc


def _cmd_diff(args: argparse.Namespace) -> int:
    cdiff = _checkpoint_diff(args)
    print(cdiff.format(show_matched=args.show_matched))
    if cdiff.diff.ok:
        print("names and shapes match")
        return 0
    print(
        "MISMATCH: fix the names, or run `rc-serialize migrate` "
        "(declared renames and accepted suggestions)"
    )
    return 1


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise CliError(
                f"--map {pair!r}: expected OLD=NEW, e.g. enc.cv1.weight=enc.conv1.weight"
            )
        if result.get(old, new) != new:
            raise CliError(
                f"--map {old}={result[old]} and --map {pair}: one old name mapped to two new "
                "names; an old name feeds one new name only (keep one of the pairs)"
            )
        result[old] = new
    return result


def _cmd_migrate(args: argparse.Namespace) -> int:
    cdiff = _checkpoint_diff(args)
    accept = ("declared", *(args.accept or ()))
    try:
        mapping = migration_mapping(
            cdiff, accept=accept, extra=_parse_pairs(args.map), allow_unused=args.allow_unused
        )
    except rc_naming.UnresolvedNamesError as exc:
        print(cdiff.format())
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    renamed = {new: old for new, old in mapping.items() if new != old}
    for new, old in sorted(renamed.items()):
        print(f"  {old} -> {new}")
    if args.as_preload_config:
        out = pathlib.Path(args.output)
        write_atomically(out, preload_config_code(args.checkpoint, mapping))
        print(f"wrote {out}: preload_from_files with {len(renamed)} renamed variables")
        return 0
    try:
        written = migrate_checkpoint(args.checkpoint, args.output, mapping)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    print(f"wrote checkpoint {written} ({len(mapping)} parameters, {len(renamed)} renamed)")
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    fmt = args.format
    if fmt is None and args.output is not None:
        suffix = pathlib.Path(args.output).suffix.lower().lstrip(".")
        fmt = {"gv": "dot", "txt": "text"}.get(suffix, suffix)
        if fmt not in rc_naming.PICTURE_FORMATS:
            raise CliError(
                f"output {args.output!r}: cannot tell the format from the suffix; "
                "use --format text|dot|svg|png"
            )
    fmt = fmt or "text"
    if args.output is None and fmt in ("svg", "png"):
        raise CliError(f"--format {fmt} needs -o FILE")
    with rc_naming.Root("cli"):
        model = build_model(args.model)
        try:
            picture = model_picture(model, fmt)
        except rc_naming.GraphvizNotFoundError as exc:
            raise CliError(str(exc)) from exc
    if args.output is None:
        assert isinstance(picture, str)
        print(picture, end="" if picture.endswith("\n") else "\n")
        return 0
    out = pathlib.Path(args.output)
    if isinstance(picture, bytes):
        out.write_bytes(picture)
    else:
        out.write_text(picture if picture.endswith("\n") else picture + "\n", encoding="utf-8")
    print(f"wrote {out} ({fmt})")
    return 0
