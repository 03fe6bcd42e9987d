"""The CDS Hooks service (issue 13, optional part): a health record posts the patient's newest
QuestionnaireResponse as prefetch and gets one card, the same triage as `triage check`."""

from __future__ import annotations

import json

import pytest

from triage.answerfile import dump_answers, load_answers
from triage.cli import cli
from triage.model import URGENCY_LEVELS

from . import responses
from .conftest import EXAMPLE_FILES

pytest.importorskip("flask")
from triage.web import create_app  # noqa: E402
from triage.web.cdshooks import INDICATORS, MAX_SUMMARY, short  # noqa: E402

SERVICE = "/cds-services/muscle-triage"


@pytest.fixture(scope="module")
def client():
    return create_app().test_client()


def hook_call(prefetched) -> dict:
    call = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"userId": "Practitioner/example", "patientId": "1288992"}}
    return {**call, "prefetch": {"questionnaireResponse": prefetched}} if prefetched is not None else call


def test_discovery_names_the_service_and_what_to_prefetch(client):
    services = client.get("/cds-services").get_json()["services"]
    assert [s["id"] for s in services] == ["muscle-triage"]
    assert services[0]["hook"] == "patient-view"
    search = services[0]["prefetch"]["questionnaireResponse"]
    assert search.startswith("QuestionnaireResponse?subject={{context.patientId}}")
    both = "https://muscle-triage.github.io/fhir/Questionnaire/muscle-triage,urn:muscle-triage:questionnaire"
    assert f"questionnaire={both}&" in search, "responses saved under the earlier name are found too"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_one_card_with_the_headline_and_an_indicator_that_follows_the_urgency(client, runner, shipped, path):
    response = json.loads(dump_answers(shipped, load_answers(shipped, str(path)), "fhir"))
    expected = json.loads(runner.invoke(cli, ["check", str(path), "--format", "json"]).stdout)
    for prefetched in (response, {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": response}]}):
        answer = client.post(SERVICE, json=hook_call(prefetched))
        assert answer.status_code == 200
        (card,) = answer.get_json()["cards"]
        assert len(card["summary"]) < MAX_SUMMARY
        assert card["summary"] == short(expected["headline"])
        assert card["indicator"] == INDICATORS[expected["urgency"]]
        for flag in expected["red_flags"]:
            assert flag["text"] in card["detail"]
        assert card["source"]["label"].startswith("muscle-triage")


def test_every_urgency_has_an_indicator_and_the_urgent_ones_are_critical():
    assert set(INDICATORS) == set(URGENCY_LEVELS)
    assert INDICATORS["emergency"] == INDICATORS["urgent"] == "critical" and INDICATORS["self_care"] == "info"


def test_a_long_headline_is_cut_at_a_word():
    cut = short("word " * 60)
    assert len(cut) < MAX_SUMMARY and cut.endswith("word…")


def test_no_response_no_card(client):
    assert client.post(SERVICE, json=hook_call(None)).get_json() == {"cards": []}
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    assert client.post(SERVICE, json=hook_call(empty)).get_json() == {"cards": []}


@pytest.mark.parametrize("body, status", [
    ("{", 400),
    (json.dumps({"context": {}}), 400),
    (json.dumps(hook_call({"resourceType": "Patient"})), 400),
    (json.dumps(hook_call({"resourceType": "QuestionnaireResponse", "status": "completed",
                           "item": [{"linkId": "feeling", "answer": [{"valueCoding": {"code": "wobbly"}}]}]})), 422),
])
def test_a_bad_hook_call_is_a_json_error(client, body, status):
    answer = client.post(SERVICE, data=body, content_type="application/json")
    assert answer.status_code == status
    assert answer.get_json()["error"]["messages"]


def test_a_card_for_an_unfinished_response_ends_with_its_note(client, shipped):
    (card,) = client.post(SERVICE, json=hook_call(responses.unfinished(shipped))).get_json()["cards"]
    assert card["detail"].endswith("\n- Note: the response is marked in-progress \\(not finished\\), so some answers "
                                   "may be missing.")
    (card,) = client.post(SERVICE, json=hook_call(responses.finished(shipped))).get_json()["cards"]
    assert "Note:" not in card["detail"]
