"""Reading content that fits its schema (`triage.shapes`) into the model, checking what a schema
cannot say: ids that must exist, values that must fit their question, text that must be writable.

Shapes (which fields, their types, allowed words) are checked by the schema before anything
here runs, and only the parts that fit are read; so this module never checks a shape again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from .errors import Problem
from .model import All, AnyOf, Compare, Condition, Flag, Not, Question
from .operators import OPERATORS, Operator
from .questiontypes import NotFit, coerce_item, coerce_number, question_type
from .yamlsafe import LocatedDict, LocatedList, Mark


class Checker:
    """Collects problems while reading one file."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems

    def problem(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.path, mark.line, mark.column, message))

    def text(self, data: LocatedDict, key: str, what: str) -> str:
        """The text at `key`, stripped; "" when absent or not text (the schema has said so: a
        question is still read when only its wording is wrong, so its rules are checked too)."""
        value = data.get(key, "")
        if not isinstance(value, str):
            return ""
        if not _is_unicode(value):
            self.problem(data.where_value(key), f"{what}: {key!r} holds a character that is not valid Unicode "
                                                "(a lone surrogate such as \\ud800); it could not be written out")
            return ""
        return str(value).strip()


def report_duplicates(problems: list[Problem], entries: Iterable[tuple[str, Any]], label: str) -> None:
    """Each id used a second time, at that id, saying where it was first (`entries`: each with
    the path of its file, so rules are compared across files). Entries that do not fit their
    schema count too: the schema cannot see a duplicate, so it is found in the same run."""
    first: dict[str, tuple[str, int]] = {}
    for path, entry in entries:
        item_id = entry.get("id") if isinstance(entry, LocatedDict) else None
        if not isinstance(item_id, str):
            continue
        mark = entry.where_value("id")
        if item_id in first:
            where, line = first[item_id]
            place = f"on line {line}" if where == path else f"in {where}:{line}"
            problems.append(Problem(path, mark.line, mark.column, f"{label} {item_id!r} (first {place})"))
        else:
            first[item_id] = (path, mark.line)


# --- conditions ------------------------------------------------------------------------------


class ConditionReader:
    """Turns located YAML into a typed Condition, checking every value against the questionnaire.

    Which operators exist, what they fit and what shape their values take comes from the
    operator table; values are coerced by the same coercer as answers (`triage.questiontypes`).
    """

    def __init__(
        self, checker: Checker, questions: dict[str, Question], what: str,
        later: set[str] | frozenset[str] = frozenset(), unread: set[str] | frozenset[str] = frozenset(),
    ):
        self.checker = checker
        self.questions = questions
        self.what = what
        self.later = later
        self.unread = unread
        """Questions whose own entry did not fit its schema: comparisons on them are not checked."""

    def read(self, node: LocatedDict) -> Condition | None:
        """The condition, or None after reporting why it cannot hold (or when it names a
        question whose own problems are already reported)."""
        for key in ("all", "any"):
            if key in node:
                read = [self.read(part) for part in node[key]]
                if any(r is None for r in read):
                    return None
                return (All if key == "all" else AnyOf)(tuple(r for r in read if r is not None))
        if "not" in node:
            inner = self.read(node["not"])
            return Not(inner) if inner is not None else None
        if "flag" in node:
            return Flag(node["flag"], node.where_value("flag").line)
        return self._comparison(node)

    def _comparison(self, node: LocatedDict) -> Compare | None:
        c = self.checker
        qid = node["question"]
        question = self.questions.get(qid)
        if question is None and qid in self.unread:
            return None  # the question's own problems are reported where it is written
        if question is None and qid in self.later:
            c.problem(
                node.where_value("question"), f"{self.what}: may only read questions asked before this one ({qid!r} is not)"
            )
            return None
        if question is None:
            c.problem(node.where_value("question"), f"{self.what}: unknown question {qid!r}")
            return None
        ops = [k for k in node if k != "question"]
        op = OPERATORS[ops[0]]
        mark = node.where_value(op.name)
        where = f"{self.what}: {qid} {op.name}"
        if question.type not in op.types:
            kind = question_type(question.type).words
            fits = ", ".join(o.name for o in OPERATORS.values() if question.type in o.types)
            c.problem(mark, f"{where}: {op.name} does not work on {kind} questions like {qid!r} (use {fits})")
            return None
        value = self._value(question, op, node[op.name], mark, where)
        if value is None:
            return None
        return Compare(qid, op.name, value, node.where().line)

    def _value(self, q: Question, op: Operator, raw: Any, mark: Mark, where: str) -> Any:
        match op.value:
            case "bool":
                return raw
            case "threshold":
                return self._coerced(partial(coerce_number, whole=False), q, raw, mark, where)
            case "item":
                return self._coerced(coerce_item, q, raw, mark, where)
            case "items":
                values = [
                    self._coerced(coerce_item, q, v, raw.where(i) if isinstance(raw, LocatedList) else mark, where)
                    for i, v in enumerate(raw)
                ]
                return None if any(v is None for v in values) else tuple(values)
            case _:
                raise TypeError(f"unknown value shape {op.value!r} of operator {op.name!r}")

    def _coerced(self, coerce: Callable[[Question, Any], Any], q: Question, raw: Any, mark: Mark, where: str) -> Any:
        """The value coerced to the question, or None after reporting why it does not fit."""
        try:
            return coerce(q, raw)
        except NotFit as exc:  # an author's own rule file: showing the value helps
            self.checker.problem(mark, f"{where}: {exc.with_value()}")
            return None
        except ValueError as exc:
            self.checker.problem(mark, f"{where}: {exc}")
            return None


def _is_unicode(text: str) -> bool:
    """False for a text with a lone surrogate (YAML's "\\ud800"): no file or terminal can take it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
