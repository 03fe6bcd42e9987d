"""`triage rules ...`: the content authors' commands (validate, test, explain, lint, docs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..answerfile import load_answers
from ..content import load_content
from ..errors import TriageError
from ..files import refuse_overwriting
from .common import PathName, build, content_options, report, write_output


@click.group()
def rules() -> None:
    """Tools for content authors: check the rules and templates."""


@rules.command()
@click.option("--rules", "rules_dir", type=PathName(file_okay=False), default=None,
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
    from ..authoring.validate import validate_content

    problems, root = validate_content(rules_dir)
    report(problems, fmt, root, "problem")


@rules.command(name="test")
@content_options
@click.option("--verbose", "-v", is_flag=True, help="Also list the cases that passed.")
@click.option("--junit", "junit_path", type=PathName(dir_okay=False, allow_dash=True), default=None,
              help="Also write a JUnit XML report to this file (- for standard output), for CI to show each case.")
def test_cases(rules_dir: str | None, engine: str | None, verbose: bool, junit_path: str | None) -> None:
    """Run the author test cases in the content folder's tests/*.yaml.

    Each case gives answers and what must hold (classification, urgency, advice, rules
    fired, words in the text). Exit 0 when all pass, 1 when any fails; cases marked
    `todo` are reported but do not fail.

    \b
    Examples:
      triage rules test
      triage rules test --rules ./my-rules -v
      triage rules test --junit cases.xml
    """
    from ..authoring.cases import run_cases
    from ..authoring.junit import junit_report

    triage, renderer = build(rules_dir, engine)
    if junit_path is not None:
        try:  # never over an author's file (a test file, a rule)
            refuse_overwriting(junit_path, [str(triage.content.root)], "the content")
        except OSError as exc:
            raise TriageError(f"cannot write {junit_path}: {exc.strerror}") from None
    outcomes = run_cases(triage, renderer)
    if junit_path is not None:
        write_output(junit_path, junit_report(outcomes))
    failed = [o for o in outcomes if not o.passed and not o.todo]
    todo = [o for o in outcomes if o.todo]
    for outcome in outcomes:
        if not outcome.passed or outcome.todo or verbose:
            click.echo(outcome.message(), err=junit_path == "-")  # the report alone on standard output
    passed = len(outcomes) - len(failed) - len(todo)
    click.echo(f"{len(outcomes)} cases: {passed} passed, {len(failed)} failing, {len(todo)} todo", err=True)
    sys.exit(1 if failed else 0)


@rules.command(name="explain")
@click.argument("answers_file", type=PathName(dir_okay=True))
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
    from ..authoring.explain import explain

    triage, _ = build(rules_dir, engine)
    click.echo(explain(triage, load_answers(triage.content, answers_file)), nl=False)


@rules.command(name="lint")
@content_options
@click.option("--seeds", type=PathName(file_okay=False, exists=True), default=None,
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

    from ..authoring.cases import run_cases
    from ..authoring.lint import lint

    triage, renderer = build(rules_dir, engine)
    fired = {rule for outcome in run_cases(triage, renderer) for rule in outcome.fired}
    problems = lint(triage.content, fired, Path(seeds) if seeds else None)
    report(problems, fmt, str(triage.content.root), "finding")


DEFAULT_CATALOGUE = os.path.join("docs", "rules.md")


@rules.command(name="docs")
@click.option("--rules", "rules_dir", type=PathName(file_okay=False), default=None,
              help="Content folder to describe instead of the built-in one.")
@click.option("--output", "-o", type=PathName(dir_okay=False, allow_dash=True), default=None,
              help="Where to write the catalogue (- for standard output). Default: docs/rules.md where "
                   "there is a docs folder here (as in the project's own folder), else standard output.")
def docs_command(rules_dir: str | None, output: str | None) -> None:
    """Write a readable catalogue of every question, rule and advice item (Markdown).

    \b
    Examples:
      triage rules docs
      triage rules docs --rules ./my-rules -o -
    """
    from ..authoring.catalogue import render_catalogue

    if output is None:
        output = DEFAULT_CATALOGUE if os.path.isdir(os.path.dirname(DEFAULT_CATALOGUE)) else "-"

    content = load_content(rules_dir)
    text = render_catalogue(content)
    try:
        refuse_overwriting(output, [str(content.root)], "the content")
    except OSError as exc:
        raise TriageError(f"cannot write {output}: {exc.strerror}") from None
    if output == "-":
        click.echo(text, nl=False)
        return
    write_output(output, text)
    click.echo(f"wrote {output}", err=True)
