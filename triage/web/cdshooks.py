"""A CDS Hooks service (https://cds-hooks.hl7.org/2.0/): an electronic health record that
shows a patient asks us, and gets one card whose summary is the triage headline.

The record sends the patient's newest QuestionnaireResponse to our questionnaire as prefetch
(we never fetch anything: no network at run time). The card's indicator follows the urgency;
its detail lists the warning signs and the reasons, and ends with any note about the response
(one marked in-progress may lack answers). No response, no card.
"""

from __future__ import annotations

from typing import Any

from ..answerfile import answers_from_data
from ..answers import RECORD_ID
from ..evaluate import Result, Triage
from ..fhir import accepted_urls
from ..model import Content
from ..render import markdown_text

SERVICE_ID = "muscle-triage"
PREFETCH_KEY = "questionnaireResponse"
MAX_SUMMARY = 140
"""CDS Hooks: a card's summary is under 140 characters."""

INDICATORS: dict[str, str] = {
    "emergency": "critical", "urgent": "critical", "soon": "warning", "routine": "info", "self_care": "info",
}
"""A card's indicator for each urgency: critical means act now, warning soon, info otherwise."""


class BadHookRequest(ValueError):
    """A hook call we cannot read; the message says what was expected."""


def discovery(content: Content) -> dict[str, Any]:
    """GET /cds-services: the one service we offer, for these questions' responses."""
    return {"services": [{
        "hook": "patient-view",
        "id": SERVICE_ID,
        "title": "Muscle twitch, cramp or spasm: how soon to see a doctor",
        "description": "Reads the patient's newest answers to the muscle-triage questionnaire and returns "
                       "one card: the triage headline, its urgency, the warning signs named and the reasons.",
        # Every name (a comma is "or" in a FHIR search): for the project's questions, responses
        # saved before the https name too.
        "prefetch": {PREFETCH_KEY: f"QuestionnaireResponse?subject={{{{context.patientId}}}}"
                                   f"&questionnaire={','.join(accepted_urls(content))}"
                                   "&_sort=-authored&_count=1"},
    }]}


def newest_response(request: Any) -> dict[str, Any] | None:
    """The QuestionnaireResponse in a hook request's prefetch (itself, or the first entry of a
    search Bundle); None when the record has none."""
    if not isinstance(request, dict) or not isinstance(request.get("hook"), str):
        raise BadHookRequest("a CDS Hooks request is a JSON object with 'hook', 'hookInstance' and 'context'")
    found = (request.get("prefetch") or {}).get(PREFETCH_KEY) if isinstance(request.get("prefetch"), dict) else None
    if isinstance(found, dict) and found.get("resourceType") == "Bundle":
        entries = [e.get("resource") for e in found.get("entry") or [] if isinstance(e, dict)]
        found = next((r for r in entries if isinstance(r, dict)), None)
    if found is None:
        return None
    if not isinstance(found, dict) or found.get("resourceType") != "QuestionnaireResponse":
        raise BadHookRequest(f"prefetch '{PREFETCH_KEY}' must be a QuestionnaireResponse or a Bundle of them")
    return found


def cards(content: Content, triage: Triage, request: Any) -> dict[str, Any]:
    """POST /cds-services/muscle-triage: one card for the newest response, or none."""
    response = newest_response(request)
    if response is None:
        return {"cards": []}
    notes: list[str] = []
    answers = answers_from_data(content, response, "prefetch", notes)
    answers.pop(RECORD_ID, None)
    return {"cards": [card(triage.evaluate(answers), notes)]}


def card(result: Result, notes: list[str] | None = None) -> dict[str, Any]:
    """The card; `notes` (warnings about the response that was still read) end its detail."""
    detail = [f"**{result.urgency_label}.** {result.urgency_action}"]
    detail += [f"- Warning sign: {flag.text}" for flag in result.red_flags]
    detail += [f"- {reason.text}" for reason in result.main_reasons]
    detail += [f"- Note: {markdown_text(note)}." for note in notes or ()]
    return {
        "summary": short(result.headline),
        "indicator": INDICATORS[result.urgency],
        "detail": "\n".join(detail),
        "source": {"label": "muscle-triage (from the patient's own answers; not a diagnosis)"},
    }


def short(text: str, limit: int = MAX_SUMMARY - 1) -> str:
    """`text` if it fits under MAX_SUMMARY characters, else cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
