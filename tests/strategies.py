"""Hypothesis strategies that generate answer sets the questionnaire allows."""

from __future__ import annotations

from hypothesis import strategies as st

from triage.conditions import NOT_SURE
from triage.model import Content, Question


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


from triage.samples import random_answers  # noqa: E402,F401 - re-exported for the tests
