"""The JSON Schemas in rules/schema describe the content files the loader accepts.

Editors use them for completion and early warnings (each shipped YAML file names its schema
on its first line); `triage rules validate` stays the authority and also checks what a
schema cannot (unique ids, references between files, number ranges, flag order).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from triage.model import CLASSIFICATIONS, ITEM_ID, URGENCY_LEVELS
from triage.operators import OPERATORS
from triage.questionfile import RESERVED_IDS
from triage.questiontypes import QUESTION_TYPES
from triage.yamlsafe import load_yaml_file

from .conftest import MINI, ROOT, SHIPPED, TESTS

SCHEMA_DIR = ROOT / "rules" / "schema"
SCHEMAS = {p.name.removesuffix(".schema.json"): json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.schema.json"))}
FIRST_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")

# Bad overlays (tests/content/bad/*) whose every problem is about the shape of one file:
# a missing or unknown field, a wrong type, a value outside an enum, an empty list, a red
# flag with a mild urgency, a reason missing next to an urgency, a `then` that concludes
# nothing. The schema must reject each of their YAML files, and `triage rules validate`
# (expected.txt) must report a problem at every place the schema finds one.
SCHEMA_CASES = [
    "bad-outcomes", "entries-that-are-not-mappings", "no-second-message", "red-flag-too-mild", "reserved-ids",
    "unknown-field-and-wrong-type",
]
# The others need, at least in part, what a schema cannot know (some mix in shape problems
# too): YAML syntax and duplicate keys (the file does not parse), unique ids, flag cycles and unset flags, whether a question,
# option or source id exists, show_if order, whether a comparison fits the question's type
# and range, templates, and where the {emergency_number} placeholder may appear.
NOT_SCHEMA_CASES = [
    "alias-bomb-and-tag", "duplicate-key", "template-runtime", "duplicate-rule-id", "flags", "show-if-later",
    "template-errors", "misplaced-placeholder", "several-kinds-at-once", "about-block", "forms-mixed-and-ids-twice",
    "unknown-ids", "unknown-source", "value-does-not-fit", "yaml-syntax",
]


def plain(value):
    """Located YAML values as plain JSON types."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def schema_name(relative: Path) -> str:
    """Which schema a file in a content folder follows (relative to the folder)."""
    if len(relative.parts) == 2 and relative.parts[0] in ("rules", "tests"):
        return relative.parts[0]
    return relative.stem


def content_files(root: Path) -> list[Path]:
    files = [root / f"{name}.yaml" for name in ("questionnaire", "outcomes", "advice", "sources")]
    files += sorted((root / "rules").glob("*.yaml")) + sorted((root / "tests").glob("*.yaml"))
    return files


def errors(name: str, path: Path) -> list:
    return list(Draft202012Validator(SCHEMAS[name]).iter_errors(plain(load_yaml_file(str(path)))))


def test_all_six_schemas_exist():
    assert sorted(SCHEMAS) == ["advice", "outcomes", "questionnaire", "rules", "sources", "tests"]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_draft_2020_12(name):
    schema = SCHEMAS[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("root", [SHIPPED, MINI], ids=["shipped", "mini"])
def test_content_files_follow_their_schema(root):
    files = content_files(root)
    assert len(files) > 4
    for path in files:
        found = errors(schema_name(path.relative_to(root)), path)
        assert not found, f"{path}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in found)


def test_shipped_files_name_their_schema_on_the_first_line():
    for path in content_files(SHIPPED):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        match = FIRST_LINE.match(first)
        assert match, f"{path}: the first line should be '# yaml-language-server: $schema=...'"
        name = schema_name(path.relative_to(SHIPPED))
        assert (path.parent / match.group(1)).resolve() == (SCHEMA_DIR / f"{name}.schema.json").resolve(), path


def test_every_bad_overlay_is_sorted_into_schema_or_not():
    bad = sorted(p.name for p in (TESTS / "content" / "bad").iterdir() if p.is_dir())
    assert sorted(SCHEMA_CASES + NOT_SCHEMA_CASES) == bad


@pytest.mark.parametrize("case", SCHEMA_CASES)
def test_schema_rejects_bad_overlay(case):
    folder = TESTS / "content" / "bad" / case
    expected = [line for line in (folder / "expected.txt").read_text().splitlines() if line.strip()]
    files = sorted(p for p in folder.rglob("*.yaml"))
    assert files
    for path in files:
        relative = path.relative_to(folder)
        found = errors(schema_name(relative), path)
        reported = [line for line in expected if line.startswith(f"{relative.as_posix()}:")]
        assert found, f"{relative} passes the schema"
        # validate runs the schema too: it reports a problem at every place the schema finds one
        places = {tuple(e.absolute_path) for e in found}
        assert len(reported) >= len(places), [e.message for e in found]


def test_schemas_use_the_loaders_words():
    rules, questionnaire, tests = SCHEMAS["rules"], SCHEMAS["questionnaire"], SCHEMAS["tests"]
    assert rules["$defs"]["then"]["properties"]["urgency"]["enum"] == list(URGENCY_LEVELS)
    for key in ("urgency", "urgency_at_least", "urgency_at_most"):  # the authors' cases use the same words
        assert tests["$defs"]["expect"]["properties"][key]["enum"] == list(URGENCY_LEVELS)
    assert rules["$defs"]["then"]["properties"]["classification"]["enum"] == list(CLASSIFICATIONS)
    assert SCHEMAS["outcomes"]["properties"]["urgency"]["required"] == list(URGENCY_LEVELS)
    assert SCHEMAS["outcomes"]["properties"]["classification"]["required"] == list(CLASSIFICATIONS)
    assert questionnaire["$defs"]["question"]["properties"]["type"]["enum"] == list(QUESTION_TYPES)
    for definition in ("question", "option"):  # ids the answer set and durable-rules use for themselves
        assert sorted(questionnaire["$defs"][definition]["properties"]["id"]["not"]["enum"]) == sorted(RESERVED_IDS)
    assert rules["$defs"]["rule"]["properties"]["id"]["pattern"] == ITEM_ID.pattern
    comparison = rules["$defs"]["comparison"]["properties"]
    assert sorted(comparison) == sorted(["question", *OPERATORS])
    # show_if is the rule condition without flags (flags are not known while asking).
    assert questionnaire["$defs"]["comparison"] == rules["$defs"]["comparison"]
    rule_branches = rules["$defs"]["condition"]["anyOf"]
    asking = questionnaire["$defs"]["condition"]["anyOf"]
    assert [b for b in asking if "flag" not in b.get("properties", {})] == [
        b for b in rule_branches if "flag" not in b.get("properties", {})
    ]
    assert [b["properties"]["flag"]["not"] for b in asking if "flag" in b.get("properties", {})] == [{}]


def test_every_pattern_of_the_schemas_has_words_for_authors():
    """A text that does not fit its pattern is told the rule in words, never the pattern itself."""
    from triage.shapewords import PATTERN_WORDS

    found = set(re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', "".join(p.read_text() for p in SCHEMA_DIR.glob("*.json"))))
    patterns = {json.loads(f'"{p}"') for p in found} - {r"\S"}
    assert patterns and patterns <= set(PATTERN_WORDS), patterns - set(PATTERN_WORDS)


def _undescribed(node, path: str) -> list[str]:
    """Every $defs entry and every field (property) without a description, for editor hover."""
    found = []
    if isinstance(node, dict):
        for kind in ("properties", "$defs"):
            for key, child in node.get(kind, {}).items():
                if isinstance(child, dict) and "description" not in child and "$ref" not in child:
                    found.append(f"{path}/{kind}/{key}")
                found += _undescribed(child, f"{path}/{kind}/{key}")
        for key in ("items", "additionalProperties"):
            found += _undescribed(node.get(key), f"{path}/{key}")
        for key in ("oneOf", "anyOf", "allOf"):
            for i, child in enumerate(node.get(key, [])):
                found += _undescribed(child, f"{path}/{key}/{i}")
    return found


def test_every_definition_and_field_has_a_description_for_editors():
    import json

    from .conftest import SHIPPED

    missing = [m for f in sorted((SHIPPED / "schema").glob("*.json")) for m in _undescribed(json.loads(f.read_text()), f.name)]
    assert missing == []
    assert _undescribed({"properties": {"x": {"type": "string"}}}, "control") == ["control/properties/x"]
