"""What every `triage` command shares: error handling, common options, building the checker.

Every TriageError becomes its one-line message and its exit code here, in one place; Ctrl-C
becomes exit 130 with one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import wraps
from typing import Any

import click

from ..content import load_content
from ..engines import ENGINES
from ..errors import InputError, Interrupted, Problem, Stopped, TriageError
from ..evaluate import Triage
from ..files import write_atomically
from ..model import FORMAT_ALIASES, FORMATS
from ..render import Presentation, Renderer
from ..textsafe import escaped, fill


class TriageGroup(click.Group):
    """Turns library errors into a message on stderr and an exit code."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # the group's own options (`triage --bogus`)
            _say_usage_error(exc)
            sys.exit(exc.exit_code)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with stop_on_termination():
                return super().invoke(ctx)
        except Stopped as stopped:  # SIGTERM or SIGHUP: cleaned up on the way out, like Ctrl-C
            name = signal.Signals(stopped.signum).name
            click.echo(f"triage: stopped: {name}; no output file was left half-written", err=True)
            ctx.exit(128 + stopped.signum)
        except BrokenPipeError:  # `triage batch ... | head`: the reader has all it wanted; exit quietly
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit either
            ctx.exit(141)
        except KeyboardInterrupt:  # Ctrl-C outside the questionnaire (which says where answers are)
            interrupted = Interrupted("interrupted; no output file was left half-written")
            click.echo("", err=True)
            say(f"triage: {interrupted.label}: {interrupted}")
            ctx.exit(interrupted.exit_code)
        except click.UsageError as exc:  # a subcommand's options
            _say_usage_error(exc)
            ctx.exit(exc.exit_code)
        except TriageError as exc:
            # An InputError is one escaped line per problem; any other error is one line, whatever
            # a name given on the command line holds (a line break, an escape sequence).
            lines = str(exc).splitlines() if isinstance(exc, InputError) else [escaped(str(exc))]
            for line in lines or [exc.__class__.__name__]:
                say(line if _has_place(line) else f"triage: {exc.label}: {line}")
            ctx.exit(exc.exit_code)


def _say_usage_error(exc: click.UsageError) -> None:
    """One line, like every other error (click's own form takes four); a command run without
    the arguments it needs shows its help, as click does."""
    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        exc.show()
        return
    command = exc.ctx.command_path if exc.ctx else "triage"
    say(f"triage: error: {escaped(exc.format_message())} (see '{command} --help')")


@contextlib.contextmanager
def stop_on_termination() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP unwind it (raise Stopped) instead of killing it
    mid-write, so temporary files are removed and workers stopped, as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    names = [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]

    def stop(signum: int, frame: object) -> None:
        for n in names:  # a second signal must not interrupt the clean-up the first one starts
            signal.signal(getattr(signal, n), signal.SIG_IGN)
        raise Stopped(signum)

    previous = {n: signal.signal(getattr(signal, n), stop) for n in names}
    try:
        yield
    finally:
        for n, handler in previous.items():
            signal.signal(getattr(signal, n), handler)


def _has_place(line: str) -> bool:
    head = line.split(": ", 1)[0]
    return head.count(":") >= 2 and head.rsplit(":", 2)[-1].isdigit()


class PathName(click.Path):
    """click.Path that also refuses an empty name (`-o ''` would otherwise mean "no output file")."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in ("", b""):
            self.fail("the name is empty", param, ctx)
        return super().convert(value, param, ctx)


def content_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rules and --engine, shared by every command that evaluates answers."""

    @click.option(
        "--rules", "rules_dir", type=PathName(file_okay=False), default=None,
        help="Content folder to use instead of the built-in one (questionnaire, rules, templates).",
    )
    @click.option(
        "--engine", type=click.Choice(ENGINES), default=None,
        help="Rule engine. Default: durable where it can be imported, else python.",
    )
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


class FormatChoice(click.Choice):
    """A format name in any case, or another name people use for it (`md` for markdown); a
    name that belongs to another command says which (`json` is one result, `jsonl` many)."""

    def __init__(self, choices: Iterable[str], aliases: Mapping[str, str], elsewhere: Mapping[str, str] | None = None):
        super().__init__(list(choices), case_sensitive=False)
        self.aliases = dict(aliases)
        self.elsewhere = dict(elsewhere or {})

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        name = str(value).strip().lower()
        name = self.aliases.get(name, name)
        if name in self.elsewhere:
            self.fail(self.elsewhere[name], param, ctx)
        return super().convert(name, param, ctx)


format_option = click.option(
    "--format", "-f", "fmt", default="text", show_default=True,
    type=FormatChoice(FORMATS, FORMAT_ALIASES, {"jsonl": "jsonl is for many results (triage batch); use json for one"}),
    help="How to show the result: text, markdown (md), html, doctor (a one-page summary to print for a doctor) or json.",
)


region_option = click.option(
    "--region", default=None, envvar="TRIAGE_REGION", show_envvar=True,
    help="Show the emergency number of this region (us, uk, eu, au, ...). Default: the common numbers.",
)


def presentation(stream: Any = None) -> Presentation:
    """How to show a result on `stream` (standard output): on a terminal, wrapped to its width
    (at most 100 columns), with bold and colour unless NO_COLOR is set or TERM is dumb; in a
    file or a pipe, 78 columns and no escape codes."""
    stream = stream if stream is not None else sys.stdout
    if not _is_terminal(stream):
        return Presentation()
    colour = not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    return Presentation(width=terminal_width(), colour=colour)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def terminal_width(stream: Any = None) -> int:
    """Columns to wrap at on the terminal `stream` (standard output) is: its width less one,
    between 20 and 100 (COLUMNS, when set, wins, as everywhere)."""
    stream = stream if stream is not None else sys.stdout
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = shutil.get_terminal_size().columns
    return max(20, min(columns, 101) - 1)


def say(text: str, indent: str = "") -> None:
    """A message on stderr, each line wrapped to the terminal when stderr is one (never
    mid-word), continuation lines indented under the text after a bullet."""
    if not _is_terminal(sys.stderr):
        for line in text.splitlines() or [""]:
            click.echo(indent + line if line else line, err=True)
        return
    width = terminal_width(sys.stderr)
    for line in text.splitlines() or [""]:
        click.echo(fill(line, width, indent, continuation="  "), err=True)


def build(rules_dir: str | None, engine: str | None, region: str | None = None) -> tuple[Triage, Renderer]:
    content = load_content(rules_dir)
    return Triage(content, engine, region), Renderer(content)


def write_output(path: str, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise TriageError(f"cannot write {path}: {exc.strerror or exc}") from None


def report(problems: list[Problem], fmt: str, root: str, noun: str) -> None:
    """Print problems (path:line:column: severity: message) and a summary; exit 1 if any."""
    if fmt == "json":
        click.echo(json.dumps([
            {"path": p.path, "line": p.line, "column": p.column, "severity": p.severity, "message": p.message, "check": p.code}
            for p in problems
        ], indent=2))
    else:
        for p in problems:
            click.echo(escaped(f"{p.path}:{p.line}:{p.column}: {p.severity}: {p.message}"))
    count = len(problems)
    click.echo(f"{root}: " + (f"no {noun}s" if not count else f"{count} {noun}{'s' if count != 1 else ''}"), err=True)
    sys.exit(1 if problems else 0)
