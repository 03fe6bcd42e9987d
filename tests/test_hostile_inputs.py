"""Inputs from the project's own hostile-input run (issue 11): each one was mishandled before.

Unreadable files and folders, numbers Python cannot hold, CSV quotes that never close, JSON
Lines with old Mac line ends, output names that are folders or empty, and an answer set that
only the new rules of --compare-rules accept.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.cli import cli

from .conftest import EXAMPLES, MINI

CRAMP = EXAMPLES / "night-calf-cramps.json"


def _records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@contextlib.contextmanager
def _as_nobody() -> Iterator[None]:
    """Permissions only bite a user who is not root: as root (CI), act as `nobody` meanwhile."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.seteuid(65534)
    except OSError:  # a container without that user id: nothing to test the permissions with
        pytest.skip("cannot act as another user here")
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder `nobody` can enter (pytest's tmp_path lies in root's private folder)."""
    folder = Path(tempfile.mkdtemp(prefix="triage-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            with contextlib.suppress(OSError):
                path.chmod(0o755)
        shutil.rmtree(folder)


def test_unreadable_files_and_folders_are_error_records_never_skipped(runner, shared_dir):
    folder = shared_dir / "answers"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(CRAMP, folder / "ok.json")
    shutil.copy(CRAMP, folder / "locked" / "hidden.json")
    (folder / "locked").chmod(0)
    closed = shared_dir / "closed"
    closed.mkdir()
    closed.chmod(0)
    private = shared_dir / "private.json"
    shutil.copy(CRAMP, private)
    private.chmod(0)
    args = ["batch", str(folder), str(closed), str(private), "-j", "1", "-f", "jsonl"]
    runner.invoke(cli, args)  # as root first: what the command imports is read while it can be
    with _as_nobody():
        result = runner.invoke(cli, args)
    out = _records(result)
    assert result.exit_code == 2, result.stderr
    assert [(r["source"], r["ok"]) for r in out] == [
        (str(folder / "locked"), False), (str(folder / "ok.json"), True), (str(closed), False), (str(private), False),
    ]
    assert out[0]["error"] == out[2]["error"] == "cannot read this folder: permission denied"
    assert out[3]["error"].endswith("cannot read the file: permission denied")
    assert "read 4 records: 1 triaged, 3 errors" in result.stderr


NUMBER_CASES = [
    (".inf", "got a number too large to use"),
    ("-.inf", "got a number too large to use"),
    ("1e400", "got a number too large to use"),
    (".nan", "got a value that is not a number (NaN)"),
]


@pytest.mark.parametrize(("text", "said"), NUMBER_CASES)
def test_numbers_that_cannot_be_used_are_named_at_their_field(runner, tmp_path, text, said):
    answers = tmp_path / "a.yaml"
    answers.write_text(f"feeling: locked\nminutes: {text}\n")
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(MINI)])
    assert result.exit_code == 2
    assert result.stderr == f"{answers}:2:10: field 'minutes': expected a number of minutes, {said}\n"


def test_a_number_with_thousands_of_digits_is_a_clear_error_in_every_format(runner, tmp_path):
    digits = "9" * 5000
    as_yaml = tmp_path / "a.yaml"
    as_yaml.write_text(f"feeling: locked\nminutes: {digits}\n")
    as_json = tmp_path / "a.json"
    as_json.write_text(f'{{"feeling": "locked",\n "minutes": {digits}}}\n')
    as_jsonl = tmp_path / "a.jsonl"
    as_jsonl.write_text(f'{{"feeling": "locked", "minutes": {digits}}}\n{{"feeling": "locked", "minutes": 3}}\n')
    yaml_result = runner.invoke(cli, ["check", str(as_yaml), "--rules", str(MINI)])
    assert yaml_result.stderr == f"{as_yaml}:2:10: field 'minutes': expected a number of minutes, got a number too large to use\n"
    json_result = runner.invoke(cli, ["check", str(as_json), "--rules", str(MINI)])
    assert json_result.stderr == f"{as_json}:2:2: field 'minutes': expected a number of minutes, got a number too large to use\n"
    batch = runner.invoke(cli, ["batch", str(as_jsonl), "--rules", str(MINI), "-j", "1", "-f", "jsonl"])
    out = _records(batch)
    assert [r["ok"] for r in out] == [False, True]
    assert out[0]["error"] == "field 'minutes': expected a number of minutes, got a number too large to use"
    for result in (yaml_result, json_result, batch):
        assert "set_int_max_str_digits" not in result.stderr + result.stdout


def test_a_csv_quote_that_never_closes_is_reported_with_the_lines_it_took(runner, tmp_path):
    table = tmp_path / "a.csv"
    table.write_text('feeling,minutes\nlocked,3\nlocked,"4\nlocked,5\nlocked,6\n')
    out = _records(runner.invoke(cli, ["batch", str(table), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [(r["source"], r["ok"]) for r in out] == [(f"{table}:row 2", True), (f"{table}:row 3", False)]
    assert out[1]["error"] == ("a quote opened in this row (line 3) is never closed, "
                               "so lines 3 to 5 could not be read as answer rows")


def test_a_quote_inside_a_csv_cell_is_that_rows_error_not_a_silent_merge(runner, tmp_path):
    table = tmp_path / "a.csv"
    table.write_text('feeling,minutes\n"lock"ed,3\nlocked,5\n')
    out = _records(runner.invoke(cli, ["batch", str(table), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [r["ok"] for r in out] == [False, True]
    assert out[0]["error"].startswith("a quote in the middle of a cell, or text after a closing quote (line 2)")


def test_json_lines_with_old_mac_line_ends_are_separate_records(runner, tmp_path):
    lines = tmp_path / "a.jsonl"
    lines.write_bytes(b'{"feeling": "locked", "minutes": 3}\r{"feeling": "flicker"}\r\r{"feeling": "repeat"}\r\n')
    out = _records(runner.invoke(cli, ["batch", str(lines), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [(r["source"], r["ok"]) for r in out] == [(f"{lines}:1", True), (f"{lines}:2", True), (f"{lines}:4", True)]


@pytest.mark.parametrize(("args", "said"), [
    (["batch", str(CRAMP), "-o", "{dir}"], "Invalid value for '--output' / '-o': File '{dir}' is a directory."),
    (["batch", str(CRAMP), "-o", ""], "Invalid value for '--output' / '-o': the name is empty"),
    (["batch", str(CRAMP), "--out-dir", ""], "Invalid value for '--out-dir': the name is empty"),
    (["batch", str(CRAMP), "--out-dir", "{file}"], "Invalid value for '--out-dir': Directory '{file}' is a file."),
    (["ask", "--save", ""], "Invalid value for '--save': the name is empty"),
    (["rules", "docs", "-o", ""], "Invalid value for '--output' / '-o': the name is empty"),
    (["--bogus"], "No such option '--bogus'."),
])
def test_a_bad_output_name_or_option_is_one_line(runner, tmp_path, args, said):
    """Before, `-o ''` and `--out-dir ''` wrote to stdout with exit 0, and click's own
    errors took four lines."""
    (tmp_path / "file").write_text("")
    names = {"dir": str(tmp_path), "file": str(tmp_path / "file")}
    result = runner.invoke(cli, [a.format(**names) for a in args], prog_name="triage")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"triage: error: {said.format(**names)} (see 'triage")


def test_a_command_group_without_a_command_shows_its_help(runner):
    result = runner.invoke(cli, ["rules"], prog_name="triage")
    text = result.stdout + result.stderr
    assert "Usage: triage rules [OPTIONS] COMMAND [ARGS]..." in text and "\n  validate " in text
    assert "triage: error" not in text


def test_json_lines_split_where_blocks_meet(runner, tmp_path):
    """The reader takes 64 KiB at a time: a CR LF across two blocks is one line end, and a
    line longer than a block is read whole."""
    first = '{"feeling": "locked", "minutes": 3}'.ljust(65535)
    long_line = '{"feeling": "flicker"}'.ljust(200_000)
    lines = tmp_path / "a.jsonl"
    lines.write_text(first + "\r\n" + long_line + "\r" + '{"feeling": "repeat"}\n', newline="")
    assert lines.read_bytes()[65535:65537] == b"\r\n"
    out = _records(runner.invoke(cli, ["batch", str(lines), "--rules", str(MINI), "-j", "1", "-f", "jsonl"]))
    assert [(r["source"], r["ok"]) for r in out] == [(f"{lines}:1", True), (f"{lines}:2", True), (f"{lines}:3", True)]


def test_an_output_name_ending_in_a_slash_is_refused_by_its_own_name(runner, tmp_path):
    target = tmp_path / "new"
    result = runner.invoke(cli, ["batch", str(CRAMP), "-o", f"{target}/"])
    assert result.exit_code == 2 and not target.exists()
    assert result.stderr == f"triage: error: cannot write {target}/: a file name cannot end with '/'\n"
    assert ".triage-" not in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "report"])
def test_compare_rules_reports_an_answer_set_only_the_new_rules_accept(runner, tmp_path, fmt):
    new = tmp_path / "new"
    shutil.copytree(MINI, new)
    questions = new / "questionnaire.yaml"
    questions.write_text(questions.read_text().replace(
        "      - {id: repeat, label: It tightens and lets go over and over}\n",
        "      - {id: repeat, label: It tightens and lets go over and over}\n"
        "      - {id: buzz, label: A buzzing feeling}\n",
    ))
    answers = tmp_path / "in.jsonl"
    answers.write_text('{"id": "new-option", "feeling": "buzz"}\n{"id": "same", "feeling": "flicker"}\n')
    result = runner.invoke(cli, ["batch", str(answers), "--rules", str(new), "--compare-rules", str(MINI),
                                 "-j", "1", "-f", fmt])
    assert result.exit_code == 0, result.stderr
    assert "changed: 0 more urgent, 0 less urgent, 0 reclassified, 0 advice changed, 1 accepted now" in result.stderr
    if fmt == "jsonl":
        [change] = _records(result)
        assert change["id"] == "new-option" and change["change"] == "accepted now"
        assert change["old"] == {"error": "field 'feeling': the answer is not one of the options (flicker, locked, repeat)"}
        assert change["new"]["urgency"]
    else:
        assert "(accepted now): not accepted (field 'feeling': the answer is not one of the options" in result.stdout
