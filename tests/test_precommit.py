"""The pre-commit hooks (.pre-commit-hooks.yaml) as a content repository uses them: pre-commit
itself, in a temporary git repository holding a content folder in rules/. A clean folder
passes; a broken rule fails with its path, line and column."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SHIPPED

pytest.importorskip("pre_commit")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=test@example.org", "-c", "user.name=test", *args], cwd=repo,
                   check=True, capture_output=True, timeout=120)


def try_repo(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess:
    """`pre-commit try-repo` this project's checkout, one hook, on every file of `repo`."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)  # bounds a hang only


def test_the_hooks_pass_a_clean_folder_and_name_the_place_of_a_broken_rule(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("pre-commit try-repo needs this project as a git checkout")
    repo, home = tmp_path / "content-repo", tmp_path / "pre-commit-home"
    repo.mkdir()
    shutil.copytree(SHIPPED, repo / "rules")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "content")
    clean = try_repo(repo, home, "triage-validate")
    assert clean.returncode == 0 and "Passed" in clean.stdout, clean.stdout[-2000:] + clean.stderr[-2000:]
    rule_file = repo / "rules" / "rules" / "classification.yaml"
    rule_file.write_text(rule_file.read_text().replace("classification: twitch", "classification: wobble", 1))
    broken = try_repo(repo, home, "triage-validate")
    assert broken.returncode != 0 and "Failed" in broken.stdout, broken.stdout[-2000:]
    assert re.search(r"rules/rules/classification\.yaml:\d+:\d+: ", broken.stdout), broken.stdout[-2000:]
