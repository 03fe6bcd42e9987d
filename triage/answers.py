"""Answer sets: checking them against the questionnaire, reading and saving answer files.

Every answer is coerced to its question's declared type here, once, before any engine sees
it (durable-rules compares loosely; see the design note).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from .conditions import NOT_SURE, answered_key, holds, not_sure_key, option_key
from .model import NUMBER_DECIMALS, Content, Question
from .schema import yes_no
from .errors import AnswerError, Problem
from .yamlsafe import LocatedDict, Mark, is_finite_number, load_file

Answers = dict[str, Any]
"""Question id -> coerced answer: option id, list of option ids, bool, number or NOT_SURE."""

RECORD_ID = "id"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return repr(value[:40] + ("..." if len(value) > 40 else ""))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 20 else "a number too large to use"
    return type(value).__name__


def coerce_answer(question: Question, raw: Any) -> Any:
    """The answer in its declared type; raises ValueError with a short user-facing reason."""
    if raw == NOT_SURE or (isinstance(raw, str) and raw.strip().lower() in ("not sure", "not_sure")):
        if not question.not_sure:
            raise ValueError("'not sure' is not allowed for this question")
        return NOT_SURE
    if question.type == "yesno":
        value = yes_no(raw)
        if value is None:
            raise ValueError(f"expected yes or no, got {_describe(raw)}")
        return value
    if question.type == "choice":
        if not isinstance(raw, str) or question.option(raw) is None:
            raise ValueError(f"{_describe(raw)} is not an option (options: {', '.join(o.id for o in question.options)})")
        return raw
    if question.type == "multi":
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list):
            raise ValueError(f"expected a list of options, got {_describe(raw)}")
        picked: list[str] = []
        for item in items:
            if not isinstance(item, str) or question.option(item) is None:
                raise ValueError(f"{_describe(item)} is not an option (options: {', '.join(o.id for o in question.options)})")
            if item not in picked:
                picked.append(item)
        exclusive = [o.id for o in question.options if o.exclusive and o.id in picked]
        if exclusive and len(picked) > 1:
            raise ValueError(f"{exclusive[0]!r} cannot be picked together with other options")
        return [o.id for o in question.options if o.id in picked]
    if isinstance(raw, str):
        try:
            raw = float(raw.strip()) if raw.strip() else None
        except ValueError:
            raise ValueError(f"expected a number of {question.unit}, got {_describe(raw)}") from None
    if not is_finite_number(raw):
        raise ValueError(f"expected a number of {question.unit}, got {_describe(raw)}")
    if not question.min <= raw <= question.max:
        raise ValueError(f"{raw:g} is outside the allowed range {question.min:g} to {question.max:g} {question.unit}")
    if question.integer:
        if raw != int(raw):
            raise ValueError(f"expected a whole number, got {raw:g}")
        return int(raw)
    return round(float(raw), NUMBER_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def check_answers(content: Content, raw: Mapping, path: str = "<answers>") -> Answers:
    """Validate a whole answer mapping; report every bad field at once."""
    problems: list[Problem] = []
    answers: Answers = {}
    located = isinstance(raw, LocatedDict)
    for key, value in raw.items():
        if key == RECORD_ID:
            continue
        mark = raw.where(key) if located else Mark((1, 1))
        question = content.question_by_id.get(key) if isinstance(key, str) else None
        if question is None:
            problems.append(Problem(path, mark.line, mark.column, f"field {str(key)[:40]!r}: unknown question id"))
            continue
        if value is None or value == []:  # nothing picked counts as no answer (never as "none of these")
            continue
        try:
            answers[key] = coerce_answer(question, value)
        except ValueError as exc:
            at = raw.where_value(key) if located else mark
            problems.append(Problem(path, at.line, at.column, f"field {key!r}: {exc}"))
    if problems:
        raise AnswerError(problems)
    return {q.id: answers[q.id] for q in content.questions if q.id in answers}


def record_id(raw: Mapping) -> str | None:
    value = raw.get(RECORD_ID)
    return None if value is None else str(value)


def load_answers(content: Content, path: str) -> Answers:
    """Read and check one saved answer file (YAML, or JSON when it ends in .json)."""
    return answers_from_data(content, load_file(path), path)


def answers_from_data(content: Content, data: object, path: str) -> Answers:
    """Check parsed answer data: a mapping of answers or one FHIR QuestionnaireResponse."""
    if data is None:
        raise AnswerError([Problem(path, 1, 1, "the file is empty; expected question ids with answers")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{_describe(data)}"
        raise AnswerError([Problem(path, 1, 1, f"expected a mapping of question ids to answers, got {kind}")])
    if data.get("resourceType") == "Bundle":
        raise AnswerError([Problem(path, 1, 1, "a FHIR Bundle holds several answer sets; check it with: triage batch FILE")])
    if data.get("resourceType") == "QuestionnaireResponse":
        from .fhir import response_to_raw_answers

        ((_, data),) = response_to_raw_answers(content, data, path)
    return check_answers(content, data, path)


def dump_fhir(content: Content, answers: Answers) -> str:
    """Answers as an HL7 FHIR R4 QuestionnaireResponse (JSON)."""
    from .fhir import answers_to_response

    return json.dumps(answers_to_response(content, answers), indent=2, ensure_ascii=False) + "\n"


def to_fact(content: Content, answers: Answers) -> dict:
    """The flat fact both engines evaluate (see conditions.py for its shape)."""
    fact: dict[str, Any] = {}
    for qid, value in answers.items():
        fact[answered_key(qid)] = True
        if value == NOT_SURE:
            fact[not_sure_key(qid)] = True
        elif isinstance(value, list):
            for option in value:
                fact[option_key(qid, option)] = True
        else:
            fact[qid] = value
    return fact


def visible(question: Question, answers: Answers, content: Content) -> bool:
    """Whether `question` is asked, given the answers so far (its show_if)."""
    return question.show_if is None or holds(question.show_if, to_fact(content, answers))


def drop_hidden(content: Content, answers: Answers) -> Answers:
    """Answers to questions whose show_if is false are not used (as if never asked)."""
    kept: Answers = {}
    for q in content.questions:
        if q.id in answers and visible(q, kept, content):
            kept[q.id] = answers[q.id]
    return kept


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


def dump_answers(answers: Answers, fmt: str = "yaml") -> str:
    plain = to_plain(answers)
    if fmt == "json":
        return json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    header = "# Saved by `triage ask`. Resume with: triage ask --answers THIS_FILE\n"
    body = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, default_flow_style=None) if plain else "{}\n"
    return header + body
