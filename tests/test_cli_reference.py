"""docs/cli.md is generated from every command's --help; this test keeps it in sync.

Regenerate with:  python -m tests.test_cli_reference > docs/cli.md
"""

from __future__ import annotations

import click
from click.testing import CliRunner

from triage.cli import cli

from .conftest import ROOT

HEADER = """# Command reference

Generated from `--help` by `python -m tests.test_cli_reference > docs/cli.md`; a test
fails when it is out of date.
"""


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            found += commands(command, prefix + (name,))
        else:
            found.append(prefix + (name,))
    return found


def reference() -> str:
    runner = CliRunner()
    parts = [HEADER]
    for path in commands():
        result = runner.invoke(cli, [*path, "--help"], prog_name="triage", terminal_width=88)
        title = " ".join(("triage", *path))
        parts.append(f"\n## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "".join(parts)


def test_cli_reference_is_up_to_date():
    assert (ROOT / "docs" / "cli.md").read_text() == reference(), (
        "docs/cli.md is out of date: run  python -m tests.test_cli_reference > docs/cli.md"
    )


def test_every_command_has_an_example():
    runner = CliRunner()
    for path in commands():
        if not path:
            continue
        command = cli
        for name in path:
            command = command.commands[name]
        if isinstance(command, click.Group):
            continue
        help_text = runner.invoke(cli, [*path, "--help"], prog_name="triage").output
        assert "Examples:" in help_text and "triage " in help_text.split("Examples:")[1], path


if __name__ == "__main__":
    print(reference(), end="")
