"""The libyaml fast path of load_yaml gives exactly what PyYAML's own parser gives.

Same values, same types, same line:column marks, same problems and the same error messages;
where the two parsers differ, the fast path must step aside (see triage/yamlsafe.py).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from triage import yamlsafe
from triage.errors import InputError

needs_libyaml = pytest.mark.skipif(yamlsafe._CParser is None, reason="PyYAML without libyaml: there is no fast path")

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted(p for folder in ("rules", "tests", "examples") for p in (ROOT / folder).rglob("*.y*ml"))


def _snapshot(value):
    if isinstance(value, yamlsafe.LocatedDict):
        items = [(_snapshot(k), _snapshot(v), value.key_marks[k], value.value_marks[k]) for k, v in value.items()]
        return ("map", value.mark, items)
    if isinstance(value, yamlsafe.LocatedList):
        return ("seq", value.mark, [_snapshot(v) for v in value], list(value.item_marks))
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, value)


def _outcome(text: str) -> tuple:
    problems: list = []
    try:
        value = yamlsafe.load_yaml(text, "f.yaml", problems)
    except InputError as exc:
        return ("error", str(exc))
    return ("ok", _snapshot(value), [str(p) for p in problems])


def _both(text: str, monkeypatch) -> tuple[tuple, tuple]:
    fast = _outcome(text)
    with monkeypatch.context() as m:
        m.setattr(yamlsafe, "_CParser", None)
        reference = _outcome(text)
    return fast, reference


@needs_libyaml
def test_the_shipped_content_takes_the_fast_path():
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        yamlsafe._fast_load(yamlsafe.read_text(str(path)))  # raises when it would step aside


@needs_libyaml
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_in_the_repository(path, monkeypatch):
    try:
        text = yamlsafe.read_text(str(path))
    except InputError:
        return  # binary or not UTF-8: never reaches a parser
    fast, reference = _both(text, monkeypatch)
    assert fast == reference


@needs_libyaml
@pytest.mark.parametrize("text", [
    "a:\tb\n",  # a tab PyYAML rejects and libyaml accepts
    "a: {b: c?d}\n",  # PyYAML ends a plain scalar at ? inside {}
    "a: {b: c, d? e: f}\n",
    "a: {minutes: }\n",  # empty values: the two parsers mark them at different columns
    "a: [b: ]\n",
    "? a:b\n",
    "a:\nb: 1\n",
    "a: |#note\n  x\n",  # PyYAML wants a space before a comment on a block scalar's first line
    "a: >-  # note\n  x\n  y\n",
    "a: |2+\n   x\n\n",
    "a: x\ufeffy\nb: 1\n",  # a byte-order mark inside the text: columns differ
    "a: x\u2028b: 1\n",  # a Unicode line separator
    "a: x\x85y\n",
    "a: b\rc: d\n",
    "a: &x 1\nb: *x\n",
    "a: &x 1\n",
    "a: !!str 1\nb: !!python/name:os.system x\n",
    "a: 1\na: 2\n",
    "[1, 2]: x\n",
    "~: x\n",
    "<<: {a: 1}\n",
    "a: " + "9" * 5000 + "\n",
    "a: 1.5\nb: -.inf\nc: .NaN\nd: 0x1F\ne: 014\nf: 1_000\ng: yes\nh: TRUE\ni: 2024-01-02\nj: ~\nk: null\n",
    "a: " + "[" * 60 + "]" * 60 + "\n",
    "a: " + "[" * 400 + "]" * 400 + "\n",
    "--- a\n--- b\n",
    "---\n...\n",
    "",
    "# only a comment\n",
    "a: 'it''s'\nb: \"tab\\there\"\nc: |\n  line\n   more\n\nd: >\n  folded\n  text\n",
    "- a\n- - b\n  - c\n- {d: [e, {f: g}]}\n",
    "a: b\n  c: d\n",  # syntax error: the same message
    "a: [b, c\n",
    "a: é\nü: [ö]\n",
])
def test_cases_where_the_parsers_could_differ(text, monkeypatch):
    fast, reference = _both(text, monkeypatch)
    assert fast == reference


@needs_libyaml
def test_random_edits_of_the_repository_files(monkeypatch):
    """Mutations of real files (a longer run of the same idea found every case listed above)."""
    rng = random.Random(20261125)
    pieces = [":", ": ", " ", "\n", "- ", "[", "]", "{", "}", ",", "'", '"', "#", "&a ", "*a", "!", "? ", "|", ">",
              "|#c", "\t", "  ", "---\n", "...", "\\", "<<", "~", "1", ".5", "yes", "é", "\ufeff", "?x", "{a: }", "\n  "]
    texts = []
    for path in YAML_FILES:
        try:
            text = yamlsafe.read_text(str(path))
        except InputError:
            continue
        if len(text) < 3000:
            texts.append(text)
    for _ in range(300):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(pieces) + text[at:] if rng.random() < 0.6 else text[:at] + text[at + rng.randint(1, 5):]
        fast, reference = _both(text, monkeypatch)
        assert fast == reference, text


def test_an_escape_that_names_no_character_is_a_syntax_error():
    with pytest.raises(InputError) as caught:  # PyYAML itself raises a bare ValueError here
        yamlsafe.load_yaml('feeling: "\\U00110000"\n', "a.yaml")
    assert str(caught.value) == "a.yaml:1:11: YAML syntax error: this escape (\\x, \\u or \\U) names no character"
