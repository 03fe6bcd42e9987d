"""What a worried person sees (issue 12): the order of a result, wrapping and colour on a
real terminal, the printed one-page summary for a doctor, and the advice priority."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import selectors
import struct
import subprocess
import sys
import termios
import time

import pytest

from triage.answerfile import load_answers
from triage.cli import cli
from triage.model import FORMATS
from triage.render import Presentation

from .browser import pdf_pages
from .conftest import EXAMPLE_FILES, EXAMPLES, MINI, TESTS
from .processes import HANG, started, wait_for

ESC = "\x1b["


def on_a_terminal(args: list[str], env: dict[str, str], columns: int = 100, stream: str = "stdout",
                  cwd: str | None = None) -> str:
    """Run `triage ARGS` (in folder `cwd`) with standard output (or error) on a pseudo-terminal
    `columns` wide, the other one thrown away; all it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "TERM")}
    streams = {"stdout": follower, "stderr": subprocess.DEVNULL} if stream == "stdout" else {
        "stdout": subprocess.DEVNULL, "stderr": follower}
    out = bytearray()
    deadline = time.monotonic() + HANG  # bounds a hang only
    with started([sys.executable, "-m", "triage", *args], stdin=subprocess.DEVNULL, env={**base, **env},
                 cwd=cwd, **streams) as proc, selectors.DefaultSelector() as selector:
        os.close(follower)
        selector.register(leader, selectors.EVENT_READ)
        while True:  # read until the terminal closes (the process ended): EIO on Linux
            assert time.monotonic() < deadline, f"gave up after {HANG:.0f} s waiting for triage to end"
            if not selector.select(timeout=1.0):
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        wait_for(lambda: proc.poll() is not None, "triage to end", HANG)
        assert proc.returncode == 0
    os.close(leader)
    return out.decode().replace("\r\n", "\n")


EXAMPLE = str(EXAMPLES / "fibromyalgia-neck-spasms.yaml")


def test_a_terminal_gets_bold_headline_and_no_color_turns_it_off():
    coloured = on_a_terminal(["check", EXAMPLE], {"TERM": "xterm"})
    assert coloured.startswith(ESC + "1m"), "the headline is bold on a terminal"
    assert "\x1b[1;31mCALL YOUR EMERGENCY NUMBER NOW" in coloured
    plain = on_a_terminal(["check", EXAMPLE], {"TERM": "xterm", "NO_COLOR": "1"})
    assert ESC not in plain
    assert on_a_terminal(["check", EXAMPLE], {"TERM": "dumb"}).find(ESC) == -1
    # Without escape codes, the words are the same.
    assert coloured.replace(ESC + "1m", "").replace(ESC + "1;31m", "").replace(ESC + "0m", "") == plain


def test_no_escape_codes_in_a_pipe_or_a_file(runner):
    result = runner.invoke(cli, ["check", EXAMPLE], catch_exceptions=False)
    assert ESC not in result.stdout


@pytest.mark.parametrize("columns", [30, 50, 100])
def test_text_is_wrapped_to_the_terminal_never_mid_word(columns):
    out = on_a_terminal(["check", EXAMPLE], {"TERM": "xterm", "NO_COLOR": "1"}, columns)
    lines = out.splitlines()
    assert max(len(line) for line in lines if "https://" not in line and "(sensitization)" not in line) < columns
    words = set(" ".join(lines).split())
    assert "emergency" in words and "emergenc" not in words and "y" not in words


def test_messages_on_a_terminal_are_wrapped_to_its_width():
    # A relative name: a path longer than the screen is never broken, and a clone's path may be long.
    err = on_a_terminal(["check", "partial.yaml", "--rules", str(MINI)], {"TERM": "xterm"}, 50, stream="stderr",
                        cwd=str(TESTS / "answers" / "good"))
    lines = err.strip().splitlines()
    assert len(lines) > 2 and max(len(line) for line in lines) < 50
    assert "not answered" in " ".join(" ".join(lines).split())


def test_a_file_gets_78_columns(runner):
    out = runner.invoke(cli, ["check", EXAMPLE], catch_exceptions=False).stdout
    assert max(len(line) for line in out.splitlines() if "https://" not in line) <= 78


def test_the_text_result_is_ordered_for_a_worried_reader(runner):
    out = runner.invoke(cli, ["check", str(EXAMPLES / "fibromyalgia-neck-spasms.yaml")], catch_exceptions=False).stdout
    order = ["How soon:", "WHY", "WHAT IT SOUNDS LIKE", "WHAT YOU CAN TRY FIRST", "MORE IDEAS", "WHAT TO TELL YOUR DOCTOR",
             "CALL YOUR EMERGENCY NUMBER NOW", "NOTE", "SOURCES", "IN SHORT:"]
    places = [out.index(heading) for heading in order]
    assert places == sorted(places)
    first = out.split("WHAT YOU CAN TRY FIRST")[1].split("MORE IDEAS")[0]
    assert first.count("\n* ") == 3, "three things to try first, the rest as more ideas"
    assert out.count("Where on the body") == 1, "the answers are shown once"
    assert "000_" not in out and ".txt" not in out, "no internal file names for sources"


def test_an_urgent_result_names_the_warning_signs_before_anything_else(runner):
    out = runner.invoke(cli, ["check", str(EXAMPLES / "back-spasms-numb-between-legs.yaml")], catch_exceptions=False).stdout
    assert out.index("WARNING SIGNS YOU NAMED") < out.index("WHAT IT SOUNDS LIKE")
    assert "WHAT YOU CAN TRY" not in out
    assert out.rstrip().splitlines()[-1].startswith("IN SHORT:") or "IN SHORT:" in out.rstrip().split("\n\n")[-1]


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_markdown_and_html_follow_the_same_order(runner, fmt):
    out = runner.invoke(cli, ["check", EXAMPLE, "--format", fmt], catch_exceptions=False,
                        env={"SOURCE_DATE_EPOCH": "2000000000"}).stdout.lower()
    order = ["why", "what it sounds like", "what you can try first", "more ideas", "what to tell your doctor",
             "call your emergency number now", "sources"]
    mark = "\n## " if fmt == "markdown" else "<h2>"
    places = [out.index(mark + heading) for heading in order]
    assert out.index("how soon") < places[0] and places == sorted(places)
    assert "your answers" not in out, "the doctor summary is not repeated"
    assert "2033-05-18" in out, "dated (SOURCE_DATE_EPOCH pins the date)"
    assert "https://www.nhs.uk/" in out


def test_markdown_sources_are_links_with_titles(runner):
    out = runner.invoke(cli, ["check", EXAMPLE, "--format", "md"], catch_exceptions=False).stdout
    assert "- [NHS: Headaches](<https://www.nhs.uk/conditions/headaches/>)" in out
    assert "- Finding Relief from Fibromyalgia Muscle Spasms\n" in out


def test_json_advice_has_a_stable_priority(runner, shipped, engines):
    for path in EXAMPLE_FILES:
        answers = load_answers(shipped, str(path))
        orders = {name: [(a.id, a.priority) for a in triage.evaluate(answers).advice] for name, triage in engines.items()}
        first = next(iter(orders.values()))
        assert all(order == first for order in orders.values())
        assert [p for _, p in first] == list(range(1, len(first) + 1))
    data = json.loads(runner.invoke(cli, ["check", str(EXAMPLES / "eyelid-twitch-coffee.yaml"), "-f", "json"]).stdout)
    assert data["top_advice"] == 3
    top = [a["id"] for a in data["advice"][:3]]
    assert "less-caffeine-nicotine" in top, "a trigger the person named brings its own advice to the top"


def test_seconds_read_as_seconds(runner, tmp_path):
    brief = tmp_path / "brief.yaml"
    for minutes, words in ((0.1, "6 seconds"), (0, "a few seconds"), (0.5, "30 seconds"), (3, "3 minutes")):
        brief.write_text(f"feeling: flicker\nminutes: {minutes}\nalarms: [none]\n")
        out = runner.invoke(cli, ["check", str(brief), "--rules", str(MINI), "-f", "json"]).stdout
        shown = {a["question"]: a["answer"] for a in json.loads(out)["answers"]}
        assert shown["minutes"] == words


@pytest.mark.parametrize("typed, fmt", [
    ("MD", "markdown"), ("Html", "html"), ("JSON", "json"), ("Doctor", "doctor"), ("TEXT", "text"),
])
def test_format_names_in_any_case_and_md(runner, typed, fmt):
    a = runner.invoke(cli, ["check", EXAMPLE, "-f", typed], catch_exceptions=False)
    b = runner.invoke(cli, ["check", EXAMPLE, "-f", fmt], catch_exceptions=False)
    assert a.exit_code == 0 and a.stdout == b.stdout


def test_json_and_jsonl_each_point_to_the_other(runner):
    one = runner.invoke(cli, ["check", EXAMPLE, "-f", "jsonl"])
    many = runner.invoke(cli, ["batch", EXAMPLE, "-f", "json"])
    assert one.exit_code == many.exit_code == 2
    assert "use json for one" in one.stderr and "use jsonl" in many.stderr
    assert len(one.stderr.splitlines()) == len(many.stderr.splitlines()) == 1


def test_check_names_unanswered_questions(runner, tmp_path):
    partial = tmp_path / "partial.yaml"
    partial.write_text("feeling: flicker\nalarms: [none]\n")  # how long it lasts is left out
    result = runner.invoke(cli, ["check", str(partial), "--rules", str(MINI)], catch_exceptions=False)
    assert result.exit_code == 0
    note = [line for line in result.stderr.splitlines() if line.startswith("triage: note: ")]
    assert len(note) == 1 and "not answered" in note[0] and "more cautious" in note[0]
    complete = runner.invoke(cli, ["check", str(EXAMPLE)], catch_exceptions=False)
    assert "not answered" not in complete.stderr


def test_questionnaire_export_needs_no_option(runner):
    plain = runner.invoke(cli, ["questionnaire", "export"], catch_exceptions=False)
    older = runner.invoke(cli, ["questionnaire", "export", "--fhir"], catch_exceptions=False)
    assert plain.exit_code == 0 and json.loads(plain.stdout)["resourceType"] == "Questionnaire"
    assert older.stdout == plain.stdout


def test_every_templated_format_gets_a_date_and_versions(shipped, renderer, engines):
    import datetime

    result = engines["python"].evaluate(load_answers(shipped, str(EXAMPLE)))
    day = Presentation(today=datetime.date(2031, 2, 3))
    for fmt in FORMATS:
        out = renderer.render(result, fmt, day)
        if fmt != "text" and fmt != "json":
            assert "2031-02-03" in out and shipped.fingerprint in out, fmt
    assert len(shipped.fingerprint) == 12


# --- printed pages, in a real browser -------------------------------------------------------

@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_doctor_summary_prints_on_one_page(browser, runner, paper):
    for path in EXAMPLE_FILES:
        html = runner.invoke(cli, ["check", str(path), "--format", "doctor"], catch_exceptions=False).stdout
        pages = pdf_pages(browser, html, paper)
        assert len(pages) == 1, f"{path.name} prints on {len(pages)} {paper} pages"
        text = " ".join(pages[0].split())
        assert "summary for a doctor" in text and "Call the emergency number now" in text


def test_a_busy_doctor_summary_takes_two_pages_at_most(browser, runner):
    busy = TESTS / "answers" / "shipped" / "busy-fibromyalgia.yaml"
    html = runner.invoke(cli, ["check", str(busy), "--format", "doctor"], catch_exceptions=False).stdout
    for paper in ("A4", "Letter"):
        assert len(pdf_pages(browser, html, paper)) <= 2, paper


def test_the_full_page_keeps_each_box_on_one_page(browser, runner, shipped):
    signs = shipped.outcomes.emergency_signs
    for path in EXAMPLE_FILES:
        html = runner.invoke(cli, ["check", str(path), "--format", "html"], catch_exceptions=False).stdout
        pages = [" ".join(p.split()) for p in pdf_pages(browser, html, "Letter")]
        assert len(pages) <= 4, f"{path.name}: {len(pages)} pages"
        box = [i for i, p in enumerate(pages) if "Call your emergency number now if you have" in p]
        last_sign = [i for i, p in enumerate(pages) if " ".join(signs[-1].split()[-4:]) in p]
        assert box and box == last_sign[-1:], f"{path.name}: the emergency box is split over pages {box} and {last_sign}"


def test_an_unanswered_warning_sign_question_is_not_called_cautious(runner, tmp_path):
    no_alarms = tmp_path / "no-alarms.yaml"
    no_alarms.write_text("feeling: flicker\nminutes: 3\n")
    result = runner.invoke(cli, ["check", str(no_alarms), "--rules", str(MINI)], catch_exceptions=False)
    note = " ".join(result.stderr.split())
    assert "a serious sign may be missed" in note and "call your emergency number now" in note
    assert "more cautious" not in note


def test_batch_shows_progress_with_a_rate_on_a_terminal_and_quiet_turns_it_off(tmp_path, runner, shipped):
    import random

    from triage.samples import random_answers

    rng = random.Random(3)
    answers = tmp_path / "many.jsonl"
    answers.write_text("".join(json.dumps(random_answers(shipped, rng)) + "\n" for _ in range(1200)))
    err = on_a_terminal(["batch", str(answers), "-o", str(tmp_path / "out.jsonl")], {"TERM": "xterm"}, stream="stderr")
    assert "1,000 records, " in err and " a second, " in err, err
    assert "read 1200 records" in err, "the summary line follows the progress"
    quiet = runner.invoke(cli, ["batch", str(answers), "-o", str(tmp_path / "q.jsonl"), "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert len((tmp_path / "q.jsonl").read_text().splitlines()) == 1200
