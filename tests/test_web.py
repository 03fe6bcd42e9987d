"""`triage serve` (issue 13): the web questionnaire and the HTTP API, through HTTP.

Pages are driven as a browser without JavaScript would: read the form on the page, fill in the
reply, post it back, follow the redirect. Results are compared with `triage check` on the same
answers.
"""

from __future__ import annotations

import html
import io
import json
import re
import time

import pytest
import yaml

from triage.answerfile import load_answers
from triage.answers import to_plain
from triage.cli import cli

from .conftest import EXAMPLES

pytest.importorskip("flask")
from triage.web import HEADERS, MAX_BODY, create_app  # noqa: E402
from triage.web.pagestate import TTL_SECONDS, PageState, Sealer  # noqa: E402

EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
KEY = "a key for the tests"
SEALER = Sealer(KEY)


@pytest.fixture(scope="module")
def client():
    return create_app(secret_key=KEY).test_client()


def hidden(page: str) -> dict[str, str]:
    """The hidden fields on the page (the sealed state `s`, and any others)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def on_screen(page: str) -> str | None:
    """The id of the question the page asks, if it asks one."""
    found = re.search(r'data-question="(\w+)"', page)
    return found.group(1) if found else None


def reply_for(answer, page: str = "") -> dict:
    """The form fields for `answer` on `page`: 'Not sure' is a box beside a number field, else an option."""
    if answer == "not_sure":
        return {"reply": "", "not_sure": "1"} if 'inputmode="decimal"' in page else {"reply": "not_sure"}
    if isinstance(answer, list):
        return {"reply": answer}
    if isinstance(answer, bool):
        return {"reply": "yes" if answer else "no"}
    return {"reply": str(answer)}


def post(client, data: dict, status: int = 200) -> str:
    """Post a form as a browser does and follow the redirect to the next page (GET)."""
    response = client.post("/question", data=data, follow_redirects=True)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def complete_with(get, post_form, answers: dict) -> str:
    """Answer every question the pages ask with `answers`, through `get(path)` and
    `post_form(path, fields)` (each returns the page after any redirect); the final page
    (the result; the call-now page is passed by going on, as a person may)."""
    page = get("/question")
    for _ in range(60):
        qid = on_screen(page)
        if qid is None:
            return page
        page = post_form("/question", {**hidden(page), "action": "answer", **reply_for(answers[qid], page)})
        if "Call your emergency number now</h1>" in page:
            page = post_form("/question", {**hidden(page), "action": "continue"})
    raise AssertionError("the questionnaire did not end")


def complete(client, answers: dict) -> str:
    return complete_with(lambda path: client.get(path).get_data(as_text=True),
                         lambda path, fields: post(client, fields), answers)


def plain(content, path) -> dict:
    """An example's answers as a form sends them (no record id)."""
    answers = to_plain(load_answers(content, str(path)))
    answers.pop("id", None)
    return answers


def sealed(answers: dict, at: str | None = None, asked: list[str] | None = None) -> str:
    return SEALER.seal(PageState(answers, asked if asked is not None else list(answers), False, at))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_the_pages_give_the_same_result_as_check(client, runner, shipped, path):
    page = complete(client, plain(shipped, path))
    expected = json.loads(runner.invoke(cli, ["check", str(path), "--format", "json"]).stdout)
    assert f"<h1 id=\"headline\">{html.escape(expected['headline'])}</h1>" in page
    assert expected["urgency_label"] in page
    for sign in expected["emergency_signs"]:
        assert html.escape(sign) in page
    for flag in expected["red_flags"]:
        assert html.escape(flag["text"]) in page


@pytest.mark.parametrize("seed", range(12))
def test_pages_api_and_check_agree_on_generated_answer_sets(client, runner, shipped, seed):
    import random

    from triage.samples import random_answers

    answers = random_answers(shipped, random.Random(seed), skip=0)
    for q in shipped.questions:  # on a page, an empty box list is refused: a person ticks "none of these"
        if answers[q.id] == []:
            answers[q.id] = [q.options[-1].id]
    page = complete(client, answers)
    # The answers the pages collected (hidden questions were never asked), as the person can save them.
    saved = client.get("/download", query_string={"s": hidden(page)["s"], "format": "yaml"}).get_data(as_text=True)
    expected = json.loads(runner.invoke(cli, ["check", "-", "--format", "json"], input=saved).stdout)
    assert f"<h1 id=\"headline\">{html.escape(expected['headline'])}</h1>" in page
    assert f"How soon: <strong>{html.escape(expected['urgency_label'])}</strong>" in page
    api = client.post("/api/v1/triage", data=json.dumps(yaml.safe_load(saved)),
                      content_type="application/json").get_json()
    assert api == expected


def test_an_emergency_answer_shows_the_call_now_page_at_once(client):
    first = hidden(client.get("/question").get_data(as_text=True))
    page = post(client, {**first, "action": "answer", "reply": "breathing"})
    assert "Call your emergency number now</h1>" in page and "Trouble breathing needs help right away" in page
    result = client.get("/result", query_string={"s": hidden(page)["s"]}).get_data(as_text=True)
    assert "Call your emergency number now" in result and 'class="headline level-emergency"' in result


def test_each_step_is_a_redirect_to_a_page_fetched_again_by_back(client):
    """Post/redirect/get: every answer is answered with 303 to a GET address, which can be
    fetched again (the browser's Back and Reload) and shows the same page."""
    first = client.get("/question").get_data(as_text=True)
    response = client.post("/question", data={**hidden(first), "action": "answer", "reply": "none"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/question?s=")
    second = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Question 2 of about" in second
    assert client.get(response.headers["Location"]).get_data(as_text=True) == second, "fetched again, the same page"
    back = post(client, {**hidden(second), "action": "back"})
    assert "Question 1 of about" in back and re.search(r'value="none" checked', back), "the earlier answer is kept"


def test_a_question_keeps_its_number_however_it_is_reached(client):
    """Back twice, then Next, skips the question answered already; the page reached is still
    called by its place in the questionnaire."""
    page = client.get("/question").get_data(as_text=True)
    for answer in (["none"], "flicker", "small_spot"):
        assert on_screen(page) is not None
        page = post(client, {**hidden(page), "action": "answer", **reply_for(answer, page)})
    fourth = on_screen(page)
    assert "Question 4 of about" in page
    page = post(client, {**hidden(page), "action": "back"})
    page = post(client, {**hidden(page), "action": "back"})
    assert "Question 2 of about" in page
    page = post(client, {**hidden(page), "action": "answer", "reply": "flicker"})
    assert on_screen(page) == fourth and "Question 4 of about" in page


def test_the_address_shows_no_answer(client):
    """A sealed state is encrypted: a browser's history or a proxy's log shows nothing readable."""
    first = client.get("/question").get_data(as_text=True)
    response = client.post("/question", data={**hidden(first), "action": "answer", "reply": "breathing"})
    location = response.headers["Location"]
    assert location.startswith("/emergency?s=") and "breathing" not in location and "alarm" not in location
    assert response.headers["Cache-Control"] == "no-store"


def test_a_bad_reply_is_tied_to_its_field(client):
    first = hidden(client.get("/question").get_data(as_text=True))
    response = client.post("/question", data={**first, "action": "answer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error" class="error" role="alert"' in page and 'aria-describedby="help error"' in page
    assert re.search(r'id="r1" name="reply" value="[a-z_]+" autofocus', page), "the focus goes to the field"


@pytest.mark.parametrize("path", ["/", "/question", "/nope", "/healthz", "/api/v1/questionnaire"])
def test_every_response_has_the_safety_headers(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("s", [
    "not a sealed state",
    "gAAAAAB" + "x" * 100,
    Sealer("another key").seal(PageState({}, [], False, "feeling")),  # made by another server
    sealed({"feeling": "wobbly"}, "area"),  # sealed, but not answers to this questionnaire
    sealed({}, "no_such"),
    sealed({}, "feeling", ["no_such"]),
    sealed({"feeling": json.loads("[" * 300 + '"flicker"' + "]" * 300)}, "area"),  # nested deeper than any answer
])
def test_tampered_or_foreign_pages_get_a_clear_400_page(client, s):
    for response in (client.post("/question", data={"s": s, "action": "answer", "reply": "flicker"}),
                     client.get("/question", query_string={"s": s}), client.get("/result", query_string={"s": s}),
                     client.get("/summary", query_string={"s": s}),
                     client.get("/download", query_string={"s": s, "format": "yaml"})):
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "Your answers could not be read" in page
        assert "Traceback" not in page


def test_an_unknown_action_or_a_missing_place_is_a_400(client):
    assert client.post("/question", data={"s": sealed({}, "feeling"), "action": "explode"}).status_code == 400
    assert client.post("/question", data={"s": sealed({}), "action": "answer"}).status_code == 400
    assert client.get("/emergency", query_string={"s": sealed({})}).status_code == 400, "not an emergency"


def test_an_old_page_says_it_has_expired(client):
    old = SEALER.seal(PageState({}, [], False, "alarm_now"), made_at=int(time.time()) - TTL_SECONDS - 60)
    response = client.get("/question", query_string={"s": old})
    assert response.status_code == 400 and "This page has expired" in response.get_data(as_text=True)
    fresh = SEALER.seal(PageState({}, [], False, "alarm_now"), made_at=int(time.time()) - TTL_SECONDS + 60)
    assert client.get("/question", query_string={"s": fresh}).status_code == 200


def test_unknown_pages_and_methods(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/upload").status_code == 405
    assert client.post("/result").status_code == 405
    big = client.post("/question", data={"action": "answer", "s": "x" * (MAX_BODY + 10)})
    assert big.status_code == 413


def test_the_doctor_summary_page_allows_exactly_its_own_styles_and_script(client, shipped):
    response = client.get("/summary", query_string={"s": sealed(plain(shipped, EXAMPLES / "eyelid-twitch-coffee.yaml"))})
    policy, page = response.headers["Content-Security-Policy"], response.get_data(as_text=True)
    assert response.status_code == 200 and "summary for a doctor" in page
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", policy) and "unsafe-inline" not in policy
    assert '<script src="/static/print.js"></script>' in page and "Back to your result" in page
    assert client.get("/static/print.js").status_code == 200


@pytest.mark.parametrize("fmt, name", [("yaml", "my-answers.yaml"), ("fhir", "my-answers.fhir.json")])
def test_answers_download_and_upload_to_go_on(client, shipped, fmt, name):
    answers = {"alarm_now": ["none"], "feeling": "flicker"}
    response = client.get("/download", query_string={"s": sealed(answers), "format": fmt})
    assert response.status_code == 200 and name in response.headers["Content-Disposition"]
    if fmt == "yaml":
        assert response.data.startswith(b"# Saved from the muscle-triage web questionnaire.")
    upload = client.post("/upload", data={"answers_file": (io.BytesIO(response.data), name)},
                         content_type="multipart/form-data", follow_redirects=True)
    page = upload.get_data(as_text=True)
    assert upload.status_code == 200 and "Question 3 of about" in page, "it goes on after the answered questions"


def test_an_uploaded_file_with_a_problem_names_its_line(client):
    upload = client.post("/upload", data={"answers_file": (io.BytesIO(b"alarm_now: [none]\nfeeling: wobbly\n"), "a.yaml")},
                         content_type="multipart/form-data")
    page = html.unescape(upload.get_data(as_text=True))
    assert upload.status_code == 422 and "The file has a problem: line 2: field 'feeling'" in page


# --- the HTTP API -----------------------------------------------------------------------------

def schema(name: str) -> dict:
    """One schema of the OpenAPI document (its JSON Schema 2020-12 dialect)."""
    from triage.web.openapi import openapi_document

    return openapi_document()["components"]["schemas"][name]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_the_api_gives_what_check_gives_as_its_openapi_document_says(client, runner, path):
    from jsonschema import Draft202012Validator

    expected = json.loads(runner.invoke(cli, ["check", str(path), "--format", "json"]).stdout)
    response = client.post("/api/v1/triage", data=path.read_bytes() if path.suffix == ".json" else
                           json.dumps(_yaml(path)), content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == expected
    Draft202012Validator(schema("Result")).validate(response.get_json())


def test_the_result_schema_refuses_what_is_not_a_result():
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema("Result"))
    assert not validator.is_valid({"headline": "Fine.", "urgency": "later"})
    assert not validator.is_valid({"error": {"status": 422, "messages": []}})


def test_the_openapi_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    from .conftest import ROOT

    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    validate(document)
    broken = json.loads(json.dumps(document))
    broken["paths"]["/healthz"]["get"]["responses"]["200"].pop("description")  # required by OpenAPI
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


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
    from jsonschema import Draft202012Validator

    response = client.post("/api/v1/triage", data=body, content_type=content_type)
    assert response.status_code == status
    Draft202012Validator(schema("Error")).validate(response.get_json())
    error = response.get_json()["error"]
    assert error["status"] == status and all(isinstance(m, str) for m in error["messages"])
    assert words in " ".join(error["messages"])


def test_health_and_questionnaire_in_both_forms(client, runner):
    from .conftest import SHIPPED

    assert client.get("/healthz").get_json()["status"] == "ok"
    exported = json.loads(runner.invoke(cli, ["questionnaire", "export"]).stdout)
    assert client.get("/api/v1/questionnaire").get_json() == exported
    assert client.get("/api/v1/questionnaire?format=fhir").get_json() == exported
    native = client.get("/api/v1/questionnaire?format=native").get_json()
    assert native == yaml.safe_load((SHIPPED / "questionnaire.yaml").read_text())
    wrong = client.get("/api/v1/questionnaire?format=xml")
    assert wrong.status_code == 400 and "fhir, native" in wrong.get_json()["error"]["messages"][0]


def _yaml(path):
    import yaml

    data = yaml.safe_load(path.read_text())
    return data


def test_a_sign_ticked_beside_not_sure_is_never_dropped(client):
    first = hidden(client.get("/question").get_data(as_text=True))
    page = post(client, {**first, "action": "answer", "reply": ["breathing", "not_sure"]}, 422)
    assert "cannot be picked together" in page


def test_a_typed_number_beside_not_sure_is_never_dropped(client):
    answers = {"alarm_now": ["none"], "feeling": "locked", "area": "one_muscle", "pain": "moderate"}
    page = post(client, {"s": sealed(answers, "episode_minutes"), "action": "answer", "reply": "20", "not_sure": "1"}, 422)
    assert "not both" in page


def test_an_uploaded_emergency_shows_the_call_now_page_first(client):
    upload = client.post("/upload", data={"answers_file": (io.BytesIO(b"alarm_now: [breathing]\n"), "a.yaml")},
                         content_type="multipart/form-data", follow_redirects=True)
    page = upload.get_data(as_text=True)
    assert "Call your emergency number now</h1>" in page and "Trouble breathing" in page


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
    api = {r for r in routes if r.startswith(("/api/", "/cds-services")) or r == "/healthz"}
    assert api == set(served["paths"]), "every API path is documented"


def test_serve_opens_a_browser_then_stops_on_ctrl_c_with_one_line(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from .processes import HANG, ctrl_c_reaches_it, read_until, started, wait_for
    from .recipe import free_port

    port = free_port()
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"  # stands in for a web browser: writes down the address it was given
    browser.write_text(f"import sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n")
    env = {**os.environ, "BROWSER": f"{sys.executable} {browser} %s"}
    with started([sys.executable, "-m", "triage", "serve", "--port", str(port), "--open"], stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=ctrl_c_reaches_it, cwd=tmp_path,
                 env=env) as proc:
        assert f"http://127.0.0.1:{port}/" in read_until(proc, "Ctrl-C to stop")
        wait_for(lambda: opened.exists() and opened.read_text() != "", "the browser to be opened", HANG)
        assert opened.read_text() == f"http://127.0.0.1:{port}/"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.decode().strip() == "triage: stopped: the web server is stopped"
