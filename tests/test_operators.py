"""Every operator means the same in each of its forms: `holds` (the reference walker), its Python
source (what the python engine compiles), and its durable-rules form, plain and under `not`.

tests/content/operators has a rule for each operator, alone and negated, on every question
type; the answers below cover "not sure", unanswered questions, values at and beside each
threshold, whole and fractional numbers, and several choices at once.
"""

from __future__ import annotations

import itertools

import pytest

from triage import load_content
from triage.answers import check_answers, to_fact
from triage.conditions import compile_condition, holds
from triage.engines.python import PythonEngine
from triage.errors import AnswerError
from triage.model import Compare

from .conftest import TESTS, needs_durable

CHOICES = {
    "feeling": [None, "flicker", "locked", "not sure"],
    "minutes": [None, 0, 2.5, 2.49999, 29.9999, 30, 30.0001, "30", 1440],
    "count": [None, "not_sure", 0, 2, 3, 4, 3.0],
    "alarms": [None, ["breathing"], ["chest"], ["breathing", "chest"], "not_sure", ["none"], []],
    "stretch_helps": [None, True, False, "not sure", "no"],
}


@pytest.fixture(scope="module")
def content():
    return load_content(TESTS / "content" / "operators")


def facts(content):
    for combo in itertools.product(*CHOICES.values()):
        raw = {k: v for k, v in zip(CHOICES, combo, strict=True) if v is not None}
        try:
            yield to_fact(check_answers(content, raw))
        except AnswerError:
            continue


def test_the_content_uses_every_operator(content):
    from triage.conditions import leaves
    from triage.operators import OPERATORS

    used = {leaf.op for rule in content.rules for leaf in leaves(rule.when) if isinstance(leaf, Compare)}
    assert used == set(OPERATORS)


def test_reference_and_compiled_python_agree_on_every_operator(content):
    engine = PythonEngine(content)
    checked = 0
    for fact in facts(content):
        reference = {r.id for r in content.rules if holds(r.when, fact)}
        assert {r.id for r in content.rules if compile_condition(r.when)(fact)} == reference, fact
        assert engine.matching(fact, 0) == reference, fact
        checked += 1
    assert checked > 1000


@needs_durable
def test_durable_agrees_on_every_operator(content):
    from triage.engines.durable import DurableEngine

    durable = DurableEngine(content)
    for fact in facts(content):
        assert durable.matching(fact, 0) == {r.id for r in content.rules if holds(r.when, fact)}, fact


def test_equal_conditions_of_different_types_compile_apart():
    """`equals: 1` and `equals: true` are equal dataclasses (1 == True) but must not share a test."""
    as_bool = compile_condition(Compare("x", "equals", True))
    as_number = compile_condition(Compare("x", "equals", 1))
    assert as_bool({"x": True}) and not as_bool({"x": 1})
    assert as_number({"x": 1}) and not as_number({"x": True}) and not as_number({"x": 1.0})
