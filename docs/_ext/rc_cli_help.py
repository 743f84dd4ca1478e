"""Sphinx extension: ``.. rc-cli-help::`` puts the ``--help`` of a command and of each subcommand.

The text is what the installed command prints at build time (``python -m rc_serialize ...
--help``, in a subprocess with a fixed terminal width), so the page cannot drift from the
command. The subcommands are read from the usage line (``{build,params,...}``), so a new one
shows up without editing the docs. A failing ``--help`` fails the build.

Example::

    .. rc-cli-help:: rc-serialize
       :module: rc_serialize
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

USAGE_CHOICES = re.compile(r"\{([a-z][a-z0-9_,-]*)\}")


def command_help(module: str, args: list[str]) -> str:
    """``python -m <module> <args> --help`` as text (80 columns, no colour)."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "PYTHONHASHSEED": "0"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-m", module, *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"`python -m {module} {' '.join(args)} --help` exited with {proc.returncode}:\n"
            f"{proc.stdout}{proc.stderr}"
        )
    return proc.stdout.rstrip() + "\n"


def subcommands(help_text: str) -> list[str]:
    """The subcommands named in the first ``{a,b,c}`` of the usage line."""
    usage = help_text.split("\n\n", 1)[0]
    match = USAGE_CHOICES.search(usage)
    return match.group(1).split(",") if match else []


class CliHelp(SphinxDirective):
    """One section per command: the top level, then each subcommand in usage order."""

    required_arguments = 1  # the command's name, used in the titles
    option_spec = {"module": directives.unchanged_required}  # noqa: RUF012

    def _section(self, title: str, text: str) -> nodes.section:
        section = nodes.section(
            ids=[nodes.make_id(f"cli-{title}")], names=[nodes.fully_normalize_name(title)]
        )
        section += nodes.title("", "", nodes.literal(title, title))
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        section += block
        return section

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0]
        module = self.options.get("module", command.replace("-", "_"))
        try:
            top = command_help(module, [])
            result = [self._section(command, top)]
            for sub in subcommands(top):
                result.append(self._section(f"{command} {sub}", command_help(module, [sub])))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            raise self.error(str(exc)) from exc
        return result


def setup(app: Sphinx) -> dict[str, object]:
    """Register the ``rc-cli-help`` directive."""
    app.add_directive("rc-cli-help", CliHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
