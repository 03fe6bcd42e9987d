"""One answer set: checking it against the questionnaire, which questions are asked, the fact.

Every answer is coerced to its question's declared type here, once, before any engine sees it
(the coercer is `triage.questiontypes.coerce_answer`). Reading and writing answer files is
`triage.answerfile`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .conditions import compile_condition
from .errors import AnswerError, Problem
from .model import ANSWER_ID, NOT_SURE, Content, Question
from .operators import answered_key, not_sure_key, option_key
from .questiontypes import coerce_answer
from .yamlsafe import LocatedDict, Mark

Answers = dict[str, Any]
"""Question id -> coerced answer: option id, list of option ids, bool, number or NOT_SURE."""

RECORD_ID = "id"
"""An answer set may carry an id (any text) to name it in batch results; it is not an answer."""


def check_answers(content: Content, raw: Mapping, path: str = "<answers>") -> Answers:
    """Validate a whole answer mapping; report every bad field at once. In the order asked."""
    answers = coerce_answers(content, raw, path)
    return {qid: answers[qid] for qid in content.question_order if qid in answers}


def coerce_answers(content: Content, raw: Mapping, path: str = "<answers>") -> Answers:
    """`check_answers` in the raw mapping's order (`visible_answers` puts them in the order asked)."""
    problems: list[Problem] = []
    answers: Answers = {}
    located = raw if isinstance(raw, LocatedDict) else None
    questions = content.question_by_id
    for key, value in raw.items():
        if key == RECORD_ID:
            continue
        question = questions.get(key) if isinstance(key, str) else None
        if question is None:
            mark = located.where(key) if located is not None else Mark((1, 1))
            # a key shaped like an id is named (a typo to find); free text is not (it may be health data)
            named = f"field {key!r}" if isinstance(key, str) and ANSWER_ID.fullmatch(key[:40]) else "a field"
            problems.append(Problem(path, mark.line, mark.column, f"{named}: unknown question id"))
            continue
        if value is None or value == []:  # nothing picked counts as no answer (never as "none of these")
            continue
        try:
            answers[key] = coerce_answer(question, value)
        except ValueError as exc:
            at = located.where_value(key) if located is not None else Mark((1, 1))
            problems.append(Problem(path, at.line, at.column, f"field {key!r}: {exc}"))
    if problems:
        raise AnswerError(problems)
    return answers


def record_id(raw: Mapping) -> str | None:
    """The answer set's own id, as text (at most 200 characters), or None. Only a text or a
    number is an id: a list or mapping there is not shown (it could hold anything)."""
    value = raw.get(RECORD_ID)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)[:200]


def to_fact(answers: Answers) -> dict:
    """The flat fact every engine evaluates (see triage.conditions for its shape)."""
    fact: dict[str, Any] = {}
    for qid, value in answers.items():
        _add(fact, qid, value)
    return fact


def _add(fact: dict[str, Any], qid: str, value: Any) -> None:
    fact[answered_key(qid)] = True
    if value == NOT_SURE:
        fact[not_sure_key(qid)] = True
    elif isinstance(value, list):
        for option in value:
            fact[option_key(qid, option)] = True
    else:
        fact[qid] = value


def visible(question: Question, answers: Answers) -> bool:
    """Whether `question` is asked, given the answers so far (its show_if)."""
    return question.show_if is None or compile_condition(question.show_if)(to_fact(answers))


def drop_hidden(content: Content, answers: Answers) -> Answers:
    """Answers to questions whose show_if is false are not used (as if never asked), except
    a warning sign that was marked (see `names_a_sign`)."""
    return visible_answers(content, answers)[0]


def names_a_sign(question: Question, value: Any) -> bool:
    """Whether an answer to an alarm question marks a warning sign (not "none", not "not sure").

    Such an answer always counts, even where its question's show_if is false: a saved file
    that says "a fit (seizure)" must never get self-care because an earlier answer would have
    skipped the question.
    """
    if not question.alarm:
        return False
    if isinstance(value, bool):
        return value
    picked = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v != NOT_SURE and v not in question.exclusive_ids for v in picked)


def visible_answers(content: Content, answers: Answers) -> tuple[Answers, dict[str, Any]]:
    """The answers to questions that are asked, and their fact (built once, as they are kept)."""
    kept: Answers = {}
    fact: dict[str, Any] = {}
    for q in content.questions:
        if q.id in answers and (
            q.show_if is None or compile_condition(q.show_if)(fact) or names_a_sign(q, answers[q.id])
        ):
            kept[q.id] = answers[q.id]
            _add(fact, q.id, kept[q.id])
    return kept, fact


def unanswered(content: Content, answers: Answers) -> list[Question]:
    """The questions that would be asked for these answers but have none: a saved file can leave
    them out, and the rules then assume the more careful case."""
    kept, fact = visible_answers(content, coerce_answers(content, answers))
    return [q for q in content.questions if q.id not in kept and (q.show_if is None or compile_condition(q.show_if)(fact))]


def to_plain(answers: Answers) -> dict:
    """Answers as they are written to a file: yes/no as words, numbers without '.0'."""
    plain: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        plain[key] = value
    return plain
