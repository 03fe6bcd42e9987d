"""`triage ask`: the interactive questionnaire, driven through click's CliRunner."""

from __future__ import annotations

import json
import os
import stat

import yaml

from triage.cli import cli

from .conftest import MINI


def ask(runner, *args, input=""):
    return runner.invoke(cli, ["ask", "--rules", str(MINI), *map(str, args)], input=input, catch_exceptions=False)


def test_full_session_with_back_skip_logic_and_summary(runner):
    # feeling=locked, then back, change to flicker; the cramp-only question is skipped.
    result = ask(runner, "--format", "json", input="2\nback\n1\n3\n3\n")
    assert result.exit_code == 0, result.stderr
    assert "Does stretching ease it?" not in result.stderr
    assert result.stderr.count("1. What does it feel like?") == 2
    assert "Your answer [2]" in result.stderr, "a question asked again offers the earlier answer"
    assert "Your answers:" in result.stderr
    data = json.loads(result.stdout)
    assert data["raw_answers"] == {"feeling": "flicker", "minutes": 3.0, "alarms": ["none"]}
    assert data["classification"] == "twitch"


def test_show_if_question_is_asked_when_it_applies(runner):
    result = ask(runner, "--format", "json", input="2\n45\n3\nno\n")
    assert result.exit_code == 0, result.stderr
    assert "Does stretching ease it?" in result.stderr
    data = json.loads(result.stdout)
    assert data["urgency"] == "urgent"
    assert data["headline"] == "Get seen today. This sounds like a muscle cramp."


def test_invalid_input_reasks_with_a_hint_and_help_is_shown(runner):
    result = ask(runner, input="9\nwobbly\n?\n1\nten\n-1\n2\n1,3\n3\n")
    assert result.exit_code == 0, result.stderr
    assert "please use numbers from 1 to 3" in result.stderr
    assert "'wobbly' is not one of the choices" in result.stderr
    assert "Think of the last time it happened." in result.stderr
    assert "expected a number of minutes" in result.stderr
    assert "outside the allowed range" in result.stderr
    assert "'none' cannot be picked together with other options" in result.stderr
    assert result.stdout.startswith("This sounds like a muscle twitch.")


def test_not_sure_where_allowed(runner):
    result = ask(runner, "--format", "json", input="not sure\n2\nnot sure\n")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["raw_answers"] == {"feeling": "not_sure", "minutes": 2.0, "alarms": "not_sure"}
    assert data["emergency_signs"]


def test_back_on_the_first_question_stays_there(runner):
    result = ask(runner, input="back\n1\n1\n3\n")
    assert result.exit_code == 0
    assert "This is the first question." in result.stderr


def test_end_of_input_exits_130_and_says_where_answers_are(runner, tmp_path):
    saved = tmp_path / "answers.yaml"
    result = ask(runner, "--save", saved, input="2\n30\n")
    assert result.exit_code == 130
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("triage: stopped: Your answers so far are saved in") and str(saved) in last
    assert yaml.safe_load(saved.read_text()) == {"feeling": "locked", "minutes": 30}
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600

    resumed = ask(runner, "--answers", saved, "--save", saved, "--format", "json", input="3\nno\n")
    assert resumed.exit_code == 0, resumed.stderr
    assert ". What does it feel like?" not in resumed.stderr, "answered questions are not asked again"
    data = json.loads(resumed.stdout)
    assert data["urgency"] == "urgent"
    assert yaml.safe_load(saved.read_text()) == {"feeling": "locked", "minutes": 30, "alarms": ["none"], "stretch_helps": "no"}


def test_interrupt_without_save_says_nothing_was_saved(runner, tmp_path):
    result = ask(runner, input="1\n")
    assert result.exit_code == 130
    assert "Nothing was saved" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_resume_from_a_bad_file_is_a_clear_error(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeling: wobbly\n")
    result = ask(runner, "--answers", bad, input="")
    assert result.exit_code == 2
    assert f"{bad}:1:10: field 'feeling'" in result.stderr


def test_save_as_fhir_and_resume_from_it(runner, tmp_path):
    saved = tmp_path / "answers.json"
    first = ask(runner, "--save", saved, "--save-format", "fhir", input="2\n45\n")
    assert first.exit_code == 130
    resource = json.loads(saved.read_text())
    assert resource["resourceType"] == "QuestionnaireResponse"
    assert [item["linkId"] for item in resource["item"]] == ["feeling", "minutes"]
    resumed = ask(runner, "--answers", saved, "--format", "json", input="3\nno\n")
    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(resumed.stdout)["urgency"] == "urgent"
    checked = runner.invoke(cli, ["check", str(saved), "--rules", str(MINI), "--format", "json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["raw_answers"] == {"feeling": "locked", "minutes": 45.0}


def test_resume_asks_only_the_questions_still_unanswered(runner, tmp_path):
    saved = tmp_path / "answers.yaml"
    saved.write_text("feeling: locked\nalarms: [none]\n")
    result = ask(runner, "--answers", saved, "--format", "json", input="30\nno\n")
    assert result.exit_code == 0, result.stderr
    assert "Do you have any of these?\n" not in result.stderr.split("Your answers:")[0]
    assert json.loads(result.stdout)["urgency"] == "urgent"


def test_typed_labels_spellings_and_odd_numbers(runner):
    result = ask(runner, "--format", "json", input="\u00b2\nI don\u2019t know\n-0\ntrouble breathing\n")
    assert result.exit_code == 0, result.stderr
    assert "please type its number" in result.stderr  # a superscript two is not a choice number
    data = json.loads(result.stdout)
    assert data["raw_answers"] == {"feeling": "not_sure", "minutes": 0.0, "alarms": ["breathing"]}
    assert data["urgency"] == "emergency"


def test_save_as_plain_json_and_resume_from_it(runner, tmp_path):
    saved = tmp_path / "answers.json"
    first = ask(runner, "--save", saved, "--save-format", "json", input="2\n30\n")
    assert first.exit_code == 130
    assert json.loads(saved.read_text()) == {"feeling": "locked", "minutes": 30}
    resumed = ask(runner, "--answers", saved, "--format", "json", input="3\nno\n")
    assert resumed.exit_code == 0 and json.loads(resumed.stdout)["raw_answers"]["feeling"] == "locked"
