"""Question types: how an answer of each type is checked, coerced and said in words.

This is the one coercer of a value to a question: answer files, typed replies in `ask`, CSV
cells and the values written in rules all pass through `coerce_answer` or `coerce_item`, so
an answer and a rule value that mean the same thing are equal in the fact (durable-rules
compares loosely; see docs/design.md). Adding a question type means adding one entry to
`QUESTION_TYPES` (and, if it needs comparisons of its own, operators in `triage.operators`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .engines.durable import NUMBER_DECIMALS
from .model import NOT_SURE, Question, QuestionTypeName
from .quantities import parse_amount
from .yamlsafe import is_finite_number


def describe_value(value: Any) -> str:
    """A short, safe description of a value for an error message."""
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


def describe_kind(value: Any) -> str:
    """What kind of value it is, never the value itself (an answer can be health data, and error
    lines go to terminals, logs and batch error records)."""
    if isinstance(value, bool):
        return "a yes or no"
    if isinstance(value, float) and math.isnan(value):
        return "a value that is not a number (NaN)"
    if isinstance(value, float) and math.isinf(value):
        return "a number too large to use"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "some words"  # "a text" read like a phone message
    return describe_value(value)


class NotFit(ValueError):
    """A value that does not fit its question. str() never shows the value (for answers, which
    can be health data: error lines go to terminals, logs and batch error records);
    `with_value()` does, for content authors' own rule files."""

    def __init__(self, without_value: str, with_value: str):
        super().__init__(without_value)
        self._with_value = with_value

    def with_value(self) -> str:
        return self._with_value


def yes_no(raw: Any) -> bool | None:
    """A yes/no answer as a bool, or None when it is not one (the spellings people use)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("yes", "y", "true", "no", "n", "false"):
        return raw.strip().lower() in ("yes", "y", "true")
    return None


def is_not_sure(raw: Any) -> bool:
    """"not sure" as people write it: not_sure, Not sure, ' not sure ' (but no other text)."""
    return isinstance(raw, str) and (raw == NOT_SURE or (len(raw) < 40 and raw.strip().lower() in ("not sure", "not_sure")))


def _option(question: Question, raw: Any) -> str:
    if isinstance(raw, str) and question.option(raw) is not None:
        return raw
    options = ", ".join(o.id for o in question.options)
    raise NotFit(
        f"the answer is not one of the options ({options})", f"{describe_value(raw)} is not an option (options: {options})"
    )


def _options(question: Question, raw: Any) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        expected = "expected a list of options, got"
        raise NotFit(f"{expected} {describe_kind(raw)}", f"{expected} {describe_value(raw)}")
    for item in items:
        _option(question, item)
    if len(items) == 1:
        return list(items)
    picked = set(items)
    if len(picked) > 1 and not question.exclusive_ids.isdisjoint(picked):
        exclusive = next(o.label for o in question.options if o.exclusive and o.id in picked)
        raise ValueError(f"'{exclusive}' cannot be picked together with other options")
    return [o.id for o in question.options if o.id in picked]  # in the questionnaire's order, once each


def _yes_no(question: Question, raw: Any) -> bool:
    value = yes_no(raw)
    if value is None:
        raise NotFit(f"expected yes or no, got {describe_kind(raw)}", f"expected yes or no, got {describe_value(raw)}")
    return value


def _not_a_number(question: Question, raw: Any) -> NotFit:
    expected = f"expected a number of {question.unit}"
    return NotFit(f"{expected}, got {describe_kind(raw)}", f"{expected}, got {describe_value(raw)}")


def coerce_number(question: Question, raw: Any, whole: bool | None = None) -> int | float:
    """A number in the question's range, rounded as every number in a fact is.

    `whole` defaults to the question's `integer`; a rule's threshold may fall between whole numbers.
    """
    if isinstance(raw, str):
        text = raw
        try:
            raw = float(text.strip()) if text.strip() else None
        except ValueError:
            try:
                raw = parse_amount(text, question.unit)  # "30 seconds", "about 5", "0,5", "a week"
            except ValueError as exc:
                raise NotFit(str(exc), str(exc)) from None
            if raw is None:
                raise _not_a_number(question, text) from None
    if not is_finite_number(raw):
        raise _not_a_number(question, raw)
    if not question.min <= raw <= question.max:
        allowed = f"the allowed range {question.min:g} to {question.max:g} {question.unit}".rstrip()
        raise NotFit(f"the number is outside {allowed}", f"{raw:g} is outside {allowed}")
    if question.integer if whole is None else whole:
        if raw != int(raw):
            raise NotFit("expected a whole number", f"expected a whole number, got {raw:g}")
        return int(raw)
    # durable-rules cannot read numbers written like 1e-05; + 0.0 turns -0.0 into 0.0
    return round(float(raw), NUMBER_DECIMALS) + 0.0


def _number_words(question: Question, value: Any) -> str:
    """"20 minutes"; under a minute in seconds ("6 seconds", and "a few seconds" for 0), as
    people say it: "0.1 minutes" or "0 minutes" reads like nothing happened."""
    if question.unit == "minutes" and 0 <= value < 1:
        seconds = round(value * 60)
        return f"{seconds} second{'s' if seconds != 1 else ''}" if seconds else "a few seconds"
    number = f"{value:g}" if isinstance(value, float) else str(value)
    unit = question.unit[:-1] if value == 1 and question.unit.endswith("s") else question.unit  # "1 day"
    return f"{number} {unit}".strip()


@dataclass(frozen=True)
class QuestionType:
    """One kind of question: what an answer is, and how it is read and said."""

    name: QuestionTypeName
    words: str
    """How error messages name the type ("one-choice questions")."""
    described: str
    """What an answer is, for the rules catalogue ("one choice")."""
    coerce: Callable[[Question, Any], Any]
    """A whole answer in its declared type (raises ValueError with a short reason)."""
    coerce_item: Callable[[Question, Any], Any]
    """One value as a rule compares it: an option id, yes/no, or a number."""
    say: Callable[[Question, Any], str]
    """A coerced answer in words, as the person would say it."""


QUESTION_TYPES: dict[QuestionTypeName, QuestionType] = {
    "choice": QuestionType(
        "choice", "one-choice", "one choice", _option, _option, lambda q, v: q.option_label(v),
    ),
    "multi": QuestionType(
        "multi", "several-choice", "several choices", _options, _option,
        lambda q, v: "; ".join(q.option_label(o) for o in v) if v else "None picked",
    ),
    "yesno": QuestionType("yesno", "yes/no", "yes or no", _yes_no, _yes_no, lambda q, v: "Yes" if v else "No"),
    "number": QuestionType("number", "number", "a number", coerce_number, coerce_number, _number_words),
}


def question_type(name: str) -> QuestionType:
    """The registered type, or KeyError naming the known ones (never a silent default)."""
    try:
        return QUESTION_TYPES[name]  # type: ignore[index]  # any text may name a type; KeyError if none
    except KeyError:
        raise KeyError(f"unknown question type {name!r} (known: {', '.join(QUESTION_TYPES)})") from None


def coerce_answer(question: Question, raw: Any) -> Any:
    """The answer in its declared type, or NOT_SURE; raises ValueError with a short user-facing reason."""
    # The common cases, already in their type: an option id of a one-choice question (never a
    # spelling of "not sure": those ids are reserved) or a yes/no as a bool. The rest below.
    if raw.__class__ is str and question.type == "choice" and question.option(raw) is not None:
        return raw
    if raw.__class__ is bool and question.type == "yesno":
        return raw
    if is_not_sure(raw):
        if not question.not_sure:
            raise ValueError("'not sure' is not allowed for this question")
        return NOT_SURE
    return QUESTION_TYPES[question.type].coerce(question, raw)


def coerce_item(question: Question, raw: Any) -> Any:
    """One value a rule compares an answer with, coerced like an answer (NOT_SURE included)."""
    if is_not_sure(raw):
        if not question.not_sure:
            raise ValueError("'not sure' is not allowed for this question")
        return NOT_SURE
    return question_type(question.type).coerce_item(question, raw)


def answer_text(question: Question, value: Any) -> str:
    """An answer in words, as the person would say it."""
    if value == NOT_SURE:
        return "Not sure"
    return question_type(question.type).say(question, value)
