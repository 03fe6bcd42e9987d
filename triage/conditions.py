"""What a condition means on a fact, and walks over a condition's parts.

An answer set becomes one flat *fact* (a dict, built by `triage.answers.to_fact`) before any
condition is evaluated, so the python engine, the durable engine and `show_if` all see exactly
the same input:

- `_a__q: True` when question q was answered at all ("not sure" included);
- `_ns__q: True` when q was answered "not sure";
- `q: value` for a real choice, yes/no or number answer (coerced to its type);
- `q__option: True` for every option picked in a multi-choice question;
- `_f__flag: True` for every flag set by a rule of an earlier stage.

Every comparison reads either a typed scalar or a presence marker, which keeps durable-rules'
loose typing out of play. The comparisons themselves are in `triage.operators`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from .model import All, AnyOf, Compare, Condition, Flag, Not
from .operators import Test, flag_key, operator, python_marker


def python_source(condition: Condition) -> str:
    """The condition as one Python expression over the fact `f` (what the python engine runs)."""
    match condition:
        case Compare(question, op, value):
            return operator(op).python(question, value)
        case All(parts):
            return "(" + " and ".join(python_source(p) for p in parts) + ")"
        case AnyOf(parts):
            return "(" + " or ".join(python_source(p) for p in parts) + ")"
        case Not(part):
            return f"(not {python_source(part)})"
        case Flag(name):
            return python_marker(flag_key(name))
        case _:
            raise TypeError(f"not a condition: {condition!r}")


def generated_globals() -> dict[str, Any]:
    """The only names generated code can see: the types its number tests compare with, and set."""
    return {"__builtins__": {"int": int, "float": float, "set": set}}


@lru_cache(maxsize=4096)
def compile_source(source: str) -> Any:
    """Compile generated source with no builtins at all: it only reads the fact it is given.

    Cached by the source text, never by the condition: `equals: 1` and `equals: true` are equal
    as dataclasses (1 == True) but not as source.
    """
    return eval(compile(source, "<rules>", "eval"), generated_globals())  # noqa: S307 - literals only


def compile_condition(condition: Condition) -> Test:
    """The condition as one compiled test on a fact.

    Remembered for this very condition object (by identity, not equality: see compile_source),
    so a show_if checked for every answer set is compiled once.
    """
    known = _COMPILED.get(id(condition))
    if known is not None and known[0] is condition:
        return known[1]
    test: Test = compile_source(f"lambda f: {python_source(condition)}")
    if len(_COMPILED) >= 4096:
        _COMPILED.clear()
    _COMPILED[id(condition)] = (condition, test)  # holding the condition keeps its id unique
    return test


_COMPILED: dict[int, tuple[Condition, Test]] = {}


def holds(condition: Condition, fact: dict) -> bool:
    """True when the condition holds for the fact: a walk over the tree (no compiling).

    Each comparison means what its operator's `holds` says: the reference the compiled source
    (`compile_condition`, the python engine) is checked against.
    """
    match condition:
        case Compare(question, op, value):
            return operator(op).holds(question, value)(fact)
        case All(parts):
            return all(holds(p, fact) for p in parts)
        case AnyOf(parts):
            return any(holds(p, fact) for p in parts)
        case Not(part):
            return not holds(part, fact)
        case Flag(name):
            return fact.get(flag_key(name)) is True
        case _:
            raise TypeError(f"not a condition: {condition!r}")


def first_failure(condition: Condition, fact: dict, negated: bool = False) -> tuple[Compare | Flag, bool] | None:
    """The first comparison that makes the condition false, or None when it holds.

    Returns (comparison, negated): with `negated` the comparison was *true* where the rule
    needed it false (it sits under a `not`).
    """
    if holds(condition, fact) != negated:
        return None
    match condition:
        case Compare() | Flag():
            return condition, negated
        case Not(part):
            return first_failure(part, fact, not negated)
        case All(parts) | AnyOf(parts):
            for part in parts:
                found = first_failure(part, fact, negated)
                if found is not None:
                    return found
            return None
        case _:
            raise TypeError(f"not a condition: {condition!r}")


def leaves(condition: Condition) -> Iterator[Compare | Flag]:
    """Every comparison and flag in a condition, left to right."""
    match condition:
        case Compare() | Flag():
            yield condition
        case Not(part):
            yield from leaves(part)
        case All(parts) | AnyOf(parts):
            for part in parts:
                yield from leaves(part)
        case _:
            raise TypeError(f"not a condition: {condition!r}")


def questions_read(condition: Condition) -> set[str]:
    return {leaf.question for leaf in leaves(condition) if isinstance(leaf, Compare)}


def flags_read(condition: Condition) -> set[str]:
    return {leaf.name for leaf in leaves(condition) if isinstance(leaf, Flag)}
