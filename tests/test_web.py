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
from triage.cli import cli

from . import responses
from .conftest import EXAMPLE_FILES, EXAMPLES
from .webforms import CALL_NOW as CALL_NOW_HEADING
from .webforms import complete_with, hidden, on_screen, person_answers, plain, reply_for

pytest.importorskip("flask")
from triage.web import HEADERS, MAX_BODY, create_app  # noqa: E402
from triage.web.pagestate import CALL_NOW, TTL_SECONDS, PageState, Sealer  # noqa: E402

KEY = "a key for the tests, long enough to be accepted"
SEALER = Sealer(KEY)


@pytest.fixture(scope="module")
def client():
    return create_app(secret_key=KEY).test_client()


def post(client, data: dict, status: int = 200) -> str:
    """Post a form as a browser does and follow the redirect to the next page (GET)."""
    response = client.post("/question", data=data, follow_redirects=True)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def complete(client, answers: dict) -> str:
    return complete_with(lambda path: client.get(path).get_data(as_text=True),
                         lambda path, fields: post(client, fields), answers)


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

    page = complete(client, person_answers(shipped, random.Random(seed)))
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
    assert CALL_NOW_HEADING in page and "Trouble breathing needs help right away" in page
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
    assert location.startswith("/question?s=") and "breathing" not in location and "alarm" not in location
    assert response.headers["Cache-Control"] == "no-store"


def test_a_bad_reply_is_tied_to_its_field(client):
    first = hidden(client.get("/question").get_data(as_text=True))
    response = client.post("/question", data={**first, "action": "answer"})
    assert response.status_code == 303, "an error page is a GET page too, so Back works after it"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
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
    Sealer("another key, made by another server somewhere").seal(PageState({}, [], False, "feeling")),
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


def test_a_short_secret_key_is_refused():
    from triage.errors import TriageError

    with pytest.raises(TriageError, match="at least 32 characters"):
        create_app(secret_key="password1")


def test_an_unknown_action_or_a_missing_place_is_a_400(client):
    assert client.post("/question", data={"s": sealed({}, "feeling"), "action": "explode"}).status_code == 400
    assert client.post("/question", data={"s": sealed({}), "action": "answer"}).status_code == 400
    not_an_emergency = SEALER.seal(PageState({}, [], False, CALL_NOW))
    assert client.get("/question", query_string={"s": not_an_emergency}).status_code == 400


def test_an_old_page_says_it_has_expired(client):
    old = SEALER.seal(PageState({}, [], False, "alarm_now"), made_at=int(time.time()) - TTL_SECONDS - 60)
    response = client.get("/question", query_string={"s": old})
    assert response.status_code == 400 and "This page has expired" in response.get_data(as_text=True)
    fresh = SEALER.seal(PageState({}, [], False, "alarm_now"), made_at=int(time.time()) - TTL_SECONDS + 60)
    assert client.get("/question", query_string={"s": fresh}).status_code == 200
    harmless = client.post("/question", data={"s": old, "action": "answer", "reply": "none"})
    assert harmless.status_code == 400 and "This page has expired" in harmless.get_data(as_text=True)


def test_an_emergency_answer_from_an_old_page_still_gets_the_call_now_page(client):
    """Never lose an emergency answer to an expired page: it is checked, then the page says
    to call, and to start again after (nothing else from the old page can be used)."""
    old = SEALER.seal(PageState({}, [], False, "alarm_now"), made_at=int(time.time()) - 10 * TTL_SECONDS)
    response = client.post("/question", data={"s": old, "action": "answer", "reply": "breathing"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and CALL_NOW_HEADING in page
    assert "Trouble breathing" in page and "start again" in page and 'name="s"' not in page


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
    answers = responses.FEW_ANSWERS
    response = client.get("/download", query_string={"s": sealed(answers), "format": fmt})
    assert response.status_code == 200 and name in response.headers["Content-Disposition"]
    if fmt == "yaml":
        assert response.data.startswith(b"# Saved from the muscle-triage web questionnaire.")
    upload = client.post("/upload", data={"answers_file": (io.BytesIO(response.data), name)},
                         content_type="multipart/form-data", follow_redirects=True)
    page = upload.get_data(as_text=True)
    assert upload.status_code == 200 and "Question 3 of about" in page, "it goes on after the answered questions"


def test_a_question_page_saves_the_answers_so_far_and_the_file_goes_on_from_there(client, shipped):
    """Someone who must stop halfway keeps their answers: the file opens again at the next question,
    and as FHIR it is marked in-progress until every question is answered."""
    first = client.get("/question", query_string={"s": sealed({}, at="alarm_now")}).get_data(as_text=True)
    assert "Question 1 of about" in first and "Save my answers so far" not in first, "nothing to save yet"
    answers = responses.FEW_ANSWERS
    page = client.get("/question", query_string={"s": sealed(answers, at="where")}).get_data(as_text=True)
    form = page.split('class="save-so-far"', 1)[1].split("</form>", 1)[0]
    state = re.search(r'name="s" value="([^"]+)"', form).group(1)
    saved = client.get("/download", query_string={"s": html.unescape(state), "format": "yaml"})
    assert saved.status_code == 200 and b"feeling: flicker" in saved.data
    again = client.post("/upload", data={"answers_file": (io.BytesIO(saved.data), "my-answers.yaml")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "Question 3 of about" in again.get_data(as_text=True)
    partial = client.get("/download", query_string={"s": sealed(answers), "format": "fhir"}).get_json(force=True)
    whole = client.get("/download", query_string={"s": sealed(plain(shipped, EXAMPLES / "eyelid-twitch-coffee.yaml")),
                                                  "format": "fhir"}).get_json(force=True)
    assert (partial["status"], whole["status"]) == ("in-progress", "completed")


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
    assert re.search(r'value="breathing" checked', page) and re.search(r'value="not_sure" checked', page), (
        "the page shows both boxes still ticked, so the sign is not lost")


def test_a_typed_number_beside_not_sure_is_never_dropped(client):
    answers = {"alarm_now": ["none"], "feeling": "locked", "area": "one_muscle", "pain": "moderate"}
    page = post(client, {"s": sealed(answers, "episode_minutes"), "action": "answer", "reply": "20", "not_sure": "1"}, 422)
    assert "not both" in page and 'value="20"' in page, "the typed number is shown again"


def test_an_uploaded_emergency_shows_the_call_now_page_first(client):
    upload = client.post("/upload", data={"answers_file": (io.BytesIO(b"alarm_now: [breathing]\n"), "a.yaml")},
                         content_type="multipart/form-data", follow_redirects=True)
    page = upload.get_data(as_text=True)
    assert CALL_NOW_HEADING in page and "Trouble breathing" in page


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
    import shlex
    import signal
    import subprocess
    import sys

    from .processes import HANG, ctrl_c_reaches_it, read_until, started, wait_for
    from .recipe import free_port

    port = free_port()
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"  # stands in for a web browser: fetches the page, then notes what it got
    browser.write_text("import sys, urllib.request\n"
                       "page = urllib.request.urlopen(sys.argv[1], timeout=60).read().decode()\n"
                       f"open({str(opened)!r}, 'w').write(sys.argv[1] + ' ' + str('Start' in page))\n")
    env = {**os.environ, "BROWSER": f"{shlex.quote(sys.executable)} {shlex.quote(str(browser))} %s"}
    with started([sys.executable, "-m", "triage", "serve", "--port", str(port), "--open"], stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=ctrl_c_reaches_it, cwd=tmp_path,
                 env=env) as proc:
        assert f"http://127.0.0.1:{port}/" in read_until(proc, "Ctrl-C to stop")
        wait_for(lambda: opened.exists() and opened.read_text() != "", "the browser to be opened", HANG)
        assert opened.read_text() == f"http://127.0.0.1:{port}/ True", "the browser got the start page"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.decode().strip() == "triage: stopped: the web server is stopped"


def _uploaded(client, resource: dict) -> tuple[str, str]:
    """Upload a FHIR response as 'Go on with saved answers' does: (the address it leads to, its page)."""
    sent = client.post("/upload", data={"answers_file": (io.BytesIO(json.dumps(resource).encode()), "saved.fhir.json")},
                       content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    page = client.get(sent.headers["Location"])
    assert page.status_code == 200
    return sent.headers["Location"], page.get_data(as_text=True)


def test_an_uploaded_response_with_notes_shows_them_on_the_page_it_leads_to(client, shipped):
    """The notes travel sealed in the address the upload redirects to (nothing is stored), so
    the page and its reload show them; the next page does not; a completed response has none."""
    address, page = _uploaded(client, responses.unfinished(shipped))
    assert "Question 3 of about" in page
    assert f"<strong>About your file:</strong> {responses.UNFINISHED_NOTE}.</p>" in html.unescape(page)
    assert page.index("About your file") < page.index("<form"), "above the question"
    assert client.get(address).get_data(as_text=True) == page, "a reload shows it again"
    assert "progress" not in address, "sealed: the note cannot be read in the address"
    after = post(client, {**hidden(page), "action": "answer", **reply_for("small_spot", page)})
    assert "Question 4 of about" in after and "About your file" not in after
    assert "About your file" not in _uploaded(client, responses.finished(shipped))[1]


def test_an_uploaded_complete_response_for_other_questions_shows_its_note_below_the_headline(client, shipped):
    answers = plain(shipped, EXAMPLES / "night-calf-cramps.json")
    _, page = _uploaded(client, responses.for_another_version(shipped, answers, version="0.0.9+<b>x</b>"))
    assert 'id="headline"' in page and page.index('id="headline"') < page.index("About your file") < page.index('id="why"')
    assert "saved for another version of the questions (0.0.9+&lt;b&gt;x&lt;/b&gt;;" in page, "escaped"
    assert "About your file" not in _uploaded(client, responses.finished(shipped, answers))[1]


def test_an_uploaded_unfinished_emergency_shows_the_call_now_page_then_the_note(client, shipped):
    _, page = _uploaded(client, responses.unfinished(shipped, {"alarm_now": ["breathing"]}))
    assert CALL_NOW_HEADING in page
    assert page.index("</section>") < page.index("About your file:") < page.index("See what to do now"), (
        "the call-now message comes first")


def test_a_page_state_keeps_its_notes_and_one_without_notes_reads_as_before():
    with_notes = SEALER.open(SEALER.seal(PageState({"feeling": "flicker"}, ["feeling"], notes=["a note"])))
    assert with_notes.notes == ["a note"] and with_notes.answers == {"feeling": "flicker"}
    assert SEALER.open(SEALER.seal(PageState({"feeling": "flicker"}, ["feeling"]))).notes == []


def test_the_api_gives_a_fhir_responses_notes_as_its_openapi_document_says(client, runner, shipped, tmp_path):
    """`notes` is in the answer only when the posted response has notes; the rest is what
    check gives for the same file."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema("Result"))
    saved = tmp_path / "saved.fhir.json"
    for resource, note in ((responses.unfinished(shipped), responses.UNFINISHED_NOTE),
                           (responses.for_another_version(shipped), "it was saved for another version of the questions"),
                           (responses.finished(shipped), None)):
        response = client.post("/api/v1/triage", data=json.dumps(resource), content_type="application/fhir+json")
        assert response.status_code == 200
        answer = response.get_json()
        validator.validate(answer)
        if note is None:
            assert "notes" not in answer, "absent without notes"
        else:
            (given,) = answer["notes"]
            assert given.startswith(note)
        saved.write_text(json.dumps(resource))
        expected = json.loads(runner.invoke(cli, ["check", str(saved), "--format", "json"]).stdout)
        assert {k: v for k, v in answer.items() if k != "notes"} == expected
    assert not validator.is_valid({**answer, "notes": []}) and not validator.is_valid({**answer, "notes": [1]})
