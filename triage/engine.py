"""Rule engines: which rules of one stage match one fact.

The engine's only job is matching; staging, combining conclusions and defaults live in
`triage.evaluate`, so both engines give identical results by construction of their inputs.

- `DurableEngine` runs durable-rules in the pattern from the design note: a ruleset built
  from data once, one fact under one fixed session, assert / collect / retract, host timers
  off, a positive guard in every rule.
- `PythonEngine` evaluates the same conditions in plain Python. It is the test oracle, and
  the engine on Python versions where durable-rules cannot be imported (3.13 and later).
"""

from __future__ import annotations

import itertools
from typing import Protocol

from .conditions import holds, to_durable
from .content import Content
from .errors import ContentError, Problem, TriageError

ENGINES = ("durable", "python")
_GUARD_KIND = "answers"
_SESSION = "triage"
_names = itertools.count(1)


class Engine(Protocol):
    name: str

    def matching(self, fact: dict, stage: int) -> set[str]:
        """Ids of the rules in `stage` whose condition holds for `fact`."""


class PythonEngine:
    name = "python"

    def __init__(self, content: Content):
        self._stages: dict[int, list] = {}
        for rule in content.rules:
            self._stages.setdefault(rule.stage, []).append(rule)

    def matching(self, fact: dict, stage: int) -> set[str]:
        return {rule.id for rule in self._stages.get(stage, ()) if holds(rule.when, fact)}


def durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:  # ImportError, or the undefined-symbol error on Python 3.13+
        return False
    return True


class DurableEngine:
    name = "durable"

    def __init__(self, content: Content):
        try:
            from durable import engine as durable_engine
        except Exception as exc:
            raise TriageError(
                f"the durable engine cannot be used on this Python ({exc.__class__.__name__}); use --engine python"
            ) from None
        self._not_handled = durable_engine.MessageNotHandledException
        fired: list[str] = []
        self._fired = fired

        class QuietHost(durable_engine.Host):
            """A host that runs actions only on the caller's thread and records rule ids."""

            def get_action(self, action_name):
                return _recorder(fired, action_name)

            def _run(self):  # no self-rescheduling timer threads (design note, "threads")
                pass

        self._host = QuietHost()
        self._ruleset = f"triage{next(_names)}"
        try:
            self._host.set_rulesets({self._ruleset: _definition(content.rules)})
        except Exception as exc:  # durable-rules refuses conditions it cannot compile
            raise ContentError(_too_complex(content, QuietHost, exc)) from None

    def matching(self, fact: dict, stage: int) -> set[str]:
        message = dict(fact, _kind=_GUARD_KIND, _stage=stage, sid=_SESSION)
        self._fired.clear()
        try:
            self._host.assert_fact(self._ruleset, message)
        except self._not_handled:
            return set()  # no rule matched: nothing was stored
        try:
            return set(self._fired)
        finally:
            self._fired.clear()
            self._host.retract_fact(self._ruleset, message)


    def stored_facts(self) -> list:
        """Facts the engine still holds for its session (always empty between evaluations)."""
        try:
            return list(self._host.get_ruleset(self._ruleset).get_facts(_SESSION))
        except Exception:  # no state yet: nothing has ever been stored
            return []


def _definition(rules) -> dict:
    """The ruleset as durable-rules data (a fresh dict: set_rulesets changes what it is given)."""
    definition = {}
    for rule in rules:
        guard = [{"_kind": _GUARD_KIND}, {"_stage": rule.stage}, to_durable(rule.when)]
        definition[rule.id] = {"all": [{"m": {"$and": guard}}], "run": rule.id}
    return definition


def _too_complex(content: Content, host_class, exc: Exception) -> list[Problem]:
    """Which rules durable-rules cannot compile, tried one at a time."""
    problems = []
    for rule in content.rules:
        try:
            host_class().set_rulesets({f"triage{next(_names)}": _definition([rule])})
        except Exception:
            problems.append(Problem(
                rule.path, rule.line, 1,
                f"rule {rule.id!r}: the durable engine cannot compile this condition ({exc}); make it simpler or split it into several rules",
            ))
    return problems or [Problem(str(content.root), 1, 1, f"the durable engine cannot compile the rules: {exc}")]


def _recorder(fired: list, rule_id: str):
    """An action taking exactly one argument: durable-rules treats two as asynchronous."""

    def record(_closure):
        fired.append(rule_id)

    return record


def make_engine(content: Content, name: str | None = None) -> Engine:
    """The named engine, or durable where it imports and python elsewhere."""
    if name is None:
        name = "durable" if durable_available() else "python"
    if name == "durable":
        return DurableEngine(content)
    if name == "python":
        return PythonEngine(content)
    raise TriageError(f"unknown engine {name!r} (use one of: {', '.join(ENGINES)})")
