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
