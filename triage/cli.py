"""The `triage` command: a thin click layer over the library.

Results go to stdout; prompts, messages and errors go to stderr. Every TriageError becomes
its one-line message and its exit code here, in one place.
"""

from __future__ import annotations

import sys
from functools import wraps

import click

from . import __version__
from .answers import check_answers, dump_answers, load_answers, write_private_atomically
from .content import FORMATS, URGENCY_LEVELS, load_content, urgency_rank
from .engine import ENGINES
from .errors import InputError, Interrupted, TriageError
from .evaluate import Triage
from .questionnaire import run_questionnaire, summary
from .render import Renderer
from .yamlsafe import decode_text, load_yaml


class TriageGroup(click.Group):
    """Turns library errors into a message on stderr and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TriageError as exc:
            for line in str(exc).splitlines() or [exc.__class__.__name__]:
                click.echo(line if _has_place(line) else f"triage: {exc.label}: {line}", err=True)
            ctx.exit(exc.exit_code)


def _has_place(line: str) -> bool:
    head = line.split(": ", 1)[0]
    return head.count(":") >= 2 and head.rsplit(":", 2)[-1].isdigit()


def content_options(func):
    """--rules and --engine, shared by every command that evaluates answers."""

    @click.option(
        "--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
        help="Content folder to use instead of the built-in one (questionnaire, rules, templates).",
    )
    @click.option(
        "--engine", type=click.Choice(ENGINES), default=None,
        help="Rule engine. Default: durable where it can be imported, else python.",
    )
    @wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


format_option = click.option(
    "--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="How to show the result.",
)


def build(rules_dir: str | None, engine: str | None) -> tuple[Triage, Renderer]:
    content = load_content(rules_dir)
    return Triage(content, engine), Renderer(content)


@click.group(cls=TriageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
def cli() -> None:
    """Make sense of a muscle twitch, cramp or spasm, and learn how soon to see a doctor.

    \b
    Examples:
      triage ask                        answer the questions in the terminal
      triage check my-answers.yaml      check a saved answer file
      triage rules validate             check the content files

    This is not a diagnosis. If you have trouble breathing, chest pain or signs of a
    stroke, call your emergency number now.
    """


@cli.command()
@click.argument("answers_file", type=click.Path(dir_okay=True, allow_dash=True))
@content_options
@format_option
@click.option(
    "--fail-on", type=click.Choice(URGENCY_LEVELS), default=None,
    help="Exit with code 1 when the urgency is at or above this level.",
)
def check(answers_file: str, rules_dir: str | None, engine: str | None, fmt: str, fail_on: str | None) -> None:
    """Check one saved answer file (YAML or JSON) and show the result.

    \b
    Examples:
      triage check examples/eyelid-twitch-coffee.yaml
      triage check answers.json --format html > result.html
      triage check answers.yaml --format json --fail-on urgent
    """
    triage, renderer = build(rules_dir, engine)
    if answers_file == "-":
        data = load_yaml(decode_text(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
        if not isinstance(data, dict):
            raise InputError("<stdin>:1:1: expected a mapping of question ids to answers")
        answers = check_answers(triage.content, data, "<stdin>")
    else:
        answers = load_answers(triage.content, answers_file)
    result = triage.evaluate(answers)
    click.echo(renderer.render(result, fmt), nl=False)
    if fail_on and urgency_rank(result.urgency) >= urgency_rank(fail_on):
        sys.exit(1)


class ClickPrompter:
    """Questions and messages on stderr; typed answers from stdin (a terminal or a pipe)."""

    def ask(self, prompt: str, default: str | None) -> str:
        click.echo("", err=True)
        click.echo(prompt, err=True)
        try:
            return click.prompt("Your answer", default=default, show_default=default is not None, err=True)
        except click.Abort:
            click.echo("", err=True)  # end the unanswered prompt's line
            raise EOFError from None

    def say(self, text: str) -> None:
        click.echo(f"   {text}", err=True)


@cli.command()
@content_options
@format_option
@click.option("--save", "save_path", type=click.Path(dir_okay=False), default=None,
              help="Save the answers to this YAML file after every question (readable only by you).")
@click.option("--answers", "resume_path", type=click.Path(dir_okay=False), default=None,
              help="Start from the answers in this saved file and ask only the rest.")
def ask(rules_dir: str | None, engine: str | None, fmt: str, save_path: str | None, resume_path: str | None) -> None:
    """Answer the questions in the terminal and get a result.

    Type the number of your answer. Type ? for help, back to go to the previous question,
    or "not sure" where it is offered. Ctrl-C stops; with --save your answers are kept.

    \b
    Examples:
      triage ask
      triage ask --save my-answers.yaml
      triage ask --answers my-answers.yaml --save my-answers.yaml
    """
    triage, renderer = build(rules_dir, engine)
    content = triage.content
    answers = load_answers(content, resume_path) if resume_path else {}

    def save(current: dict) -> None:
        if save_path:
            try:
                write_private_atomically(save_path, dump_answers(current))
            except OSError as exc:
                raise TriageError(f"cannot save answers to {save_path}: {exc.strerror or exc}") from None

    click.echo("Answer a few questions about your muscle twitch, cramp or spasm.", err=True)
    click.echo("If you have trouble breathing, chest pain or signs of a stroke, stop and call your emergency number now.", err=True)
    try:
        answers = run_questionnaire(content, ClickPrompter(), answers, on_change=save)
    except (EOFError, KeyboardInterrupt):
        where = (
            f"Your answers so far are saved in {save_path}; go on with: triage ask --answers {save_path} --save {save_path}"
            if save_path else "Nothing was saved (use --save FILE to keep your answers)."
        )
        raise Interrupted(where) from None
    save(answers)
    click.echo("", err=True)
    click.echo(summary(content, answers), err=True)
    click.echo("", err=True)
    click.echo(renderer.render(triage.evaluate(answers), fmt), nl=False)


@cli.group()
def rules() -> None:
    """Tools for content authors: check the rules and templates."""


@rules.command()
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
              help="Content folder to check instead of the built-in one.")
def validate(rules_dir: str | None) -> None:
    """Check the content folder and list every problem as path:line:column.

    \b
    Examples:
      triage rules validate
      triage rules validate --rules ./my-rules
    """
    from .validate import validate_content

    problems, summary_line = validate_content(rules_dir)
    for problem in problems:
        click.echo(f"{problem.path}:{problem.line}:{problem.column}: {problem.severity}: {problem.message}")
    click.echo(summary_line, err=True)
    sys.exit(1 if problems else 0)


@rules.command(name="test")
@content_options
@click.option("--verbose", "-v", is_flag=True, help="Also list the cases that passed.")
def test_cases(rules_dir: str | None, engine: str | None, verbose: bool) -> None:
    """Run the author test cases in the content folder's tests/*.yaml.

    Each case gives answers and what must hold (classification, urgency, advice, rules
    fired, words in the text). Exit 0 when all pass, 1 when any fails; cases marked
    `todo` are reported but do not fail.

    \b
    Examples:
      triage rules test
      triage rules test --rules ./my-rules -v
    """
    from .authortests import run_cases

    triage, renderer = build(rules_dir, engine)
    outcomes = run_cases(triage, renderer)
    failed = [o for o in outcomes if not o.passed and not o.todo]
    todo = [o for o in outcomes if o.todo]
    for outcome in outcomes:
        if not outcome.passed or outcome.todo or verbose:
            click.echo(outcome.message())
    passed = len(outcomes) - len(failed) - len(todo)
    click.echo(f"{len(outcomes)} cases: {passed} passed, {len(failed)} failing, {len(todo)} todo", err=True)
    sys.exit(1 if failed else 0)


def main() -> None:
    cli(prog_name="triage")
