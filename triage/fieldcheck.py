"""Reading located YAML data against the content format: fields, types, ids, conditions.

A small checker in the style of a schema validator that keeps going after a problem, so an
author sees every problem in a file at once, each with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from .errors import Problem
from .model import ANSWER_ID, ITEM_ID, All, AnyOf, Compare, Condition, Flag, Not, Question
from .operators import OPERATORS, Operator
from .questiontypes import NotFit, coerce_item, coerce_number, question_type
from .yamlsafe import LocatedDict, LocatedList, Mark


class _Unreadable:
    """Stands for a file that could not be parsed at all (its problems are already reported)."""


UNREADABLE = _Unreadable()


class Checker:
    """Collects problems while reading located YAML data."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems

    def problem(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.path, mark.line, mark.column, message))

    def mapping(self, value: Any, mark: Mark, what: str) -> LocatedDict | None:
        if isinstance(value, LocatedDict):
            return value
        self.problem(mark, f"{what} must be a mapping (key: value lines), got {kind_of(value)}")
        return None

    def fields(self, data: LocatedDict, what: str, required: tuple, optional: tuple) -> bool:
        ok = True
        for key in data:
            if key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                self.problem(data.where(key), f"{what}: unknown field {key!r} (allowed: {allowed})")
        for key in required:
            if key not in data:
                self.problem(data.where(), f"{what}: missing required field {key!r}")
                ok = False
        return ok

    def text(self, data: LocatedDict, key: str, what: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or (key in data and not value.strip()):
            self.problem(data.where_value(key), f"{what}: {key!r} must be non-empty text, got {kind_of(value)}")
            return default
        if not _is_unicode(value):
            self.problem(data.where_value(key), f"{what}: {key!r} holds a character that is not valid Unicode "
                                                "(a lone surrogate such as \\ud800); it could not be written out")
            return default
        return value.strip()

    def flag(self, data: LocatedDict, key: str, what: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem(data.where_value(key), f"{what}: {key!r} must be true or false, got {kind_of(value)}")
            return False
        return value

    def id_list(self, data: LocatedDict, key: str, what: str, pattern: re.Pattern[str] = ITEM_ID) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(data.where_value(key), f"{what}: {key!r} must be a list, got {kind_of(value)}")
            return ()
        items = []
        for i, item in enumerate(value):
            mark = value.where(i) if isinstance(value, LocatedList) else data.where_value(key)
            if not isinstance(item, str) or not pattern.fullmatch(item):
                self.problem(mark, f"{what}: {key!r} item {item!r} is not a valid id")
            else:
                items.append(item)
        return tuple(items)

    def items(self, data: Any, key: str) -> list[tuple[LocatedDict, Mark]]:
        """The list of mappings under a file's top-level key."""
        if data is UNREADABLE:
            return []
        top = self.mapping(data, Mark((1, 1)), "the file")
        if top is None:
            return []
        self.fields(top, "the file", (key,), ("$schema",))
        value = top.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            self.problem(top.where_value(key), f"{key!r} must be a list, got {kind_of(value)}")
            return []
        found = []
        for i, item in enumerate(value):
            entry = self.mapping(item, value.where(i), f"{key} item {i + 1}")
            if entry is not None:
                found.append((entry, value.where(i)))
        return found


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# --- conditions ------------------------------------------------------------------------------


class ConditionReader:
    """Turns located YAML into a typed Condition, checking every value against the questionnaire.

    Which operators exist, what they fit and what shape their values take comes from the
    operator table; values are coerced by the same coercer as answers (`triage.questiontypes`).
    """

    def __init__(
        self, checker: Checker, questions: dict[str, Question], what: str, later: set[str] | frozenset[str] = frozenset()
    ):
        self.checker = checker
        self.questions = questions
        self.what = what
        self.later = later
        self.flags: list[tuple[str, Mark]] = []

    def read(self, data: Any, mark: Mark) -> Condition | None:
        c = self.checker
        node = c.mapping(data, mark, f"{self.what}: a condition")
        if node is None:
            return None
        for key in ("all", "any"):
            if key in node:
                if len(node) != 1:
                    c.problem(node.where(), f"{self.what}: '{key}' must stand alone in its condition")
                parts = node[key]
                if not isinstance(parts, LocatedList) or not parts:
                    c.problem(node.where_value(key), f"{self.what}: '{key}' needs a non-empty list of conditions")
                    return None
                read = [self.read(p, parts.where(i)) for i, p in enumerate(parts)]
                if any(r is None for r in read):
                    return None
                return (All if key == "all" else AnyOf)(tuple(r for r in read if r is not None))
        if "not" in node:
            if len(node) != 1:
                c.problem(node.where(), f"{self.what}: 'not' must stand alone in its condition")
            inner = self.read(node["not"], node.where_value("not"))
            return Not(inner) if inner is not None else None
        if "flag" in node:
            if len(node) != 1:
                c.problem(node.where(), f"{self.what}: 'flag' must stand alone in its condition")
            name = node["flag"]
            if not isinstance(name, str) or not ANSWER_ID.fullmatch(name):
                c.problem(node.where_value("flag"), f"{self.what}: flag name {name!r} is not a valid id")
                return None
            self.flags.append((name, node.where_value("flag")))
            return Flag(name, node.where_value("flag").line)
        if "question" not in node:
            c.problem(
                node.where(),
                f"{self.what}: a condition needs 'all', 'any', 'not', 'flag' or 'question' "
                f"(found {', '.join(map(str, node)) or 'nothing'})",
            )
            return None
        return self._comparison(node)

    def _comparison(self, node: LocatedDict) -> Compare | None:
        c = self.checker
        qid = node["question"]
        question = self.questions.get(qid) if isinstance(qid, str) else None
        if question is None and isinstance(qid, str) and qid in self.later:
            c.problem(
                node.where_value("question"), f"{self.what}: may only read questions asked before this one ({qid!r} is not)"
            )
            return None
        if question is None:
            c.problem(node.where_value("question"), f"{self.what}: unknown question {qid!r}")
            return None
        ops = [k for k in node if k != "question"]
        unknown = [k for k in ops if k not in OPERATORS]
        if unknown:
            c.problem(
                node.where(unknown[0]),
                f"{self.what}: unknown comparison {unknown[0]!r} (use one of: {', '.join(OPERATORS)})",
            )
            return None
        if len(ops) != 1:
            c.problem(node.where(), f"{self.what}: a comparison on {qid!r} needs exactly one operator, found {len(ops)}")
            return None
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
                if not isinstance(raw, bool):
                    self.checker.problem(mark, f"{where}: must be true or false, got {kind_of(raw)}")
                    return None
                return raw
            case "threshold":
                return self._coerced(partial(coerce_number, whole=False), q, raw, mark, where)
            case "item":
                return self._coerced(coerce_item, q, raw, mark, where)
            case "items":
                if not isinstance(raw, list) or not raw:
                    self.checker.problem(mark, f"{where}: needs a non-empty list of options")
                    return None
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
