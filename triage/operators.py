"""The comparison operators of the condition language, each declared once.

A comparison reads `{question: q, <operator>: value}`. Everything about an operator lives in
its `Operator` entry: which question types it fits, what shape its value has, what it means
on a fact (a compiled test, used by the python engine and by the reference walker), its
durable-rules form (with `not` pushed down to it), its words, and its FHIR enableWhen form.
Adding an operator means adding one entry to `OPERATORS`; docs/design.md walks through it.

The fact's shape (see `triage.conditions`): `q: value` for a choice, yes/no or number answer,
`q__option: True` for every picked option of a multi question, `_a__q` when q was answered at
all, `_ns__q` when it was answered "not sure".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from .model import NOT_SURE, OperatorName, QuestionTypeName

Test = Callable[[dict], bool]
ValueShape = Literal["item", "items", "threshold", "bool"]

# The fact's key names. Each is made once and reused (cached): a fact is built from them for
# every answer set, and a reused string keeps its hash.


@lru_cache(maxsize=4096)
def answered_key(question: str) -> str:
    return f"_a__{question}"


@lru_cache(maxsize=4096)
def not_sure_key(question: str) -> str:
    return f"_ns__{question}"


@lru_cache(maxsize=4096)
def option_key(question: str, option: str) -> str:
    return f"{question}__{option}"


@lru_cache(maxsize=4096)
def flag_key(name: str) -> str:
    return f"_f__{name}"


def present(key: str, negate: bool = False) -> dict:
    """durable-rules: `key` is set (or, negated, missing). Facts only ever hold True for markers."""
    return {"$nex": {key: 1}} if negate else {key: True}


def join(op: str, parts: list[dict]) -> dict:
    return parts[0] if len(parts) == 1 else {op: parts}


# --- meanings -------------------------------------------------------------------------------


def _marker(key: str) -> Test:
    return lambda fact: fact.get(key) is True


def _equals(question: str, value: Any) -> Test:
    if value == NOT_SURE:
        return _marker(not_sure_key(question))
    kind = type(value)
    return lambda fact: (actual := fact.get(question)) is not None and type(actual) is kind and actual == value


def _not_equals(question: str, value: Any) -> Test:
    same = _equals(question, value)
    return lambda fact: not same(fact)


def _one_of(question: str, values: tuple) -> Test:
    tests = [_equals(question, v) for v in values]
    return lambda fact: any(t(fact) for t in tests)


def _picked_keys(question: str, values: tuple) -> list[str]:
    return [not_sure_key(question) if v == NOT_SURE else option_key(question, v) for v in values]


def _any_of(question: str, values: tuple) -> Test:
    keys = _picked_keys(question, values)
    return lambda fact: any(fact.get(k) is True for k in keys)


def _all_of(question: str, values: tuple) -> Test:
    keys = _picked_keys(question, values)
    return lambda fact: all(fact.get(k) is True for k in keys)


def _answered(question: str, wanted: bool) -> Test:
    key = answered_key(question)
    return lambda fact: (fact.get(key) is True) == wanted


def _threshold(compare: Callable[[Any, Any], bool]) -> Callable[[str, Any], Test]:
    def build(question: str, limit: Any) -> Test:
        # A number answer is never a bool in a fact (coerced first); "not sure" leaves it missing.
        return lambda fact: (actual := fact.get(question)) is not None and compare(actual, limit)

    return build


# --- Python source forms (what the python engine compiles) ----------------------------------


def literal(value: Any) -> str:
    """A constant as Python source. Only the plain types a fact or a rule holds get through, and
    repr() of those is always one literal, so author text can never become code."""
    if type(value) not in (str, int, float, bool):
        raise TypeError(f"not a plain constant: {value!r}")
    return repr(value)


def python_marker(key: str, wanted: bool = True) -> str:
    # A marker is only ever present as True (answers.to_fact, flags), so presence is the test.
    return f"{literal(key)} {'in' if wanted else 'not in'} f"


def _python_equals(question: str, value: Any) -> str:
    if value == NOT_SURE:
        return python_marker(not_sure_key(question))
    if isinstance(value, bool):
        return f"f.get({literal(question)}) is {value}"
    if isinstance(value, str):
        return f"f.get({literal(question)}) == {literal(value)}"  # only a str equals a str
    # A number: the same type too, as in `_equals` (True == 1 and 1 == 1.0 in Python).
    kind = type(value).__name__
    return f"((_v := f.get({literal(question)})).__class__ is {kind} and _v == {literal(value)})"


def _python_one_of(question: str, values: tuple) -> str:
    return "(" + " or ".join(_python_equals(question, v) for v in values) + ")"


def _python_picked(word: str) -> Callable[[str, tuple], str]:
    def build(question: str, values: tuple) -> str:
        return "(" + f" {word} ".join(python_marker(k) for k in _picked_keys(question, values)) + ")"

    return build


def _python_threshold(symbol: str) -> Callable[[str, Any], str]:
    def build(question: str, limit: Any) -> str:
        return f"((_v := f.get({literal(question)})) is not None and _v {symbol} {literal(limit)})"

    return build


# --- durable-rules forms (negate: the comparison's opposite, "missing, or different") ------


def _durable_equals(question: str, value: Any, negate: bool) -> dict:
    if value == NOT_SURE:
        return present(not_sure_key(question), negate)
    if negate:
        return {"$or": [{"$nex": {question: 1}}, {"$neq": {question: value}}]}
    return {question: value}


def _durable_one_of(question: str, values: tuple, negate: bool) -> dict:
    return join("$and" if negate else "$or", [_durable_equals(question, v, negate) for v in values])


def _durable_picked(all_needed: bool) -> Callable[[str, tuple, bool], dict]:
    def build(question: str, values: tuple, negate: bool) -> dict:
        use_and = all_needed != negate
        return join("$and" if use_and else "$or", [present(k, negate) for k in _picked_keys(question, values)])

    return build


def _durable_threshold(op: str, opposite: str) -> Callable[[str, Any, bool], dict]:
    def build(question: str, limit: Any, negate: bool) -> dict:
        if negate:
            return {"$or": [{"$nex": {question: 1}}, {opposite: {question: limit}}]}
        return {op: {question: limit}}

    return build


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """One comparison: where it fits, what it means, how each engine and reader sees it."""

    name: OperatorName
    types: frozenset[QuestionTypeName]
    """Question types it can compare."""
    value: ValueShape
    """item: one value; items: a non-empty list of values; threshold: a number; bool: true/false."""
    holds: Callable[[str, Any], Test]
    """(question id, coerced value) -> a test on a fact: the meaning (the reference walker's)."""
    python: Callable[[str, Any], str]
    """(question id, value) -> a Python expression over the fact `f` with the same meaning: what the
    python engine compiles (every constant in it is a literal made by `literal`)."""
    durable: Callable[[str, Any, bool], dict]
    """(question id, value, negate) -> a durable-rules expression (negate pushes `not` down)."""
    phrase: Callable[[list[str], Any], str]
    """The words after the question, given the value(s) in words and the value itself."""
    fhir: str | None = None
    """The FHIR enableWhen operator with the same meaning, or None when there is none."""


def or_list(items: list[str], word: str = "or") -> str:
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _threshold_operator(
    name: OperatorName, symbol: str, op: str, opposite: str, fhir: str, words: str, compare: Callable[[Any, Any], bool]
) -> Operator:
    return Operator(
        name, frozenset({"number"}), "threshold", _threshold(compare), _python_threshold(symbol),
        _durable_threshold(op, opposite), lambda v, _: words.format(v[0]), fhir,
    )


OPERATORS: dict[OperatorName, Operator] = {
    op.name: op
    for op in (
        Operator(
            "equals", frozenset({"choice", "yesno", "number"}), "item", _equals, _python_equals, _durable_equals,
            lambda v, _: f"is {v[0]}", "=",
        ),
        Operator(
            "not_equals", frozenset({"choice", "yesno", "number"}), "item", _not_equals,
            lambda q, v: f"not {_python_equals(q, v)}", lambda q, v, negate: _durable_equals(q, v, not negate),
            lambda v, _: f"is not {v[0]} (also true when not answered)", "!=",
        ),
        Operator(
            "one_of", frozenset({"choice"}), "items", _one_of, _python_one_of, _durable_one_of,
            lambda v, _: f"is {or_list(v)}", "=",
        ),
        Operator(
            "any_of", frozenset({"multi"}), "items", _any_of, _python_picked("or"), _durable_picked(all_needed=False),
            lambda v, _: f"includes {v[0]}" if len(v) == 1 else f"includes at least one of {or_list(v)}", "=",
        ),
        Operator(
            "all_of", frozenset({"multi"}), "items", _all_of, _python_picked("and"), _durable_picked(all_needed=True),
            lambda v, _: f"includes {v[0]}" if len(v) == 1 else f"includes all of {or_list(v, 'and')}", "=",
        ),
        Operator(
            "answered", frozenset({"choice", "multi", "yesno", "number"}), "bool", _answered,
            lambda q, wanted: python_marker(answered_key(q), wanted),
            lambda q, wanted, negate: present(answered_key(q), negate == wanted),
            lambda _, wanted: "is answered (“Not sure” counts)" if wanted else "is not answered", "exists",
        ),
        _threshold_operator("less_than", "<", "$lt", "$gte", "<", "is less than {}", lambda a, b: a < b),
        _threshold_operator("greater_than", ">", "$gt", "$lte", ">", "is more than {}", lambda a, b: a > b),
        _threshold_operator("at_least", ">=", "$gte", "$lt", ">=", "is {} or more", lambda a, b: a >= b),
        _threshold_operator("at_most", "<=", "$lte", "$gt", "<=", "is {} or less", lambda a, b: a <= b),
    )
}


def operator(name: str) -> Operator:
    """The registered operator, or KeyError naming the known ones (never a silent default)."""
    try:
        return OPERATORS[name]  # type: ignore[index]  # any text may name an operator; KeyError if none
    except KeyError:
        raise KeyError(f"unknown comparison {name!r} (known: {', '.join(OPERATORS)})") from None
