"""Bad content folders: every problem is reported as path:line:column, never a traceback.

Each folder under tests/content/bad holds only the files that differ from
tests/content/mini, and `expected.txt`: the problems `triage rules validate` must report,
one per line, with paths relative to the content folder. Adding a case is adding a folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from triage.cli import cli

from .conftest import MINI, TESTS

BAD = sorted(p for p in (TESTS / "content" / "bad").iterdir() if p.is_dir())


def overlay(case: Path, target: Path) -> Path:
    shutil.copytree(MINI, target, symlinks=False)
    for path in case.rglob("*"):
        if path.is_file() and path.name != "expected.txt":
            destination = target / path.relative_to(case)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, destination)
    return target


@pytest.mark.parametrize("case", BAD, ids=lambda p: p.name)
def test_validate_reports_every_problem_with_its_place(runner, case, tmp_path):
    content = overlay(case, tmp_path / "rules")
    result = runner.invoke(cli, ["rules", "validate", "--rules", str(content)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    reported = [line.replace(f"{content}/", "") for line in result.stdout.splitlines()]
    expected = [line for line in (case / "expected.txt").read_text().splitlines() if line.strip()]
    assert reported == expected
    assert result.stderr.strip().endswith(f"{len(expected)} problem" + ("s" if len(expected) != 1 else ""))


@pytest.mark.parametrize("case", BAD, ids=lambda p: p.name)
def test_commands_refuse_bad_content_with_exit_2(runner, case, tmp_path):
    content = overlay(case, tmp_path / "rules")
    answers = tmp_path / "a.yaml"
    answers.write_text("{}\n")
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(content)], catch_exceptions=False)
    if (case / "templates" / "result.markdown.j2").exists() and not (case / "templates" / "result.text.j2").exists():
        assert result.exit_code == 0  # only the markdown template is broken; text still works
    else:
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.stderr
        assert all(line.startswith(str(content)) for line in result.stderr.splitlines())


def test_the_mini_and_shipped_content_are_valid(runner):
    for folder in (MINI, TESTS.parent / "rules"):
        result = runner.invoke(cli, ["rules", "validate", "--rules", str(folder)], catch_exceptions=False)
        assert result.exit_code == 0, result.stdout
        assert result.stdout == ""
        assert "no problems" in result.stderr


def test_missing_content_folder_cannot_run(runner, tmp_path):
    result = runner.invoke(cli, ["check", "x.yaml", "--rules", str(tmp_path / "nope")], catch_exceptions=False)
    assert result.exit_code == 2
    assert "the content folder does not exist" in result.stderr


@pytest.mark.parametrize("linked", ["templates/result.text.j2", "rules/a.yaml", "outcomes.yaml"])
def test_a_content_file_linked_out_of_the_folder_is_refused_and_never_read(runner, tmp_path, linked):
    content = tmp_path / "rules"
    shutil.copytree(MINI, content)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-LINE\n")
    (content / linked).unlink()
    (content / linked).symlink_to(secret)
    result = runner.invoke(cli, ["rules", "validate", "--rules", str(content)])
    assert result.exit_code == 1
    assert f"{content / linked}:1:1: error: this file is a link that leads out of the content folder" in result.stdout
    answers = TESTS / "answers" / "good" / "cramp-locked.yaml"
    checked = runner.invoke(cli, ["check", str(answers), "--rules", str(content)])
    assert checked.exit_code == 2
    assert "SECRET" not in result.output + checked.output


def test_a_template_include_cannot_leave_the_template_folder(tmp_path):
    from triage.render import make_environment

    folder = tmp_path / "templates"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("SECRET")
    (folder / "inner.j2").symlink_to(tmp_path / "secret.txt")
    (folder / "page.j2").write_text("{% include 'inner.j2' %}")
    import jinja2

    with pytest.raises(jinja2.TemplateNotFound):
        make_environment(folder).get_template("page.j2").render()


@pytest.mark.parametrize(("template", "words"), [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "loops count past"),
    ("{{ lipsum(n=100000) }}", "'lipsum' is undefined"),
    ("{{ 'a' * 100000000 }}", "longer than 100000"),
    ("{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}", "longer than 2000000 characters"),
    ("{% for i in 'x' * 99999 %}{% for j in 'x' * 99999 %}{% endfor %}{% endfor %}", "took more than 5 seconds"),
])
def test_a_runaway_template_is_a_content_error_at_its_line(runner, tmp_path, template, words):
    content = tmp_path / "rules"
    shutil.copytree(MINI, content)
    (content / "templates" / "result.text.j2").write_text("{{ headline }}\n" + template + "\n")
    answers = TESTS / "answers" / "good" / "cramp-locked.yaml"
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(content)])
    assert result.exit_code == 2, result.output
    line = 1 if "characters" in words else 2  # the size of the whole result has no single line
    assert f"{content}/templates/result.text.j2:{line}:1: template" in result.stderr, result.stderr
    assert words in result.stderr, result.stderr


def test_outcomes_are_read_in_the_order_of_urgency_whatever_the_files_order(tmp_path):
    """The model lists levels and kinds in their own order (what lists them, a legend or a
    catalogue, must not depend on how an author ordered the file)."""
    import yaml

    from triage import load_content
    from triage.model import CLASSIFICATIONS, URGENCY_LEVELS

    content = tmp_path / "rules"
    shutil.copytree(TESTS.parent / "rules", content)  # the shipped content: it has safety nets
    outcomes = yaml.safe_load((content / "outcomes.yaml").read_text())
    for section in ("urgency", "classification", "safety_net"):
        if section in outcomes:
            outcomes[section] = dict(reversed(list(outcomes[section].items())))
    (content / "outcomes.yaml").write_text(yaml.safe_dump(outcomes, sort_keys=False))
    loaded = load_content(content).outcomes
    assert list(loaded.urgency_labels) == list(loaded.urgency_actions) == list(URGENCY_LEVELS)
    assert list(loaded.classification_labels) == list(CLASSIFICATIONS)
    assert len(loaded.safety_nets) > 1
    assert list(loaded.safety_nets) == [level for level in URGENCY_LEVELS if level in loaded.safety_nets]
