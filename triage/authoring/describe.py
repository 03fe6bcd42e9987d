"""Conditions in plain words: the one describer, for `rules explain` and the rules catalogue.

The words for each comparison come from the operator table (`Operator.phrase`). In the
catalogue (`ids=False`) a question is named by its text and its id, an option by its label;
in `explain` (`ids=True`) by their ids, which is what an author greps the rule files for.
"""

from __future__ import annotations

from typing import Any

from ..model import NOT_SURE, All, AnyOf, Compare, Condition, Content, Flag, Not, Question
from ..operators import operator

_MD_SPECIAL = "\\`*_[]<>|"


def md(text: str) -> str:
    """Text on one line, with the characters Markdown would act on escaped."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


def quote(text: str) -> str:
    return f"“{md(text)}”"


def number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class ConditionWords:
    """Writes conditions with question texts and option labels (or, with `ids`, their ids)."""

    def __init__(self, content: Content, ids: bool = False):
        self.content = content
        self.ids = ids

    def question(self, qid: str) -> str:
        q = self.content.question_by_id.get(qid)
        if self.ids:
            return qid
        return f"{quote(q.text)} (`{qid}`)" if q else f"`{qid}`"

    def value(self, q: Question | None, value: Any) -> str:
        if value == NOT_SURE:
            return "not_sure" if self.ids else "“Not sure”"
        if isinstance(value, bool):
            word = "yes" if value else "no"
            return word if self.ids else f"“{word}”"
        if isinstance(value, (int, float)):
            unit = f" {md(q.unit)}" if q is not None and q.unit and not self.ids else ""
            return f"{number_text(value)}{unit}"
        if self.ids:
            return str(value)
        if q is not None and q.type in ("choice", "multi"):
            return quote(q.option_label(value))
        return quote(str(value))

    def compare(self, c: Compare) -> str:
        q = self.content.question_by_id.get(c.question)
        values = c.value if isinstance(c.value, tuple) else (c.value,)
        return f"{self.question(c.question)} {operator(c.op).phrase([self.value(q, v) for v in values], c.value)}"

    def leaf(self, leaf: Compare | Flag) -> str:
        if isinstance(leaf, Flag):
            return f"flag `{leaf.name}` is set" if not self.ids else f"flag {leaf.name} is set"
        return self.compare(leaf)

    def head(self, condition: Condition) -> tuple[str, list[Condition]]:
        """A condition as one line of words, and the parts to list under it."""
        match condition:
            case All(parts) | AnyOf(parts) if len(parts) == 1:
                return self.head(parts[0])
            case All(parts):
                return "all of these are true:", list(parts)
            case AnyOf(parts):
                return "at least one of these is true:", list(parts)
            case Flag() | Compare():
                return self.leaf(condition), []
            case Not(part):
                return self._negated(part)
            case _:
                raise TypeError(f"not a condition: {condition!r}")

    def _negated(self, inner: Condition) -> tuple[str, list[Condition]]:
        while isinstance(inner, (All, AnyOf)) and len(inner.parts) == 1:
            inner = inner.parts[0]
        match inner:
            case Not(part):
                return self.head(part)
            case AnyOf(parts):
                return "none of these is true:", list(parts)
            case All(parts):
                return "not all of these are true (at least one is false):", list(parts)
            case Flag(name):
                return f"flag `{name}` is not set", []
            case Compare():
                return f"it is not true that {self.compare(inner)}", []
            case _:
                raise TypeError(f"not a condition: {inner!r}")

    def lines(self, condition: Condition, depth: int = 0) -> list[str]:
        text, parts = self.head(condition)
        out = ["  " * depth + f"- {text}"]
        for part in parts:
            out.extend(self.lines(part, depth + 1))
        return out

    def block(self, lead: str, condition: Condition) -> list[str]:
        """`lead` followed by the condition: one sentence, or a sentence and a list."""
        text, parts = self.head(condition)
        if not parts:
            return [f"{lead} {text}."]
        out = [f"{lead} {text}", ""]
        for part in parts:
            out.extend(self.lines(part))
        return out
