"""The documentation says what the tool does: README commands, the JSON result fields."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from triage.cli import cli

from .conftest import EXAMPLES, ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick_start)


def test_readme_quick_start_is_two_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert len(commands) == 2
    install_and_run, run_tests = commands
    assert "triage check examples/" in install_and_run or "triage ask" in install_and_run
    example = re.search(r"(examples/\S+)", install_and_run)
    assert example is None or (ROOT / example.group(1)).is_file()
    assert run_tests in (ROOT / ".ci" / "run").read_text()


def test_json_result_fields_are_documented(runner):
    documented = re.findall(r"^\| `(\w+)` \|", (ROOT / "docs" / "result-schema.md").read_text(), re.M)
    example = next(p for p in sorted(EXAMPLES.iterdir()) if p.suffix == ".yaml")
    result = runner.invoke(cli, ["check", str(example), "--format", "json"], catch_exceptions=False)
    assert sorted(json.loads(result.stdout)) == sorted(documented)


def test_python_dash_m_triage_runs():
    done = subprocess.run([sys.executable, "-m", "triage", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "triage ask" in done.stdout


def test_clinical_basis_names_every_red_flag_and_only_real_rules(shipped):
    """docs/clinical-basis.md: each red flag, and each same-day or emergency rule, has its row."""
    text = (ROOT / "docs" / "clinical-basis.md").read_text()
    named = set(re.findall(r"`([a-z0-9-]+(?:-\*)?)`", text))
    rule_ids = {rule.id for rule in shipped.rules}
    for name in named:
        if name.endswith("-*"):
            assert any(r.startswith(name[:-1]) for r in rule_ids), name
        elif re.fullmatch(r"(emergency|urgent|soon|routine|self-care)-[a-z0-9-]+", name):
            assert name in rule_ids, f"docs/clinical-basis.md names {name}, which is not a rule"
    missing = [r.id for r in shipped.rules if (r.red_flag or r.urgency in ("urgent", "emergency")) and r.id not in named]
    assert missing == [], "rules without a row in docs/clinical-basis.md"
