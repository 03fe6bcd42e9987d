"""The OpenAPI 3.1 document of the HTTP API, written by code so that it cannot drift from the
routes (docs/openapi.json is this document; a test keeps the two the same)."""

from __future__ import annotations

from .. import __version__
from ..evaluate import SCHEMA_VERSION
from ..model import CLASSIFICATIONS, URGENCY_LEVELS

_TEXTS = {"type": "array", "items": {"type": "string"}}
_ITEMS = {"type": "array", "items": {"type": "object"}}
_RESULT = {
    "type": "object",
    "description": "One result, as `triage check --format json` writes it; every field is described in "
                   "docs/result-schema.md. Fields may be added within a schema_version, never removed.",
    "required": ["schema_version", "headline", "urgency", "urgency_label", "urgency_action", "classification",
                 "red_flags", "main_reasons", "advice", "top_advice", "emergency_signs", "sources", "disclaimer"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "headline": {"type": "string", "description": "what to do, in one or two short sentences"},
        "urgency": {"enum": list(URGENCY_LEVELS), "description": "how soon to see a doctor"},
        "urgency_label": {"type": "string"},
        "urgency_action": {"type": "string"},
        "classification": {"enum": list(CLASSIFICATIONS)},
        "red_flags": {**_ITEMS, "description": "warning signs the person named"},
        "main_reasons": _ITEMS,
        "advice": {**_ITEMS, "description": "self-care ideas, most relevant first"},
        "top_advice": {"type": "integer", "minimum": 0, "description": "how many of `advice` to show first"},
        "emergency_signs": {**_TEXTS, "minItems": 1, "description": "always listed, whatever the result"},
        "sources": _ITEMS,
        "disclaimer": {"type": "string"},
        "notes": {**_TEXTS, "minItems": 1,
                  "description": "only from POST /api/v1/triage, and only when the posted QuestionnaireResponse "
                                 "has notes: warnings about answers that were still checked (the response is marked "
                                 "in-progress or stopped, so some answers may be missing; it was saved for another "
                                 "version of the questions). Absent otherwise; `triage check` writes them on "
                                 "standard error"},
    },
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "messages"],
            "properties": {
                "status": {"type": "integer"},
                "messages": {"type": "array", "items": {"type": "string"},
                             "description": "what is wrong, in the words `triage check` uses"},
            },
        }
    },
}


def _errors(*codes: int) -> dict:
    words = {400: "not JSON, or not UTF-8", 413: "larger than 256 KiB", 415: "not JSON content",
             422: "the answers do not fit the questionnaire"}
    return {str(c): {"description": words[c], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for c in codes}


def openapi_document() -> dict:
    """The API as OpenAPI 3.1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "muscle-triage",
            "version": __version__,
            "description": "Triage of a muscle twitch, cramp or spasm: the same results as `triage check`. "
                           "Not a diagnosis. Nothing sent is stored.",
        },
        "paths": {
            "/api/v1/triage": {
                "post": {
                    "summary": "Triage one answer set",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"type": "object", "description":
                                                            "question id to answer, as in an answer file"}},
                            "application/fhir+json": {"schema": {"type": "object", "description":
                                                                 "an HL7 FHIR R4 QuestionnaireResponse"}},
                        },
                    },
                    "responses": {
                        "200": {"description": "the result (docs/result-schema.md), with `notes` when a FHIR response has any",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}}},
                        **_errors(400, 413, 415, 422),
                    },
                }
            },
            "/api/v1/questionnaire": {
                "get": {
                    "summary": "The questionnaire: an HL7 FHIR R4 Questionnaire, or the content's own form",
                    "parameters": [{"name": "format", "in": "query", "required": False,
                                    "description": "fhir (the default): the Questionnaire resource; native: the "
                                                   "content's questionnaire.yaml as JSON (docs/content-format.md)",
                                    "schema": {"enum": ["fhir", "native"], "default": "fhir"}}],
                    "responses": {"200": {"description": "the questionnaire",
                                          "content": {"application/json": {"schema": {"type": "object"}}}},
                                  **_errors(400)},
                }
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This document",
                        "responses": {"200": {"description": "OpenAPI 3.1",
                                              "content": {"application/json": {"schema": {"type": "object"}}}}}}
            },
            "/cds-services": {
                "get": {"summary": "CDS Hooks discovery: the one service, for the patient-view hook",
                        "responses": {"200": {"description": "the services (CDS Hooks 2.0)",
                                              "content": {"application/json": {"schema": {"type": "object"}}}}}}
            },
            "/cds-services/muscle-triage": {
                "post": {
                    "summary": "CDS Hooks call: one card for the patient's newest QuestionnaireResponse (prefetch)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {
                        "200": {"description": "{\"cards\": [...]}: one card, or none without a response",
                                "content": {"application/json": {"schema": {"type": "object"}}}},
                        **_errors(400, 413, 415, 422),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Whether the service is up",
                    "responses": {"200": {"description": "up", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
                    }}}}},
                }
            },
        },
        "components": {"schemas": {"Result": _RESULT, "Error": _ERROR}},
    }
