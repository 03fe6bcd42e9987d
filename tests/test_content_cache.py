"""The content cache (triage.contentcache): faster start-up that never changes a result.

Every test gives the cache a folder of its own and watches what the library and the CLI do:
an edit to any content file is seen at once (even one that keeps the size and the time), bad
content is never cached, and a cache entry that is damaged or that someone else could have
written is never used.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from triage import Triage, load_content
from triage.cli import cli
from triage.errors import ContentError

from .conftest import ENGINES, MINI, SHIPPED

LONG_CRAMP = {"feeling": "locked", "minutes": 25, "stretch_helps": "no"}


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def content_copy(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(MINI, copy)
    return copy


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("content-*.pickle") if not p.stem.endswith("-durable"))


def test_a_second_load_comes_from_the_private_cache_and_is_the_same(cache):
    first = load_content(SHIPPED)
    [entry] = _entries(cache)
    assert oct(cache.stat().st_mode & 0o777) == "0o700" and oct(entry.stat().st_mode & 0o777) == "0o600"
    with entry.open("rb") as file:
        assert pickle.load(file) == first  # noqa: S301 - the test's own cache
    assert load_content(SHIPPED) == first
    assert _entries(cache) == [entry]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_edit_that_keeps_size_and_time_is_still_seen(cache, content_copy, engine):
    rules = content_copy / "rules" / "a.yaml"
    assert Triage(load_content(content_copy), engine).evaluate(LONG_CRAMP).urgency == "routine"
    before = rules.stat()
    rules.write_text(rules.read_text().replace("at_least: 30", "at_least: 20"))  # same size
    os.utime(rules, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert rules.stat().st_size == before.st_size
    assert Triage(load_content(content_copy), engine).evaluate(LONG_CRAMP).urgency == "urgent"


def test_content_with_problems_is_never_cached_and_always_reported(cache, content_copy):
    rules = content_copy / "rules" / "a.yaml"
    rules.write_text(rules.read_text().replace("at_least: 30", "at_most: lots"))
    for _ in range(2):
        with pytest.raises(ContentError) as caught:
            load_content(content_copy)
        assert "a.yaml:12:" in str(caught.value)
    assert _entries(cache) == []


def test_a_damaged_entry_is_rebuilt(cache):
    expected = load_content(SHIPPED)
    [entry] = _entries(cache)
    entry.write_bytes(b"not a pickle")
    assert load_content(SHIPPED) == expected
    with entry.open("rb") as file:
        assert pickle.load(file) == expected  # noqa: S301 - written again


def test_an_entry_others_could_have_written_is_never_read(cache, content_copy):
    """A planted entry (here: other content under the right name) is used only when it is
    private: a file writable by the group or others, or a shared folder, is passed over."""
    real = load_content(content_copy)
    [entry] = _entries(cache)
    planted = load_content(SHIPPED)
    entry.write_bytes(pickle.dumps(planted))
    entry.chmod(0o664)
    assert load_content(content_copy) == real
    entry.write_bytes(pickle.dumps(planted))
    entry.chmod(0o600)
    cache.chmod(0o777)
    assert load_content(content_copy) == real
    cache.chmod(0o700)
    assert load_content(content_copy) == planted, "the same entry, private, is read: the checks above are what refused it"


def test_turned_off_or_unusable_the_cache_writes_nothing_and_costs_nothing(runner, tmp_path, monkeypatch):
    example = sorted((SHIPPED.parent / "examples").glob("*.json"))[0]
    expected = runner.invoke(cli, ["check", str(example)]).stdout
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path / "off"))
    monkeypatch.setenv("TRIAGE_NO_CACHE", "1")
    assert runner.invoke(cli, ["check", str(example)]).stdout == expected
    assert not (tmp_path / "off").exists()
    monkeypatch.delenv("TRIAGE_NO_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for unusable in (blocker, blocker / "below", "relative/folder"):
        monkeypatch.setenv("TRIAGE_CACHE_DIR", str(unusable))
        result = runner.invoke(cli, ["check", str(example)])
        assert (result.exit_code, result.stdout, result.stderr) == (0, expected, "")
    assert not Path("relative").exists()


def test_an_edited_template_is_used_at_once(runner, cache, content_copy, tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: locked\nminutes: 3\n")
    args = ["check", str(answers), "--rules", str(content_copy)]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0 and list(cache.glob("template-*.cache"))
    template = content_copy / "templates" / "result.text.j2"
    template.write_text("EDITED " + template.read_text())
    assert runner.invoke(cli, args).stdout == "EDITED " + first.stdout


def test_the_same_folder_named_two_ways_keeps_each_name(cache, content_copy, monkeypatch, runner, tmp_path):
    """Paths in the content are the ones given: `--rules rules` from above and `--rules .` from
    inside must not share an entry (the second found no templates and no authors' tests)."""
    monkeypatch.chdir(content_copy.parent)
    assert load_content("content").root == Path("content")
    monkeypatch.chdir(content_copy)
    assert load_content(".").root == Path(".")
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: locked\nminutes: 3\n")
    assert runner.invoke(cli, ["check", str(answers), "--rules", "."]).exit_code == 0
    tested = runner.invoke(cli, ["rules", "test", "--rules", "."])
    assert tested.exit_code == 0 and "0 cases" not in tested.stdout + tested.stderr


def test_a_file_saved_while_the_content_loads_is_not_cached_under_its_old_text(cache, content_copy):
    from triage.contentcache import cached

    rules = content_copy / "rules" / "a.yaml"
    original = rules.read_text()

    def files() -> list[Path]:
        return [rules]

    def build_while_an_editor_saves(key: str | None) -> str:
        rules.write_text(original.replace("at_least: 30", "at_least: 20"))  # saved mid-load
        return "built from the new text"

    assert cached(content_copy, files, build_while_an_editor_saves, str) == "built from the new text"
    rules.write_text(original)  # the author takes it back: the old text's key must not hold the new value
    assert cached(content_copy, files, lambda key: "built from the old text", str) == "built from the old text"


def test_a_huge_content_file_is_reported_not_read_into_memory(cache, content_copy):
    """A 3 GB (sparse) rules file under a 1.5 GB memory limit: the cache key must not read it
    whole (that was a MemoryError traceback); loading reports it as too large, in one line."""
    import resource
    import subprocess
    import sys

    huge = content_copy / "rules" / "zz.yaml"
    with huge.open("wb") as file:
        file.truncate(3 * 1024**3)

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024**2, 1536 * 1024**2))

    result = subprocess.run([sys.executable, "-m", "triage", "rules", "validate", "--rules", str(content_copy)],
                            capture_output=True, text=True, timeout=120, preexec_fn=limit_memory)
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr, result.stderr[-500:]
    assert "larger than 5 MiB" in result.stdout + result.stderr
