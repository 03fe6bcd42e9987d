"""The pre-commit hooks (.pre-commit-hooks.yaml) as a content repository uses them: pre-commit
itself (`pre-commit run`, with this checkout's HEAD as the hooks' repository), in a temporary
git repository holding a content folder in rules/. A clean folder passes; a broken rule fails
with its path, line and column. The hooks run the code of HEAD (committed), not uncommitted
changes: CI, on a clean checkout, runs exactly what is committed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SHIPPED

pytestmark = pytest.mark.integration


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=test@example.org", "-c", "user.name=test", *args], cwd=repo,
                   check=True, capture_output=True, timeout=120)


def run_hook(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess:
    """`pre-commit run` of one hook of this project's checkout (at its HEAD commit), on every
    file of `repo`, as a content repository's .pre-commit-config.yaml names it. The hook's
    environment is built once in `home` and reused."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n      - id: {hook}\n", encoding="utf-8")
    git(repo, "add", ".pre-commit-config.yaml")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", hook, "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)  # bounds a hang only


def test_the_hooks_pass_a_clean_folder_and_name_the_place_of_a_broken_rule(tmp_path):
    if os.environ.get("TRIAGE_REQUIRE_INTEGRATION") != "1":  # CI requires it; elsewhere it may be missing
        pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[integration]')")
    if not (ROOT / ".git").exists():
        pytest.skip("pre-commit needs this project as a git checkout")
    repo, home = tmp_path / "content-repo", tmp_path / "pre-commit-home"
    repo.mkdir()
    shutil.copytree(SHIPPED, repo / "rules")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "content")
    clean = run_hook(repo, home, "triage-validate")
    assert clean.returncode == 0 and "Passed" in clean.stdout, clean.stdout[-2000:] + clean.stderr[-2000:]
    rule_file = repo / "rules" / "rules" / "classification.yaml"
    rule_file.write_text(rule_file.read_text().replace("classification: twitch", "classification: wobble", 1))
    broken = run_hook(repo, home, "triage-validate")
    assert broken.returncode != 0 and "Failed" in broken.stdout, broken.stdout[-2000:]
    assert re.search(r"rules/rules/classification\.yaml:\d+:\d+: ", broken.stdout), broken.stdout[-2000:]
