"""The web questionnaire's forms as a browser without JavaScript fills them: read the page's
hidden fields, give an answer, post. Shared by the HTTP tests, the production-recipe test and
the load test (bench/locustfile.py), so all three answer the pages the same way."""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable
from typing import Any

from triage.answerfile import load_answers
from triage.answers import to_plain
from triage.model import Content
from triage.samples import random_answers

HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
QUESTION = re.compile(r'data-question="(\w+)"')
CALL_NOW = "Call your emergency number now</h1>"
"""On the call-now page only: its heading."""


def hidden(page: str) -> dict[str, str]:
    """The hidden fields of the page's posted forms (the sealed state `s`, and any others); the
    forms that only fetch (a download, the summary) are not part of answering."""
    posted = "".join(re.findall(r'<form method="post".*?</form>', page, re.S))
    return {name: html.unescape(value) for name, value in HIDDEN.findall(posted)}


def on_screen(page: str) -> str | None:
    """The id of the question the page asks, if it asks one."""
    found = QUESTION.search(page)
    return found.group(1) if found else None


def reply_for(answer: Any, page: str = "") -> dict[str, Any]:
    """The form fields for `answer` on `page`: 'Not sure' is a box beside a number field, else an option."""
    if answer == "not_sure":
        return {"reply": "", "not_sure": "1"} if 'inputmode="decimal"' in page else {"reply": "not_sure"}
    if isinstance(answer, list):
        return {"reply": answer}
    if isinstance(answer, bool):
        return {"reply": "yes" if answer else "no"}
    return {"reply": str(answer)}


def complete_with(get: Callable[[str], str], post_form: Callable[[str, dict], str], answers: dict) -> str:
    """Answer every question the pages ask with `answers`, through `get(path)` and
    `post_form(path, fields)` (each returns the page after any redirect); the final page
    (the result; the call-now page is passed by going on, as a person may)."""
    page = get("/question")
    for _ in range(60):
        qid = on_screen(page)
        if qid is None:
            return page
        page = post_form("/question", {**hidden(page), "action": "answer", **reply_for(answers[qid], page)})
        if CALL_NOW in page:
            page = post_form("/question", {**hidden(page), "action": "continue"})
    raise AssertionError("the questionnaire did not end")


def plain(content: Content, path: Any) -> dict:
    """An example's answers as a form sends them (no record id)."""
    answers = to_plain(load_answers(content, str(path)))
    answers.pop("id", None)
    return answers


def person_answers(content: Content, rng: random.Random) -> dict:
    """A whole random answer set as a person gives it on the pages: an empty box list is
    refused there, so a person ticks the last box ("none of these") instead."""
    answers = random_answers(content, rng, skip=0)
    for q in content.questions:
        if answers[q.id] == []:
            answers[q.id] = [q.options[-1].id]
    return answers
