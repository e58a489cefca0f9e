"""Write the CLI reference (docs/cli.md) from the `waypost` Typer app: `make docs` runs it.

Every command, with its usage, its help text and a table of its arguments and options, in the
order the app registers them; hidden commands are left out. tests/test_docs.py checks that the
committed page is what this prints, so the page cannot drift from the code.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import typer

from waypost.cli import app

HEADER = """\
# CLI reference

<!-- Generated from src/waypost/cli.py by `make docs`; do not edit by hand. -->

Every command that touches a data directory takes `--data-dir` (default `./.waypost`) and
`--config`, and reads the `WAYPOST_*` environment variables of the
[configuration reference](configuration.md). `waypost COMMAND --help` prints the same help on
a terminal. Commands that change metadata (apps, users, keys) work while the server runs on the
same data directory; commands that read or change events (`persons`, `insights`, `import`,
`events`, `demo simulate`) need the event store to themselves, so run them with the server
stopped or use the admin API named in their error message.
"""


def _paragraphs(text: str) -> str:
    """Docstring text as Markdown: paragraphs kept, lines inside a paragraph joined."""
    parts = [" ".join(line.strip() for line in p.splitlines()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(part for part in parts if part)


def _commands(command: Any, context: typer.Context) -> Iterator[tuple[Any, typer.Context]]:
    """Every visible leaf command under `command`, depth first, in registration order."""
    if not hasattr(command, "list_commands"):
        yield command, context
        return
    for name in command.list_commands(context):
        child = command.get_command(context, name)
        if child is None or child.hidden:
            continue
        yield from _commands(child, typer.Context(child, info_name=name, parent=context))


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def _command_section(command: Any, context: typer.Context) -> list[str]:
    params = [p for p in command.params if not p.hidden]
    arguments = [p for p in params if p.param_type_name == "argument"]
    usage = " ".join(
        [context.command_path, "[OPTIONS]" if len(arguments) < len(params) else ""]
        + [p.name.upper() if p.required else f"[{p.name.upper()}]" for p in arguments]
    )
    lines = [f"## `{context.command_path}`", "", _paragraphs(command.help or ""), ""]
    lines += ["```text", re.sub(r" +", " ", usage).strip(), "```", ""]
    if params:
        lines += ["| argument or option | meaning |", "| --- | --- |"]
        for param in params:
            record = param.get_help_record(context)
            if record is None:
                continue
            names, meaning = record
            if param.param_type_name == "argument":
                names = param.name.upper()
            lines.append(f"| `{_cell(names)}` | {_cell(meaning)} |")
        lines.append("")
    return lines


def render() -> str:
    """The whole page: the header, then one section per command."""
    root = typer.main.get_command(app)
    context = typer.Context(root, info_name="waypost")
    lines = [HEADER]
    for command, command_context in _commands(root, context):
        lines += _command_section(command, command_context)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
