"""The OpenAPI 3.1 document of the HTTP API, written by code so that it cannot drift from the
routes (docs/openapi.json is this document; a test keeps the two the same)."""

from __future__ import annotations

from .. import __version__

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
                        "200": {"description": "the result (docs/result-schema.md)",
                                "content": {"application/json": {"schema": {"type": "object"}}}},
                        **_errors(400, 413, 415, 422),
                    },
                }
            },
            "/api/v1/questionnaire": {
                "get": {
                    "summary": "The questionnaire as an HL7 FHIR R4 Questionnaire",
                    "responses": {"200": {"description": "the Questionnaire resource",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This document",
                        "responses": {"200": {"description": "OpenAPI 3.1",
                                              "content": {"application/json": {"schema": {"type": "object"}}}}}}
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
        "components": {"schemas": {"Error": _ERROR}},
    }
