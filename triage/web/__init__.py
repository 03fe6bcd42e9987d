"""`triage serve`: the questionnaire as web pages, and an HTTP API, on the same core as the CLI.

Flask, because it renders server-side Jinja forms (Jinja2 is already ours) and a small JSON
API with little code, has a test client, and runs under any WSGI server (waitress for
`triage serve`, gunicorn behind a proxy in production: docs/serving.md).

Nothing about a person is kept on the server: the answers so far travel sealed in each page's
address (`pagestate`: encrypted, expiring), are checked again on every request exactly as an
answer file is, and every page says `Cache-Control: no-store`. Each form is posted, then
answered with a redirect to a GET page (post/redirect/get), so the browser's Back and Reload
buttons work. There is no session, no database, and no answer in a log.
Every decision is `Triage` and `questionnaire` code, the same that `ask` and `check` use.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from typing import Any

from flask import Flask, Response, render_template, request, url_for

from .. import __version__
from ..answerfile import SaveFormat, answers_from_data, dump_answers, parse_document
from ..answers import RECORD_ID, Answers, check_answers, to_plain, visible, visible_answers
from ..content import load_content
from ..errors import InputError, TriageError
from ..evaluate import Triage
from ..fhir import questionnaire_to_fhir
from ..jsonsafe import load_json
from ..model import NOT_SURE, Question
from ..questionnaire import default_reply, emergency_message, estimated_total, next_unanswered, question_number
from ..questiontypes import coerce_answer
from ..render import Presentation, Renderer
from ..yamlsafe import decode_text, load_yaml_file
from . import cdshooks
from .openapi import openapi_document
from .pagestate import CALL_NOW, TTL_SECONDS, Expired, PageState, Sealer, Unreadable

SAVED_BY_WEB = ("# Saved from the muscle-triage web questionnaire. To go on, open it and use 'Go on with\n"
                "# saved answers', or in a terminal: triage ask --answers THIS_FILE\n")

MAX_BODY = 256 * 1024
"""Bytes a request may carry (an answer file upload included); a bigger one gets 413."""

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


PROBLEM_PAGES = {
    400: ("Something was wrong with that request", "Please go back to the start and try again."),
    404: ("Page not found", "There is no page here."),
    405: ("Please use the buttons on the page", "This page is reached with the buttons of the questionnaire."),
    500: ("Something went wrong here", "This is our fault, not yours. Please start again. If you have an emergency "
          "sign, call your emergency number now."),
}
"""The plain page for each HTTP error (never a traceback)."""


def _problem_handler(page: Any, status: int, title: str, message: str) -> Any:
    def handler(_: Exception) -> Response:
        return page("problem.html", status, title=title, message=message)

    return handler


class JsonProblem(Exception):
    """A JSON request the API cannot use: answered as a JSON error with this status."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(status, *messages)
        self.status, self.messages = status, messages


class BadForm(Exception):
    """Form data that cannot be what our own pages sent (tampered, or from another version)."""


def create_app(rules_dir: str | None = None, engine: str | None = None, region: str | None = None,
               secret_key: str | None = None) -> Flask:
    """The web app for one content folder; build once per worker process. Workers that share
    pages need one `secret_key` (or TRIAGE_SECRET_KEY, or gunicorn's --preload): see pagestate."""
    content = load_content(rules_dir)
    triage = Triage(content, engine, region)
    renderer = Renderer(content)
    sealer = Sealer(secret_key)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, TEMPLATES_AUTO_RELOAD=False, JSON_SORT_KEYS=False)
    index = {q.id: i for i, q in enumerate(content.questions)}

    def page(template: str, status: int = 200, **values: Any) -> Response:
        html = render_template(template, number=triage.outcomes.emergency_number, version=__version__, **values)
        return Response(html, status, mimetype="text/html")

    def opened(sealed: str | None, any_age: bool = False) -> tuple[Answers, PageState]:
        """The answers and place a page carries, checked again as an answer file is."""
        try:
            state = sealer.open(sealed or "", any_age)
        except Unreadable:
            raise BadForm from None
        if any(q not in index for q in state.asked) or state.showing not in (None, CALL_NOW, *index):
            raise BadForm
        try:
            answers = check_answers(content, state.answers, "the page")
        except TriageError:
            raise BadForm from None
        return answers, state

    def redirect_to(endpoint: str, answers: Answers, state: PageState) -> Response:
        """See other (303): the next page is fetched with GET, so Back and Reload work."""
        state.answers = to_plain(answers)
        return _see_other(url_for(endpoint, s=sealer.seal(state)))

    def redirect_to_next(answers: Answers, asked: list[str], start: int, warned: bool,
                         notes: list[str] | None = None) -> Response:
        """The first question from `start` not answered yet, or the result (showing `notes`)."""
        position = next_unanswered(content, answers, start)
        if position >= len(content.questions):
            return redirect_to("result", answers, PageState(asked=asked, warned=warned, notes=notes or []))
        showing = content.questions[position].id
        return redirect_to("question", answers, PageState(asked=asked, warned=warned, showing=showing, notes=notes or []))

    def question_page(answers: Answers, state: PageState, sealed: str) -> Response:
        position = index[str(state.showing)]
        question = content.questions[position]
        if not visible(question, answers):
            raise BadForm
        place = question_number(content, answers, position)
        shown = _as_sent(question, state.sent) if state.error else answers.get(question.id)
        typed = state.sent.get("typed", "") if state.error and isinstance(state.sent, dict) else ""
        return page(
            "question.html", 422 if state.error else 200, question=question, sealed=sealed, error=state.error,
            typed=str(typed), current=shown, choices=_choices(question, shown),
            not_sure=NOT_SURE, not_sure_ticked=shown == NOT_SURE or (isinstance(shown, list) and NOT_SURE in shown),
            place=place, total=estimated_total(content, answers, place - 1, position), notes=state.notes,
            answered=bool(answers),
        )

    def call_now_page(answers: Answers, sealed: str | None, notes: list[str] | None = None) -> Response:
        """The call-now page; without `sealed` (an expired page), no way on but to start again."""
        message = emergency_message(triage, answers)
        if message is None:
            raise BadForm
        reasons = [line for line in message.strip().splitlines() if not line.startswith("EMERGENCY:")]
        return page("emergency.html", message=reasons, sealed=sealed, notes=notes or [])

    @app.after_request
    def safe_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(BadForm)
    def bad_form(_: BadForm) -> Response:
        return page("problem.html", 400, title="Your answers could not be read",
                    message="This page got answers it could not read (or the service was restarted). Please start again.")

    @app.errorhandler(Expired)
    def page_expired(_: Expired) -> Response:
        return page("problem.html", 400, title="This page has expired",
                    message=f"For your privacy, a page keeps your answers for {TTL_SECONDS // 3600} hours only. "
                    "Please start again. If you saved your answers in a file, you can go on from it.")

    for status, (title, message) in PROBLEM_PAGES.items():
        app.register_error_handler(status, _problem_handler(page, status, title, message))

    @app.errorhandler(413)
    def too_large(_: Exception) -> Response:
        if request.path.startswith("/api/"):
            return _json_error(413, f"the request is larger than {MAX_BODY // 1024} KiB")
        return page("problem.html", 413, title="That was too large",
                    message=f"A saved answer file may be at most {MAX_BODY // 1024} KiB.")

    @app.get("/")
    def start() -> Response:
        return page("start.html", total=estimated_total(content, {}, 0, 0))

    @app.get("/question")
    def question() -> Response:
        """A question page, or the call-now page (one address, so a log cannot tell them apart);
        without `s`, the first question of a new questionnaire."""
        if "s" not in request.args:
            fresh = PageState(showing=content.questions[next_unanswered(content, {}, 0)].id)
            return question_page({}, fresh, sealer.seal(fresh))
        answers, state = opened(request.args["s"])
        if state.showing is None:
            raise BadForm
        if state.showing == CALL_NOW:
            return call_now_page(answers, request.args["s"], state.notes)
        return question_page(answers, state, request.args["s"])

    @app.post("/question")
    def answer() -> Response:
        """Next, Back, or (after the call-now page) the other questions."""
        try:
            answers, state = opened(request.form.get("s"))
        except Expired:  # never lose an emergency answer to an old page: check it, then say the page expired
            answers, state = opened(request.form.get("s"), any_age=True)
            if request.form.get("action", "answer") == "answer" and state.showing in index:
                with contextlib.suppress(ValueError):
                    q = content.questions[index[state.showing]]
                    answers[q.id] = coerce_answer(q, _reply(q))
                    shown = visible_answers(content, answers)[0]
                    if emergency_message(triage, shown):
                        return call_now_page(shown, None)
            raise
        action = request.form.get("action", "answer")
        if action == "continue":
            return redirect_to_next(answers, state.asked, 0, True)
        asked = list(state.asked)
        if action == "back":  # from a question, or from the result to change an answer
            if not asked:
                return _see_other(url_for("start"))
            return redirect_to("question", answers, PageState(asked=asked[:-1], warned=state.warned, showing=asked[-1]))
        if action != "answer" or state.showing not in index:
            raise BadForm
        q = content.questions[index[str(state.showing)]]
        if not visible(q, answers):
            raise BadForm
        try:
            answers[q.id] = coerce_answer(q, _reply(q))
        except ValueError as exc:  # the same question again, with the error and the reply as sent
            return redirect_to("question", answers, PageState(asked=asked, warned=state.warned, showing=q.id,
                                                              error=_error_text(exc), sent=_sent(q), notes=state.notes))
        answers = visible_answers(content, answers)[0]
        asked.append(q.id)
        message = emergency_message(triage, answers)
        if message and not state.warned:
            return redirect_to("question", answers, PageState(asked=asked, showing=CALL_NOW))
        return redirect_to_next(answers, asked, index[q.id] + 1, state.warned and bool(message))

    @app.get("/result")
    def result() -> Response:
        answers, state = opened(request.args.get("s"))
        return page("result.html", result=triage.evaluate(visible_answers(content, answers)[0]), sealed=request.args["s"],
                    notes=state.notes)

    @app.get("/summary")
    def summary() -> Response:
        """The one-page summary for a doctor: the content's own `doctor` template."""
        answers, _ = opened(request.args.get("s"))
        shown = Presentation(links=(("Back to your result", url_for("result", s=request.args["s"])),),
                             script=url_for("static", filename="print.js"))
        html = renderer.render(triage.evaluate(visible_answers(content, answers)[0]), "doctor", shown)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = _with_style_hashes(HEADERS["Content-Security-Policy"], html)
        return response

    @app.get("/download")
    def download() -> Response:
        answers, _ = opened(request.args.get("s"))
        fmt: SaveFormat
        match request.args.get("format"):
            case "yaml":
                fmt, name, kind = "yaml", "my-answers.yaml", "application/yaml"
            case "fhir":
                fmt, name, kind = "fhir", "my-answers.fhir.json", "application/fhir+json"
            case _:
                raise BadForm
        shown = visible_answers(content, answers)[0]
        complete = next_unanswered(content, shown, 0) >= len(content.questions)  # FHIR: in-progress until then
        text = dump_answers(content, shown, fmt, complete=complete, header=SAVED_BY_WEB)
        return Response(text, mimetype=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.post("/upload")
    def upload() -> Response:
        sent = request.files.get("answers_file")
        if sent is None:
            raise BadForm
        notes: list[str] = []  # warnings about a file that is still read (an unfinished FHIR response): on the next page
        try:  # read as an answer file is: the same decoding (byte-order mark, binary, UTF-8) and sniff
            text = decode_text(sent.read(MAX_BODY + 1), "your file")
            answers = answers_from_data(content, parse_document(text, "your file"), "your file", notes)
        except InputError as exc:
            lines = [re.sub(r"^your file:(\d+):\d+: ", r"line \1: ", line) for line in str(exc).splitlines()[:5]]
            return page("problem.html", 422, title="That file could not be used",
                        message="The file has a problem: " + "; ".join(lines))
        answers.pop(RECORD_ID, None)
        answers = visible_answers(content, answers)[0]
        position = next_unanswered(content, answers, 0)
        asked = [q.id for q in content.questions[:position] if q.id in answers]
        if emergency_message(triage, answers):  # as `ask --answers` does: the call-now page before any question
            return redirect_to("question", answers, PageState(asked=asked, showing=CALL_NOW, notes=notes))
        return redirect_to_next(answers, asked, 0, False, notes)

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok", "version": __version__})

    @app.get("/api/v1/openapi.json")
    def api_openapi() -> Response:
        return _json(openapi_document())

    questionnaires = {  # ?format=: the FHIR R4 Questionnaire, or the content's own questionnaire.yaml as JSON; made once
        "fhir": questionnaire_to_fhir(content),
        "native": json.loads(json.dumps(load_yaml_file(str(content.root / "questionnaire.yaml")))),
    }

    @app.get("/api/v1/questionnaire")
    def api_questionnaire() -> Response:
        fmt = request.args.get("format", "fhir")
        if fmt not in questionnaires:
            return _json_error(400, f"unknown format {fmt!r} (use one of: {', '.join(questionnaires)})")
        return _json(questionnaires[fmt])

    @app.post("/api/v1/triage")
    def api_triage() -> Response:
        data = _json_body("the answers")
        notes: list[str] = []
        try:  # 422: JSON, but not answers to this questionnaire
            answers = answers_from_data(content, data, "request", notes)
        except InputError as exc:
            raise JsonProblem(422, *_messages(exc)) from None
        answers.pop(RECORD_ID, None)
        result = triage.evaluate(answers).to_dict()  # as `check --format json` writes it, and then
        # warnings about a FHIR response that was still read (an unfinished one): absent without any, as in batch's records
        return _json({**result, "notes": notes} if notes else result)

    @app.get("/cds-services")
    def cds_discovery() -> Response:
        return _json(cdshooks.discovery(content))

    @app.post(f"/cds-services/{cdshooks.SERVICE_ID}")
    def cds_service() -> Response:
        """A CDS Hooks call: one card for the patient's newest answers (cdshooks.py)."""
        data = _json_body("the hook request")
        try:
            return _json(cdshooks.cards(content, triage, data))
        except cdshooks.BadHookRequest as exc:
            raise JsonProblem(400, str(exc)) from None
        except InputError as exc:
            raise JsonProblem(422, *_messages(exc)) from None

    @app.errorhandler(JsonProblem)
    def json_problem(problem: JsonProblem) -> Response:
        return _json_error(problem.status, *problem.messages)

    @app.template_filter("as_typed")
    def as_typed(value: Any, question: Question) -> str:
        """An earlier number answer as it can be typed again (never rounded)."""
        return default_reply(question, value)

    return app


def _choices(question: Question, current: Any) -> list[tuple[str, str, bool]]:
    """(value, label, checked) for each radio button or checkbox of a question."""
    if question.type == "yesno":
        return [("yes", "Yes", current is True), ("no", "No", current is False)]
    picked = current if isinstance(current, list) else [current]
    return [(o.id, o.label, o.id in picked) for o in question.options]


def _reply(question: Question) -> Any:
    """The form's reply as raw answer data: option ids, yes/no, or the typed number."""
    form = request.form
    match question.type:
        case "multi":
            picked = form.getlist("reply")
            if not picked:
                raise ValueError("please pick at least one answer (or the last one, if none fits)")
            if NOT_SURE in picked:  # never drop a sign someone ticked beside "not sure"
                if len(picked) > 1:
                    raise ValueError("'Not sure' cannot be picked together with other answers; "
                                     "pick the ones that fit, or only 'Not sure'")
                return NOT_SURE
            return picked
        case "choice" | "yesno":
            reply = form.get("reply")
            if reply is None:
                raise ValueError("please pick one answer")
            return reply
        case "number":
            typed = form.get("reply", "").strip()
            if form.get("not_sure") == "1":
                if typed:  # never drop a typed number
                    raise ValueError("please type a number or tick 'Not sure', not both")
                return NOT_SURE
            if not typed:
                raise ValueError("please type a number")
            return typed
    raise BadForm


def _sent(question: Question) -> Any:
    """The reply as the form sent it, to show it again with an error (never lose a ticked sign)."""
    if question.type == "multi":
        return request.form.getlist("reply")[:50]
    if question.type == "number":
        return {"typed": request.form.get("reply", "")[:200], "not_sure": request.form.get("not_sure") == "1"}
    return request.form.get("reply")


def _as_sent(question: Question, sent: Any) -> Any:
    """What `_sent` kept, as `_choices` reads an answer ("Not sure" alone as itself)."""
    if question.type == "number":  # the typed text is shown as `typed`; the box as ticked or not
        return NOT_SURE if isinstance(sent, dict) and sent.get("not_sure") else None
    if question.type == "yesno":
        return {"yes": True, "no": False}.get(sent) if isinstance(sent, str) else None
    return sent


def _error_text(exc: ValueError) -> str:
    text = str(exc.args[0] if exc.args else exc)
    return text[:1].upper() + text[1:].rstrip(".") + "."


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def _with_style_hashes(policy: str, html: str) -> str:
    """The policy, letting exactly the page's own <style> blocks run (an author template's CSS)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() + "'"
        for m in _STYLE.finditer(html)
    )
    return policy.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())


def _json_body(what: str) -> Any:
    """The request's JSON: 415 when it is not sent as JSON, 400 when it is not JSON text."""
    if not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
        raise JsonProblem(415, f"send {what} as JSON (Content-Type: application/json)")
    try:
        return load_json(decode_text(request.get_data(as_text=False), "request"), "request")
    except InputError as exc:
        raise JsonProblem(400, *_messages(exc)) from None


def _messages(exc: InputError) -> list[str]:
    """An input error's lines as the API gives them: the words `check` uses, without the place."""
    return [_strip_place(line) for line in str(exc).splitlines()]


def _strip_place(line: str) -> str:
    return line.split(": ", 1)[1] if line.startswith("request:") and ": " in line else line


def _see_other(location: str) -> Response:
    """303: the browser fetches `location` with GET (post/redirect/get)."""
    return Response("", 303, headers={"Location": location})


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, indent=2, ensure_ascii=False) + "\n", status, mimetype="application/json")


def _json_error(status: int, *messages: str) -> Response:
    return _json({"error": {"status": status, "messages": list(messages)}}, status)
