"""The `triage` command: a thin click layer over the library.

Results go to stdout; prompts, messages and errors go to stderr. The commands for a person
(ask, check, batch) and the questionnaire export are here; the authors' `rules` commands are in
`rules.py`, and what all commands share (errors to exit codes, common options) in `common.py`.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
import webbrowser
from typing import NoReturn

import click

from .. import __version__
from ..answerfile import SAVE_FORMATS, SaveFormat, dump_answers, load_answers
from ..answers import RECORD_ID, unanswered
from ..content import load_content
from ..errors import Interrupted, TriageError
from ..files import write_private_atomically
from ..model import BATCH_FORMAT_ALIASES, BATCH_FORMATS, FORMAT_ALIASES, TEMPLATES, URGENCY_LEVELS, urgency_rank
from ..questionnaire import emergency_message, run_questionnaire
from .common import FormatChoice, PathName, TriageGroup, build, content_options, format_option, presentation, region_option, say
from .rules import rules


@click.group(cls=TriageGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@cli.command(short_help="Check one saved answer file and show the result.")
@click.argument("answers_file", type=PathName(dir_okay=True, allow_dash=True))
@content_options
@region_option
@format_option
@click.option(
    "--fail-on", type=click.Choice(URGENCY_LEVELS), default=None,
    help="Exit with code 1 when the urgency is at or above this level.",
)
def check(
    answers_file: str, rules_dir: str | None, engine: str | None, region: str | None, fmt: str, fail_on: str | None
) -> None:
    """Check one saved answer file (YAML or JSON) and show the result.

    \b
    Examples:
      triage check examples/eyelid-twitch-coffee.yaml
      triage check answers.json --format html > result.html
      triage check answers.yaml --format json --fail-on urgent
      triage check answers.yaml --region uk
    """
    triage, renderer = build(rules_dir, engine, region)
    if answers_file != "-" and os.path.isdir(answers_file):
        raise TriageError(f"{answers_file} is a folder; to check every answer file in it, use: triage batch {answers_file}")
    notes: list[str] = []
    answers = load_answers(triage.content, answers_file, notes)
    result = triage.evaluate(answers)
    missing = unanswered(triage.content, answers)
    shown = renderer.render(result, fmt, presentation())
    where = "standard input" if answers_file == "-" else answers_file
    for note in notes:  # said once the result is sure to follow (a content error is the only line then)
        say(f"triage: note: {where}: {note}.")
    if missing:
        names = "; ".join(q.doctor_note or q.text for q in missing)
        if any(q.alarm for q in missing):  # a sign nobody was asked about cannot raise the urgency
            why = ("some of them ask about warning signs, so a serious sign may be missed. If you have any "
                   "emergency sign, call your emergency number now")
        else:
            why = "the result may be more cautious than it needs to be"
        say(f"triage: note: {len(missing)} question{'s' if len(missing) != 1 else ''} not answered in "
            f"{where} ({names}); {why}.")
    click.echo(shown, nl=False)
    if fail_on and urgency_rank(result.urgency) >= urgency_rank(fail_on):
        sys.exit(1)


@cli.command(short_help="Check many saved answer sets at once.")
@click.argument("inputs", nargs=-1, required=True)
@content_options
@region_option
@click.option("--format", "-f", "fmt", default=None,
              type=FormatChoice(BATCH_FORMATS, BATCH_FORMAT_ALIASES,
                                {"json": "batch writes many results: use jsonl (one JSON result per line)"}),
              help="jsonl (the default in a pipe or a file), text (a plain report, the default on a terminal), "
                   "csv, report (a Markdown report; also md, markdown) or html (a report page).")
@click.option("--output", "-o", type=PathName(dir_okay=False), default=None,
              help="Write to this file (atomically: the old file stays until the new one is complete).")
@click.option("--out-dir", type=PathName(file_okay=False), default=None,
              help="Also write each record's full result as its own file in this folder.")
@click.option("--out-format", type=FormatChoice(TEMPLATES, FORMAT_ALIASES), default="text", show_default=True,
              help="Format of the files written to --out-dir.")
@click.option("--pattern", default=None, help="Glob for files inside folders (default: answer-file endings).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores).")
@click.option("--fail-on", type=click.Choice(URGENCY_LEVELS), default=None,
              help="Exit with code 1 when any record is at or above this urgency.")
@click.option("--compare-rules", type=PathName(file_okay=False, exists=True), default=None,
              help="Old content folder: list only the records whose result changed, old -> new (jsonl or report).")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary line on standard error (errors still are).")
def batch(
    inputs: tuple[str, ...], rules_dir: str | None, engine: str | None, region: str | None, fmt: str | None,
    output: str | None, out_dir: str | None, out_format: str, pattern: str | None, jobs: int | None,
    fail_on: str | None, compare_rules: str | None, quiet: bool,
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
    from ..batchrun import BatchOptions, progress_line, run_batch
    from ..reports import DIFF_FORMATS

    if compare_rules and fmt and fmt not in DIFF_FORMATS:
        raise click.UsageError(f"--compare-rules writes {' or '.join(DIFF_FORMATS)}, not {fmt}")
    options = BatchOptions(
        inputs, fmt or ("text" if sys.stdout.isatty() and not output else "jsonl"), rules_dir, engine, output,
        out_dir, out_format, pattern, jobs or os.cpu_count() or 1, fail_on, compare_rules, region,
    )
    show_progress = sys.stderr.isatty() and not quiet
    started = time.monotonic()

    def progress(count: int) -> None:
        click.echo("\r" + progress_line(count, time.monotonic() - started), err=True, nl=False)

    tally, changes = run_batch(options, on_progress=progress if show_progress else None)
    if show_progress:
        click.echo("\r\x1b[K", err=True, nl=False)  # the progress line, cleared
    if not quiet:
        click.echo(tally.line(), err=True)
        if changes:
            click.echo(changes, err=True)
    sys.exit(tally.exit_code())


class ClickPrompter:
    """Questions and messages on stderr; typed answers from stdin (a terminal or a pipe)."""

    def ask(self, prompt: str, default: str | None) -> str:
        click.echo("", err=True)
        self.say(prompt, indent="")
        try:
            return click.prompt("Your answer", default=default, show_default=default is not None, err=True)
        except click.Abort:
            click.echo("", err=True)  # end the unanswered prompt's line
            raise EOFError from None

    def say(self, text: str, indent: str = "   ") -> None:
        say(text, indent)


@cli.command()
@content_options
@region_option
@format_option
@click.option("--save", "save_path", type=PathName(dir_okay=False), default=None,
              help="Save the answers to this file after every question (readable only by you).")
@click.option("--save-format", type=click.Choice(SAVE_FORMATS), default="yaml", show_default=True,
              help="Save as YAML, plain JSON, or an HL7 FHIR R4 QuestionnaireResponse (JSON).")
@click.option("--answers", "resume_path", type=PathName(dir_okay=False), default=None,
              help="Start from the answers in this saved file (YAML, JSON or FHIR) and ask only the rest.")
def ask(rules_dir: str | None, engine: str | None, region: str | None, fmt: str, save_path: str | None,
        save_format: SaveFormat, resume_path: str | None) -> None:
    """Answer the questions in the terminal and get a result.

    Type the number of your answer. Type ? for help, back to go to the previous question,
    or "not sure" where it is offered. Ctrl-C or the end of input (Ctrl-D) stops, with exit
    code 130; with --save your answers are kept.

    \b
    Examples:
      triage ask
      triage ask --save my-answers.yaml
      triage ask --answers my-answers.yaml --save my-answers.yaml
      triage ask --save answers.fhir.json --save-format fhir
      triage ask --region uk
    """
    if save_path and not os.path.isdir(os.path.dirname(os.path.abspath(save_path))):
        raise TriageError(f"cannot save answers to {save_path}: its folder does not exist")  # before any question
    triage, renderer = build(rules_dir, engine, region)
    content = triage.content
    prompter = ClickPrompter()
    click.echo("Answer a few questions about your muscle twitch, cramp or spasm.", err=True)
    say("If you have trouble breathing, chest pain or signs of a stroke, stop and call your emergency number now "
        f"({triage.outcomes.emergency_number}).")
    if save_path and _holds_something(save_path) and not _same_file(save_path, resume_path):
        # never replaced without asking, also when --answers names another file
        chosen = _resume_or_replace(prompter, save_path, resume_path)
        resume_path = chosen if chosen is not None else resume_path
    answers = load_answers(content, resume_path) if resume_path else {}
    if not save_path:
        say("Your answers are not saved. To keep them, start with: triage ask --save my-answers.yaml")

    def save(current: dict, complete: bool = False) -> None:
        if save_path:
            try:
                text = dump_answers(content, current, save_format, complete)
                write_private_atomically(save_path, text)
            except OSError as exc:
                raise TriageError(f"cannot save answers to {save_path}: {exc.strerror or exc}") from None

    record_id = answers.get(RECORD_ID)  # a resumed file keeps its id (YAML id, FHIR resource id)
    saved_any = False

    def save_and_note(current: dict) -> None:
        nonlocal saved_any
        save(current)
        saved_any = saved_any or bool(save_path)

    try:
        answers = run_questionnaire(
            content, prompter, answers, on_change=save_and_note,
            emergency_check=lambda so_far: emergency_message(triage, so_far),
        )
    except (EOFError, KeyboardInterrupt):
        if save_path and saved_any:
            keep_format = f" --save-format {save_format}" if save_format != "yaml" else ""
            where = (f"Your answers so far are saved in {save_path}; go on with: "
                     f"triage ask --answers {save_path} --save {save_path}{keep_format}")
        elif save_path and os.path.exists(save_path):
            where = f"No new answer was given, so {save_path} is unchanged."
        elif save_path:
            where = f"No question was answered, so nothing was saved ({save_path} was not created)."
        else:
            where = "Nothing was saved (use --save FILE next time to keep your answers)."
        raise Interrupted(where) from None
    if record_id is not None:
        answers = {RECORD_ID: record_id, **answers}
    save(answers, complete=True)
    click.echo("", err=True)
    click.echo(renderer.render(triage.evaluate(answers), fmt, presentation()), nl=False)
    if save_path:
        say(f"Your answers are saved in {save_path}.")


def _holds_something(path: str) -> bool:
    """A regular file with something in it (a FIFO or a device is written to, never read back)."""
    try:
        return os.path.isfile(path) and os.path.getsize(path) > 0
    except OSError:
        return False


def _same_file(path: str, other: str | None) -> bool:
    try:
        return other is not None and os.path.samefile(path, other)
    except OSError:
        return False


def _resume_or_replace(prompter: ClickPrompter, save_path: str, resume_path: str | None) -> str | None:
    """`--save` names a file that already holds answers: go on from them (the path to resume
    from), start new (None: the answers of --answers, if any, replace it), or stop."""
    start = f"start from {resume_path}" if resume_path else "start over"
    question = (f"{save_path} already has answers. Type \"go on\" to keep going from them, "
                f"\"new\" to {start} (the answers in {save_path} will be replaced), or \"stop\".")
    unchanged = f"Nothing was changed: {save_path} is as it was."
    while True:
        try:
            reply = " ".join(prompter.ask(question, "go on").lower().replace('"', "").split())
        except EOFError:
            raise Interrupted(unchanged) from None
        if reply in ("go on", "go", "goon", "resume", "continue", "keep going"):
            return save_path
        if reply in ("new", "replace", "start over", "start again"):
            return None
        if reply in ("stop", "quit", "q"):
            raise Interrupted(unchanged)
        if not sys.stdin.isatty():  # answers piped in for the questions: do not read them as a reply here
            raise TriageError(f"{save_path} already has answers; the first line of input must say go on, new or stop "
                              f"(or use: triage ask --answers {save_path} --save {save_path})")
        prompter.say('Sorry: please type "go on", "new" or "stop".')


cli.add_command(rules)


@cli.command(short_help="Serve the questionnaire as web pages, and the HTTP API.")
@content_options
@region_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (only this computer by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the questionnaire in your web browser once it is served.")
def serve(rules_dir: str | None, engine: str | None, region: str | None, host: str, port: int, open_browser: bool) -> None:
    """Serve the questionnaire as web pages and the HTTP API (needs the web extra).

    Open http://127.0.0.1:8000/ in a browser. Nothing about the answers is stored or logged.
    For a server that others use, see docs/serving.md.

    \b
    Examples:
      triage serve --open
      triage serve --region uk --port 8080
    """
    try:
        import waitress  # type: ignore[import-untyped]

        from ..web import create_app
    except ImportError as exc:
        raise TriageError(f"triage serve needs {exc.name}: pip install 'muscle-triage[web]'") from None
    app = create_app(rules_dir, engine, region)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=8, ident="muscle-triage")
        url = _local_url(host, server.effective_port)
        say(f"Serving the questionnaire on {url} (Ctrl-C to stop)")
        if open_browser:  # in a thread: a browser in this terminal waits for the server, which must be running
            threading.Thread(target=_open_browser, args=(url,), daemon=True).start()
        server.run()  # returns only when stopped: waitress catches Ctrl-C itself
    except KeyboardInterrupt:  # Ctrl-C before waitress runs
        pass
    except OSError as exc:  # the port is taken, or not ours to use
        raise TriageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    raise Interrupted("the web server is stopped")


def _local_url(host: str, port: int) -> str:
    """The address to open on this computer: a wildcard host (all addresses) is reached at
    loopback; an IPv6 address goes in brackets."""
    reachable = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{reachable}]:{port}/" if ":" in reachable else f"http://{reachable}:{port}/"


def _open_browser(url: str) -> None:
    if not webbrowser.open(url):
        say(f"triage: note: no web browser could be opened here; open {url} yourself")


@cli.group()
def questionnaire() -> None:
    """The questionnaire in other formats."""


@questionnaire.command(name="export")
@click.option("--rules", "rules_dir", type=PathName(file_okay=False), default=None,
              help="Content folder to export instead of the built-in one.")
@click.option("--format", "-f", "fmt", type=FormatChoice(["fhir"], {"json": "fhir"}), default="fhir", show_default=True,
              help="fhir: an HL7 FHIR R4 Questionnaire resource (JSON), the one format for now.")
@click.option("--fhir", "as_fhir", is_flag=True, hidden=True, help="The same as --format fhir (older name).")
def export_questionnaire(rules_dir: str | None, fmt: str, as_fhir: bool) -> None:
    """Print the questionnaire as an HL7 FHIR R4 Questionnaire (JSON) on standard output.

    Each question becomes an item (linkId = question id), each option an answerOption
    with a valueCoding, and show_if an enableWhen where FHIR can express it.

    \b
    Examples:
      triage questionnaire export > questionnaire.json
    """
    import json

    from ..fhir import questionnaire_to_fhir, unmapped_show_if

    content = load_content(rules_dir)
    click.echo(json.dumps(questionnaire_to_fhir(content), indent=2, ensure_ascii=False))
    for qid in unmapped_show_if(content):
        click.echo(f"triage: warning: the show_if of {qid!r} has no FHIR enableWhen form; it is left out", err=True)


class ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the caller closed (`<&-`, `>&-`): using it is one clear
    error line and exit 2, never a traceback or a silent success."""

    def __init__(self, name: str):
        self.name = name

    def _closed(self, *args: object) -> NoReturn:
        raise TriageError(f"standard {self.name} is closed")

    read = readline = write = _closed

    @property
    def buffer(self) -> NoReturn:
        self._closed()

    def fileno(self) -> int:
        raise OSError(f"standard {self.name} is closed")


def main() -> None:
    if sys.stdin is None:
        sys.stdin = ClosedStream("input")
    if sys.stdout is None:
        sys.stdout = ClosedStream("output")
    for stream in (sys.stdout, sys.stderr):  # an ASCII-only terminal gets escapes, never a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    cli(prog_name="triage")
