"""Rule engines: which rules of one stage match one fact.

The engine's only job is matching; staging, combining conclusions and defaults live in
`triage.evaluate`, so both engines give identical results by construction of their inputs.

- `DurableEngine` runs durable-rules in the pattern from the design note: a ruleset built
  from data once, one fact under one fixed session, assert / collect / retract, host timers
  off, a positive guard in every rule. It collects the due actions' rule names from the
  compiled engine directly instead of running one Python callback per fired rule.
- `PythonEngine` evaluates the same conditions in plain Python. It is the test oracle, and
  the engine wherever durable-rules is not installed or cannot be imported (Python 3.13+).
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import Protocol

from .conditions import compile_condition, to_durable
from .model import Content
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
            self._stages.setdefault(rule.stage, []).append((rule.id, compile_condition(rule.when)))

    def matching(self, fact: dict, stage: int) -> set[str]:
        return {rule_id for rule_id, test in self._stages.get(stage, ()) if test(fact)}


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
            raise TriageError(_durable_missing(exc)) from None

        class QuietHost(durable_engine.Host):
            """A host that starts no timer threads; its actions are never run (see matching)."""

            def get_action(self, action_name):
                return _no_action

            def _run(self):  # no self-rescheduling timer threads (design note, "threads")
                pass

        self._host = QuietHost()
        self._ruleset = f"triage{next(_names)}"
        try:
            self._host.set_rulesets({self._ruleset: _definition(content.rules)})
        except Exception as exc:  # durable-rules refuses conditions it cannot compile
            raise ContentError(_too_complex(content, QuietHost, exc)) from None
        import durable_rules_engine

        self._native = durable_rules_engine
        self._handle = self._host.get_ruleset(self._ruleset)._handle

    def matching(self, fact: dict, stage: int) -> set[str]:
        """Assert the fact, collect the names of the rules whose actions are due, retract it.

        This drives durable-rules' compiled network directly (`durable_rules_engine`, the
        same calls the host makes) and completes each due action without running Python
        callbacks: the action would only record the rule id, and skipping its JSON round
        trips of the session state makes an evaluation about twice as fast.
        """
        message = json.dumps(dict(fact, _kind=_GUARD_KIND, _stage=stage, sid=_SESSION), ensure_ascii=False)
        result = self._native.assert_fact(self._handle, message)
        fired: set[str] = set()
        if result[0] == 0:  # 1: no rule matched, nothing stored
            state = result[1]
            due = self._native.start_action_for_state(self._handle, state)
            pending = due[1] if due else None
            while pending:
                fired.update(json.loads(pending))
                pending = self._native.complete_and_start_action(self._handle, state)
        self._native.retract_fact(self._handle, message)
        return fired

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


def _durable_missing(exc: Exception) -> str:
    """One line: why the durable engine cannot be used here, and what to do instead."""
    if sys.version_info >= (3, 13):
        return "the durable engine does not run on Python 3.13 or later; use --engine python (same results)"
    if isinstance(exc, ModuleNotFoundError):
        return "the durable engine is not installed: pip install 'muscle-triage[durable]' (needs a C compiler), or use --engine python (same results)"
    return f"the durable engine cannot be used on this Python ({exc.__class__.__name__}); use --engine python (same results)"


def _no_action(_closure) -> None:
    """Stands for every rule's action: matching() completes actions without running them."""


def make_engine(content: Content, name: str | None = None) -> Engine:
    """The named engine, or durable where it imports and python elsewhere."""
    if name is None:
        name = "durable" if durable_available() else "python"
    if name == "durable":
        return DurableEngine(content)
    if name == "python":
        return PythonEngine(content)
    raise TriageError(f"unknown engine {name!r} (use one of: {', '.join(ENGINES)})")
