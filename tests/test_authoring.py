"""Author tools: rules test, explain, lint, validate --format json."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from triage.cli import cli

from .conftest import ENGINES, EXAMPLES, MINI, ROOT, SHIPPED, TESTS
from .processes import HANG
from .test_content_errors import overlay

LINT = sorted(p for p in (TESTS / "content" / "lint").iterdir() if p.is_dir())
SEEDS = TESTS / "content" / "seeds"


def invoke(runner, *args):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_shipped_author_cases_all_pass_on_every_engine(runner, engine):
    result = invoke(runner, "rules", "test", "--rules", SHIPPED, "--engine", engine)
    assert result.exit_code == 0, result.stdout
    assert "0 failing" in result.stderr


def mini_with_cases(tmp_path, file: str, text: str):
    """A copy of the mini content with one more authors' test file, `tests/<file>`."""
    content = tmp_path / "rules"
    shutil.copytree(MINI, content, symlinks=False)
    (content / "tests" / file).write_text(text)
    return content


def mini_with_a_wrong_case(tmp_path, name: str, expect: str):
    """A copy of the mini content with tests/wrong.yaml: a passing case, then `name`, a long
    cramp wrongly expected to be `expect` (its line is 5)."""
    return mini_with_cases(tmp_path, "wrong.yaml",
        "cases:\n"
        "  - name: passes\n"
        "    answers: {feeling: flicker}\n"
        "    expect: {classification: twitch}\n"
        f"  - name: {name}\n"
        "    answers: {feeling: locked, minutes: 45, stretch_helps: no}\n"
        f"    expect: {expect}\n"
    )


def test_author_case_failure_names_file_line_case_and_rules_fired(runner, tmp_path):
    content = mini_with_a_wrong_case(tmp_path, "long cramp said to be routine",
                                     "{urgency: routine, advice: [stretch], text_contains: [Stay in bed]}")
    result = invoke(runner, "rules", "test", "--rules", content)
    assert result.exit_code == 1
    line = next(ln for ln in result.stdout.splitlines() if "long cramp" in ln)
    assert line.startswith(
        f"{content}/tests/wrong.yaml:5: case 'long cramp said to be routine': expected urgency routine, got urgent"
    )
    assert "expected the text result to contain 'Stay in bed'" in line
    assert line.endswith("rules fired: cramp, long-cramp")
    assert "passes" not in result.stdout
    assert "1 failing, 1 todo" in result.stderr


def test_junit_report_shows_each_case_for_ci(runner, tmp_path):
    import xml.etree.ElementTree as ET

    content = mini_with_a_wrong_case(tmp_path, "long cramp <said> to be routine & fine", "{urgency: routine}")
    report = tmp_path / "cases.xml"
    result = invoke(runner, "rules", "test", "--rules", content, "--junit", report)
    assert result.exit_code == 1
    root = ET.parse(report).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert root.tag == "testsuites" and int(root.get("tests")) == len(cases) >= 3
    failing = cases["long cramp <said> to be routine & fine"]
    assert failing.get("file") == f"{content}/tests/wrong.yaml" and failing.get("line") == "5"
    assert "expected urgency routine, got urgent" in failing.find("failure").get("message")
    assert cases["passes"].find("failure") is None and cases["passes"].find("skipped") is None
    assert any(c.find("skipped") is not None for c in cases.values()), "a todo case is skipped"
    # On standard output the report stands alone (the case lines go to standard error) and
    # characters XML cannot hold are replaced; the content folder is never written over.
    (content / "tests" / "wrong.yaml").write_text((content / "tests" / "wrong.yaml").read_text().replace(
        "name: passes", 'name: "bell \\x07 case"'))
    to_stdout = invoke(runner, "rules", "test", "--rules", content, "--junit", "-")
    names = {c.get("name") for c in ET.fromstring(to_stdout.stdout).iter("testcase")}
    assert "bell \ufffd case" in names and "long cramp" in to_stdout.stderr
    over = invoke(runner, "rules", "test", "--rules", content, "--junit", content / "tests" / "wrong.yaml")
    assert over.exit_code == 2 and "cannot write" in over.stderr and "bell" in (content / "tests" / "wrong.yaml").read_text()


def test_todo_cases_are_reported_but_do_not_fail(runner):
    result = invoke(runner, "rules", "test", "--rules", MINI)
    assert result.exit_code == 0
    assert "[todo: the mini content has no rule for this yet]" in result.stdout


def test_bad_test_file_is_a_located_error(runner, tmp_path):
    content = mini_with_cases(
        tmp_path, "bad.yaml", "cases:\n  - name: x\n    answers: {feeling: wobbly}\n    expect: {urgency: later, fired: [nope]}\n"
    )
    result = invoke(runner, "rules", "test", "--rules", content)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert any(ln.startswith(f"{content}/tests/bad.yaml:3:") and "not one of the options" in ln for ln in lines)


def test_a_case_that_could_never_fail_is_refused(runner, tmp_path):
    """No expectation, an empty one, blank words, or a rule both to fire and not: each passes
    whatever the rules say, so each is an error at its place, not a pass."""
    content = mini_with_cases(tmp_path, "never.yaml",
        "cases:\n  - name: nothing\n  - name: empty\n    expect: {}\n"
        "  - name: blank\n    expect: {text_contains: ['  ']}\n"
        "  - name: both\n    expect: {fired: [cramp], not_fired: [cramp]}\n"
        "  - name: lists\n    expect: {fired: [], not_fired: [], advice: [], no_advice: [], text_contains: [], text_lacks: []}\n"
    )
    result = invoke(runner, "rules", "test", "--rules", content)
    assert result.exit_code == 2, result.output
    lines = [line.replace(f"{content}/", "") for line in result.stderr.strip().splitlines()]
    assert lines == [
        "tests/never.yaml:2:5: case 'nothing': 'expect' is missing",
        "tests/never.yaml:4:13: case 'empty': field 'expect': must not be empty",
        "tests/never.yaml:6:30: case 'blank', expect, item 1 of 'text_contains': must not be empty",
        "tests/never.yaml:8:30: case 'both': rule 'cramp' is in both fired and not_fired",
        *[f"tests/never.yaml:10:{column}: case 'lists', expect: field '{key}': must not be empty"
          for column, key in ((21, "fired"), (36, "not_fired"), (48, "advice"), (63, "no_advice"),
                              (82, "text_contains"), (98, "text_lacks"))],
    ]


def test_explain_shows_fired_and_not_fired_rules_with_the_false_part(runner, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: locked\nminutes: 12\nstretch_helps: no\nalarms: [none]\n")
    result = invoke(runner, "rules", "explain", answers, "--rules", MINI)
    assert result.exit_code == 0
    out = result.stdout
    assert "FIRED  cramp  [mini/rules/a.yaml:7]  -> classification cramp; flags is_cramp" in out
    assert "no     long-cramp  [mini/rules/a.yaml:11]: needs minutes is 30 or more (line 12); the answer is '12 minutes'" in out
    assert (
        "no     breathing  [mini/rules/a.yaml:2]: needs alarms includes breathing (line 4); the answer is 'None of these'" in out
    )
    assert "Urgency: routine: no rule gave an urgency" in out
    assert "Classification: cramp: named by the most rules (rules per kind: cramp 1)." in out


def test_explain_reports_a_negated_part_and_flags(runner, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: locked\nminutes: 40\nstretch_helps: yes\n")
    out = invoke(runner, "rules", "explain", answers, "--rules", MINI).stdout
    assert "needs not (stretch_helps is yes)" in out
    answers.write_text("feeling: flicker\nminutes: 40\n")
    out = invoke(runner, "rules", "explain", answers, "--rules", MINI).stdout
    assert "no     long-cramp  [mini/rules/a.yaml:11]: needs flag is_cramp set, but it is not set" in out


def test_explain_on_a_shipped_example(runner):
    example = EXAMPLES / "night-calf-cramps.json"
    result = invoke(runner, "rules", "explain", example)
    assert result.exit_code == 0
    assert "Rules that fired" in result.stdout and "Headline: This sounds like a muscle cramp." in result.stdout


@pytest.mark.parametrize("case", LINT, ids=lambda p: p.name)
def test_lint_reports_each_finding_with_its_line(runner, case, tmp_path):
    content = overlay(case, tmp_path / "rules")
    result = invoke(runner, "rules", "lint", "--rules", content, "--seeds", SEEDS)
    assert result.exit_code == 1, result.output
    reported = [line.replace(f"{content}/", "") for line in result.stdout.splitlines()]
    assert reported == (case / "expected.txt").read_text().splitlines()


def test_lint_is_clean_on_the_mini_content_and_json_format_works(runner, tmp_path):
    assert invoke(runner, "rules", "lint", "--rules", MINI, "--seeds", SEEDS).exit_code == 0
    content = overlay(TESTS / "content" / "lint" / "unused-advice", tmp_path / "rules")
    result = invoke(runner, "rules", "lint", "--rules", content, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "path": f"{content}/advice.yaml", "line": 3, "column": 1, "severity": "warning",
        "message": "no rule selects advice 'warm-bath' [unused-advice]", "check": "unused-advice",
    }]


def test_shipped_content_is_lint_clean(runner):
    result = invoke(runner, "rules", "lint", "--rules", SHIPPED, "--seeds", SEEDS)
    assert result.exit_code == 0, result.stdout


def test_lint_finds_a_passage_the_shipped_content_shares_with_a_source(shipped, tmp_path):
    """The copy check reads the shipped content: a source quoting one advice text is caught."""
    from triage.authoring.lint import check_copied

    item = next(iter(shipped.advice.values()))
    quoted = " ".join(re.findall(r"[a-z0-9']+", item.text.lower())[:10])
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    assert check_copied(shipped, seeds) == []
    (seeds / "quoting.txt").write_text(f"An article that says: {quoted}, and then goes on.\n")
    findings = [str(f.problem()) for f in check_copied(shipped, seeds)]
    assert len(findings) == 1 and findings[0].startswith(f"{SHIPPED}/advice.yaml:"), findings
    assert " ".join(quoted.split()[:8]) in findings[0] and "quoting.txt" in findings[0]


SEED_OVERLAP = ROOT.parent / "shared" / "tools" / "seed-overlap"


@pytest.mark.skipif(not SEED_OVERLAP.is_file(), reason="../shared/tools/seed-overlap is not beside this checkout")
def test_nothing_is_copied_from_the_seed_articles():
    done = subprocess.run(
        [sys.executable, str(SEED_OVERLAP), str(ROOT)], capture_output=True, text=True, timeout=HANG, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_validate_json_format(runner, tmp_path):
    content = overlay(TESTS / "content" / "bad" / "unknown-source", tmp_path / "rules")
    result = invoke(runner, "rules", "validate", "--rules", content, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "path": f"{content}/advice.yaml", "line": 2, "column": 75, "severity": "error",
        "message": "advice 'stretch': unknown source 'nowhere'", "check": "invalid",
    }]


def test_validate_cannot_run_without_a_folder(runner, tmp_path):
    result = invoke(runner, "rules", "validate", "--rules", tmp_path / "missing")
    assert result.exit_code == 2
    assert Path(tmp_path / "missing").name in result.stderr


def test_dash_reads_answers_from_standard_input_wherever_a_file_is_read(runner):
    """`-` for standard input: rules explain, and ask --answers (its questions then end at once:
    standard input is used up, so ask stops and keeps nothing)."""
    explained = runner.invoke(cli, ["rules", "explain", "-", "--rules", str(MINI)], input="feeling: flicker\n")
    assert explained.exit_code == 0 and "FIRED" in explained.stdout, explained.stderr
    resumed = runner.invoke(cli, ["ask", "--answers", "-", "--rules", str(MINI)], input="feeling: flicker\n")
    assert isinstance(resumed.exception, SystemExit) and resumed.exit_code == 130, resumed.exception  # stopped, no crash
    assert "Question 2 of about" in resumed.stderr and "1. What does it feel like?" not in resumed.stderr, (
        "it goes on at the next question: the answered one is not asked again"
    )
