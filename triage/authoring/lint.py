"""`triage rules lint`: content that is valid but probably wrong.

Each finding has a check id (shown as `[id]`) and points at the line to fix. Conditions are
checked by trying every meaningful answer for the questions a rule reads (each option, "not
sure", unanswered, and the numbers around every threshold), which is exact for the rule
language as long as a rule reads few questions; larger cases are skipped, never guessed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

from ..answers import to_fact
from ..conditions import compile_condition, flags_read, leaves, questions_read
from ..errors import Problem
from ..evaluate import all_headlines
from ..model import NOT_SURE, Compare, Condition, Content, Question, Rule, time_matters, urgency_rank
from ..operators import flag_key
from ..yamlsafe import LocatedDict, LocatedList, load_yaml_file
from .readability import grade, measurable

MAX_GRADE = 8.0
MAX_HEADLINE_GRADE = 6.0
MAX_COMBINATIONS = 50_000
COPY_WORDS = 8


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    check: str
    message: str
    severity: str = "warning"

    def problem(self) -> Problem:
        return Problem(self.path, self.line, 1, f"{self.message} [{self.check}]", self.severity, self.check)


# --- trying every meaningful answer ----------------------------------------------------------


def _compares(condition: Condition, question: str) -> list[Compare]:
    return [leaf for leaf in leaves(condition) if isinstance(leaf, Compare) and leaf.question == question]


def _thresholds(condition: Condition, question: str) -> set[float]:
    return {
        c.value for c in _compares(condition, question)
        if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)
    }


def _domain(question: Question, conditions: list[Condition]) -> list:
    """Every answer that can make a difference to these conditions (None = unanswered)."""
    values: list = [None]
    if question.not_sure:
        values.append(NOT_SURE)
    if question.type == "choice":
        values += [o.id for o in question.options]
    elif question.type == "yesno":
        values += [True, False]
    elif question.type == "number":
        step: float = 1 if question.integer else 0.001
        points = {question.min, question.max}
        for t in set().union(*(_thresholds(c, question.id) for c in conditions)):
            points |= {t - step, t, t + step}
        values += sorted(p for p in points if question.min <= p <= question.max)
    elif question.type == "multi":
        mentioned = sorted({o for c in conditions for o in _options_in(c, question.id)})
        free = [o.id for o in question.options if o.id in mentioned and not o.exclusive]
        for size in range(len(free) + 1):
            values += [list(combo) for combo in itertools.combinations(free, size)]
        values += [[o.id] for o in question.options if o.exclusive]
        if len(free) < len([o for o in question.options if not o.exclusive]):
            other = next(o.id for o in question.options if not o.exclusive and o.id not in free)
            values.append([other])
    else:
        assert_never(question.type)
    return values


def _options_in(condition: Condition, question: str) -> set[str]:
    found: set[str] = set()
    for c in _compares(condition, question):
        values = c.value if isinstance(c.value, tuple) else (c.value,)
        found |= {v for v in values if isinstance(v, str) and v != NOT_SURE}
    return found


def _facts(content: Content, conditions: list[Condition]) -> Iterator[dict] | None:
    """Every meaningful fact for these conditions, or None when there are too many to try."""
    question_ids = sorted(set().union(*(questions_read(c) for c in conditions)))
    flags = sorted(set().union(*(flags_read(c) for c in conditions)))
    domains = [_domain(content.question_by_id[q], conditions) for q in question_ids]
    total = 2 ** len(flags)
    for domain in domains:
        total *= len(domain)
    if total > MAX_COMBINATIONS:
        return None

    # A fact is the union of each answer's own part (to_fact is per question), so each part is
    # made once, not once per combination: lint tries about a million of them.
    parts = [[to_fact({q: v}) if v is not None else {} for v in domain] for q, domain in zip(question_ids, domains, strict=True)]
    flag_parts = [{flag_key(f): True} for f in flags]

    def generate() -> Iterator[dict]:
        for chosen in itertools.product(*parts):
            base: dict = {}
            for part in chosen:
                base.update(part)
            if not flags:
                yield base
                continue
            for flag_values in itertools.product((False, True), repeat=len(flags)):
                fact = dict(base)
                for part, on in zip(flag_parts, flag_values, strict=True):
                    if on:
                        fact.update(part)
                yield fact

    return generate()


def never_fires(content: Content, rule: Rule) -> bool | None:
    facts = _facts(content, [rule.when])
    if facts is None:
        return None
    fires = compile_condition(rule.when)
    return not any(fires(fact) for fact in facts)


def covered_by(content: Content, rule: Rule, other: Rule) -> bool:
    """True when `other` fires whenever `rule` does (within the combination limit)."""
    facts = _facts(content, [rule.when, other.when])
    if facts is None:
        return False
    fired_any = False
    fires, other_fires = compile_condition(rule.when), compile_condition(other.when)
    for fact in facts:
        if fires(fact):
            fired_any = True
            if not other_fires(fact):
                return False
    return fired_any


# --- the checks --------------------------------------------------------------------------------


def check_conditions(content: Content) -> list[Finding]:
    findings = []
    for rule in content.rules:
        if never_fires(content, rule):
            findings.append(Finding(
                rule.path, rule.line, "never-fires", f"rule {rule.id!r} can never fire: no answers make its condition true"
            ))
    for rule in content.rules:
        if not rule.urgency:
            continue
        for other in content.rules:
            if other is rule or not other.urgency or urgency_rank(other.urgency) <= urgency_rank(rule.urgency):
                continue
            same = (
                (rule.classification in (None, other.classification))
                and set(rule.advice) <= set(other.advice)
                and set(rule.flags) <= set(other.flags)
            )
            if same and covered_by(content, rule, other):
                findings.append(Finding(
                    rule.path, rule.line, "covered",
                    f"rule {rule.id!r} ({rule.urgency}) never changes the result: "
                    f"rule {other.id!r} ({other.urgency}) fires whenever it does and says as much",
                ))
                break
    return findings


def check_unused(content: Content) -> list[Finding]:
    findings = []
    qpath = str(content.root / "questionnaire.yaml")
    qlines = _item_lines(content.root / "questionnaire.yaml", "questions")
    read_by_rules = set().union(*(questions_read(r.when) for r in content.rules))
    mentioned: dict[str, set] = {}
    for condition in [r.when for r in content.rules] + [q.show_if for q in content.questions if q.show_if]:
        for qid in questions_read(condition):
            mentioned.setdefault(qid, set()).update(_options_in(condition, qid))
    for q in content.questions:
        line = qlines.get(q.id, 1)
        if q.id not in read_by_rules:
            findings.append(Finding(qpath, line, "unused-question", f"no rule reads question {q.id!r}"))
            continue
        if q.ordered:
            continue  # an ordered scale is read by thresholds; its mild end is rightly never named
        for option in q.options:
            if option.id not in mentioned.get(q.id, set()) and not option.exclusive:
                findings.append(Finding(
                    qpath, line, "unused-option", f"no rule or show_if mentions option {option.id!r} of question {q.id!r}"
                ))
    selected = {a for r in content.rules for a in r.advice}
    apath = str(content.root / "advice.yaml")
    alines = _item_lines(content.root / "advice.yaml", "advice")
    for aid in content.advice:
        if aid not in selected:
            findings.append(Finding(apath, alines.get(aid, 1), "unused-advice", f"no rule selects advice {aid!r}"))
    return findings


def _item_lines(path: Path, key: str) -> dict[str, int]:
    data = load_yaml_file(str(path))
    items = data.get(key) if isinstance(data, LocatedDict) else None
    lines = {}
    if isinstance(items, LocatedList):
        for i, entry in enumerate(items):
            if isinstance(entry, LocatedDict) and isinstance(entry.get("id"), str):
                lines[entry["id"]] = items.where(i).line
    return lines


def check_sources(content: Content) -> list[Finding]:
    """Emergency and urgent rules must cite a public health authority, not only the articles."""
    findings = []
    for rule in content.rules:
        if rule.urgency and time_matters(rule.urgency) and not any(content.sources[s].url for s in rule.sources):
            findings.append(Finding(
                rule.path, rule.line, "authority-source",
                f"rule {rule.id!r} ({rule.urgency}) cites no public health authority (a source with a url)",
            ))
    return findings


def check_untested(content: Content, fired_in_tests: set[str]) -> list[Finding]:
    return [
        Finding(rule.path, rule.line, "untested", f"no author test case makes rule {rule.id!r} fire")
        for rule in content.rules
        if rule.id not in fired_in_tests
    ]


def check_reading_grade(content: Content) -> list[Finding]:
    findings = []
    qpath = str(content.root / "questionnaire.yaml")
    qlines = _item_lines(content.root / "questionnaire.yaml", "questions")
    texts = [(qpath, qlines.get(q.id, 1), f"question {q.id!r}", q.text) for q in content.questions]
    texts += [(r.path, r.line, f"rule {r.id!r} reason", r.reason) for r in content.rules if r.reason]
    alines = _item_lines(content.root / "advice.yaml", "advice")
    texts += [
        (str(content.root / "advice.yaml"), alines.get(a.id, 1), f"advice {a.id!r}", a.text) for a in content.advice.values()
    ]
    for path, line, what, text in texts:
        if measurable(text) and grade(text) > MAX_GRADE:
            findings.append(Finding(
                path, line, "reading-grade",
                f"{what} reads at grade {grade(text):.1f} (at most {MAX_GRADE:g}): use shorter sentences and words",
            ))
    worst = max(all_headlines(content), key=grade)
    if grade(worst) > MAX_HEADLINE_GRADE:
        findings.append(Finding(
            str(content.root / "outcomes.yaml"), 1, "headline-grade",
            f"a headline reads at grade {grade(worst):.1f} (at most {MAX_HEADLINE_GRADE:g}): {worst!r}",
        ))
    return findings


# --- copied passages -----------------------------------------------------------------------------

_COPY_WORD = re.compile(r"[a-z0-9']+")
TEXT_SUFFIXES = (".yaml", ".yml", ".j2", ".md", ".txt", ".json")


def _words(text: str) -> list[str]:
    return _COPY_WORD.findall(text.lower().replace("\u2019", "'"))


def check_copied(content: Content, seeds: Path) -> list[Finding]:
    """Runs of COPY_WORDS or more words that stand word for word in a source document."""
    grams: dict[tuple, str] = {}
    for seed in sorted(p for p in seeds.glob("*.txt") if p.is_file()):
        ws = _words(seed.read_text(encoding="utf-8", errors="replace"))
        for i in range(len(ws) - COPY_WORDS + 1):
            grams.setdefault(tuple(ws[i:i + COPY_WORDS]), seed.name)
    findings = []
    for path in sorted(p for p in content.root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES):
        text = path.read_text(encoding="utf-8", errors="replace").lower().replace("\u2019", "'")
        found, line, counted = [], 1, 0
        for m in _COPY_WORD.finditer(text):  # lines counted as the words go: linear in the text
            line += text.count("\n", counted, m.start())
            counted = m.start()
            found.append((m.group(), line))
        ws = [w for w, _ in found]
        i = 0
        while i <= len(ws) - COPY_WORDS:
            source = grams.get(tuple(ws[i:i + COPY_WORDS]))
            if source:
                passage = " ".join(ws[i:i + COPY_WORDS])
                findings.append(Finding(
                    str(path), found[i][1], "copied",
                    f"copies {COPY_WORDS}+ words from {source}: {passage!r}; say it in your own words",
                ))
                i += COPY_WORDS
            else:
                i += 1
    return findings


def lint(content: Content, fired_in_tests: set[str], seeds: Path | None = None) -> list[Problem]:
    findings = (
        check_conditions(content)
        + check_unused(content)
        + check_sources(content)
        + check_untested(content, fired_in_tests)
        + check_reading_grade(content)
        + (check_copied(content, seeds) if seeds else [])
    )
    return sorted(f.problem() for f in findings)
