"""The rules catalogue (docs/rules.md) is made from the content and kept up to date.

When a content change makes the first test fail, regenerate the catalogue with
`triage rules docs` and commit docs/rules.md together with the YAML change.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from triage.authoring.catalogue import REGENERATE, render_catalogue, write_catalogue

from .conftest import ROOT

CATALOGUE = ROOT / "docs" / "rules.md"


def test_committed_catalogue_matches_the_content(shipped):
    expected = render_catalogue(shipped)
    committed = CATALOGUE.read_text(encoding="utf-8") if CATALOGUE.is_file() else ""
    if committed != expected:
        diff = "".join(list(difflib.unified_diff(
            committed.splitlines(keepends=True), expected.splitlines(keepends=True),
            "docs/rules.md (committed)", "docs/rules.md (from the content)", n=1,
        ))[:40])
        raise AssertionError(
            f"docs/rules.md is out of date with the content in rules/.\n"
            f"Run `{REGENERATE}` (it writes docs/rules.md) and commit the result.\n\n{diff}"
        )


def test_every_question_rule_advice_and_source_is_listed(shipped):
    text = render_catalogue(shipped)
    ids = (
        [q.id for q in shipped.questions]
        + [r.id for r in shipped.rules]
        + list(shipped.advice)
        + list(shipped.sources)
    )
    missing = [i for i in ids if f"`{i}`" not in text]
    assert not missing, f"not in the catalogue: {missing}"
    for q in shipped.questions:
        assert f"### {shipped.questions.index(q) + 1}. `{q.id}`:" in text
        for option in q.options:
            assert f"`{option.id}`: " in text
    for rule in shipped.rules:
        assert f"#### `{rule.id}`" in text
    for item in shipped.advice.values():
        assert f"### `{item.id}`: " in text


def test_each_rule_points_at_the_line_that_defines_it(shipped):
    text = render_catalogue(shipped)
    places = dict(re.findall(r"^#### `([^`]+)`.*?\n\n(?:\*\*Red flag\*\*.*?\n\n)?Defined at `([^`]+)`", text, re.M))
    assert sorted(places) == sorted(r.id for r in shipped.rules)
    for rule_id, place in places.items():
        path, line = place.rsplit(":", 1)
        source = (shipped.root / path).read_text(encoding="utf-8").splitlines()
        assert re.search(rf"\bid: {re.escape(rule_id)}\s*$", source[int(line) - 1]), (rule_id, place)


def test_rules_are_grouped_most_urgent_first(shipped):
    text = render_catalogue(shipped)
    headings = re.findall(r"^### (Urgency: .*|Classification rules|Advice rules|Flag rules)$", text, re.M)
    levels = [re.search(r"\(`(\w+)`\)$", h).group(1) for h in headings if h.startswith("Urgency")]
    assert levels == ["emergency", "urgent", "soon", "routine", "self_care"]
    assert headings[len(levels):] == ["Classification rules", "Advice rules", "Flag rules"]
    red = [r for r in shipped.rules if r.red_flag]
    assert text.count("**Red flag**") == len(red)


def test_conditions_use_question_texts_and_option_labels(shipped):
    text = render_catalogue(shipped)
    alarm = shipped.question_by_id["alarm_now"]
    assert f"“{alarm.text}” (`alarm_now`) includes “{alarm.option_label('breathing')}”" in text


def test_rendering_is_deterministic_and_has_no_absolute_paths(shipped, mini):
    for content in (shipped, mini):
        first = render_catalogue(content)
        assert first == render_catalogue(content)
        assert str(content.root) not in first
        assert str(Path.home()) not in first


def test_write_catalogue_writes_the_rendering(mini, tmp_path):
    target = write_catalogue(mini, tmp_path / "docs" / "rules.md")
    assert target.read_bytes() == render_catalogue(mini).encode("utf-8")


def test_rules_docs_writes_docs_rules_md_only_where_there_is_a_docs_folder(runner, tmp_path, monkeypatch):
    from triage.cli import cli

    monkeypatch.chdir(tmp_path)
    elsewhere = runner.invoke(cli, ["rules", "docs"])
    assert elsewhere.exit_code == 0 and elsewhere.stdout.startswith("# Rules catalogue"), elsewhere.stderr
    assert list(tmp_path.iterdir()) == [], "nothing written outside a project"
    (tmp_path / "docs").mkdir()
    inside = runner.invoke(cli, ["rules", "docs"])
    assert inside.exit_code == 0 and inside.stdout == "" and "wrote docs/rules.md" in inside.stderr
    assert (tmp_path / "docs" / "rules.md").read_text().startswith("# Rules catalogue")


def test_shell_completion_scripts_are_offered_as_the_readme_says():
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    for shell in ("bash", "zsh", "fish"):
        assert f"_TRIAGE_COMPLETE={shell}_source triage" in readme
        done = subprocess.run([sys.executable, "-m", "triage"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "_TRIAGE_COMPLETE": f"{shell}_source"})
        assert done.returncode == 0 and "_TRIAGE_COMPLETE" in done.stdout, (shell, done.stderr)
