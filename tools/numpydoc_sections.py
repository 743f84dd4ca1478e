"""Rewrite Google-style docstring sections (``Example:``, ``Args:``, ...) into numpydoc sections.

The API reference (``nox -s docs``) renders docstrings with numpydoc, which knows sections by an
underlined header::

    Examples
    --------
    >>> 1 + 1
    2

This script finds, in every docstring of the given Python files, a line that is only one of

    ``Example:`` ``Examples:`` ``Args:`` ``Arguments:`` ``Returns:`` ``Raises:`` ``Attributes:``

at the docstring's own indentation, and rewrites the indented block under it:

* ``Example:`` / ``Examples:`` become ``Examples`` with the block dedented to the docstring's
  indentation (every line by the same amount, so doctests stay valid);
* ``Args:`` / ``Arguments:`` become ``Parameters``; ``Returns:``, ``Raises:`` and
  ``Attributes:`` keep their name; each ``name: description`` item becomes ``name`` with the
  description indented below it (numpydoc's form).

Converted sections move to the end of the docstring in numpydoc's order (Parameters, Returns,
Raises, Attributes, Examples); text that followed a section in the docstring stays before them,
in its order. Two sections of one kind in one docstring are merged into one. A section whose
items are not all ``name: description`` is left alone and listed (fix it by hand).

Only the source text of docstrings changes (escapes such as ``\\n`` are kept byte for byte), and
a second run changes nothing: converted docstrings have no such header left, so the lead can
re-run it after merging branches that add Google-style docstrings.

Usage::

    python tools/numpydoc_sections.py                 # rewrite packages/*/src in place
    python tools/numpydoc_sections.py --check         # exit 1 and list files that would change
    python tools/numpydoc_sections.py PATH ...        # files or directories (*.py below them)

Exit codes: 0 nothing (more) to do, 1 ``--check`` found files to rewrite, 2 bad usage or a file
that does not parse.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import pathlib
import re
import sys
from collections.abc import Iterator, Sequence

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Google header -> numpydoc header.
HEADERS = {
    "Example": "Examples",
    "Examples": "Examples",
    "Args": "Parameters",
    "Arguments": "Parameters",
    "Returns": "Returns",
    "Raises": "Raises",
    "Attributes": "Attributes",
}
ORDER = ["Parameters", "Returns", "Raises", "Attributes", "Examples"]
HEADER_RE = re.compile(r"^(?P<indent>[ ]*)(?P<name>[A-Z][a-z]+):[ ]*$")
QUOTES_RE = re.compile(r'^(?P<prefix>[rRuU]?)(?P<quotes>"""|\'\'\')', re.DOTALL)
# ``name: description`` (or ``name:`` alone); for Returns the "name" is a type and may hold spaces.
ITEM_RE = re.compile(r"^(?P<name>[*\w.\[\], |`]+?):(?:[ ]+(?P<desc>.*))?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@dataclasses.dataclass
class Section:
    """One numpydoc section being assembled: its header and its body lines (final indentation)."""

    header: str
    lines: list[str]


class NotConvertible(Exception):
    """A section's body does not have the expected item form; the docstring is left as it is."""


def _items(body: list[str], base: int, header: str) -> list[str]:
    """``name: desc`` items (Google) -> ``name`` + indented ``desc`` (numpydoc)."""
    content = [line for line in body if line.strip()]
    item_indent = min(_indent(line) for line in content)
    out: list[str] = []
    pad = " " * base
    lines = list(body)
    while lines:
        line = lines.pop(0)
        if not line.strip():
            out.append("")
            continue
        indent = _indent(line)
        if indent == item_indent:
            text = line.strip()
            # ``a, b,`` + ``c: description``: several names share one description.
            while text.endswith(",") and ":" not in text and lines and lines[0].strip():
                text += " " + lines.pop(0).strip()
            match = ITEM_RE.match(text)
            names = match["name"].replace("`", "").split(", ") if match else []
            if match is None or (header != "Returns" and any(" " in n for n in names)):
                raise NotConvertible(f"{header}: item without 'name: description': {text!r}")
            out.append(pad + match["name"].strip())
            if match["desc"]:
                out.append(pad + "    " + match["desc"])
        else:
            out.append(" " * (indent - (item_indent - base)) + line.lstrip(" "))
    return out


def _convert_body(header: str, body: list[str], base: int) -> list[str]:
    content = [line for line in body if line.strip()]
    if not content:
        raise NotConvertible(f"{header}: empty section")
    if header == "Examples":
        shift = min(_indent(line) for line in content) - base
        return [line[shift:] if line.strip() else "" for line in body]
    return _items(body, base, header)


def convert_docstring(inner: str) -> tuple[str, list[str]]:
    """Convert the text between a docstring's quotes; returns the new text and problems found.

    Examples
    --------
    >>> text = "Add.\\n\\n    Example:\\n        >>> 1 + 1\\n        2\\n    "
    >>> convert_docstring(text)[0].split("\\n")
    ['Add.', '', '    Examples', '    --------', '    >>> 1 + 1', '    2', '    ']
    """
    lines = inner.split("\n")
    if len(lines) < 3:
        return inner, []
    # The closing quotes' line: kept as it is when it holds only indentation.
    tail = lines[-1] if not lines[-1].strip() else None
    body_lines = lines[1:-1] if tail is not None else lines[1:]
    content = [line for line in body_lines if line.strip()]
    if not content:
        return inner, []
    base = min(_indent(line) for line in content)
    kept: list[str] = []
    problems: list[str] = []
    sections: dict[str, Section] = {}
    i = 0
    found = after_examples = False
    while i < len(body_lines):
        line = body_lines[i]
        match = HEADER_RE.match(line)
        if match is None or len(match["indent"]) != base or match["name"] not in HEADERS:
            # Text after an example goes on with it (it may use the example's names).
            (sections["Examples"].lines if after_examples else kept).append(line)
            i += 1
            continue
        j = i + 1
        while j < len(body_lines) and (not body_lines[j].strip() or _indent(body_lines[j]) > base):
            j += 1
        end = j
        while end > i + 1 and not body_lines[end - 1].strip():
            end -= 1  # trailing blank lines separate, they are no part of the section
        header = HEADERS[match["name"]]
        try:
            converted = _convert_body(header, body_lines[i + 1 : end], base)
        except NotConvertible as exc:
            problems.append(str(exc))  # the section stays where and as it is
            kept.extend(body_lines[i:j])
            i = j
            continue
        found = True
        if header in sections:
            merged = sections[header].lines
            while merged and not merged[-1].strip():
                merged.pop()
            merged.extend(["", *converted])
        else:
            sections[header] = Section(header, converted)
        after_examples = header == "Examples"
        if after_examples:
            sections[header].lines.extend(body_lines[end:j])
        elif not kept or kept[-1].strip():
            kept.extend(body_lines[end:j])  # else one blank line already separates
        i = j
    if not found:
        return inner, problems
    while kept and not kept[-1].strip():
        kept.pop()
    pad = " " * base
    out = [lines[0], *kept]
    for name in ORDER:
        if name in sections:
            section = sections[name].lines
            while not section[-1].strip():
                section.pop()
            out += ["", pad + name, pad + "-" * len(name)]
            out += [line if line.strip() else "" for line in section]
    if tail is not None:
        out.append(tail)
    return "\n".join(out), problems


def _docstring_nodes(tree: ast.AST) -> Iterator[ast.Constant]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                yield first.value


def convert_source(source: str, filename: str = "<source>") -> tuple[str, list[str]]:
    """The file's source with every docstring converted, and the problems found."""
    tree = ast.parse(source, filename=filename)
    data = source.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, bytes]] = []
    problems: list[str] = []
    for node in _docstring_nodes(tree):
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = starts[node.lineno - 1] + node.col_offset
        end = starts[node.end_lineno - 1] + node.end_col_offset
        literal = data[start:end].decode("utf-8")
        match = QUOTES_RE.match(literal)
        if match is None or not literal.endswith(match["quotes"]):
            continue  # implicit concatenation or a one-quote string: not touched
        head = len(match["prefix"]) + 3
        inner = literal[head:-3]
        new_inner, found = convert_docstring(inner)
        problems += [f"{filename}:{node.lineno}: {problem}" for problem in found]
        if new_inner != inner:
            new_literal = literal[:head] + new_inner + literal[-3:]
            edits.append((start, end, new_literal.encode("utf-8")))
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new + data[end:]
    result = data.decode("utf-8")
    if result != source:
        ast.parse(result, filename=filename)  # never write a file that does not parse
    return result, problems


def _files(paths: Sequence[str]) -> list[pathlib.Path]:
    if not paths:
        paths = [str(p) for p in sorted((ROOT / "packages").glob("*/src"))]
    files: list[pathlib.Path] = []
    for name in paths:
        path = pathlib.Path(name)
        if path.is_dir():
            files += sorted(path.rglob("*.py"))
        elif path.is_file():
            files.append(path)
        else:
            raise SystemExit(f"numpydoc_sections: error: no such file or directory: {name}")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rewrite Google-style docstring sections into numpydoc sections."
    )
    parser.add_argument("paths", nargs="*", help="files or directories (default: packages/*/src)")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    args = parser.parse_args(argv)
    try:
        files = _files(args.paths)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    changed: list[pathlib.Path] = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        try:
            result, problems = convert_source(source, str(path))
        except SyntaxError as exc:
            print(f"numpydoc_sections: error: {path} does not parse: {exc}", file=sys.stderr)
            return 2
        for problem in problems:
            print(f"left as it is: {problem}", file=sys.stderr)
        if result != source:
            changed.append(path)
            if not args.check:
                path.write_text(result, encoding="utf-8")
    verb = "would rewrite" if args.check else "rewrote"
    for path in changed:
        print(f"{verb} {path}")
    print(f"{len(changed)} of {len(files)} files {'to rewrite' if args.check else 'rewritten'}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
