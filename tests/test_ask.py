"""`triage ask`: the interactive questionnaire, driven through click's CliRunner."""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

from triage.cli import cli

from .conftest import MINI


def ask(runner, *args, input=""):
    return runner.invoke(cli, ["ask", "--rules", str(MINI), *map(str, args)], input=input, catch_exceptions=False)


def test_full_session_with_back_skip_logic(runner):
    # feeling=locked, then back, change to flicker; the cramp-only question is skipped.
    result = ask(runner, "--format", "json", input="2\nback\n1\n3\n3\n")
    assert result.exit_code == 0, result.stderr
    assert "Does stretching ease it?" not in result.stderr
    assert result.stderr.count("1. What does it feel like?") == 2
    assert "Your answer [2]" in result.stderr, "a question asked again offers the earlier answer"
    assert "Your answers:" not in result.stderr, "the answers are shown once, in the result's doctor summary"
    assert "Your answers are not saved. To keep them" in result.stderr
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
    assert "'None of these' cannot be picked together with other options" in result.stderr
    assert result.stdout.startswith("This sounds like a muscle twitch.")


def test_not_sure_where_allowed(runner):
    result = ask(runner, "--format", "json", input="not sure\n2\nnot sure\n")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["raw_answers"] == {"feeling": "not_sure", "minutes": 2.0, "alarms": "not_sure"}
    assert data["emergency_signs"]


def test_a_question_keeps_its_number_after_back(runner):
    """Back twice, then the same answer: the question answered already is skipped, and the next
    one is still numbered by its place (4), not by how many answers were given since (3)."""
    result = runner.invoke(cli, ["ask"], input="14\n1\n1\nback\nback\n1\n", catch_exceptions=False)
    numbered = [line for line in result.stderr.splitlines() if line.startswith("Question ")]
    assert [line.split(" of ")[0] for line in numbered] == ["Question 1", "Question 2", "Question 3", "Question 4",
                                                           "Question 3", "Question 2", "Question 4"]


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


def test_an_emergency_answer_shows_the_call_now_message_at_once(runner):
    """Shipped content: "trouble breathing" at question 1 stops before question 2 (Enter = stop)."""
    result = runner.invoke(cli, ["ask", "--format", "json", "--region", "uk"], input="1\n\n", catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    before_more = result.stderr.split("Question 2 of about")[0]
    assert "EMERGENCY: Call your emergency number now (999)." in before_more
    assert "Trouble breathing needs help right away" in before_more
    assert "Question 2 of about" not in result.stderr
    data = json.loads(result.stdout)
    assert data["urgency"] == "emergency"
    assert data["headline"] == "Call your emergency number now (999)."
    assert data["raw_answers"] == {"alarm_now": ["breathing"]}


def test_after_the_emergency_message_the_person_can_go_on(runner):
    result = runner.invoke(cli, ["ask", "--format", "json"], input="1\ngo on\n2\n", catch_exceptions=False)
    assert "EMERGENCY: Call your emergency number now (such as 911, 999, 112 or 000)." in result.stderr
    assert "Question 2 of about" in result.stderr and "2. What does the movement feel like?" in result.stderr
    assert result.stderr.count("EMERGENCY:") == 1, "the message is shown once"


def test_a_later_answer_that_makes_it_an_emergency_also_stops(runner):
    # no emergency sign, a locked cramp, severe pain ... then "where": the chest (an emergency)
    replies = ["14", "2", "2", "4", "2", "2", "1", "10", "stop"]
    result = runner.invoke(cli, ["ask", "--format", "json"], input="\n".join(replies) + "\n", catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    asked_first, after_where = result.stderr.split("8. Where on your body does it happen?")
    assert "EMERGENCY" not in asked_first, "severe pain alone is not an emergency"
    assert "EMERGENCY: Call your emergency number now" in after_where
    assert "9. When does it happen?" not in after_where
    assert json.loads(result.stdout)["urgency"] == "emergency"


def test_progress_counts_only_questions_that_will_be_asked(runner):
    """Mini content: the stretching question comes last and is asked only for a locked cramp."""
    flicker = ask(runner, input="1\n3\n3\n")
    assert flicker.exit_code == 0, flicker.stderr
    shown = [line for line in flicker.stderr.splitlines() if line.startswith("Question ")]
    assert shown == ["Question 1 of about 3", "Question 2 of about 3", "Question 3 of about 3"]
    locked = ask(runner, input="2\n3\n3\nyes\n")
    shown = [line for line in locked.stderr.splitlines() if line.startswith("Question ")]
    assert shown == ["Question 1 of about 3", "Question 2 of about 4", "Question 3 of about 4", "Question 4 of about 4"]


def test_a_typical_harmless_case_is_asked_at_most_14_questions(shipped):
    """Follow-ups stay behind show_if: the eyelid twitch and the night calf cramp stay short."""
    from triage.answerfile import load_answers
    from triage.answers import visible

    from .conftest import EXAMPLES

    for name in ("eyelid-twitch-coffee.yaml", "night-calf-cramps.json"):
        answers = load_answers(shipped, str(EXAMPLES / name))
        asked = [q.id for q in shipped.questions if visible(q, answers)]
        assert len(asked) <= 14, (name, asked)
        assert set(asked) == set(answers) - {"id"}, "the example answers exactly what is asked"


def test_a_resumed_emergency_is_shown_before_any_question(runner, tmp_path):
    saved = tmp_path / "a.yaml"
    saved.write_text("alarm_now: [breathing]\n")
    result = runner.invoke(cli, ["ask", "--answers", str(saved), "--region", "UK", "--format", "json"], input="\n")
    assert result.exit_code == 0, result.stderr
    assert "EMERGENCY: Call your emergency number now (999)." in result.stderr
    assert "Question " not in result.stderr.split("EMERGENCY:")[0], "no question comes before the message"
    assert "2. What does the movement feel like?" not in result.stderr
    assert json.loads(result.stdout)["urgency"] == "emergency"


def test_the_call_now_message_comes_back_after_an_answer_is_changed(runner):
    # breathing -> go on -> back -> none of these -> ... -> the chest, severe: an emergency again
    replies = ["1", "go on", "back", "14", "2", "2", "4", "2", "2", "1", "10", "stop"]
    result = runner.invoke(cli, ["ask", "--format", "json"], input="\n".join(replies) + "\n", catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("EMERGENCY: Call your emergency number now") == 2
    data = json.loads(result.stdout)
    assert data["urgency"] == "emergency" and data["raw_answers"]["alarm_now"] == ["none"]


def test_resuming_keeps_the_record_id_in_yaml_and_fhir(runner, tmp_path):
    for fmt, key in (("yaml", "id"), ("fhir", "id")):
        saved = tmp_path / f"a.{fmt}"
        saved.write_text("id: case-17\nfeeling: flicker\n") if fmt == "yaml" else None
        if fmt == "fhir":
            runner.invoke(cli, ["ask", "--rules", str(MINI), "--answers", str(tmp_path / "a.yaml"), "--save", str(saved),
                                "--save-format", "fhir"], input="3\n3\n")
        else:
            runner.invoke(cli, ["ask", "--rules", str(MINI), "--answers", str(saved), "--save", str(saved)], input="3\n3\n")
        data = json.loads(saved.read_text()) if fmt == "fhir" else yaml.safe_load(saved.read_text())
        assert data[key] == "case-17", (fmt, saved.read_text())


def test_an_interrupted_ask_says_truthfully_whether_anything_was_saved(runner, tmp_path):
    new = tmp_path / "new.yaml"
    result = ask(runner, "--save", new, input="")
    assert result.exit_code == 130 and not new.exists()
    assert "nothing was saved" in result.stderr and "go on with" not in result.stderr
    new.write_text("feeling: flicker\n")
    result = ask(runner, "--answers", new, "--save", new, input="")
    assert result.exit_code == 130 and "is unchanged" in result.stderr


def test_a_number_offered_again_is_not_rounded(runner):
    # minutes 1000.1234, then back: the offered default must be the exact number
    result = ask(runner, "--format", "json", input="1\n1000.1234\nback\n\n3\n")
    assert "Your answer [1000.1234]" in result.stderr, result.stderr
    assert json.loads(result.stdout)["raw_answers"]["minutes"] == 1000.1234


@pytest.mark.parametrize(("typed", "minutes"), [
    ("30 seconds", 0.5), ("2 hours", 120), ("about 5", 5), ("0,5", 0.5), ("half an hour", 30), ("~3 min", 3),
])
def test_numbers_are_taken_as_people_type_them(runner, tmp_path, typed, minutes):
    saved = tmp_path / "a.yaml"
    result = ask(runner, "--save", saved, "--format", "json", input=f"2\n{typed}\n3\nno\n")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(saved.read_text())["minutes"] == minutes
    assert "You can also type, for example, 30 seconds or 2 hours." in " ".join(result.stderr.split())


@pytest.mark.parametrize("typed", ["1,000", "5 m", "a few", "ten"])
def test_a_number_that_could_mean_two_things_is_asked_again(runner, tmp_path, typed):
    saved = tmp_path / "a.yaml"
    result = ask(runner, "--save", saved, input=f"2\n{typed}\n7\n3\nno\n")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(saved.read_text())["minutes"] == 7
    sorry = [line for line in result.stderr.splitlines() if line.strip().startswith("Sorry")]
    assert sorry and all(f"'{typed}'" not in line for line in sorry), "the typed text is not quoted back"


def test_answer_files_take_the_same_phrases(runner, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: locked\nminutes: 2 hours\nstretch_helps: 'no'\nalarms: [none]\n")
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(MINI), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["urgency"] == "urgent"


def test_save_onto_an_existing_file_asks_first(runner, tmp_path):
    saved = tmp_path / "answers.yaml"
    complete = "feeling: flicker\nminutes: 3\nalarms: [none]\n"
    saved.write_text(complete)
    stopped = ask(runner, "--save", saved, input="stop\n")
    assert stopped.exit_code == 130 and "already has answers" in stopped.stderr
    assert saved.read_text() == complete, "stop leaves the file as it was"
    ended = ask(runner, "--save", saved, input="")
    assert ended.exit_code == 130 and saved.read_text() == complete, "no answer to the question changes nothing"

    go_on = ask(runner, "--save", saved, "--format", "json", input="\n")  # the default: go on from it
    assert go_on.exit_code == 0, go_on.stderr
    assert "1. What does it feel like?" not in go_on.stderr, "a complete file needs no question"
    assert json.loads(go_on.stdout)["raw_answers"] == {"feeling": "flicker", "minutes": 3, "alarms": ["none"]}
    assert go_on.stderr.rstrip().endswith(f"Your answers are saved in {saved}.")

    new = ask(runner, "--save", saved, "--format", "json", input="new\n2\n45\n3\nno\n")
    assert new.exit_code == 0, new.stderr
    assert "feeling: locked" in saved.read_text()

    before = saved.read_text()
    piped = ask(runner, "--save", saved, input="1\n3\n3\n")  # answers piped in, as a script would
    assert piped.exit_code == 2 and "the first line of input must say go on, new or stop" in piped.stderr
    assert saved.read_text() == before

    other = tmp_path / "other.yaml"
    other.write_text("feeling: locked\n")
    asked = ask(runner, "--answers", other, "--save", saved, input="stop\n")
    assert asked.exit_code == 130 and "already has answers" in asked.stderr and saved.read_text() == before
    same = ask(runner, "--answers", saved, "--save", saved, "-f", "json", input="")
    assert same.exit_code == 0 and "already has answers" not in same.stderr


def test_an_empty_file_is_saved_to_without_asking(runner, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    result = ask(runner, "--save", empty, "--format", "json", input="1\n3\n3\n")
    assert result.exit_code == 0 and "already has answers" not in result.stderr
    assert "feeling: flicker" in empty.read_text()
