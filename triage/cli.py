"""The `triage` command: a thin click layer over the library.

Results go to stdout; prompts, messages and errors go to stderr. Every TriageError becomes
its one-line message and its exit code here, in one place.
"""

from __future__ import annotations

import os
import sys
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .answerfile import SaveFormat, dump_answers, load_answers
from .content import load_content
from .engines import ENGINES
from .errors import Interrupted, TriageError
from .evaluate import Triage
from .files import write_atomically, write_private_atomically
from .model import FORMATS, TEMPLATES, URGENCY_LEVELS, urgency_rank
from .questionnaire import run_questionnaire, summary
from .render import Renderer
from .reports import WRITERS


class TriageGroup(click.Group):
    """Turns library errors into a message on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
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
    answers = load_answers(triage.content, answers_file)
    result = triage.evaluate(answers)
    click.echo(renderer.render(result, fmt), nl=False)
    if fail_on and urgency_rank(result.urgency) >= urgency_rank(fail_on):
        sys.exit(1)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@content_options
@click.option("--format", "-f", "fmt", type=click.Choice(list(WRITERS)), default=None,
              help="jsonl (default when standard output is not a terminal), csv, report (Markdown) or html.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically: the old file stays until the new one is complete).")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="Also write each record's full result as its own file in this folder.")
@click.option("--out-format", type=click.Choice(list(TEMPLATES)), default="text", show_default=True,
              help="Format of the files written to --out-dir.")
@click.option("--pattern", default=None, help="Glob for files inside folders (default: answer-file endings).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores).")
@click.option("--fail-on", type=click.Choice(URGENCY_LEVELS), default=None,
              help="Exit with code 1 when any record is at or above this urgency.")
@click.option("--compare-rules", type=click.Path(file_okay=False, exists=True), default=None,
              help="Old content folder: list only the records whose result changed, old -> new (jsonl or report).")
def batch(
    inputs: tuple[str, ...], rules_dir: str | None, engine: str | None, fmt: str | None, output: str | None,
    out_dir: str | None, out_format: str, pattern: str | None, jobs: int | None, fail_on: str | None,
    compare_rules: str | None,
) -> None:
    """Triage many saved answer sets: files, folders, JSON Lines, CSV or FHIR.

    INPUTS are answer files (YAML or JSON), folders (searched recursively), JSON Lines
    (.jsonl, one answer set per line), CSV (.csv, a column per question id, several
    choices joined with ;), FHIR QuestionnaireResponse or Bundle (.json), or - for JSON
    Lines on standard input. Every record gets one output record, in input order; a bad
    record gets an error record. Exit 0 when all were triaged, 1 when --fail-on matched,
    2 when any record could not be read or checked.

    \b
    Examples:
      triage batch examples/ --format report
      triage batch answers.jsonl -o results.jsonl --fail-on urgent
      triage batch forms.csv --format csv --out-dir results/
      triage batch saved/ --compare-rules old-rules/ --rules new-rules/
    """
    from .batchrun import BatchOptions, run_batch

    options = BatchOptions(
        inputs, fmt or ("report" if sys.stdout.isatty() and not output else "jsonl"), rules_dir, engine, output,
        out_dir, out_format, pattern, jobs or os.cpu_count() or 1, fail_on, compare_rules,
    )
    show_progress = sys.stderr.isatty()

    def progress(count: int) -> None:
        click.echo(f"\r{count} records...", err=True, nl=False)

    tally, changes = run_batch(options, on_progress=progress if show_progress else None)
    if show_progress:
        click.echo("\r", err=True, nl=False)
    click.echo(tally.line(), err=True)
    if changes:
        click.echo(changes, err=True)
    sys.exit(tally.exit_code())


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
@click.option("--save-format", type=click.Choice(["yaml", "fhir"]), default="yaml", show_default=True,
              help="Save as YAML, or as an HL7 FHIR R4 QuestionnaireResponse (JSON).")
@click.option("--answers", "resume_path", type=click.Path(dir_okay=False), default=None,
              help="Start from the answers in this saved file (YAML, JSON or FHIR) and ask only the rest.")
def ask(rules_dir: str | None, engine: str | None, fmt: str, save_path: str | None, save_format: SaveFormat,
        resume_path: str | None) -> None:
    """Answer the questions in the terminal and get a result.

    Type the number of your answer. Type ? for help, back to go to the previous question,
    or "not sure" where it is offered. Ctrl-C stops; with --save your answers are kept.

    \b
    Examples:
      triage ask
      triage ask --save my-answers.yaml
      triage ask --answers my-answers.yaml --save my-answers.yaml
      triage ask --save answers.fhir.json --save-format fhir
    """
    triage, renderer = build(rules_dir, engine)
    content = triage.content
    answers = load_answers(content, resume_path) if resume_path else {}

    def save(current: dict) -> None:
        if save_path:
            try:
                text = dump_answers(content, current, save_format)
                write_private_atomically(save_path, text)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines.")
def validate(rules_dir: str | None, fmt: str) -> None:
    """Check the content folder and list every problem as path:line:column.

    Checks the YAML files (syntax, fields, types, ids, values that fit their questions)
    and the templates (syntax, variables the result does not provide). Exit 0 when clean,
    1 when problems were found, 2 when the check cannot run.

    \b
    Examples:
      triage rules validate
      triage rules validate --rules ./my-rules --format json
    """
    from .authoring.validate import validate_content

    problems, root = validate_content(rules_dir)
    report(problems, fmt, root, "problem")


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
    from .authoring.cases import run_cases

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


@rules.command(name="explain")
@click.argument("answers_file", type=click.Path(dir_okay=True))
@content_options
def explain_command(answers_file: str, rules_dir: str | None, engine: str | None) -> None:
    """Show why each rule fired or not for one answer file, and how the result was chosen.

    For a rule that did not fire, it names the first part of its condition that was false,
    next to the actual answer.

    \b
    Examples:
      triage rules explain examples/night-calf-cramps.json
      triage rules explain my-answers.yaml --rules ./my-rules
    """
    from .authoring.explain import explain

    triage, _ = build(rules_dir, engine)
    click.echo(explain(triage, load_answers(triage.content, answers_file)), nl=False)


@rules.command(name="lint")
@content_options
@click.option("--seeds", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder of source documents (*.txt): also report passages copied from them.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines.")
def lint_command(rules_dir: str | None, engine: str | None, seeds: str | None, fmt: str) -> None:
    """Report content that is valid but probably wrong.

    Rules that can never fire or never change the result, questions, options and advice
    no rule uses, rules no test case makes fire, emergency rules without a public health
    source, text above reading grade 8 (headlines above grade 6), and with --seeds,
    passages copied word for word from the source documents.

    \b
    Examples:
      triage rules lint
      triage rules lint --rules ./my-rules --seeds ../shared/seeds
    """

    from .authoring.cases import run_cases
    from .authoring.lint import lint

    triage, renderer = build(rules_dir, engine)
    fired = {rule for outcome in run_cases(triage, renderer) for rule in outcome.fired}
    problems = lint(triage.content, fired, Path(seeds) if seeds else None)
    report(problems, fmt, str(triage.content.root), "finding")


@rules.command(name="docs")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
              help="Content folder to describe instead of the built-in one.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="docs/rules.md",
              show_default=True, help="Where to write the catalogue (- for standard output).")
def docs_command(rules_dir: str | None, output: str) -> None:
    """Write a readable catalogue of every question, rule and advice item (Markdown).

    \b
    Examples:
      triage rules docs
      triage rules docs --rules ./my-rules -o -
    """
    from .authoring.catalogue import render_catalogue

    text = render_catalogue(load_content(rules_dir))
    if output == "-":
        click.echo(text, nl=False)
        return
    write_output(output, text)
    click.echo(f"wrote {output}", err=True)


def write_output(path: str, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise TriageError(f"cannot write {path}: {exc.strerror or exc}") from None


@cli.group()
def questionnaire() -> None:
    """The questionnaire in other formats."""


@questionnaire.command(name="export")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
              help="Content folder to export instead of the built-in one.")
@click.option("--fhir", "as_fhir", is_flag=True, required=True,
              help="Export as an HL7 FHIR R4 Questionnaire resource (JSON).")
def export_questionnaire(rules_dir: str | None, as_fhir: bool) -> None:
    """Print the questionnaire as an HL7 FHIR R4 Questionnaire (JSON) on standard output.

    Each question becomes an item (linkId = question id), each option an answerOption
    with a valueCoding, and show_if an enableWhen where FHIR can express it.

    \b
    Examples:
      triage questionnaire export --fhir > questionnaire.json
    """
    import json

    from .fhir import questionnaire_to_fhir, unmapped_show_if

    content = load_content(rules_dir)
    click.echo(json.dumps(questionnaire_to_fhir(content), indent=2, ensure_ascii=False))
    for qid in unmapped_show_if(content):
        click.echo(f"triage: warning: the show_if of {qid!r} has no FHIR enableWhen form; it is left out", err=True)


def report(problems: list, fmt: str, root: str, noun: str) -> None:
    """Print problems (path:line:column: severity: message) and a summary; exit 1 if any."""
    import json

    if fmt == "json":
        click.echo(json.dumps([
            {"path": p.path, "line": p.line, "column": p.column, "severity": p.severity, "message": p.message, "check": p.code}
            for p in problems
        ], indent=2))
    else:
        for p in problems:
            click.echo(f"{p.path}:{p.line}:{p.column}: {p.severity}: {p.message}")
    count = len(problems)
    click.echo(f"{root}: " + (f"no {noun}s" if not count else f"{count} {noun}{'s' if count != 1 else ''}"), err=True)
    sys.exit(1 if problems else 0)


def main() -> None:
    cli(prog_name="triage")
