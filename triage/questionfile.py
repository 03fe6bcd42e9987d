"""Reading questionnaire.yaml (already checked against its schema): typed questions, their
options and number ranges, their show_if; and what the schema cannot say about them."""

from __future__ import annotations

from dataclasses import replace

from .engines import durable
from .errors import Problem
from .fieldcheck import Checker, ConditionReader, report_duplicates
from .model import NOT_SURE, Option, Question
from .shapes import ShapedFile
from .yamlsafe import LocatedDict

RESERVED_IDS = {"id", NOT_SURE, durable.SESSION_FIELD}
"""Not usable as question or option ids: the answer set's own id, "not sure", durable-rules'
session field (rules/schema/questionnaire.schema.json refuses them; tests/test_schemas.py
checks the two lists match)."""

NEEDED_BY_RULES = ("id", "type", "options", "unit", "min", "max", "integer")
"""A question whose entry has a problem elsewhere (its text, an unknown field) is still read,
so the rules that read it are checked too; a problem in one of these fields leaves it unread."""


def read_questions(file: ShapedFile, problems: list[Problem]) -> list[Question]:
    c = Checker(str(file.path), problems)
    questions: dict[str, Question] = {}
    entries = list(file.entries("questions"))
    all_ids: set[str] = {e["id"] for _, e in entries if isinstance(e.get("id"), str)}
    unread = file.unread_ids("questions")
    report_duplicates(problems, [(c.path, e) for _, e in entries], "duplicate question id")
    for _, entry in entries:
        if isinstance(entry.get("options"), list):
            options = [(c.path, option) for option in entry["options"]]
            report_duplicates(problems, options, f"question {entry.get('id')!r}: duplicate option id")
    for i, entry in entries:
        if not file.shape.fits(i, *NEEDED_BY_RULES) or entry["id"] in questions:
            continue
        qid = entry["id"]
        what = f"question {qid!r}"
        question = Question(
            id=qid,
            text=c.text(entry, "text", what),
            type=entry["type"],
            options=_read_options(c, entry, what),
            help=c.text(entry, "help", what),
            not_sure=_flag(file, i, entry, "not_sure", unreadable=True),  # then rules may name not_sure: no second message
            alarm=_flag(file, i, entry, "alarm"),
            ordered=_flag(file, i, entry, "ordered"),
            doctor_note=c.text(entry, "doctor_note", what),
            **_read_number_fields(c, entry, what),
        )
        if "show_if" in entry and file.shape.fits(i, "show_if"):
            reader = ConditionReader(c, questions, f"{what} show_if", all_ids - set(questions), unread)
            condition = reader.read(entry["show_if"])
            if condition is not None:
                question = replace(question, show_if=condition)
        questions[qid] = question
    return list(questions.values())


def _flag(file: ShapedFile, index: int, entry: LocatedDict, key: str, unreadable: bool = False) -> bool:
    """A true/false field; `unreadable` when the schema found it was not one (the content does
    not load anyway: this only decides what the rules reading the question are checked against)."""
    return bool(entry.get(key, False)) if file.shape.fits(index, key) else unreadable


def _read_options(c: Checker, entry: LocatedDict, what: str) -> tuple[Option, ...]:
    options: dict[str, Option] = {}
    for opt in entry.get("options", ()):
        oid = opt["id"]
        if oid in options:
            continue  # reported by read_questions
        options[oid] = Option(oid, c.text(opt, "label", f"{what} option {oid!r}"), opt.get("exclusive", False))
    return tuple(options.values())


def _read_number_fields(c: Checker, entry: LocatedDict, what: str) -> dict:
    if entry["type"] != "number":
        return {}
    low, high = entry["min"], entry["max"]
    if low > high:
        c.problem(entry.where_value("min"), f"{what}: min {low} is larger than max {high}")
    return {"unit": c.text(entry, "unit", what), "min": low, "max": high, "integer": entry.get("integer", False)}
