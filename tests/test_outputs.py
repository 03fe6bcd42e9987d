"""Outputs never replace what is not theirs (-o, --save, rules docs -o), and a failed write is
never a success.

The device cases use device nodes made in the test's own folder (null and full), never the
machine's /dev/null or /dev/full: a regression would otherwise replace those for everyone.
Making a device node needs root; elsewhere those cases are skipped."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading

import pytest

from triage.cli import cli
from triage.files import open_output

from .conftest import EXAMPLES

ONE = str(EXAMPLES / "eyelid-twitch-coffee.yaml")


def batch(runner, *args):
    return runner.invoke(cli, ["batch", ONE, "-j", "1", "-f", "jsonl", *map(str, args)])


def device(folder, name: str, minor: int):
    """A character device like /dev/null (minor 3) or /dev/full (minor 7), in `folder`."""
    path = folder / name
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        with open(path, "w") as probe:
            probe.write("")
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return path


def test_a_null_device_stays_a_device(runner, tmp_path):
    null = device(tmp_path, "null", 3)
    result = batch(runner, "-o", null)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat(null).st_mode)


@pytest.mark.parametrize("command", [["batch", ONE, "-j", "1", "-o"], ["rules", "docs", "-o"]])
def test_a_full_device_is_an_error_not_a_success(runner, tmp_path, command):
    full = device(tmp_path, "full", 7)
    result = runner.invoke(cli, [*command, str(full)])
    assert result.exit_code == 2
    assert f"cannot write {full}: No space left on device" in result.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_dash_means_standard_output(runner):
    result = batch(runner, "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["id"] == "eyelid-twitch-coffee"


@pytest.mark.parametrize("name", ["-", "/dev/stdout", "/dev/fd/1"])
def test_standard_output_names_are_never_renamed_over(name):
    out = open_output(name)  # nothing is written: a regression must not replace /dev/stdout
    try:
        assert out.file is sys.stdout
    finally:
        out.abort()


def test_a_fifo_is_written_straight_and_its_reader_gets_everything(runner, tmp_path):
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = batch(runner, "-o", fifo)
    reader.join(timeout=60)  # bounds a hang only: the reader ends when the writer closes
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO is still a FIFO"
    assert json.loads(received[0].splitlines()[0])["id"] == "eyelid-twitch-coffee"


def test_a_symlink_keeps_pointing_at_the_file_it_names(runner, tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    result = batch(runner, "-o", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text().splitlines()[0])["id"] == "eyelid-twitch-coffee"


def test_a_dangling_symlink_and_a_socket_are_refused_with_one_line(runner, tmp_path):
    dangling = tmp_path / "nowhere.jsonl"
    dangling.symlink_to(tmp_path / "missing" / "x.jsonl")
    result = batch(runner, "-o", dangling)
    assert result.exit_code == 2 and dangling.is_symlink()
    assert result.stderr.strip().endswith("it is a symbolic link to nothing")
    docs = runner.invoke(cli, ["rules", "docs", "-o", str(dangling)])
    assert docs.exit_code == 2 and "symbolic link to nothing" in docs.stderr


def test_save_into_a_fifo_does_not_replace_it(runner, tmp_path):
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    chunks: list[str] = []

    def read_all() -> None:
        while True:  # each save opens, writes and closes the FIFO once
            with open(fifo, encoding="utf-8") as f:
                text = f.read()
            chunks.append(text)
            if "alarm_now" in text and "none" in text and "feeling" in text:
                return

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    result = runner.invoke(cli, ["ask", "--save", str(fifo), "--format", "json"], input="14\n1\n" + "\n" * 30)
    reader.join(timeout=60)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert any("feeling: flicker" in c for c in chunks), (chunks, result.stderr)


def test_out_dir_is_private_and_a_planted_link_is_replaced_not_followed(runner, tmp_path):
    from triage.batchrun import safe_name

    answers = tmp_path / "in"
    answers.mkdir()
    (answers / "a.yaml").write_text("id: a\nfeeling: flicker\n")
    (answers / "b.yaml").write_text("id: b\nfeeling: locked\n")
    out = tmp_path / "out"
    first = runner.invoke(cli, ["batch", str(answers), "-j", "1", "-o", str(tmp_path / "r.jsonl"), "--out-dir", str(out)])
    assert first.exit_code == 0, first.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    name_a = safe_name("a", ".txt", key=f"a\n{answers / 'a.yaml'}")
    name_b = safe_name("b", ".txt", key=f"b\n{answers / 'b.yaml'}")
    assert sorted(p.name for p in out.iterdir()) == sorted([name_a, name_b])
    b_result = (out / name_b).read_text()
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    (out / name_a).unlink()
    (out / name_a).symlink_to(out / name_b)  # a planted link: writing a's result through it would erase b's
    again = runner.invoke(cli, ["batch", str(answers / "a.yaml"), "-j", "1", "-o", str(tmp_path / "r2.jsonl"),
                                "--out-dir", str(out)])
    assert again.exit_code == 0, again.stderr
    assert not (out / name_a).is_symlink() and "twitch" in (out / name_a).read_text()
    assert (out / name_b).read_text() == b_result, "the other record's result is untouched"
    assert outside.read_text() == "not yours"


def test_names_that_differ_only_in_undecodable_bytes_stay_apart(runner, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for raw in (b"\xff.yaml", b"\\xff.yaml"):
        with open(os.path.join(os.fsencode(folder), raw), "w") as f:
            f.write("feeling: flicker\n")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["batch", str(folder), "-j", "1", "-f", "jsonl", "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert len(sources) == 2 and len(set(sources)) == 2, sources
    assert len(list(out.iterdir())) == 2


HOSTILE_IDS = ['a\ud800b', "=cmd|' /C calc'!A0", "x\ry", "\tstarts with a tab", "x\u202ez", "x\x1b]0;title\x07y", "café"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "report", "html"])
def test_hostile_ids_never_cost_the_run_nor_reach_a_terminal_or_spreadsheet(runner, tmp_path, fmt):
    lines = [json.dumps({"id": rid, "feeling": "flicker"}) for rid in HOSTILE_IDS]
    source = tmp_path / "ids.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(cli, ["batch", str(source), "-j", "2", "-f", fmt])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b" not in out and "\u202e" not in out and "\ud800" not in out
    if fmt == "jsonl":
        assert [json.loads(line)["id"] for line in out.splitlines()] == HOSTILE_IDS
    if fmt == "csv":
        import csv
        import io

        rows = list(csv.reader(io.StringIO(out)))[1:]
        assert len(rows) == len(HOSTILE_IDS), "a line break in an id never splits a row"
        ids = [row[1] for row in rows]
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
        assert ids[1].startswith("'=") and ids[2] == "x\\x0dy" and ids[3].startswith("'\\x09")
    if fmt == "report":
        assert "u202e" in out and "ud800b" in out, "shown as escapes, not dropped"


def test_ascii_only_output_still_gets_every_record(tmp_path):
    import subprocess
    import sys as _sys

    source = tmp_path / "ids.jsonl"
    source.write_text("\n".join(json.dumps({"id": rid, "feeling": "flicker"}) for rid in HOSTILE_IDS) + "\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for fmt in ("jsonl", "csv", "report"):
        done = subprocess.run([_sys.executable, "-m", "triage", "batch", str(source), "-j", "1", "-f", fmt],
                              capture_output=True, env=env, timeout=120)
        assert done.returncode == 0, (fmt, done.stderr)
        assert done.stdout.isascii() or fmt != "jsonl"


def test_markdown_reports_leave_no_bare_link_live():
    from triage.render import markdown_text

    assert "http://" not in markdown_text("go to http://evil.example now")
    assert "www." not in markdown_text("or www.evil.example")


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    """`triage batch big.jsonl | head -1`: no traceback, no error line, exit 141 (as after SIGPIPE)."""
    import subprocess
    import sys as _sys

    source = tmp_path / "many.jsonl"
    source.write_text('{"feeling": "flicker"}\n' * 20000)
    proc = subprocess.Popen([_sys.executable, "-m", "triage", "batch", str(source), "-j", "2", "-f", "jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["ok"] is True
    proc.stdout.close()  # the reader goes away, as head does
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b"", err
