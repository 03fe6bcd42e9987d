"""Hypothesis strategies that generate answer sets the questionnaire allows."""

from __future__ import annotations

from hypothesis import strategies as st

from triage.model import NOT_SURE, Content, Question


def thresholds(content: Content, question: Question) -> list[float]:
    """Numbers the rules compare this question with, and just either side of them."""
    from triage.conditions import Compare, leaves

    points = set()
    for rule in content.rules:
        for leaf in leaves(rule.when):
            if isinstance(leaf, Compare) and leaf.question == question.id and isinstance(leaf.value, (int, float)) \
                    and not isinstance(leaf.value, bool):
                points |= {leaf.value - 1, leaf.value, leaf.value + 1}
    return sorted(p for p in points if question.min <= p <= question.max)


def answer_for(question: Question, near: list[float] | None = None) -> st.SearchStrategy:
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
        if near:  # the rules' thresholds are where mistakes hide
            values = st.one_of(st.sampled_from(near), values)
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


_BUILT: dict[tuple[int, bool], tuple[Content, st.SearchStrategy]] = {}


def answer_sets(content: Content, partial: bool = True) -> st.SearchStrategy:
    """Any answer set: each question answered or (when partial) left out.

    Built once per content and kept: hypothesis validates and labels a new strategy on
    every draw, which costs more than the evaluation the properties test.
    """
    key = (id(content), partial)
    if key not in _BUILT or _BUILT[key][0] is not content:
        _BUILT[key] = (content, _build_answer_sets(content, partial))
    return _BUILT[key][1]


def _build_answer_sets(content: Content, partial: bool) -> st.SearchStrategy:
    fields = {}
    for q in content.questions:
        answer = answer_for(q, thresholds(content, q) if q.type == "number" else None)
        fields[q.id] = st.one_of(st.none(), answer) if partial else answer
    return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not None})

