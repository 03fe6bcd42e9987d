"""Hypothesis strategies that generate answer sets the questionnaire allows."""

from __future__ import annotations

from hypothesis import strategies as st

from triage.conditions import NOT_SURE
from triage.content import Content, Question


def answer_for(question: Question) -> st.SearchStrategy:
    if question.type == "choice":
        values = st.sampled_from([o.id for o in question.options])
    elif question.type == "yesno":
        values = st.booleans()
    elif question.type == "number":
        if question.integer:
            values = st.integers(int(question.min), int(question.max))
        else:
            values = st.one_of(
                st.integers(int(question.min), int(question.max)).map(float),
                st.floats(question.min, question.max, allow_nan=False, allow_infinity=False),
            )
    else:
        exclusive = [o.id for o in question.options if o.exclusive]
        others = [o.id for o in question.options if not o.exclusive]
        values = st.one_of(
            st.lists(st.sampled_from(others), unique=True, max_size=len(others)).map(
                lambda picked: [o.id for o in question.options if o.id in picked]
            ),
            *([st.sampled_from(exclusive).map(lambda x: [x])] if exclusive else []),
        )
    if question.not_sure:
        values = st.one_of(values, st.just(NOT_SURE))
    return values


def answer_sets(content: Content, partial: bool = True) -> st.SearchStrategy:
    """Any answer set: each question answered or (when partial) left out."""
    fields = {}
    for q in content.questions:
        fields[q.id] = st.one_of(st.none(), answer_for(q)) if partial else answer_for(q)
    return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not None})


def random_answers(content: Content, rng) -> dict:
    """A quick random answer set (no shrinking), for loops of many evaluations."""
    answers = {}
    for q in content.questions:
        if rng.random() < 0.4:
            continue
        if q.not_sure and rng.random() < 0.1:
            answers[q.id] = NOT_SURE
        elif q.type == "choice":
            answers[q.id] = rng.choice(q.options).id
        elif q.type == "multi":
            picked = [o.id for o in q.options if not o.exclusive and rng.random() < 0.2]
            answers[q.id] = picked
        elif q.type == "yesno":
            answers[q.id] = rng.random() < 0.5
        elif q.integer:
            answers[q.id] = rng.randint(int(q.min), int(q.max))
        else:
            answers[q.id] = float(rng.randint(int(q.min), int(q.max)))
    return answers
