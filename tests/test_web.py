"""`triage serve` (issue 13, first part): the web questionnaire and the HTTP API, through HTTP.

Pages are driven as a browser without JavaScript would: read the form on the page, fill in the
reply, post it back. Results are compared with `triage check` on the same answers.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from triage.answerfile import load_answers
from triage.answers import to_plain
from triage.cli import cli

from .conftest import EXAMPLES

pytest.importorskip("flask")
from triage.web import HEADERS, MAX_BODY, create_app  # noqa: E402

EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture(scope="module")
def client():
    return create_app().test_client()


def hidden(page: str) -> dict[str, str]:
    """The hidden fields of the first form on the page that has a `question` field (or the first form)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def reply_for(question_id: str, answer) -> dict:
    if answer == "not_sure":
        return {"reply": "not_sure", "not_sure": "1"}
    if isinstance(answer, list):
        return {"reply": answer}
    if isinstance(answer, bool):
        return {"reply": "yes" if answer else "no"}
    return {"reply": str(answer)}


def complete(client, answers: dict) -> str:
    """Answer every question the pages ask with `answers`; the final page (result or call-now)."""
    page = client.post("/question", data={"action": "start"}).get_data(as_text=True)
    for _ in range(60):
        fields = hidden(page)
        if "question" not in fields:
            return page
        qid = fields["question"]
        data = {**fields, "action": "answer", **reply_for(qid, answers[qid])}
        response = client.post("/question", data=data)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        page = response.get_data(as_text=True)
        if "Call your emergency number now</h1>" in page:  # the call-now page: go on, as a person may
            page = client.post("/question", data={**hidden(page), "action": "continue"}).get_data(as_text=True)
    raise AssertionError("the questionnaire did not end")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_the_pages_give_the_same_result_as_check(client, runner, shipped, path):
    answers = to_plain(load_answers(shipped, str(path)))
    answers.pop("id", None)
    page = complete(client, answers)
    expected = json.loads(runner.invoke(cli, ["check", str(path), "--format", "json"]).stdout)
    assert f"<h1 id=\"headline\">{html.escape(expected['headline'])}</h1>" in page
    assert expected["urgency_label"] in page
    for sign in expected["emergency_signs"]:
        assert html.escape(sign) in page
    for flag in expected["red_flags"]:
        assert html.escape(flag["text"]) in page


def test_an_emergency_answer_shows_the_call_now_page_at_once(client):
    first = hidden(client.post("/question", data={"action": "start"}).get_data(as_text=True))
    page = client.post("/question", data={**first, "action": "answer", "reply": "breathing"}).get_data(as_text=True)
    assert "Call your emergency number now</h1>" in page and "Trouble breathing needs help right away" in page
    result = client.post("/result", data={"answers": hidden(page)["answers"]}).get_data(as_text=True)
    assert "Call your emergency number now" in result and 'class="headline level-emergency"' in result


def test_back_returns_to_the_previous_question_with_its_answer(client):
    first = hidden(client.post("/question", data={"action": "start"}).get_data(as_text=True))
    second = client.post("/question", data={**first, "action": "answer", "reply": "none"}).get_data(as_text=True)
    assert "Question 2 of about" in second
    back = client.post("/question", data={**hidden(second), "action": "back"}).get_data(as_text=True)
    assert "Question 1 of about" in back
    assert re.search(r'value="none" checked', back), "the earlier answer is kept"


def test_a_bad_reply_is_tied_to_its_field(client):
    first = hidden(client.post("/question", data={"action": "start"}).get_data(as_text=True))
    response = client.post("/question", data={**first, "action": "answer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error" class="error" role="alert"' in page and 'aria-describedby="help error"' in page
    assert re.search(r'id="r1" name="reply" value="[a-z_]+" autofocus', page), "the focus goes to the field"


@pytest.mark.parametrize("path, method, data", [
    ("/", "get", None), ("/question", "post", {"action": "start"}), ("/nope", "get", None),
    ("/healthz", "get", None), ("/api/v1/questionnaire", "get", None),
])
def test_every_response_has_the_safety_headers(client, path, method, data):
    response = getattr(client, method)(path, data=data)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("data", [
    {"action": "answer", "question": "feeling", "answers": "{not json", "asked": ""},
    {"action": "answer", "question": "feeling", "answers": '{"feeling": "wobbly"}', "asked": ""},
    {"action": "answer", "question": "no_such", "answers": "{}", "asked": ""},
    {"action": "answer", "question": "feeling", "answers": "{}", "asked": "no_such"},
    {"action": "explode", "question": "feeling", "answers": "{}", "asked": ""},
    {"action": "answer", "question": "feeling", "answers": "[]", "asked": ""},
])
def test_tampered_forms_get_a_clear_400_page(client, data):
    response = client.post("/question", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Your answers could not be read" in page
    assert "Traceback" not in page


def test_unknown_pages_and_methods(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/question").status_code == 405
    big = client.post("/question", data={"action": "start", "answers": "x" * (MAX_BODY + 10)})
    assert big.status_code == 413


def test_the_doctor_summary_page_allows_exactly_its_own_styles(client, shipped):
    answers = json.dumps(to_plain(load_answers(shipped, str(EXAMPLES / "eyelid-twitch-coffee.yaml"))))
    response = client.post("/summary", data={"answers": answers})
    policy = response.headers["Content-Security-Policy"]
    assert response.status_code == 200 and "summary for a doctor" in response.get_data(as_text=True)
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", policy) and "unsafe-inline" not in policy


@pytest.mark.parametrize("fmt, name", [("yaml", "my-answers.yaml"), ("fhir", "my-answers.fhir.json")])
def test_answers_download_and_upload_to_go_on(client, shipped, fmt, name):
    answers = {"alarm_now": ["none"], "feeling": "flicker"}
    response = client.post("/download", data={"answers": json.dumps(answers), "format": fmt})
    assert response.status_code == 200 and name in response.headers["Content-Disposition"]
    import io

    upload = client.post("/upload", data={"answers_file": (io.BytesIO(response.data), name)},
                         content_type="multipart/form-data")
    page = upload.get_data(as_text=True)
    assert upload.status_code == 200 and "Question 3 of about" in page, "it goes on after the answered questions"


# --- the HTTP API -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_the_api_gives_what_check_gives(client, runner, path):
    expected = json.loads(runner.invoke(cli, ["check", str(path), "--format", "json"]).stdout)
    response = client.post("/api/v1/triage", data=path.read_bytes() if path.suffix == ".json" else
                           json.dumps(_yaml(path)), content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == expected


def test_the_api_takes_a_fhir_questionnaire_response(client, runner, shipped, tmp_path):
    saved = tmp_path / "a.fhir.json"
    from triage.answerfile import dump_answers

    saved.write_text(dump_answers(shipped, load_answers(shipped, str(EXAMPLES / "night-calf-cramps.json")), "fhir"))
    response = client.post("/api/v1/triage", data=saved.read_bytes(), content_type="application/fhir+json")
    expected = json.loads(runner.invoke(cli, ["check", str(saved), "--format", "json"]).stdout)
    assert response.status_code == 200 and response.get_json() == expected


@pytest.mark.parametrize("body, content_type, status, words", [
    ("{", "application/json", 400, "JSON syntax error"),
    ('{"feeling": "wobbly"}', "application/json", 422, "field 'feeling'"),
    ('{"feeling": "flicker"}', "text/plain", 415, "Content-Type: application/json"),
    ("[1, 2]", "application/json", 422, ""),
])
def test_api_errors_are_json_with_the_messages_check_gives(client, body, content_type, status, words):
    response = client.post("/api/v1/triage", data=body, content_type=content_type)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["status"] == status and all(isinstance(m, str) for m in error["messages"])
    assert words in " ".join(error["messages"])


def test_health_and_questionnaire(client):
    assert client.get("/healthz").get_json()["status"] == "ok"
    assert client.get("/api/v1/questionnaire").get_json()["resourceType"] == "Questionnaire"


def _yaml(path):
    import yaml

    data = yaml.safe_load(path.read_text())
    return data


def _first_question(client) -> dict:
    return hidden(client.post("/question", data={"action": "start"}).get_data(as_text=True))


def test_a_sign_ticked_beside_not_sure_is_never_dropped(client):
    response = client.post("/question", data={**_first_question(client), "action": "answer",
                                              "reply": ["breathing", "not_sure"]})
    assert response.status_code == 422 and "cannot be picked together" in response.get_data(as_text=True)


def test_a_typed_number_beside_not_sure_is_never_dropped(client):
    answers = json.dumps({"alarm_now": ["none"], "feeling": "locked", "area": "one_muscle", "pain": "moderate"})
    data = {"action": "answer", "question": "episode_minutes", "answers": answers,
            "asked": "alarm_now,feeling,area,pain", "reply": "20", "not_sure": "1"}
    response = client.post("/question", data=data)
    assert response.status_code == 422 and "not both" in response.get_data(as_text=True)


def test_an_uploaded_emergency_shows_the_call_now_page_first(client):
    import io

    upload = client.post("/upload", data={"answers_file": (io.BytesIO(b"alarm_now: [breathing]\n"), "a.yaml")},
                         content_type="multipart/form-data")
    page = upload.get_data(as_text=True)
    assert "Call your emergency number now</h1>" in page and "Trouble breathing" in page


def test_deeply_nested_form_data_is_a_400_not_a_crash(client):
    for path in ("/question", "/result", "/summary", "/download"):
        response = client.post(path, data={"action": "start", "answers": "[" * 3000, "format": "yaml"})
        assert response.status_code == 400, path


def test_the_openapi_document_is_served_and_checked_in(client):
    from triage.web.openapi import openapi_document

    from .conftest import ROOT

    served = client.get("/api/v1/openapi.json").get_json()
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served == committed == json.loads(json.dumps(openapi_document())), (
        "docs/openapi.json is out of date: python -c 'import json; from triage.web.openapi import openapi_document; "
        "print(json.dumps(openapi_document(), indent=2, ensure_ascii=False))' > docs/openapi.json")
    routes = {rule.rule for rule in client.application.url_map.iter_rules()}
    assert set(served["paths"]) <= routes, "every documented path is served"
    assert {r for r in routes if r.startswith("/api/") or r == "/healthz"} == set(served["paths"]), "every API path is documented"


def test_serve_starts_and_stops_on_ctrl_c_with_one_line(tmp_path):
    import signal
    import socket
    import subprocess
    import sys

    from .processes import ctrl_c_reaches_it, read_until, started

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with started([sys.executable, "-m", "triage", "serve", "--port", str(port)], stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=ctrl_c_reaches_it, cwd=tmp_path) as proc:
        assert f"http://127.0.0.1:{port}/" in read_until(proc, "Ctrl-C to stop")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.decode().strip() == "triage: stopped: the web server is stopped"
