"""FHIR QuestionnaireResponses with and without notes, made by the project's own writer
(`answers_to_response`), for the tests of every place notes reach: `check`, `batch` (its
records and its reports), the web upload, the API and the CDS Hooks card."""

from __future__ import annotations

from triage.fhir import QUESTIONNAIRE_URL, answers_to_response
from triage.model import Content

FEW_ANSWERS = {"alarm_now": ["none"], "feeling": "flicker"}
"""Enough for a result, and far from every question (an unfinished form's answers)."""

UNFINISHED_NOTE = "the response is marked in-progress (not finished), so some answers may be missing"
STOPPED_NOTE = "the response is marked stopped (not finished), so some answers may be missing"
OTHER_VERSION = "0.0.9+abcdef012345"
"""The version an older save names after `|`: not the shipped questions' version."""


def finished(content: Content, answers: dict = FEW_ANSWERS) -> dict:
    """A completed response to these questions: no note."""
    return answers_to_response(content, answers)


def unfinished(content: Content, answers: dict = FEW_ANSWERS) -> dict:
    """An in-progress response (as `ask` saves one stopped before the end)."""
    return answers_to_response(content, answers, complete=False)


def stopped(content: Content, answers: dict = FEW_ANSWERS) -> dict:
    """A response its form tool marks stopped."""
    return {**answers_to_response(content, answers), "status": "stopped"}


def for_another_version(content: Content, answers: dict = FEW_ANSWERS, version: str = OTHER_VERSION) -> dict:
    """A completed response saved for another version of the questions."""
    return {**answers_to_response(content, answers), "questionnaire": f"{QUESTIONNAIRE_URL}|{version}"}


def bundle(*responses: dict) -> dict:
    """The responses as one Bundle, one entry each, in order."""
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in responses]}
