"""Author test cases (`rules/tests/*.yaml`): answers in, what must hold out.

Authors add a case by adding YAML, never Python; a failure reads like
`rules/tests/neck.yaml:14: case 'neck spasm': expected urgency soon, got routine; rules fired: ...`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..answers import check_answers
from ..content import links_out_of
from ..errors import InputError, Problem
from ..evaluate import Result, Triage
from ..model import Content, urgency_rank
from ..render import Renderer
from ..shapes import read_shaped
from ..yamlsafe import LocatedDict


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


TESTS_SCHEMA = "tests.schema.json"


def case_files(root: Path) -> list[Path]:
    """The authors' test files of a content folder (none linked out of it: those are never read)."""
    folder = root / "tests"
    if not folder.is_dir():
        return []
    linked_out = {p.path for p in links_out_of(root)}
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file() and str(p) not in linked_out)


def case_shape_problems(root: Path) -> list[Problem]:
    """Every place where a test file does not fit its schema (or cannot be read at all)."""
    problems: list[Problem] = []
    for path in case_files(root):
        read_shaped(path, TESTS_SCHEMA, problems)
    return problems


def _check_expect(expect: LocatedDict, content: Content, path: str, name: str, problems: list[Problem]) -> None:
    """What the schema cannot know: that the advice and rules an expectation names exist, and
    that no rule is expected both to fire and not to (a case that could never pass)."""
    both = set(expect.get("fired", ())) & set(expect.get("not_fired", ()))
    for rule in sorted(both):
        mark = expect.where("not_fired")
        problems.append(Problem(path, mark.line, mark.column, f"case {name!r}: rule {rule!r} is in both fired and not_fired"))
    rules = {r.id for r in content.rules}
    for key, known, what in (("advice", content.advice, "advice"), ("no_advice", content.advice, "advice"),
                             ("fired", rules, "rule"), ("not_fired", rules, "rule")):
        for i, value in enumerate(expect.get(key, ())):
            if value not in known:
                mark = expect[key].where(i)
                problems.append(Problem(path, mark.line, mark.column, f"{key}: unknown {what} {value!r}"))


def load_cases(content: Content, path: Path) -> list[tuple[int, str, dict, LocatedDict, str]]:
    """(line, name, answers, expect, todo) for each case; InputError lists every problem."""
    problems: list[Problem] = []
    spath = str(path)
    file = read_shaped(path, TESTS_SCHEMA, problems)
    loaded = []
    names: set[str] = set()
    for i, case in file.entries("cases"):
        if not file.shape.fits(i, "name"):
            continue
        mark = file.data["cases"].where(i)
        name = case["name"]
        if name in names:
            problems.append(Problem(spath, mark.line, mark.column, f"duplicate case name {name!r}"))
        names.add(name)
        answers = None
        if file.shape.fits(i, "answers"):  # each part that fits is checked, whatever else is wrong
            try:
                answers = check_answers(content, case.get("answers", LocatedDict()), spath)
            except InputError as exc:
                problems.extend(exc.problems)
        expect = case.get("expect", LocatedDict())
        if file.shape.fits(i, "expect"):
            _check_expect(expect, content, spath, name, problems)
        if answers is not None and file.shape.fits(i):
            loaded.append((mark.line, name, answers, expect, case.get("todo", "")))
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
    for path in case_files(triage.content.root):
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
