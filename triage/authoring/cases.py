"""Author test cases (`rules/tests/*.yaml`): answers in, what must hold out.

Authors add a case by adding YAML, never Python; a failure reads like
`rules/tests/neck.yaml:14: case 'neck spasm': expected urgency soon, got routine; rules fired: ...`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..answers import check_answers
from ..errors import InputError, Problem
from ..evaluate import Result, Triage
from ..model import CLASSIFICATIONS, URGENCY_LEVELS, Content, urgency_rank
from ..render import Renderer
from ..yamlsafe import LocatedDict, LocatedList, load_yaml_file

EXPECT_FIELDS = (
    "classification", "urgency", "urgency_at_least", "urgency_at_most",
    "advice", "no_advice", "fired", "not_fired", "text_contains", "text_lacks",
)


@dataclass
class CaseOutcome:
    path: str
    line: int
    name: str
    failures: list[str] = field(default_factory=list)
    todo: str = ""
    fired: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self) -> str:
        head = f"{self.path}:{self.line}: case {self.name!r}"
        if self.passed:
            return f"{head}: passed" + (" (marked todo: it can be un-marked)" if self.todo else "")
        detail = "; ".join(self.failures)
        fired = ", ".join(self.fired) or "none"
        tag = f" [todo: {self.todo}]" if self.todo else ""
        return f"{head}: {detail}; rules fired: {fired}{tag}"


def test_files(content: Content) -> list[Path]:
    folder = content.root / "tests"
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file()) if folder.is_dir() else []


def _check_expect(expect: LocatedDict, content: Content, path: str, problems: list[Problem]) -> None:
    rule_ids = {r.id for r in content.rules}
    for key in expect:
        mark = expect.where(key)
        value = expect[key]
        if key not in EXPECT_FIELDS:
            problems.append(
                Problem(path, mark.line, mark.column, f"unknown expectation {key!r} (allowed: {', '.join(EXPECT_FIELDS)})")
            )
        elif key == "classification" and value not in CLASSIFICATIONS:
            problems.append(Problem(path, mark.line, mark.column, f"classification must be one of {', '.join(CLASSIFICATIONS)}"))
        elif key.startswith("urgency") and value not in URGENCY_LEVELS:
            problems.append(Problem(path, mark.line, mark.column, f"{key} must be one of {', '.join(URGENCY_LEVELS)}"))
        elif key in ("advice", "no_advice", "fired", "not_fired", "text_contains", "text_lacks"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(Problem(path, mark.line, mark.column, f"{key} must be a list of texts"))
                continue
            known = content.advice if "advice" in key else rule_ids if "fired" in key else None
            for v in value:
                if known is not None and v not in known:
                    what = "advice" if "advice" in key else "rule"
                    problems.append(Problem(path, mark.line, mark.column, f"{key}: unknown {what} {v!r}"))


def load_cases(content: Content, path: Path) -> list[tuple[int, str, dict, LocatedDict, str]]:
    """(line, name, answers, expect, todo) for each case; InputError lists every problem."""
    problems: list[Problem] = []
    spath = str(path)
    data = load_yaml_file(spath)
    cases = data.get("cases") if isinstance(data, LocatedDict) else None
    if not isinstance(cases, LocatedList):
        raise InputError([Problem(spath, 1, 1, "a test file needs a 'cases:' list")])
    for key in data:
        if key not in ("cases", "$schema"):
            mark = data.where(key)
            problems.append(Problem(spath, mark.line, mark.column, f"unknown field {key!r} (a test file has 'cases:')"))
    loaded = []
    names: set[str] = set()
    for i, case in enumerate(cases):
        mark = cases.where(i)
        if not isinstance(case, LocatedDict):
            problems.append(Problem(spath, mark.line, mark.column, "each case must be a mapping"))
            continue
        for key in case:
            if key not in ("name", "answers", "expect", "todo"):
                k = case.where(key)
                problems.append(
                    Problem(spath, k.line, k.column, f"unknown field {key!r} in a case (allowed: name, answers, expect, todo)")
                )
        name = case.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(spath, mark.line, mark.column, "a case needs a 'name'"))
            continue
        if name in names:
            problems.append(Problem(spath, mark.line, mark.column, f"duplicate case name {name!r}"))
        names.add(name)
        raw_answers = case.get("answers", LocatedDict())
        if not isinstance(raw_answers, dict):
            problems.append(Problem(spath, mark.line, mark.column, f"case {name!r}: 'answers' must be a mapping"))
            continue
        try:
            answers = check_answers(content, raw_answers, spath)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        expect = case.get("expect", LocatedDict())
        if not isinstance(expect, LocatedDict):
            problems.append(Problem(spath, mark.line, mark.column, f"case {name!r}: 'expect' must be a mapping"))
            continue
        _check_expect(expect, content, spath, problems)
        todo = case.get("todo", "")
        loaded.append((mark.line, name, answers, expect, str(todo) if todo else ""))
    if problems:
        raise InputError(problems)
    return loaded


def judge(result: Result, expect: dict, text: str) -> list[str]:
    """What did not hold, in words an author understands."""
    failures = []
    if "classification" in expect and result.classification != expect["classification"]:
        failures.append(f"expected classification {expect['classification']}, got {result.classification}")
    if "urgency" in expect and result.urgency != expect["urgency"]:
        failures.append(f"expected urgency {expect['urgency']}, got {result.urgency}")
    rank = urgency_rank(result.urgency)
    if "urgency_at_least" in expect and rank < urgency_rank(expect["urgency_at_least"]):
        failures.append(f"expected urgency at least {expect['urgency_at_least']}, got {result.urgency}")
    if "urgency_at_most" in expect and rank > urgency_rank(expect["urgency_at_most"]):
        failures.append(f"expected urgency at most {expect['urgency_at_most']}, got {result.urgency}")
    shown = {a.id for a in result.advice}
    for a in expect.get("advice", []):
        if a not in shown:
            failures.append(f"expected advice {a}, which was not given")
    for a in expect.get("no_advice", []):
        if a in shown:
            failures.append(f"advice {a} was given but should not be")
    for r in expect.get("fired", []):
        if r not in result.fired_rules:
            failures.append(f"expected rule {r} to fire")
    for r in expect.get("not_fired", []):
        if r in result.fired_rules:
            failures.append(f"rule {r} fired but should not")
    lowered = " ".join(text.lower().split())
    for words in expect.get("text_contains", []):
        if " ".join(words.lower().split()) not in lowered:
            failures.append(f"expected the text result to contain {words!r}")
    for words in expect.get("text_lacks", []):
        if " ".join(words.lower().split()) in lowered:
            failures.append(f"expected the text result not to contain {words!r}")
    return failures


def run_cases(triage: Triage, renderer: Renderer) -> list[CaseOutcome]:
    outcomes = []
    problems: list[Problem] = []
    for path in test_files(triage.content):
        try:
            cases = load_cases(triage.content, path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for line, name, answers, expect, todo in cases:
            result = triage.evaluate(answers)
            text = renderer.render(result, "text") if expect.get("text_contains") else ""
            outcome = CaseOutcome(str(path), line, name, judge(result, expect, text), todo, result.fired_rules)
            outcomes.append(outcome)
    if problems:
        raise InputError(problems)
    return outcomes
