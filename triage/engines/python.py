"""The plain-Python engine: every rule's condition compiled to one test on the fact.

It is the test oracle for the durable engine, and the engine wherever durable-rules is not
installed or cannot be imported (Python 3.13 and later).
"""

from __future__ import annotations

from ..conditions import compile_condition
from ..model import Content


class PythonEngine:
    name = "python"

    def __init__(self, content: Content):
        self._stages: dict[int, list] = {}
        for rule in content.rules:
            self._stages.setdefault(rule.stage, []).append((rule.id, compile_condition(rule.when)))

    def matching(self, fact: dict, stage: int) -> set[str]:
        return {rule_id for rule_id, test in self._stages.get(stage, ()) if test(fact)}
