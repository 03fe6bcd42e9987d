"""The durable-rules engine, and everything this project knows about durable-rules.

The pattern (docs/design.md, "durable-rules"): a ruleset built from data once, one fact under
one fixed session, assert / collect / retract, a positive guard in every rule. It uses
durable-rules' compiled network (the native `durable_rules_engine` module) directly: the
ruleset is created from its JSON and the due actions' rule names are collected without a
Python host, so no timer thread starts and no Python callback runs per fired rule. The
private calls this relies on, and the tests that guard them, are listed in
docs/durable-rules-internals.md.

The limits below are durable-rules' own; the content loader and the answer coercer apply
them to every engine, so both engines always see the same facts.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import weakref
from collections.abc import Callable
from typing import Any

from ..contentcache import derived
from ..errors import ContentError, Problem, TriageError
from ..model import All, AnyOf, Compare, Condition, Content, Flag, Not, Question, Rule
from ..operators import flag_key, join, operator, present

SESSION_FIELD = "sid"
"""durable-rules keeps its session id in this fact field: no question or option may use it."""
NUMBER_DECIMALS = 4
"""durable-rules cannot read numbers written like 1e-05: numbers in facts keep 4 decimals."""
MAX_FACT_FIELDS = 240
"""A fact holds at most about 255 fields; stay well below."""
MAX_RULES = 400
"""durable-rules' network compiler never returns (in C, deaf to SIGTERM and Ctrl-C) on some
rule sets of about 580 rules (450 thresholds on one question); 530 still compiled in under a
second. Stay well below."""

_GUARD_KIND = "answers"
_SESSION = "triage"
_names = itertools.count(1)


def available() -> bool:
    """Whether durable-rules is installed and imports (it does not on Python 3.13 and later)."""
    try:
        import durable_rules_engine  # noqa: F401
    except Exception:  # ImportError, or the undefined-symbol error on Python 3.13+
        return False
    return True


def fact_fields(questions: tuple[Question, ...] | list[Question], rules: tuple[Rule, ...] | list[Rule]) -> int:
    """The most fields one fact can need: markers, answers, picked options, flags, the guard."""
    fields = sum(2 + (len(q.options) if q.type == "multi" else 1) for q in questions)
    return fields + len({f for r in rules for f in r.flags}) + 3


def to_durable(condition: Condition, negate: bool = False) -> dict:
    """A condition as a durable-rules expression, with `not` pushed down to the comparisons.

    durable-rules has no negation inside one fact, so `not` is removed here by De Morgan's laws
    and by each comparison's own opposite (`Operator.durable` with negate).
    """
    match condition:
        case Not(part):
            return to_durable(part, not negate)
        case All(parts) | AnyOf(parts):
            use_and = isinstance(condition, All) != negate
            return join("$and" if use_and else "$or", [to_durable(p, negate) for p in parts])
        case Flag(name):
            return present(flag_key(name), negate)
        case Compare(question, op, value):
            return operator(op).durable(question, value, negate)
        case _:
            raise TypeError(f"not a condition: {condition!r}")


def _definition(rules: tuple[Rule, ...] | list[Rule], conditions: dict[str, dict] | None = None) -> str:
    """The ruleset as durable-rules' JSON: each rule one pattern, guard first, and no action.

    `conditions`: each rule's `to_durable` form by rule id, where the caller has made them already.
    """
    definition = {}
    for rule in rules:
        when = conditions[rule.id] if conditions is not None else to_durable(rule.when)
        definition[rule.id] = {"all": [{"m": {"$and": [{"_kind": _GUARD_KIND}, {"_stage": rule.stage}, when]}}]}
    return json.dumps(definition, ensure_ascii=False)


def fields_read(expression: Any) -> set[str]:
    """The fact fields a durable-rules expression reads (operators start with `$`)."""
    if isinstance(expression, list):
        return set().union(*(fields_read(e) for e in expression))
    if not isinstance(expression, dict):
        return set()
    found: set[str] = set()
    for key, value in expression.items():
        found |= fields_read(value) if key.startswith("$") else {key}
    return found


def _plan(content: Content) -> tuple[str, dict[int, frozenset[str]]]:
    """The ruleset's JSON, and the fact fields each stage's rules read (kept with cached content)."""
    conditions = {rule.id: to_durable(rule.when) for rule in content.rules}
    by_stage: dict[int, list[Rule]] = {}
    for rule in content.rules:
        by_stage.setdefault(rule.stage, []).append(rule)
    fields = {stage: frozenset(fields_read([conditions[r.id] for r in rules])) for stage, rules in by_stage.items()}
    return _definition(content.rules, conditions), fields


OVERFLOW = "error code: 303"
"""durable-rules' ERR_MAX_STACK_SIZE: its matcher walks the condition network with a stack of
64 nodes (events.c, MAX_STACK_SIZE), and a fact that satisfies very many conditions at once
(every box ticked on a long form) overflows it; the match is then incomplete, so it must not
be used."""


class DurableEngine:
    name = "durable"

    def __init__(self, content: Content):
        try:
            import durable_rules_engine
        except Exception as exc:
            raise TriageError(_why_missing(exc)) from None
        self._native = durable_rules_engine
        definition, self._fields = derived(content.cache_key, "durable", lambda: _plan(content), tuple)
        try:
            self._handle = self._create(definition)
        except Exception as exc:  # durable-rules refuses conditions it cannot compile
            raise ContentError(_too_complex(content, self._create, exc)) from None
        self._rule_ids = frozenset(rule.id for rule in content.rules)
        self._content = content
        self._python: Any = None
        self.fell_back = 0
        """How many stage evaluations went to the python engine (`OVERFLOW`)."""

    def _create(self, definition: str) -> int:
        """A ruleset in durable-rules' compiled network, straight from its JSON (no Python host:
        no timer threads, no action callbacks, no `durable.engine` and `logging` to import)."""
        handle = int(self._native.create_ruleset(f"triage{next(_names)}", definition))
        # durable-rules holds at most 131,071 rulesets per process: free this one with its engine
        weakref.finalize(self, _delete, self._native, handle)
        return handle

    def matching(self, fact: dict, stage: int) -> set[str]:
        """Assert the fact, collect the names of the rules whose actions are due, retract it.

        This drives durable-rules' compiled network directly (`durable_rules_engine`, the same
        calls the host makes) and completes each due action without running Python callbacks:
        the action would only record the rule id, and skipping its JSON round trips of the
        session state makes an evaluation about twice as fast.
        """
        if stage not in self._fields:  # no rule of this stage: nothing can match
            return set()
        message = self._message(fact, stage)
        try:
            result = self._native.assert_fact(self._handle, message)
        except self._native.error as exc:
            if OVERFLOW not in str(exc):
                raise
            return self._overflowed(fact, stage, message)
        fired: set[str] = set()
        if result[0] == 0:  # 1: no rule matched, nothing stored
            state = result[1]
            due = self._native.start_action_for_state(self._handle, state)
            pending = due[1] if due else None
            while pending:
                fired.add(self._rule_of(pending))
                pending = self._native.complete_and_start_action(self._handle, state)
        self._native.retract_fact(self._handle, message)
        return fired

    def _overflowed(self, fact: dict, stage: int, message: str) -> set[str]:
        """durable-rules stopped matching part-way (`OVERFLOW`): take back whatever it stored,
        and let the python engine, the oracle for the same rule language, say which rules match."""
        with contextlib.suppress(Exception):
            self._native.retract_fact(self._handle, message)
        if self._python is None:
            from .python import PythonEngine

            self._python = PythonEngine(self._content)
        self.fell_back += 1
        return set(self._python.matching(fact, stage))

    def _message(self, fact: dict, stage: int) -> str:
        """The fact as durable-rules JSON: only the fields some rule of this stage reads, then the guard.

        A smaller fact is faster to encode, match and retract, and a field no rule of the stage
        reads can change no match in it (`$nex` on it is never asked).
        """
        read = self._fields[stage]
        # ensure_ascii (the default) keeps json on its C encoder; ids are ASCII anyway.
        fields = {k: v for k, v in fact.items() if k in read}
        return json.dumps({**fields, "_kind": _GUARD_KIND, "_stage": stage, "sid": _SESSION})

    def _rule_of(self, pending: str) -> str:
        """The rule id of a due action, `{"<rule id>":{"m":{...the fact...}}}`.

        Rule ids never hold quotes or backslashes (content.py checks them), so the name is
        the text up to the second quote; parsing the whole fact back from JSON cost more than
        the engine itself. Anything unexpected is parsed in full.
        """
        name = pending[2:pending.find('"', 2)]
        if pending.startswith('{"') and name in self._rule_ids:
            return name
        (name,) = json.loads(pending)
        return str(name)

    def stored_facts(self) -> list:
        """Facts the engine still holds for its session (always empty between evaluations)."""
        try:
            return list(json.loads(self._native.get_facts(self._handle, _SESSION)))
        except Exception:  # no state yet: nothing has ever been stored
            return []


def _delete(native: Any, handle: int) -> None:
    with contextlib.suppress(Exception):  # at interpreter exit the module may be half gone
        native.delete_ruleset(handle)


def _why_missing(exc: Exception) -> str:
    """One line: why the durable engine cannot be used here, and what to do instead."""
    if sys.version_info >= (3, 13):
        return "the durable engine does not run on Python 3.13 or later; use --engine python (same results)"
    if isinstance(exc, ModuleNotFoundError):
        return (
            "the durable engine is not installed: pip install 'muscle-triage[durable]' (needs a C compiler), "
            "or use --engine python (same results)"
        )
    return f"the durable engine cannot be used on this Python ({exc.__class__.__name__}); use --engine python (same results)"


def _too_complex(content: Content, create: Callable[[str], int], exc: Exception) -> list[Problem]:
    """Which rules durable-rules cannot compile, tried one at a time."""
    problems = []
    for rule in content.rules:
        try:
            create(_definition([rule]))
        except Exception:
            problems.append(Problem(
                rule.path, rule.line, 1,
                f"rule {rule.id!r}: the durable engine cannot compile this condition ({exc}); "
                "make it simpler or split it into several rules",
            ))
    return problems or [Problem(str(content.root), 1, 1, f"the durable engine cannot compile the rules: {exc}")]
