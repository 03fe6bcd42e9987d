"""Reading questionnaire.yaml: typed questions, their options and number ranges, their show_if."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .engines import durable
from .errors import Problem
from .fieldcheck import UNREADABLE, Checker, ConditionReader, kind_of
from .model import ANSWER_ID, NOT_SURE, NUMBER_LIMIT, Option, Question
from .questiontypes import QUESTION_TYPES
from .yamlsafe import LocatedDict, LocatedList, is_finite_number

RESERVED_IDS = {"id", NOT_SURE, durable.SESSION_FIELD}
"""Not usable as question or option ids: the answer set's own id, "not sure", durable-rules' session field."""


def read_questions(path: Path, data: Any, problems: list[Problem]) -> list[Question] | None:
    """The questions, or None when the file could not be parsed at all."""
    c = Checker(str(path), problems)
    questions: dict[str, Question] = {}
    if data is UNREADABLE:
        return None
    entries = c.items(data, "questions")
    all_ids: set[str] = {e["id"] for e, _ in entries if isinstance(e.get("id"), str)}
    for entry, _ in entries:
        qid = entry.get("id")
        what = f"question {qid!r}" if isinstance(qid, str) else "question"
        if not c.fields(entry, what, ("id", "text", "type"), (
            "help", "options", "unit", "min", "max", "integer", "not_sure", "show_if", "alarm", "ordered", "doctor_note",
        )):
            continue
        if not isinstance(qid, str) or not ANSWER_ID.fullmatch(qid) or qid in RESERVED_IDS or "__" in qid:
            c.problem(
                entry.where_value("id"),
                f"{what}: id must be lower-case letters, digits and single _ (and not 'id', 'sid' or 'not_sure')",
            )
            continue
        if qid in questions:
            c.problem(entry.where_value("id"), f"duplicate question id {qid!r}")
            continue
        qtype = entry["type"]
        if qtype not in QUESTION_TYPES:
            c.problem(entry.where_value("type"), f"{what}: type must be one of {', '.join(QUESTION_TYPES)}, got {kind_of(qtype)}")
            continue
        options = _read_options(c, entry, what, qtype)
        number = _read_number_fields(c, entry, what, qtype)
        question = Question(
            id=qid,
            text=c.text(entry, "text", what),
            type=qtype,
            options=options,
            help=c.text(entry, "help", what),
            not_sure=c.flag(entry, "not_sure", what),
            alarm=c.flag(entry, "alarm", what),
            ordered=c.flag(entry, "ordered", what),
            doctor_note=c.text(entry, "doctor_note", what),
            **number,
        )
        if "show_if" in entry:
            reader = ConditionReader(c, questions, f"{what} show_if", all_ids - set(questions))
            condition = reader.read(entry["show_if"], entry.where_value("show_if"))
            for name, flag_mark in reader.flags:
                c.problem(flag_mark, f"{what} show_if: flags are not available while asking (flag {name!r})")
            if condition is not None and not reader.flags:
                question = replace(question, show_if=condition)
        questions[qid] = question
    if not questions and not any(p.path == str(path) for p in problems):
        problems.append(Problem(str(path), 1, 1, "the questionnaire has no questions"))
    return list(questions.values())


def _read_options(c: Checker, entry: LocatedDict, what: str, qtype: str) -> tuple[Option, ...]:
    raw = entry.get("options")
    if qtype not in ("choice", "multi"):
        if raw is not None:
            c.problem(entry.where("options"), f"{what}: only choice and multi questions have options")
        return ()
    if not isinstance(raw, LocatedList) or len(raw) < 2:
        c.problem(
            entry.where_value("options") if raw is not None else entry.where(), f"{what}: needs a list of at least two options"
        )
        return ()
    options: dict[str, Option] = {}
    for i, item in enumerate(raw):
        opt = c.mapping(item, raw.where(i), f"{what} option {i + 1}")
        if opt is None or not c.fields(opt, f"{what} option {i + 1}", ("id", "label"), ("exclusive",)):
            continue
        oid = opt["id"]
        if not isinstance(oid, str) or not ANSWER_ID.fullmatch(oid) or oid in RESERVED_IDS:
            c.problem(opt.where_value("id"), f"{what}: option id {oid!r} must be lower-case letters, digits and _")
            continue
        if oid in options:
            c.problem(opt.where_value("id"), f"{what}: duplicate option id {oid!r}")
            continue
        exclusive = c.flag(opt, "exclusive", f"{what} option {oid!r}")
        if exclusive and qtype != "multi":
            c.problem(opt.where("exclusive"), f"{what} option {oid!r}: exclusive only applies to multi questions")
        options[oid] = Option(oid, c.text(opt, "label", f"{what} option {oid!r}"), exclusive)
    return tuple(options.values())


def _read_number_fields(c: Checker, entry: LocatedDict, what: str, qtype: str) -> dict:
    keys = ("unit", "min", "max", "integer")
    if qtype != "number":
        for key in keys:
            if key in entry:
                c.problem(entry.where(key), f"{what}: {key!r} only applies to number questions")
        return {}
    for key in ("unit", "min", "max"):
        if key not in entry:
            c.problem(entry.where(), f"{what}: a number question needs {key!r}")
    low, high = entry.get("min", 0), entry.get("max", 0)
    for key, value in (("min", low), ("max", high)):
        if not is_finite_number(value):
            c.problem(entry.where_value(key), f"{what}: {key!r} must be a number, got {kind_of(value)}")
            low, high = -NUMBER_LIMIT, NUMBER_LIMIT  # unknown range: do not report rule values against it
    if is_finite_number(low) and is_finite_number(high) and max(abs(low), abs(high)) > NUMBER_LIMIT:
        c.problem(entry.where_value("max"), f"{what}: numbers must stay between -{NUMBER_LIMIT:.0f} and {NUMBER_LIMIT:.0f}")
        low, high = 0, 0
    if low > high:
        c.problem(entry.where_value("min"), f"{what}: min {low} is larger than max {high}")
    return {
        "unit": c.text(entry, "unit", what, "") if "unit" in entry else "",
        "min": low,
        "max": high,
        "integer": c.flag(entry, "integer", what),
    }
