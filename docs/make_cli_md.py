"""Writes docs/cli.md, the command-line reference, from the code: every command's --help as typer prints it.

Usage: python docs/make_cli_md.py > docs/cli.md   (`make docs`; tests/test_docs.py fails when docs/cli.md is stale)
"""

from __future__ import annotations

import click
import typer

from akhbar.cli import app

WIDTH = 100  # fixed, so the file does not depend on the terminal it was made in


def _help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH)
    return command.get_help(ctx)


def reference() -> str:
    """The whole reference as Markdown: the top-level help, then each command's, in the order --help lists them."""
    group = typer.main.get_command(app)
    top = click.Context(group, info_name="akhbar", terminal_width=WIDTH, max_content_width=WIDTH)
    parts = [
        "# akhbar command line reference",
        "",
        "Generated from the code by `python docs/make_cli_md.py > docs/cli.md` (`make docs`); "
        "`make check` fails when this file is stale. The README shows the commands in use.",
        "",
        "```text",
        _help(group, "akhbar"),
        "```",
    ]
    for name in group.list_commands(top):  # type: ignore[attr-defined]
        command = group.get_command(top, name)  # type: ignore[attr-defined]
        parts += ["", f"## akhbar {name}", "", "```text", _help(command, name, top), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
