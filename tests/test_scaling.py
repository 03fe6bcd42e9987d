"""The Dask recipe of docs/scaling.md, saved as a script and run unchanged on a local
two-worker cluster: every line equals what `triage batch` writes for the same input."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys

import pytest

from triage.cli import cli
from triage.samples import random_answers

from .conftest import ROOT

# An integration test (`pytest -m integration`, which CI runs): Dask is its own extra.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not importlib.util.find_spec("distributed") and os.environ.get("TRIAGE_REQUIRE_INTEGRATION") != "1",
                       reason="Dask is not installed (pip install -e '.[integration]')"),
]

MARK = "<!-- recipe: dask -->"


def recipe() -> str:
    text = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    return text.split(MARK, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_dask_script_gives_what_triage_batch_gives(shipped, runner, tmp_path):
    rng = random.Random(11)
    lines = [json.dumps({"id": f"r{i}", **random_answers(shipped, rng)}) for i in range(300)]
    lines.insert(150, json.dumps({"id": "bad", "feeling": "wobbly"}))  # a bad record keeps its place
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(lines) + "\n")
    script = tmp_path / "dask_batch.py"
    script.write_text(recipe())
    done = subprocess.run([sys.executable, str(script), str(answers)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)  # the timeout bounds a hang only
    assert done.returncode == 0, done.stderr[-3000:]
    batch = runner.invoke(cli, ["batch", str(answers), "-o", "-", "--format", "jsonl"])
    assert batch.exit_code == 2 and "1 error" in batch.stderr, batch.stderr  # 2: an input had an error
    expected = [json.loads(line) for line in batch.stdout.splitlines()]
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(got) == len(lines) == len(expected)
    assert got == expected
    assert got[150]["id"] == "bad" and got[150]["ok"] is False and got[0]["ok"] is True
