"""Safety properties of the shipped content, over generated answer sets (hypothesis).

- totality: every answer set the questionnaire allows gets a result, in every format,
  and every result lists the emergency signs;
- monotonic safety: an extra alarm sign, or a more severe answer to an ordered question,
  never makes the advice less urgent.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.model import FORMATS, NOT_SURE, Compare, urgency_rank

from .conftest import ENGINES, examples
from .strategies import answer_sets

SETTINGS = examples(ci=60, thorough=300)


@SETTINGS
@given(data=st.data())
def test_every_answer_set_gets_a_result_in_every_format(engines, shipped, renderer, data):
    answers = data.draw(answer_sets(shipped))
    result = engines[data.draw(st.sampled_from(sorted(engines)), label="engine")].evaluate(answers)
    assert result.urgency and result.classification
    assert result.emergency_signs
    assert result.urgency_reasons, "a result always says why"
    for fmt in FORMATS:
        text = renderer.render(result, fmt)
        assert text.strip()
        if fmt == "json":
            assert json.loads(text)["urgency"] == result.urgency
        else:
            assert result.emergency_signs[0].split()[0] in text


def more_alarming(question, value, draw):
    """A variant of one answer that is at least as alarming, or None when there is none."""
    if question.type == "multi" and question.alarm:
        picked = [] if value in (None, NOT_SURE) else [v for v in value if not question.option(v).exclusive]
        extra = draw(st.sampled_from([o.id for o in question.options if not o.exclusive]))
        return sorted(set(picked) | {extra}, key=[o.id for o in question.options].index)
    if question.type == "yesno" and question.alarm:
        return True
    if question.ordered and question.type == "choice":
        ids = [o.id for o in question.options]
        start = 0 if value in (None, NOT_SURE) else ids.index(value)
        return ids[draw(st.integers(start, len(ids) - 1))]
    if question.ordered and question.type == "number":
        low = question.min if value in (None, NOT_SURE) else value
        if question.integer:
            return draw(st.integers(int(low), int(question.max)))
        return draw(st.floats(low, question.max, allow_nan=False))
    return None


@SETTINGS
@given(data=st.data())
def test_a_more_alarming_answer_never_lowers_the_urgency(engines, shipped, data):
    answers = data.draw(answer_sets(shipped))
    candidates = [q for q in shipped.questions if q.alarm or q.ordered]
    assert candidates, "the questionnaire marks its alarm and ordered questions"
    question = data.draw(st.sampled_from(candidates))
    changed = more_alarming(question, answers.get(question.id), data.draw)
    if changed is None:
        return
    engine = engines[data.draw(st.sampled_from(sorted(engines)), label="engine")]
    before = engine.evaluate(answers)
    after = engine.evaluate({**answers, question.id: changed})
    assert urgency_rank(after.urgency) >= urgency_rank(before.urgency), (
        f"{question.id}: {answers.get(question.id)!r} -> {changed!r} lowered {before.urgency} to {after.urgency}"
        f" (fired before: {before.fired_rules}; after: {after.fired_rules})"
    )


def calm_alarms(content) -> dict:
    """Every alarm question answered with its "none of these" (or "no")."""
    calm = {}
    for question in content.questions:
        if question.alarm and question.type == "multi":
            calm[question.id] = [next(o.id for o in question.options if o.exclusive)]
        elif question.alarm and question.type == "yesno":
            calm[question.id] = False
    return calm


def shown(content, question) -> dict:
    """Answers that make a follow-up question visible: the first value its show_if names."""
    condition = question.show_if
    if condition is None:
        return {}
    assert isinstance(condition, Compare) and condition.op in ("any_of", "equals"), (
        f"{question.id}: teach this test how to show a question whose show_if is {condition!r}"
    )
    asked = content.question_by_id[condition.question]
    value = condition.value[0] if condition.op == "any_of" else condition.value
    return {asked.id: [value] if asked.type == "multi" else value}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_alarm_option_alone_is_at_least_soon(engines, shipped, engine):
    """Each alarm sign, with every other alarm question answered "none", leads to a doctor.

    A follow-up alarm question (behind a show_if) is tested with the answer that shows it.
    """
    calm = calm_alarms(shipped)
    assert urgency_rank(engines[engine].evaluate(calm).urgency) < urgency_rank("soon"), "the calm baseline must be calm"
    for question in shipped.questions:
        if not question.alarm:
            continue
        options = [o.id for o in question.options if not o.exclusive] if question.type == "multi" else [True]
        for option in options:
            answer = [option] if question.type == "multi" else option
            result = engines[engine].evaluate({**calm, **shown(shipped, question), question.id: answer})
            assert urgency_rank(result.urgency) >= urgency_rank("soon"), (question.id, option, result.urgency)


@examples(ci=60, thorough=400)
@given(data=st.data())
def test_leaving_a_question_blank_is_never_less_urgent_than_not_sure(engines, shipped, data):
    """For questions that offer "not sure", no answer at all must be treated at least as carefully."""
    answers = data.draw(answer_sets(shipped))
    if data.draw(st.booleans(), label="calm"):  # alarms would hide the difference: often leave them out
        answers.update(calm_alarms(shipped))
    engine = engines[data.draw(st.sampled_from(sorted(engines)), label="engine")]
    for question in (q for q in shipped.questions if q.not_sure):
        unsure = engine.evaluate({**answers, question.id: NOT_SURE})
        blank = engine.evaluate({k: v for k, v in answers.items() if k != question.id})
        assert urgency_rank(blank.urgency) >= urgency_rank(unsure.urgency), (
            f"{question.id}: blank gives {blank.urgency}, not sure gives {unsure.urgency}"
            f" (only with not sure: {sorted(set(unsure.fired_rules) - set(blank.fired_rules))})"
        )
