"""`triage rules explain`: why each rule did or did not fire for one answer set.

For an author debugging a rule: every rule with fired / not fired, and for a rule that did
not fire, the first comparison that was false, next to the actual answer. Then how the
urgency and the classification were chosen.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..answers import RECORD_ID, Answers
from ..conditions import first_failure
from ..evaluate import Triage
from ..model import NOT_SURE, Compare, Content, Flag, Rule, urgency_rank
from ..operators import flag_key
from ..questiontypes import answer_text
from .describe import ConditionWords


def _where(content: Content, rule: Rule) -> str:
    try:
        path = Path(rule.path).resolve().relative_to(content.root.resolve().parent)
    except ValueError:
        path = Path(rule.path)
    return f"{path}:{rule.line}"


def _actual(content: Content, answers: Answers, leaf: Compare) -> str:
    question = content.question_by_id[leaf.question]
    if leaf.question not in answers:
        return "not answered"
    value = answers[leaf.question]
    return "not sure" if value == NOT_SURE else repr(answer_text(question, value))


def why_not(content: Content, answers: Answers, rule: Rule, fact: dict) -> str:
    """The first false part of the rule's condition, in words, with the actual answer."""
    found = first_failure(rule.when, fact)
    if found is None:
        return "its condition holds"
    leaf, negated = found
    if isinstance(leaf, Flag):
        state = "is set" if fact.get(flag_key(leaf.name)) else "is not set"
        need = "not set" if negated else "set"
        return f"needs flag {leaf.name} {need}, but it {state}"
    words = ConditionWords(content, ids=True).compare(leaf)
    need = f"not ({words})" if negated else words
    return f"needs {need} (line {leaf.line}); the answer is {_actual(content, answers, leaf)}"


def conclusion(rule: Rule) -> str:
    parts = []
    if rule.urgency:
        parts.append(f"urgency {rule.urgency}" + (" (red flag)" if rule.red_flag else ""))
    if rule.classification:
        parts.append(f"classification {rule.classification}")
    if rule.advice:
        parts.append("advice " + ", ".join(rule.advice))
    if rule.flags:
        parts.append("flags " + ", ".join(rule.flags))
    return "; ".join(parts)


def explain(triage: Triage, answers: Answers) -> str:
    """A terminal-readable account of one evaluation."""
    content = triage.content
    prepared = triage.prepare(answers)
    steps = triage.trace(prepared)
    result = triage.evaluate(answers)
    lines: list[str] = []
    skipped = sorted(set(answers) - set(prepared) - {RECORD_ID})  # the record id is no answer
    if skipped:
        lines.append(f"Not used (their show_if is false): {', '.join(skipped)}")
        lines.append("")
    fired = [rule for rule, did_fire, _ in steps if did_fire]
    lines.append(f"Rules that fired ({len(fired)} of {len(steps)}):")
    for rule, did_fire, _ in steps:
        if did_fire:
            lines.append(f"  FIRED  {rule.id}  [{_where(content, rule)}]  -> {conclusion(rule)}")
    lines.append("")
    lines.append("Rules that did not fire:")
    for rule, did_fire, fact in steps:
        if not did_fire:
            lines.append(f"  no     {rule.id}  [{_where(content, rule)}]: {why_not(content, prepared, rule, fact)}")
    lines.append("")
    lines.extend(_urgency_story(fired, result.urgency, content))
    lines.extend(_classification_story(fired, result.classification))
    lines.append(f"Headline: {result.headline}")
    return "\n".join(lines) + "\n"


def _urgency_story(fired: list[Rule], urgency: str, content: Content) -> list[str]:
    giving = sorted((r for r in fired if r.urgency), key=lambda r: (-urgency_rank(r.urgency or ""), r.id))
    if not giving:
        return [f"Urgency: {urgency}: no rule gave an urgency, so the fallback in outcomes.yaml applies."]
    winners = [r.id for r in giving if r.urgency == urgency]
    others = [f"{r.id} ({r.urgency})" for r in giving if r.urgency != urgency]
    text = f"Urgency: {urgency}: the most urgent level among the rules that fired ({', '.join(winners)})."
    if others:
        text += f" Less urgent, so outranked: {', '.join(others)}."
    return [text]


def _classification_story(fired: list[Rule], classification: str) -> list[str]:
    votes = Counter(r.classification for r in fired if r.classification and r.classification != "unclear")
    if not votes:
        return [f"Classification: {classification}: no rule named twitch, cramp or spasm."]
    tally = ", ".join(f"{name} {count}" for name, count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])))
    if classification == "unclear":
        return [f"Classification: unclear: a tie between the most-named kinds (rules per kind: {tally})."]
    return [f"Classification: {classification}: named by the most rules (rules per kind: {tally})."]
