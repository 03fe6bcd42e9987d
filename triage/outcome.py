"""What batch work produces for one record: a typed `Outcome`, and how two outcomes differ.

An outcome is plain, picklable data, so it crosses process and Dask worker boundaries as it
is; `record()` is its public JSON form (one JSON Lines line, one CSV row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .model import urgency_rank

ChangeKind = Literal["more urgent", "less urgent", "reclassified", "advice changed", "accepted now"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("more urgent", "less urgent", "reclassified", "advice changed", "accepted now")


@dataclass(frozen=True)
class Summary:
    """The decision for one answer set, in the words batch outputs need."""

    classification: str
    urgency: str
    headline: str
    reasons: tuple[str, ...]
    advice: tuple[str, ...]
    fired_rules: tuple[str, ...]

    def fields(self) -> dict[str, Any]:
        return {
            "classification": self.classification, "urgency": self.urgency, "headline": self.headline,
            "reasons": list(self.reasons), "advice": list(self.advice), "fired_rules": list(self.fired_rules),
        }


@dataclass(frozen=True)
class Outcome:
    """One record's result, or the one-line reason it could not be checked."""

    source: str
    id: str | None
    summary: Summary | None = None
    error: str | None = None
    rendered: str | None = None
    """The full result in the --out-dir format, when asked for."""
    old: Summary | None = None
    """The result under the old rules, with --compare-rules."""
    old_error: str | None = None
    """Why the old rules could not check an answer set the new ones accept (--compare-rules)."""
    notes: tuple[str, ...] = ()
    """Warnings about the answer set (an unfinished FHIR response); in the record as `notes` when any."""

    @property
    def ok(self) -> bool:
        return self.summary is not None

    def record(self) -> dict[str, Any]:
        """The public form: source, id, ok, then the summary's fields or the error."""
        s = self.summary
        if s is None:
            return {"source": self.source, "id": self.id, "ok": False, "error": self.error}
        record = {
            "source": self.source, "id": self.id, "ok": True,
            "classification": s.classification, "urgency": s.urgency, "headline": s.headline,
            "reasons": list(s.reasons), "advice": list(s.advice), "fired_rules": list(s.fired_rules),
        }
        return {**record, "notes": list(self.notes)} if self.notes else record

    def change(self) -> ChangeKind | None:
        """How the result changed between the old and the new rules, or None."""
        new, old = self.summary, self.old
        if new is not None and self.old_error is not None:
            return "accepted now"  # e.g. an answer to a question the old questionnaire did not have
        if new is None or old is None:
            return None
        step = urgency_rank(new.urgency) - urgency_rank(old.urgency)
        if step > 0:
            return "more urgent"
        if step < 0:
            return "less urgent"
        if new.classification != old.classification:
            return "reclassified"
        if set(new.advice) != set(old.advice):
            return "advice changed"
        return None

    def change_record(self) -> dict[str, Any]:
        """The public form of a change (only for outcomes whose `change()` is not None)."""
        assert self.summary is not None and (self.old is not None or self.old_error is not None)
        new, old = self.summary, self.old

        def brief(s: Summary) -> dict[str, Any]:
            return {"classification": s.classification, "urgency": s.urgency, "advice": list(s.advice)}

        old_rules = set(old.fired_rules) if old else set()
        return {
            "source": self.source,
            "id": self.id,
            "change": self.change(),
            "old": brief(old) if old else {"error": self.old_error},
            "new": brief(new),
            "rules_only_old": sorted(old_rules - set(new.fired_rules)),
            "rules_only_new": sorted(set(new.fired_rules) - old_rules),
        }
