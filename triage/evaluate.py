"""From one answer set to one Result: stages, conclusions, defaults.

The engine only says which rules match. Everything that decides the outcome is here and
is the same for every engine: the most urgent fired rule wins (nothing can lower it), the
classification named by most rules wins (a tie is reported as unclear, fitting both), and
when no rule decides, the content's fallback applies, so every valid answer set gets a result.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from .answers import Answers, check_answers, coerce_answers, drop_hidden, to_fact, visible_answers
from .engines import Engine, make_engine
from .model import NOT_SURE, AdviceItem, Content, Outcomes, Rule, Source, time_matters, urgency_rank
from .operators import flag_key
from .questiontypes import answer_text

SCHEMA_VERSION = 3
"""3: advice in priority order, each item with its `priority`; `top_advice` says how many to show first.
2: `main_reasons` and `other_reasons` added; advice and sources are the content's own items."""

TOP_ADVICE = 3
"""How many advice items a result shows first; the rest are "more ideas"."""


@dataclass(frozen=True)
class Reason:
    """Why: one fired rule (or the fallback) as a result shows it."""

    rule: str
    text: str
    urgency: str | None
    classification: str | None
    red_flag: bool
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ShownAnswer:
    """One answer in words, beside its question (or its note for the doctor)."""

    question: str
    text: str
    answer: str


@dataclass(frozen=True)
class ShownAdvice(AdviceItem):
    """One advice item as a result shows it: the content's item and its place (1 = most relevant)."""

    priority: int = 0


@dataclass(frozen=True)
class Decision:
    """What the rules decided, before any wording is chosen."""

    answers: Answers
    fired: list
    urgency: str
    urgency_rules: list
    classification: str
    also_fits: list[str]
    advice_ids: list[str]
    """In priority order (`advice_priority`)."""


@dataclass
class Result:
    """Everything a template needs; `to_dict` is the documented JSON schema (docs/result-schema.md)."""

    headline: str
    classification: str
    classification_label: str
    classification_explanation: str
    also_fits: list[str]
    classification_reasons: list[Reason]
    urgency: str
    urgency_label: str
    urgency_action: str
    urgency_reasons: list[Reason]
    main_reasons: list[Reason]
    """Why this urgency: the reasons at the chosen level that are not red flags (those are listed apart)."""
    other_reasons: list[Reason]
    """Reasons at lower levels, worth knowing; always empty at urgent or emergency, so nothing
    softer stands beside a call-now message."""
    red_flags: list[Reason]
    advice: list[ShownAdvice]
    """Most relevant first (`advice_priority`); show the first `top_advice`, then the rest as more ideas."""
    answers: list[ShownAnswer]
    raw_answers: dict[str, Any]
    tell_doctor: list[ShownAnswer]
    fired_rules: list[str]
    sources: list[Source]
    emergency_signs: list[str]
    disclaimer: str
    words_note: str
    engine: str
    schema_version: int = SCHEMA_VERSION
    also_fits_labels: list[str] = field(default_factory=list)
    safety_net: str = ""
    """When to see a doctor after all (self-care and routine results); empty otherwise."""
    top_advice: int = TOP_ADVICE
    """How many advice items to show first."""

    def to_dict(self) -> dict:
        return asdict(self)


class Triage:
    """Content plus an engine, built once per process and used for any number of answer sets."""

    def __init__(self, content: Content, engine: Engine | str | None = None, region: str | None = None):
        self.content = content
        self.outcomes = content.outcomes.for_region(region)
        """The content's outcomes with the region's emergency number written in (TriageError if unknown)."""
        self.engine = engine if engine is not None and not isinstance(engine, str) else make_engine(content, engine)
        self._rule_by_id = {rule.id: rule for rule in content.rules}
        # Urgency reasons: red flags first, then the most urgent, then by id (fixed per rule).
        self._urgency_order = {
            r.id: (not r.red_flag, -urgency_rank(r.urgency), r.id) for r in content.rules if r.urgency
        }
        self._advice_order = {advice_id: i for i, advice_id in enumerate(content.advice)}
        self._rules_by_stage: dict[int, list[Rule]] = {}
        for rule in content.rules:
            self._rules_by_stage.setdefault(rule.stage, []).append(rule)

    def prepare(self, answers: Answers) -> Answers:
        """Answers checked, coerced to their types, and without answers to skipped questions."""
        return drop_hidden(self.content, check_answers(self.content, answers))

    def _stages(self, fact: dict) -> Iterator[tuple[int, list[Rule]]]:
        """The one walk over the stages: (stage, rules that fired in it, in id order).

        The flags of a stage's rules join `fact` after the caller has seen the stage, before the
        next stage runs.
        """
        for stage in range(self.content.stages):
            fired = [self._rule_by_id[rule_id] for rule_id in sorted(self.engine.matching(fact, stage))]
            yield stage, fired
            for rule in fired:
                for name in rule.flags:
                    fact[flag_key(name)] = True

    def _fired(self, fact: dict) -> list[Rule]:
        """The rules that fire for the fact of prepared answers (extended with the flags set)."""
        return [rule for _, fired in self._stages(fact) for rule in fired]

    def trace(self, answers: Answers) -> list[tuple[Rule, bool, dict]]:
        """Every rule, stage by stage: whether it fired and the fact it was evaluated on (for explain).

        `answers` must be prepared (`prepare`): checked, coerced, hidden ones dropped.
        """
        fact = to_fact(answers)
        steps: list[tuple[Rule, bool, dict]] = []
        for stage, fired in self._stages(fact):
            seen = dict(fact)
            steps += [(rule, rule in fired, seen) for rule in self._rules_by_stage.get(stage, ())]
        return steps

    def decide(self, answers: Answers) -> Decision:
        """Just the decision for one answer set: what batch work needs, without the wording."""
        answers, fact = visible_answers(self.content, coerce_answers(self.content, answers))
        fired = self._fired(fact)
        order = self._urgency_order
        urgency_rules = sorted((r for r in fired if r.urgency), key=lambda r: order[r.id])
        # red flags sort first, so the most urgent level is the highest rank among all of them
        urgency: str = max(
            (r.urgency for r in urgency_rules if r.urgency), key=urgency_rank, default=self.content.outcomes.fallback_urgency
        )
        votes: dict[str, int] = {}
        for r in fired:
            if r.classification and r.classification != "unclear":
                votes[r.classification] = votes.get(r.classification, 0) + 1
        top = max(votes.values(), default=0)
        leaders: list[str] = sorted(c for c, n in votes.items() if n == top)
        classification: str
        if len(leaders) == 1:
            classification = leaders[0]
            also_fits: list[str] = sorted(c for c in votes if c != classification)
        else:
            classification = "unclear"
            also_fits = leaders + sorted(c for c in votes if c not in leaders)
        advice_ids = advice_priority(fired, self._advice_order)
        return Decision(answers, fired, urgency, urgency_rules, classification, also_fits, advice_ids)

    def headline(self, decision: Decision) -> str:
        return headline(self.outcomes, decision.classification, decision.also_fits, decision.urgency)

    def evaluate(self, answers: Answers) -> Result:
        """The result for one answer set (checked and coerced first; AnswerError when invalid)."""
        content = self.content
        outcomes = self.outcomes
        decision = self.decide(answers)
        answers, fired, urgency = decision.answers, decision.fired, decision.urgency
        classification, also_fits = decision.classification, decision.also_fits

        def reason(rule: Rule) -> Reason:
            return Reason(rule.id, rule.reason, rule.urgency, rule.classification, rule.red_flag, rule.sources)

        if decision.urgency_rules:
            urgency_reasons = [reason(r) for r in decision.urgency_rules]
        else:
            urgency_reasons = [Reason("fallback", outcomes.fallback_reason, urgency, None, False, ())]
        classification_reasons = [reason(r) for r in fired if r.classification]
        advice = [
            ShownAdvice(item.id, item.title, item.text, item.sources, place)
            for place, item in enumerate((content.advice[i] for i in decision.advice_ids), 1)
        ]
        cited = {s for r in fired for s in r.sources} | {s for a in advice for s in a.sources}
        sources = [s for s in content.sources.values() if s.id in cited]

        shown = [
            ShownAnswer(q.id, q.text, answer_text(q, answers[q.id])) for q in content.questions if q.id in answers
        ]
        tell_doctor = [
            ShownAnswer(q.id, q.doctor_note, answer_text(q, answers[q.id]))
            for q in content.questions
            if q.doctor_note and q.id in answers and answers[q.id] != NOT_SURE and answers[q.id] != []
        ]
        labels = outcomes.classification_labels
        return Result(
            headline=self.headline(decision),
            classification=classification,
            classification_label=labels[classification],
            classification_explanation=outcomes.classification_explanations[classification],
            also_fits=also_fits,
            also_fits_labels=[labels[c] for c in also_fits],
            classification_reasons=classification_reasons,
            urgency=urgency,
            urgency_label=outcomes.urgency_labels[urgency],
            urgency_action=outcomes.urgency_actions[urgency],
            urgency_reasons=urgency_reasons,
            main_reasons=[r for r in urgency_reasons if r.urgency == urgency and not r.red_flag],
            other_reasons=[] if time_matters(urgency) else [r for r in urgency_reasons if r.urgency != urgency],
            red_flags=[reason(r) for r in fired if r.red_flag],
            advice=advice,
            answers=shown,
            raw_answers=dict(answers),
            tell_doctor=tell_doctor,
            fired_rules=[r.id for r in fired],
            sources=sources,
            emergency_signs=list(outcomes.emergency_signs),
            disclaimer=outcomes.disclaimer,
            words_note=outcomes.words_note,
            safety_net=outcomes.safety_nets.get(urgency, ""),
            engine=self.engine.name,
        )


def advice_priority(fired: list[Rule], advice_order: dict[str, int]) -> list[str]:
    """The advice the fired rules name, most relevant first.

    Each fired rule gives its advice one share, split over the items it names: a rule about one
    trigger the person named ("coffee") and one idea for it counts more than a general rule with
    four. Ties go to the item named earlier in a rule's own list (authors list a rule's best
    idea first), then to advice.yaml's order: a stable order every front end can show alike.
    """
    with_advice = [rule for rule in fired if rule.advice]
    whole = math.lcm(*(len(rule.advice) for rule in with_advice)) if with_advice else 1  # shares as exact integers
    share: dict[str, int] = {}
    best_place: dict[str, int] = {}
    for rule in with_advice:
        part = whole // len(rule.advice)
        for place, advice_id in enumerate(rule.advice):
            share[advice_id] = share.get(advice_id, 0) + part
            best_place[advice_id] = min(place, best_place.get(advice_id, place))
    return sorted(share, key=lambda a: (-share[a], best_place[a], advice_order[a]))


def headline(outcomes: Outcomes, classification: str, also_fits: list[str], urgency: str) -> str:
    """One line: how soon to act, and what it sounds like (left out when the message is "call now")."""
    action = outcomes.urgency_actions[urgency]
    if urgency == "emergency":
        return action
    labels = outcomes.classification_labels
    if classification != "unclear":
        what = f"This sounds like {labels[classification]}."
    elif len(also_fits) >= 2:
        what = f"This could be {labels[also_fits[0]]} or {labels[also_fits[1]]}."
    else:
        what = f"This sounds like {labels['unclear']}."
    if time_matters(urgency):
        return f"{action} {what}"  # what to do comes first when time matters
    return f"{what} {action}"


def all_headlines(content: Content) -> list[str]:
    """Every headline the content can produce (no region chosen), for the length and reading-grade checks."""
    outcomes = content.outcomes.for_region(None)
    labels = outcomes.classification_labels
    known = [c for c in labels if c != "unclear"]
    levels = outcomes.urgency_actions
    found = [headline(outcomes, c, [], u) for c in labels for u in levels]
    return found + [headline(outcomes, "unclear", [a, b], u) for a in known for b in known if a != b for u in levels]
