"""`triage batch`: every input format, one output record per input record, in order."""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

import triage
from triage.cli import cli

from . import responses
from .conftest import EXAMPLES, MINI, TESTS
from .processes import HANG, ctrl_c_reaches_it, started, wait_for

BATCH = TESTS / "batch"


def batch(runner, *args, input=None):
    return runner.invoke(cli, ["batch", "--rules", str(MINI), *map(str, args)], input=input, catch_exceptions=False)


def lines(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_jsonl_keeps_order_and_turns_bad_lines_into_error_records(runner):
    result = batch(runner, BATCH / "answers.jsonl", "-j", "1")
    assert result.exit_code == 2
    out = lines(result)
    assert [o["source"] for o in out] == [f"{BATCH}/answers.jsonl:{n}" for n in (1, 2, 3, 5, 6, 7)]
    assert [o["ok"] for o in out] == [True, True, False, False, True, False]
    assert out[1]["urgency"] == "urgent" and out[1]["id"] == "a2"
    assert "JSON syntax error" in out[2]["error"]
    assert "the answer is not one of the options" in out[3]["error"] and out[3]["id"] == "a4"
    assert "wobbly" not in json.dumps(out), "an error record names the field, never the answer"
    assert "expected a mapping" in out[5]["error"]
    assert "read 6 records: 3 triaged, 3 errors" in result.stderr


def test_csv_rows_with_several_choices_and_a_bad_row(runner):
    result = batch(runner, BATCH / "answers.csv", "-j", "1")
    out = lines(result)
    assert [o["id"] for o in out] == ["c1", "c2", "c3", "c4", "c5"]
    assert [o["source"].rsplit(":", 1)[1] for o in out] == ["row 2", "row 3", "row 4", "row 5", "row 6"]
    assert out[2]["urgency"] == "emergency"
    assert not out[3]["ok"] and "the answer is not one of the options" in out[3]["error"]
    assert out[4]["ok"] and out[4]["classification"] == "spasm"


def test_fhir_bundle_and_single_response(runner):
    result = batch(runner, BATCH / "responses.bundle.json", BATCH / "single-response.json", "-j", "1")
    out = lines(result)
    assert len(out) == 3
    assert out[0]["ok"] and out[0]["urgency"] == "urgent" and out[0]["id"] == "fhir-good"
    assert not out[1]["ok"] and "colour" in out[1]["error"] and "entry 2" in out[1]["source"]
    assert out[2]["ok"] and out[2]["urgency"] == "emergency"


def test_empty_and_binary_files_are_error_records(runner):
    result = batch(runner, BATCH / "empty.jsonl", BATCH / "binary.json", "-j", "1")
    out = lines(result)
    assert len(out) == 2 and not any(o["ok"] for o in out)
    assert "no answer records" in out[0]["error"]
    assert "binary file" in out[1]["error"]
    assert result.exit_code == 2


def test_folders_recurse_and_counts_in_equal_counts_out(runner, tmp_path):
    shutil.copytree(TESTS / "answers", tmp_path / "answers")
    files = sorted(p for p in (tmp_path / "answers").rglob("*") if p.suffix in (".yaml", ".json"))
    result = batch(runner, tmp_path / "answers", "-j", "2")
    out = lines(result)
    assert [o["source"] for o in out] == [str(p) for p in files]
    assert sum(o["ok"] for o in out) == len(list((tmp_path / "answers" / "good").iterdir()))


def test_order_is_kept_with_several_jobs(runner, tmp_path):
    source = tmp_path / "many.jsonl"
    feelings = ["flicker", "locked", "repeat"]
    with source.open("w") as f:
        for i in range(1500):
            f.write(json.dumps({"id": f"r{i}", "feeling": feelings[i % 3], "minutes": i % 90}) + "\n")
    one = lines(batch(runner, source, "-j", "1"))
    two = lines(batch(runner, source, "-j", "2"))
    assert [o["id"] for o in two] == [f"r{i}" for i in range(1500)]
    assert two == one


def test_stdin_is_json_lines(runner):
    result = batch(runner, "-", "-j", "1", input='{"feeling": "flicker"}\n{"feeling": "locked"}\n')
    assert [o["source"] for o in lines(result)] == ["<stdin>:1", "<stdin>:2"]


def test_csv_and_report_formats(runner):
    csv_out = batch(runner, BATCH / "answers.csv", "-j", "1", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "source,id,classification,urgency,headline,error,notes"
    assert len(csv_out) == 6
    report = batch(runner, BATCH / "answers.csv", "-j", "1", "--format", "report").stdout
    assert report.index("| emergency |") < report.index("| self_care |")
    records = report.split("## Records, most urgent first")[1]
    assert records.index("emergency") < records.index("urgent") < records.index("routine")
    assert "row 5" in report.split("## Errors")[1]
    page = batch(runner, BATCH / "answers.csv", "-j", "1", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page


def test_fail_on(runner):
    result = batch(runner, BATCH / "single-response.json", "-j", "1", "--fail-on", "urgent")
    assert result.exit_code == 1
    result = batch(runner, BATCH / "single-response.json", "-j", "1", "--fail-on", "emergency")
    assert result.exit_code == 1
    ok = batch(runner, "-", "-j", "1", "--fail-on", "urgent", input='{"feeling": "flicker"}\n')
    assert ok.exit_code == 0


@pytest.mark.parametrize("hostile", ["../../x", "/etc/passwd", "a" * 5000, "..", ".", "", "con:\u0000\n<b>"])
def test_out_dir_names_stay_inside_the_folder(runner, tmp_path, hostile):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": hostile, "feeling": "flicker"}) + "\n")
    out_dir = tmp_path / "out"
    result = batch(runner, source, "-j", "1", "--out-dir", out_dir)
    assert result.exit_code == 0, result.output
    written = list(out_dir.iterdir())
    assert len(written) == 1
    assert written[0].parent == out_dir and len(written[0].name) < 120
    assert written[0].read_text().startswith("This sounds like a muscle twitch.")
    assert oct(written[0].stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out"]


def test_output_file_is_written_atomically(runner, tmp_path):
    target = tmp_path / "results.jsonl"
    target.write_text("old complete file\n")
    result = batch(runner, BATCH / "answers.csv", "-j", "1", "-o", target)
    assert len(target.read_text().splitlines()) == 5
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory):
    """`triage batch - -o FILE` stopped with Ctrl-C (SIGINT) in the middle of its output.

    Records come from a pipe that stays open, so the run cannot finish on its own: it is
    interrupted once the temporary output file has records in it.
    """
    folder = tmp_path_factory.mktemp("interrupted")
    target = folder / "results.jsonl"
    target.write_text("old complete file\n")
    command = [sys.executable, "-m", "triage", "batch", "-", "--rules", str(MINI), "-j", "1", "-o", str(target)]
    with started(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                 preexec_fn=ctrl_c_reaches_it) as proc:
        proc.stdin.write(b'{"feeling": "flicker", "minutes": 1}\n' * 2000)  # more than one write buffer of results
        proc.stdin.flush()

        def partly_written_or_stopped():
            return proc.poll() is not None or any(
                p.name.startswith(".triage-") and p.stat().st_size > 0 for p in folder.iterdir())

        wait_for(partly_written_or_stopped, "records in the temporary output file")
        assert proc.returncode is None, proc.stderr.read().decode()[-500:]
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=HANG)
        stderr = proc.stderr.read().decode()
    return returncode, stderr, target.read_text(), sorted(p.name for p in folder.iterdir())


def test_an_interrupted_run_leaves_the_old_output(interrupted_run):
    returncode, stderr, text, names = interrupted_run
    assert "Traceback" not in stderr, stderr  # the exit code: the next test
    assert text == "old complete file\n"
    assert names == ["results.jsonl"], "the temporary file is removed"


def test_an_interrupted_run_exits_130_with_one_line(interrupted_run):
    returncode, stderr, _, _ = interrupted_run
    assert returncode == 130, (returncode, stderr)
    assert "triage: stopped: interrupted" in stderr and "Traceback" not in stderr, stderr


def test_compare_rules_lists_only_changed_records_with_the_rules(runner, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(MINI, new, symlinks=False)
    rules = new / "rules" / "a.yaml"
    rules.write_text(rules.read_text().replace("at_least: 30", "at_least: 20"))
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "same", "feeling": "flicker"}\n'
        '{"id": "changes", "feeling": "locked", "minutes": 25, "stretch_helps": "no"}\n'
        '{"id": "same-long", "feeling": "locked", "minutes": 45, "stretch_helps": "no"}\n'
    )
    result = runner.invoke(cli, ["batch", str(source), "--rules", str(new), "--compare-rules", str(MINI), "-j", "1"],
                           catch_exceptions=False)
    out = lines(result)
    assert [o["id"] for o in out] == ["changes"]
    assert out[0]["change"] == "more urgent"
    assert out[0]["old"]["urgency"] == "routine" and out[0]["new"]["urgency"] == "urgent"
    assert out[0]["rules_only_new"] == ["long-cramp"] and out[0]["rules_only_old"] == []
    assert "changed: 1 more urgent, 0 less urgent, 0 reclassified, 0 advice changed" in result.stderr


def test_check_record_is_the_library_entry_point():
    from triage.batch import check_record
    from triage.records import Record

    first = check_record(Record("x", "1", {"feeling": "locked", "minutes": 45, "stretch_helps": "no"}), str(MINI))
    again = check_record(Record("x", "1", {"feeling": "locked", "minutes": 45, "stretch_helps": "no"}), str(MINI))
    assert first == again and first.ok and first.record()["urgency"] == "urgent"
    bad = check_record(Record("y", None, {"feeling": "wobbly"}), str(MINI))
    assert bad.ok is False and bad.record()["ok"] is False and "not one of the options" in bad.error
    assert "wobbly" not in bad.error


def test_a_dying_worker_never_leaves_a_silent_gap(tmp_path, monkeypatch):
    """A record that kills its worker comes back as an error record; the rest are checked."""
    import multiprocessing

    from triage import batch as batch_module
    from triage.records import Record

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the deadly stand-in reaches workers only when they are forked")

    records = [Record(f"r{i}", str(i), {"feeling": "flicker"}) for i in range(600)]
    records[250] = Record("killer", "250", {"feeling": "flicker", "minutes": 13.37})
    real = batch_module.check_record

    def deadly(record, **options):
        if record.raw and record.raw.get("minutes") == 13.37:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(record, **options)

    monkeypatch.setattr(batch_module, "check_record", deadly)
    monkeypatch.setattr(batch_module, "CHUNK", 50)
    out = list(batch_module.run(records, jobs=2, rules_dir=str(MINI)))
    assert [o.source for o in out] == [r.source for r in records]
    failed = [o.source for o in out if not o.ok]
    assert "killer" in failed and len(failed) == 50
    assert all(o.ok for o in out[:200]) and all(o.ok for o in out[300:])


def test_a_repeated_csv_column_is_refused_not_silently_dropped(runner, tmp_path):
    source = tmp_path / "dup.csv"
    source.write_text("alarms,alarms,feeling\nbreathing,none,locked\n")
    result = batch(runner, source, "-j", "1")
    out = lines(result)
    assert result.exit_code == 2 and len(out) == 1 and "repeats column 'alarms'" in out[0]["error"]


def test_csv_true_false_header_only_and_empty_cells(runner, tmp_path):
    source = tmp_path / "tf.csv"
    source.write_text("feeling,stretch_helps,minutes,alarms\nlocked,false,45,;\n")
    out = lines(batch(runner, source, "-j", "1"))
    assert out[0]["ok"] and out[0]["urgency"] == "urgent"
    header_only = tmp_path / "header.csv"
    header_only.write_text("feeling,minutes\n")
    result = batch(runner, header_only, "-j", "1")
    assert result.exit_code == 2 and "no answer rows" in lines(result)[0]["error"]


def test_records_sharing_an_id_get_separate_result_files(runner, tmp_path):
    source = tmp_path / "same.jsonl"
    source.write_text('{"id": "p1", "alarms": ["chest"]}\n{"id": "p1", "feeling": "flicker"}\n')
    batch(runner, source, "-j", "1", "--out-dir", tmp_path / "out")
    assert len(list((tmp_path / "out").iterdir())) == 2


def test_empty_folder_bad_pattern_and_odd_file_names(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    result = batch(runner, tmp_path / "empty", "-j", "1")
    assert result.exit_code == 2 and "no answer files" in result.stdout and "Traceback" not in result.stderr
    result = batch(runner, tmp_path / "empty", "--pattern", "/abs/*.yaml", "-j", "1")
    assert result.exit_code == 2 and "--pattern" in result.stderr
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / os.fsdecode(b"caf\xe9.yaml")).write_text("feeling: flicker\n")
    result = batch(runner, odd, "-j", "1", "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out.jsonl").read_text())["source"].endswith("caf\\xe9.yaml")


def test_out_dir_and_plain_runs_give_the_same_records(runner, tmp_path):
    plain = lines(batch(runner, BATCH / "answers.csv", "-j", "1"))
    with_files = lines(batch(runner, BATCH / "answers.csv", "-j", "1", "--out-dir", tmp_path / "out"))
    assert plain == with_files


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_a_line_at_the_length_limit_never_swallows_the_next_record(runner, tmp_path, ending):
    from triage.records import MAX_LINE

    head = b'{"id": "big", "feeling": "flicker", "pad": "'
    big = head + b"x" * (MAX_LINE - len(head) - 2 - (len(ending) - 1)) + b'"}'
    source = tmp_path / "edge.jsonl"
    source.write_bytes(b'{"id": "first"}' + ending + big + ending + b'{"id": "next", "alarms": ["breathing"]}' + ending)
    out = lines(batch(runner, source, "-j", "1"))
    assert [o["id"] for o in out] == ["first", "big", "next"]  # the long line is read whole (it is an error: "pad")
    assert [o["source"].rsplit(":", 1)[1] for o in out] == ["1", "2", "3"]
    assert out[2]["urgency"] == "emergency"
    longer = tmp_path / "longer.jsonl"
    longer.write_bytes(big[:-2] + b"xx" * 10 + b'"}' + ending + b'{"id": "after"}' + ending)
    out = lines(batch(runner, longer, "-j", "1"))
    assert [o.get("id") for o in out] == [None, "after"] and "longer than" in out[0]["error"]


def test_report_shows_ids_and_errors_as_plain_text(runner, tmp_path):
    source = tmp_path / "inj.jsonl"
    source.write_text(json.dumps({"id": "![x](https://e.example/t.png) [Call](https://e.example) **stay home**",
                                  "feeling": "flicker"}) + "\n")
    report = batch(runner, source, "-j", "1", "--format", "report").stdout
    assert "](" not in report and "**stay" not in report
    assert "\\[Call\\]" in report


def test_no_progress_line_when_stderr_is_not_a_terminal(runner):
    result = batch(runner, BATCH / "answers.csv", "-j", "1")
    assert "records..." not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("read 5 records: 4 triaged, 1 error;")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_region_reaches_every_record_and_an_unknown_one_stops_first(runner, tmp_path, jobs):
    out = tmp_path / "out.jsonl"
    result = runner.invoke(cli, ["batch", str(EXAMPLES), "--region", "au", "-j", jobs, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    headlines = [json.loads(line)["headline"] for line in out.read_text().splitlines()]
    assert "Call your emergency number now (000)." in headlines
    bad = runner.invoke(cli, ["batch", str(EXAMPLES), "--region", "zz", "-o", str(tmp_path / "none.jsonl")])
    assert bad.exit_code == 2 and "unknown region 'zz'" in bad.stderr
    assert not (tmp_path / "none.jsonl").exists()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_clean_up_the_output_and_the_workers(tmp_path, signum, code):
    """Only the main process gets the signal (as with `kill PID`); its workers must not outlive it
    (they would hold the caller's pipes open: reading stderr to its end proves they are gone)."""
    target = tmp_path / "results.jsonl"
    target.write_text("old complete file\n")
    command = [sys.executable, "-m", "triage", "batch", "-", "--rules", str(MINI), "-j", "2", "-o", str(target)]
    with started(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        proc.stdin.write(b'{"feeling": "flicker", "minutes": 1}\n' * 3000)
        proc.stdin.flush()
        wait_for(lambda: proc.poll() is not None or any(
            p.name.startswith(".triage-") and p.stat().st_size > 0 for p in tmp_path.iterdir()), "records written")
        assert proc.returncode is None
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=HANG)  # ends only when no worker holds the pipe
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr.decode() and f"triage: stopped: {signal.Signals(signum).name}" in stderr.decode()
    assert target.read_text() == "old complete file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


def test_an_empty_folder_is_an_error_record_and_the_inputs_after_it_are_read(runner, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["batch", str(EXAMPLES / "eyelid-twitch-coffee.yaml"), str(empty),
                                 str(EXAMPLES / "night-calf-cramps.json"), "-j", "1", "-f", "jsonl"])
    assert result.exit_code == 2, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["ok"] for r in records] == [True, False, True]
    assert records[1] == {"source": str(empty), "id": None, "ok": False, "error": "no answer files in this folder"}
    assert "read 3 records: 2 triaged, 1 error;" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_deeply_nested_file_is_one_error_record_with_any_number_of_jobs(runner, tmp_path, jobs):
    deep = tmp_path / "deep.json"
    deep.write_text('{"feeling": "flicker", "x": ' + '[' * 600 + ']' * 600 + '}')
    result = runner.invoke(cli, ["batch", str(deep), str(EXAMPLES / "eyelid-twitch-coffee.yaml"), "-j", jobs, "-f", "jsonl"])
    assert result.exit_code == 2, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["error"] == "the data is nested more than 40 levels deep" and records[1]["ok"] is True


@pytest.mark.parametrize("levels", [40, 600])
def test_a_deeply_nested_json_lines_record_is_an_error_record(runner, tmp_path, levels):
    """41 levels (the mapping and 40 lists) is the least that is refused."""
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"feeling": "flicker", "x": ' + "[" * levels + "]" * levels + '}\n{"feeling": "flicker"}\n')
    result = runner.invoke(cli, ["batch", str(lines), "--rules", str(MINI), "-j", "1", "-f", "jsonl"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["error"] == "the data is nested more than 40 levels deep" and records[1]["ok"] is True


def test_skipping_an_endless_line_uses_bounded_memory(tmp_path):
    """/dev/zero-like input: one line that never ends. Memory stays bounded (the process is
    limited to 300 MB of address space beyond start-up) and the run ends when the input does."""
    import resource

    big = tmp_path / "huge.jsonl"
    with open(big, "wb") as f:
        chunk = b"x" * (1 << 20)
        for _ in range(400):  # a 400 MB line, then a good record
            f.write(chunk)
        f.write(b'\n{"feeling": "flicker", "minutes": 1}\n')

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (600 * 1024 * 1024, 600 * 1024 * 1024))

    done = subprocess.run([sys.executable, "-m", "triage", "batch", str(big), "--rules", str(MINI), "-j", "1", "-f", "jsonl"],
                          capture_output=True, preexec_fn=limit, timeout=HANG)
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert done.returncode == 2, done.stderr.decode()[-500:]
    assert [r["ok"] for r in records] == [False, True] and "longer than" in records[0]["error"]


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_compare_rules_refuses_a_format_it_cannot_write(runner, fmt):
    result = runner.invoke(cli, ["batch", str(EXAMPLES), "--compare-rules", str(MINI), "-f", fmt])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"--compare-rules writes jsonl or report, not {fmt}" in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "report"])
def test_compare_rules_keeps_every_error_record(runner, tmp_path, fmt):
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeling: bogus\n")
    good = tmp_path / "ok.yaml"
    good.write_text("feeling: locked\nminutes: 3\n")
    result = runner.invoke(cli, ["batch", str(bad), str(good), "--rules", str(MINI), "--compare-rules", str(MINI),
                                 "-j", "1", "-f", fmt])
    assert result.exit_code == 2
    assert str(bad).replace("_", "\\_") in result.stdout or str(bad) in result.stdout, "the error record is written"
    assert "not one of the options" in result.stdout


def test_reports_are_dated_labelled_and_counted_in_words(runner, tmp_path, shipped):
    one = tmp_path / "one.yaml"
    one.write_text((EXAMPLES / "eyelid-twitch-coffee.yaml").read_text())
    made = f"by muscle-triage {triage.__version__}, rules version {shipped.fingerprint}"
    for fmt in ("text", "report", "html"):
        result = runner.invoke(cli, ["batch", str(one), "-j", "1", "--format", fmt], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert made in result.stdout.replace("\\", ""), fmt
        assert "1 record: 1 triaged, 0 errors." in result.stdout, fmt
        assert result.stderr.startswith("read 1 record: 1 triaged, 0 errors;")
    page = runner.invoke(cli, ["batch", str(one), "-j", "1", "-f", "html"]).stdout
    assert "<caption>Records by urgency</caption>" in page and "<caption>Records by classification</caption>" in page
    assert "tr{break-inside:avoid" in page
    text = runner.invoke(cli, ["batch", str(one), "-j", "1", "-f", "text"]).stdout
    assert "|" not in text and "\\." not in text, "the text report is not Markdown"
    assert runner.invoke(cli, ["batch", str(one), "-j", "1", "-f", "MD"]).stdout.startswith("# Triage report")


@pytest.mark.parametrize("fmt, heading", [("report", "## Records with notes"), ("text", "RECORDS WITH NOTES"),
                                          ("html", "<h2>Records with notes</h2>")])
def test_reports_show_the_notes_of_each_record_that_has_any(runner, tmp_path, shipped, fmt, heading):
    """A report lists each record's notes (an unfinished response, one saved for other
    questions) under its source, escaped as the format needs; records without notes add nothing."""
    noted = tmp_path / "noted.json"
    hostile = "0.0.9+<b>x</b>*y*"  # the version a file names is the file's own text
    noted.write_text(json.dumps(responses.bundle(
        responses.unfinished(shipped), responses.finished(shipped), responses.for_another_version(shipped, version=hostile))))
    def shipped_batch(path):
        return runner.invoke(cli, ["batch", str(path), "-j", "1", "--format", fmt], catch_exceptions=False).stdout

    report = shipped_batch(noted)
    assert "3 records: 3 triaged, 0 errors. 2 records had notes." in report
    notes = report.split(heading)[1].split("rror")[0]  # up to the Errors section
    unescaped = html.unescape(notes.replace("\\", "")) if fmt != "text" else notes
    entry = f"{noted} bundle entry"
    assert f"{entry} 1: {responses.UNFINISHED_NOTE}." in unescaped
    assert f"{entry} 3: it was saved for another version of the questions ({hostile};" in unescaped
    assert f"{entry} 2" not in unescaped, "a completed response has no note"
    if fmt != "text":  # the file's text is escaped as the other fields are
        assert "<b>" not in notes and (fmt == "html" or "*y*" not in notes)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(responses.bundle(responses.finished(shipped), responses.finished(shipped))))
    report = shipped_batch(plain)
    assert "2 records: 2 triaged, 0 errors.\n" in report.replace("</p>", "\n")
    assert "with notes" not in report.lower() and "had notes" not in report, "no notes, nothing extra"
