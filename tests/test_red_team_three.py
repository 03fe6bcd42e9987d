"""Findings of the third red-team run (issue 11), each a test that failed before its fix.

The most serious first: a warning sign in a saved file that was ignored because an earlier
answer would have skipped its question.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from triage.cli import cli

from .conftest import ENGINES, EXAMPLES, MINI, SHIPPED, TESTS

CRAMP = json.loads((EXAMPLES / "night-calf-cramps.json").read_text())


def _records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_marked_warning_sign_counts_even_where_its_question_would_be_skipped(runner, tmp_path, engine):
    """sick_signs is asked only after an illness or heat; a file may hold it anyway."""
    seizure = tmp_path / "seizure.json"
    seizure.write_text(json.dumps({**CRAMP, "triggers": ["caffeine"], "sick_signs": ["hot_confused"]}))
    calm = tmp_path / "calm.json"
    calm.write_text(json.dumps({**CRAMP, "triggers": ["caffeine"], "sick_signs": ["none"]}))
    unsure = tmp_path / "unsure.json"
    unsure.write_text(json.dumps({**CRAMP, "triggers": ["caffeine"], "sick_signs": "not sure"}))
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({**CRAMP, "triggers": ["caffeine"]}))
    urgency = {}
    for path in (seizure, calm, unsure, plain):
        result = runner.invoke(cli, ["check", str(path), "--engine", engine, "-f", "json"])
        urgency[path.stem] = json.loads(result.stdout)["urgency"]
    assert urgency == {"seizure": "emergency", "calm": urgency["plain"], "unsure": urgency["plain"], "plain": urgency["plain"]}
    assert urgency["plain"] != "emergency"


def test_ask_resuming_keeps_a_marked_warning_sign(runner, tmp_path):
    saved = tmp_path / "a.json"
    saved.write_text(json.dumps({**CRAMP, "triggers": ["caffeine"], "sick_signs": ["hot_confused"]}))
    result = runner.invoke(cli, ["ask", "--answers", str(saved), "--save", str(saved), "--save-format", "json",
                                 "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(saved.read_text())["sick_signs"] == ["hot_confused"]
    assert json.loads(result.stdout)["urgency"] == "emergency"


def test_one_oddly_shaped_fhir_record_is_an_error_record_not_a_crash(runner, tmp_path):
    response = json.loads((TESTS / "batch" / "single-response.json").read_text())
    response["item"][0]["answer"] = [{1: "x"}]
    odd = tmp_path / "odd.yaml"
    odd.write_text(yaml.safe_dump(response))
    result = runner.invoke(cli, ["batch", str(odd), str(EXAMPLES / "night-calf-cramps.json"), "-j", "1", "-f", "jsonl"])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert [r["ok"] for r in _records(result)] == [False, True]


def test_a_fhir_code_system_is_never_echoed(runner, tmp_path):
    response = json.loads((TESTS / "batch" / "single-response.json").read_text())
    response["item"][0]["answer"][0]["valueCoding"]["system"] = "Patient Jane Doe, HIV positive"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(response))
    result = runner.invoke(cli, ["check", str(path), "--rules", str(MINI)])
    assert result.exit_code == 2 and "the answer's code system is not" in result.stderr
    assert "Jane" not in result.stderr


def test_compare_rules_writes_an_id_with_a_lone_surrogate(runner, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(MINI, new)
    rules = new / "rules" / "a.yaml"
    rules.write_text(rules.read_text().replace("at_least: 30", "at_least: 20"))
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": "\\ud800", "feeling": "locked", "minutes": 25, "stretch_helps": "no"}\n')
    result = runner.invoke(cli, ["batch", str(lines), "--rules", str(new), "--compare-rules", str(MINI), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert _records(result)[0]["id"] == "\ud800"


def test_content_text_that_cannot_be_written_is_a_content_error(runner, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    questions = content / "questionnaire.yaml"
    questions.write_text(questions.read_text().replace("label: A flicker under the skin", 'label: "A \\ud800 flicker"'))
    result = runner.invoke(cli, ["rules", "validate", "--rules", str(content)])
    assert result.exit_code == 1
    assert "holds a character that is not valid Unicode" in result.stdout


def test_too_many_rules_for_the_engine_is_a_content_error(runner, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    many = [{"id": f"many-{i}", "when": {"question": "minutes", "greater_than": i},
             "then": {"urgency": "routine", "reason": "Many."}, "sources": ["s0"]} for i in range(400)]
    (content / "rules" / "many.yaml").write_text(yaml.safe_dump({"rules": many}))
    result = runner.invoke(cli, ["rules", "validate", "--rules", str(content)])
    assert result.exit_code == 1 and "the engine can take at most 400" in result.stdout + result.stderr


def test_escape_sequences_in_names_are_shown_escaped_on_one_line(runner):
    result = runner.invoke(cli, ["check", "\x1b]0;title\x07x\ny.yaml"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;title\\x07x\\x0ay.yaml" in result.stderr


def test_outputs_never_replace_their_inputs(runner, tmp_path):
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"feeling": "locked"}\n')
    result = runner.invoke(cli, ["batch", str(lines), "-o", str(lines), "--rules", str(MINI)])
    assert result.exit_code == 2 and "it is an input" in result.stderr
    assert lines.read_text() == '{"feeling": "locked"}\n'
    folder_result = runner.invoke(cli, ["batch", str(tmp_path), "-o", str(lines), "--rules", str(MINI)])
    assert folder_result.exit_code == 2 and "inside an input folder" in folder_result.stderr
    new_file = runner.invoke(cli, ["batch", str(tmp_path), "-o", str(tmp_path / "new.jsonl"), "--rules", str(MINI)])
    assert new_file.exit_code == 2 and "inside an input folder" in new_file.stderr
    assert not (tmp_path / "new.jsonl").exists(), "a new file there would be read as an input next time"
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    before = (content / "questionnaire.yaml").read_text()
    docs = runner.invoke(cli, ["rules", "docs", "--rules", str(content), "-o", str(content / "questionnaire.yaml")])
    assert docs.exit_code == 2 and "inside the content folder" in docs.stderr
    assert (content / "questionnaire.yaml").read_text() == before


def test_a_partial_fhir_save_is_in_progress_and_the_hint_keeps_the_format(runner, tmp_path):
    saved = tmp_path / "a.json"
    args = ["ask", "--rules", str(MINI), "--save", str(saved), "--save-format", "fhir"]
    result = runner.invoke(cli, args, input="2\n")
    assert result.exit_code == 130
    assert json.loads(saved.read_text())["status"] == "in-progress"
    hint = result.stderr.strip().splitlines()[-1]
    assert hint.endswith(f"triage ask --answers {saved} --save {saved} --save-format fhir")
    done = runner.invoke(cli, [*args, "--answers", str(saved)], input="30\n3\nno\n")
    assert done.exit_code == 0, done.stderr
    assert json.loads(saved.read_text())["status"] == "completed"


def test_a_bad_byte_in_a_csv_costs_only_its_row(runner, tmp_path):
    table = tmp_path / "a.csv"
    table.write_bytes(b"feeling,minutes\nlocked,3\nlocked,\xe94\nlocked,5\n")
    only = tmp_path / "b.csv"
    only.write_bytes(b'feeling,minutes\n"a"b,3\n')
    out = _records(runner.invoke(cli, ["batch", str(table), str(only), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [(r["source"].rsplit("/", 1)[-1], r["ok"]) for r in out] == [
        ("a.csv:row 2", True), ("a.csv:row 3", False), ("a.csv:row 4", True), ("b.csv:row 2", False),
    ]
    assert out[1]["error"] == "this row (line 3) is not valid UTF-8 text"


def test_an_overlong_csv_line_is_skipped_in_bounded_memory(runner, tmp_path):
    table = tmp_path / "a.csv"
    table.write_text("feeling,minutes\nlocked,3\nlocked," + "9" * 2_000_000 + "\nlocked,5\n")
    out = _records(runner.invoke(cli, ["batch", str(table), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [r["ok"] for r in out] == [True, False, True]
    assert out[1]["error"] == "line 3 is longer than 1024 KiB"


@pytest.mark.parametrize("expression", [
    '"a"|center(3000000000)', '"x"|indent(3000000000)', '"a".ljust(3000000000)',
    '"%03000000000d"|format(1)', '"%*d" % (3000000000, 1)', '"{:>9999999}".format(1)',
])
def test_a_template_cannot_ask_for_gigabytes(runner, tmp_path, expression):
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    template = content / "templates" / "result.text.j2"
    template.write_text("{{ " + expression + " }}\n" + template.read_text())
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: locked\nminutes: 3\n")
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(content)])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{template}:1:" in result.stderr
    # refused before anything is built (before, the output limit caught it after gigabytes)
    assert "is not allowed as an argument" in result.stderr or "or more wide is not allowed" in result.stderr


def test_shipped_templates_still_render_every_format(runner):
    for fmt in ("text", "markdown", "html", "json"):
        result = runner.invoke(cli, ["check", str(EXAMPLES / "night-calf-cramps.json"), "-f", fmt, "--rules", str(SHIPPED)])
        assert result.exit_code == 0, result.stderr


def test_smaller_findings(runner, tmp_path):
    """ask --save into a missing folder fails before the first question; an unknown field that
    is free text is not echoed; explain does not list the record id as an unused answer; a
    link to nothing named like an answer file is an error record, not skipped."""
    missing = runner.invoke(cli, ["ask", "--rules", str(MINI), "--save", str(tmp_path / "no" / "a.yaml")], input="")
    assert missing.exit_code == 2 and "its folder does not exist" in missing.stderr
    assert "Question" not in missing.stderr
    answers = tmp_path / "a.yaml"
    answers.write_text("id: r1\nfeeling: locked\nminutes: 3\nI have HIV: yes\n")
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(MINI)])
    assert result.exit_code == 2 and "HIV" not in result.stderr and "a field: unknown question id" in result.stderr
    answers.write_text("id: r1\nfeeling: locked\nminutes: 3\n")
    explained = runner.invoke(cli, ["rules", "explain", str(answers), "--rules", str(MINI)])
    assert explained.exit_code == 0 and "Not used" not in explained.stdout
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    shutil.copy(answers, folder / "ok.yaml")
    out = _records(runner.invoke(cli, ["batch", str(folder), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [(r["source"].rsplit("/", 1)[-1], r["ok"]) for r in out] == [("gone.yaml", False), ("ok.yaml", True)]


def test_a_template_that_fails_stops_the_batch_instead_of_failing_every_record(runner, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    template = content / "templates" / "result.text.j2"
    template.write_text("{% for i in range(200000) %}{% endfor %}" + template.read_text())
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"feeling": "locked", "minutes": 3}\n' * 3)
    result = runner.invoke(cli, ["batch", str(lines), "--rules", str(content), "-j", "1", "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{template}:1:") and "not allowed" in result.stderr
    assert result.stderr.count("\n") == 1


def test_batch_leaves_the_garbage_collector_as_it_found_it(runner):
    import gc

    result = runner.invoke(cli, ["batch", str(EXAMPLES), "-j", "1", "-f", "jsonl"])
    assert result.exit_code == 0, result.stderr
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_changed_content_does_not_reuse_the_cached_engine_plan(shipped, engine):
    """dataclasses.replace makes new content: the durable plan cached for the old rules must
    not apply (it would bring back the emergency rules taken out here)."""
    from dataclasses import replace

    from triage import Triage

    assert shipped.cache_key is not None
    fewer = replace(shipped, rules=tuple(r for r in shipped.rules if r.urgency != "emergency"))
    assert fewer.cache_key is None
    result = Triage(fewer, engine).evaluate({**CRAMP, "alarm_now": ["seizure"]})
    assert result.urgency != "emergency"
    assert Triage(shipped, engine).evaluate({**CRAMP, "alarm_now": ["seizure"]}).urgency == "emergency"
