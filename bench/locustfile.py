"""Simulated people for the load test (bench/load.py runs this with locust; not a test).

`Person` completes the web questionnaire as a browser without JavaScript does: each answer is
a POST answered by a redirect, then a GET of the next page, with a pause between pages for
reading and answering. Random but valid answers (a fixed seed per person), so every path of
the questionnaire is walked, the call-now page included. `ApiClient` posts answer sets to the
API as fast as it can, for evaluations per second.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import urllib.parse

from locust import FastHttpUser, between, constant, task

from triage import load_content
from triage.samples import random_answers

CONTENT = load_content()
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
QUESTION = re.compile(r'data-question="(\w+)"')
SEEDS = itertools.count()
LONGEST_PAUSE = float(os.environ.get("TRIAGE_LOAD_PAUSE", "3"))


def reply(answer, page: str) -> list[tuple[str, str]]:
    if answer == "not_sure":  # a box beside a number field, else an option
        return [("reply", ""), ("not_sure", "1")] if 'inputmode="decimal"' in page else [("reply", "not_sure")]
    if isinstance(answer, list):
        return [("reply", value) for value in answer]
    if isinstance(answer, bool):
        return [("reply", "yes" if answer else "no")]
    return [("reply", str(answer))]


class Person(FastHttpUser):
    """One person at a time completing the questionnaire, then opening the doctor summary."""

    # Reading a page and picking an answer: 1 to 3 s, or a third to all of TRIAGE_LOAD_PAUSE seconds.
    wait_time = between(LONGEST_PAUSE / 3, LONGEST_PAUSE)

    def on_start(self) -> None:
        self.rng = random.Random(next(SEEDS))

    def page(self, method: str, path: str, name: str, body: str | None = None) -> tuple[str, str]:
        """One request (redirects not followed, so each is timed alone): (Location, page text)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else None
        with self.client.request(method, path, name=name, data=body, headers=headers, allow_redirects=False,
                                 catch_response=True) as response:
            expected = 303 if method == "POST" else 200
            if response.status_code != expected:
                response.failure(f"{name}: status {response.status_code}, expected {expected}")
                return "", ""
            return response.headers.get("Location", ""), response.text or ""

    def post_form(self, fields: list[tuple[str, str]], name: str) -> str:
        location, _ = self.page("POST", "/question", name, urllib.parse.urlencode(fields))
        if not location:
            return ""
        where = location.split("?", 1)[0]
        return self.page("GET", location, where)[1]

    @task
    def complete_the_questionnaire(self) -> None:
        answers = random_answers(CONTENT, self.rng, skip=0)
        for q in CONTENT.questions:  # a person ticks the last box ("none of these") rather than none
            if answers[q.id] == []:
                answers[q.id] = [q.options[-1].id]
        text = self.page("GET", "/question", "/question (the first)")[1]
        for _ in range(40):
            found = QUESTION.search(text)
            if not text or found is None:
                break
            self.wait()
            sealed = dict(HIDDEN.findall(text))["s"]
            fields = [("s", html.unescape(sealed)), ("action", "answer"), *reply(answers[found.group(1)], text)]
            text = self.post_form(fields, "/question (an answer)")
            if "Call your emergency number now</h1>" in text:
                self.wait()
                text = self.post_form([("s", html.unescape(dict(HIDDEN.findall(text))["s"])), ("action", "continue")],
                                      "/question (go on after the call-now page)")
        if text and 'id="headline"' in text:
            self.wait()
            sealed = html.unescape(dict(HIDDEN.findall(text))["s"])
            self.page("GET", "/summary?" + urllib.parse.urlencode({"s": sealed}), "/summary")
        elif text:
            self.environment.events.request.fire(
                request_type="FLOW", name="questionnaire did not end on a result", response_time=0,
                response_length=0, exception=AssertionError("no result page"), context={})


class ApiClient(FastHttpUser):
    """Another system posting answer sets to the API, back to back."""

    wait_time = constant(0)

    def on_start(self) -> None:
        rng = random.Random(1000 + next(SEEDS))
        self.bodies = [json.dumps(random_answers(CONTENT, rng)) for _ in range(200)]
        self.rng = rng

    @task
    def evaluate(self) -> None:
        with self.client.post("/api/v1/triage", data=self.rng.choice(self.bodies), name="/api/v1/triage",
                              headers={"Content-Type": "application/json"}, catch_response=True) as response:
            if response.status_code != 200 or '"urgency"' not in (response.text or ""):
                response.failure(f"status {response.status_code}")
