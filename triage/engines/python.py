"""The plain-Python engine: each stage's rules compiled to one Python function.

Every rule's condition becomes one Python expression over the fact (`conditions.python_source`,
built from the operator table), and each stage becomes one function that tests them in turn:
no interpretation at evaluation time. It is the test oracle for the durable engine, and the
engine wherever durable-rules is not installed or cannot be imported (Python 3.13 and later).
"""

from __future__ import annotations

from collections.abc import Callable

from ..conditions import generated_globals, python_source
from ..model import Content, Rule
from ..operators import literal


def _stage_function(rules: list[Rule]) -> Callable[[dict], set[str]]:
    body = "".join(f"    if {python_source(rule.when)}:\n        fired.add({literal(rule.id)})\n" for rule in rules)
    namespace: dict = {}
    exec(compile(f"def stage(f):\n    fired = set()\n{body}    return fired\n", "<rules>", "exec"),  # noqa: S102
         generated_globals(), namespace)
    function: Callable[[dict], set[str]] = namespace["stage"]
    return function


class PythonEngine:
    name = "python"

    def __init__(self, content: Content):
        by_stage: dict[int, list[Rule]] = {}
        for rule in content.rules:
            by_stage.setdefault(rule.stage, []).append(rule)
        self._stages = {stage: _stage_function(rules) for stage, rules in by_stage.items()}

    def matching(self, fact: dict, stage: int) -> set[str]:
        run = self._stages.get(stage)
        return run(fact) if run is not None else set()
