"""`triage check`: saved answer files in, results out, clear one-line errors for bad files."""

from __future__ import annotations

import json

import pytest
import yaml

from triage.answerfile import load_answers
from triage.cli import cli
from triage.model import FORMATS

from .conftest import ENGINES, EXAMPLE_FILES, EXAMPLES, MINI, TESTS

GOOD = sorted((TESTS / "answers" / "good").iterdir())
BAD_DIR = TESTS / "answers" / "bad"
BAD_EXPECTED = yaml.safe_load((BAD_DIR / "expected.yaml").read_text())
BAD = sorted(p for p in BAD_DIR.iterdir() if p.name != "expected.yaml")


def check(runner, *args):
    return runner.invoke(cli, ["check", *map(str, args)], catch_exceptions=False)


def test_every_bad_file_has_an_expected_message():
    assert sorted(p.name for p in BAD) == sorted(BAD_EXPECTED)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
@pytest.mark.parametrize("engine", ENGINES)
def test_good_answer_files_give_a_result(runner, path, engine):
    result = check(runner, path, "--rules", MINI, "--engine", engine, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["urgency"] in ("self_care", "routine", "soon", "urgent", "emergency")
    assert data["emergency_signs"], "every result lists the emergency signs"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_answer_files_get_one_clear_line(runner, path):
    result = check(runner, path, "--rules", MINI)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(str(path)), lines[0]
    assert BAD_EXPECTED[path.name] in lines[0]


def test_several_bad_fields_are_all_reported(runner, tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text("feeling: wobbly\nminutes: -3\n")
    result = check(runner, path, "--rules", MINI)
    assert result.exit_code == 2
    assert [line.split(": field ")[0] for line in result.stderr.splitlines()] == [f"{path}:1:10", f"{path}:2:10"]


def test_a_directory_or_missing_file_is_a_clear_error(runner, tmp_path):
    folder_message = f"triage: error: {tmp_path} is a folder; to check every answer file in it, use: triage batch"
    missing = tmp_path / "nope.yaml"
    for target, message in ((tmp_path, folder_message), (missing, f"triage: error: {missing}: no such file")):
        result = check(runner, target, "--rules", MINI)
        assert result.exit_code == 2
        assert result.stderr.startswith(message) and "Traceback" not in result.stderr


def assert_looks_like(fmt, out):
    if fmt == "json":
        data = json.loads(out)
        assert data["schema_version"] == 3
        assert len(data["headline"]) <= 140
        assert [a["priority"] for a in data["advice"]] == list(range(1, len(data["advice"]) + 1))
    elif fmt == "text":
        paragraphs = [" ".join(p.split()) for p in out.strip().split("\n\n")]
        assert "EMERGENCY NUMBER NOW" in out
        assert paragraphs[-1].startswith("IN SHORT: "), "the end says again what to do"
        assert paragraphs[-1].startswith("IN SHORT: " + paragraphs[0].split(" How soon:")[0])
    elif fmt in ("html", "doctor"):
        assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
        assert "Call " in out and "emergency number" in out
    else:
        assert fmt == "markdown" and out.startswith("# ")


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_prints_the_chosen_format(runner, fmt):
    result = check(runner, EXAMPLE_FILES[0], "--format", fmt)
    assert result.exit_code == 0, result.output
    assert_looks_like(fmt, result.stdout)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_examples_in_every_format(shipped, engines, renderer, path):
    """Every example through every engine and template (in process: the command adds nothing here)."""
    answers = load_answers(shipped, str(path))
    for triage in engines.values():
        result = triage.evaluate(answers)
        for fmt in FORMATS:
            assert_looks_like(fmt, renderer.render(result, fmt))


def test_examples_cover_self_care_soon_and_emergency(shipped, engines):
    levels = {engines["python"].evaluate(load_answers(shipped, str(path))).urgency for path in EXAMPLE_FILES}
    assert {"self_care", "soon", "emergency"} <= levels


def test_fail_on(runner):
    cramp = TESTS / "answers" / "good" / "cramp-locked.yaml"
    assert check(runner, cramp, "--rules", MINI, "--fail-on", "urgent").exit_code == 0
    result = runner.invoke(cli, ["check", "-", "--rules", str(MINI), "--fail-on", "urgent"],
                           input="feeling: locked\nminutes: 45\nstretch_helps: no\n")
    assert result.exit_code == 1
    assert "Get seen today" in result.stdout
    result = runner.invoke(cli, ["check", "-", "--rules", str(MINI), "--fail-on", "emergency"],
                           input="feeling: locked\nminutes: 45\nstretch_helps: no\n")
    assert result.exit_code == 0


def test_unknown_engine_and_format_are_usage_errors(runner):
    path = GOOD[0]
    assert check(runner, path, "--rules", MINI, "--engine", "clips").exit_code == 2
    assert check(runner, path, "--rules", MINI, "--format", "pdf").exit_code == 2


def test_html_escapes_what_it_shows(runner, tmp_path):
    import shutil

    content = tmp_path / "rules"
    shutil.copytree(MINI, content, symlinks=False)
    questionnaire = content / "questionnaire.yaml"
    questionnaire.write_text(questionnaire.read_text().replace(
        "A flicker under the skin", "<script>alert(1)</script> flicker"))
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: flicker\n")
    result = check(runner, answers, "--rules", content, "--format", "html")
    assert result.exit_code == 0, result.output
    assert "<script>alert" not in result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout


def test_yaml_numbers_are_plain_decimal(runner, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("feeling: locked\nminutes: 045\n")
    data = json.loads(check(runner, path, "--rules", MINI, "--format", "json").stdout)
    assert data["raw_answers"]["minutes"] == 45.0
    path.write_text("feeling: locked\nminutes: 1:30\n")
    result = check(runner, path, "--rules", MINI)
    assert result.exit_code == 2 and "expected a number of minutes, got some words" in result.stderr


def test_check_reads_json_and_fhir_on_stdin_and_refuses_bundles(runner):
    result = runner.invoke(cli, ["check", "-", "--rules", str(MINI), "-f", "json"], input='{\n\t"feeling": "locked"\n}')
    assert result.exit_code == 0 and json.loads(result.stdout)["classification"] == "cramp"
    single = (TESTS / "batch" / "single-response.json").read_text()
    result = runner.invoke(cli, ["check", "-", "--rules", str(MINI), "-f", "json"], input=single)
    assert result.exit_code == 0 and json.loads(result.stdout)["urgency"] == "emergency"
    result = check(runner, TESTS / "batch" / "responses.bundle.json", "--rules", MINI)
    assert result.exit_code == 2 and result.stdout == "" and "triage batch" in result.stderr


def test_an_empty_pick_counts_as_no_answer(runner, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("feeling: flicker\nalarms: []\n")
    data = json.loads(check(runner, path, "--rules", MINI, "--format", "json").stdout)
    assert "alarms" not in data["raw_answers"]


def test_the_region_picks_the_emergency_number(runner, monkeypatch):
    emergency = EXAMPLES / "back-spasms-numb-between-legs.yaml"
    default = runner.invoke(cli, ["check", str(emergency), "--format", "json"])
    assert json.loads(default.stdout)["headline"] == "Call your emergency number now (such as 911, 999, 112 or 000)."
    uk = runner.invoke(cli, ["check", str(emergency), "--format", "json", "--region", "uk"])
    data = json.loads(uk.stdout)
    assert data["headline"] == "Call your emergency number now (999)." and "(999)" in data["disclaimer"]
    monkeypatch.setenv("TRIAGE_REGION", "au")
    assert runner.invoke(cli, ["check", str(emergency)]).stdout.startswith("Call your emergency number now (000).")
    unknown = runner.invoke(cli, ["check", str(emergency), "--region", "xx"])
    assert unknown.exit_code == 2 and unknown.stdout == ""
    assert unknown.stderr.strip() == "triage: error: unknown region 'xx': use one of us, ca, uk, ie, eu, au, nz, in"


EXPECTED_WORDS = {
    "call the emergency number now": "emergency", "be seen by a doctor today": "urgent", "see a doctor soon": "soon",
    "bring it up at the next visit": "routine", "self-care": "self_care",
}


@pytest.mark.parametrize("path", [p for p in EXAMPLE_FILES if p.suffix == ".yaml"], ids=lambda p: p.name)
def test_each_example_gives_the_urgency_its_header_promises(runner, path):
    header = next(line for line in path.read_text().splitlines() if line.startswith("# Expected:"))
    (urgency,) = {u for words, u in EXPECTED_WORDS.items() if words in header}
    result = check(runner, path, "--format", "json")
    assert json.loads(result.stdout)["urgency"] == urgency, header


def test_error_lines_name_the_field_and_what_was_expected_never_the_answer(runner, tmp_path):
    secret = "my-private-diagnosis-text"
    for text in (f"feeling: {secret}\n", f"minutes: {secret}\n", "minutes: 987654\n", f"alarms: {secret}\n"):
        path = tmp_path / "a.yaml"
        path.write_text(text)
        result = check(runner, path, "--rules", MINI)
        assert result.exit_code == 2 and "field '" in result.stderr
        assert secret not in result.stderr and "987654" not in result.stderr, result.stderr


def test_json_trailing_comma_is_named_at_the_comma_and_options_by_label(runner, tmp_path):
    trailing = tmp_path / "trailing.json"
    trailing.write_text('{"feeling": "flicker",\n  "alarms": ["none"],\n}\n')
    result = check(runner, trailing, "--rules", MINI)
    assert result.stderr == f"{trailing}:2:21: JSON syntax error: a comma with nothing after it (remove this comma)\n"
    both = tmp_path / "both.yaml"
    both.write_text("alarms: [none, breathing]\n")
    result = check(runner, both, "--rules", MINI)
    assert "'None of these' cannot be picked together with other options" in result.stderr
