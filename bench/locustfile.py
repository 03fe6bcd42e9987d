"""Simulated people for the load test (bench/load.py runs this with locust; not a test).

`Person` completes the web questionnaire as a browser without JavaScript does: each answer is
a POST answered by a redirect, then a GET of the next page, with a pause between pages for
reading and answering. Random but valid answers (a fixed seed per person), so every path of
the questionnaire is walked, the call-now page included. `ApiClient` posts answer sets to the
API as fast as it can, for evaluations per second.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import urllib.parse
from pathlib import Path

from locust import FastHttpUser, between, constant, task

from triage import load_content
from triage.samples import random_answers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.webforms import CALL_NOW, hidden, on_screen, person_answers, reply_for  # noqa: E402

CONTENT = load_content()
SEEDS = itertools.count()
LONGEST_PAUSE = float(os.environ.get("TRIAGE_LOAD_PAUSE", "3"))


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

    def post_form(self, fields: dict, name: str) -> str:
        location, _ = self.page("POST", "/question", name, urllib.parse.urlencode(fields, doseq=True))
        if not location:
            return ""
        where = location.split("?", 1)[0]
        return self.page("GET", location, where)[1]

    @task
    def complete_the_questionnaire(self) -> None:
        answers = person_answers(CONTENT, self.rng)
        text = self.page("GET", "/question", "/question (the first)")[1]
        for _ in range(40):
            qid = on_screen(text)
            if not text or qid is None:
                break
            self.wait()
            text = self.post_form({**hidden(text), "action": "answer", **reply_for(answers[qid], text)}, "/question (an answer)")
            if CALL_NOW in text:
                self.wait()
                text = self.post_form({**hidden(text), "action": "continue"}, "/question (go on after the call-now page)")
        if text and 'id="headline"' in text:
            self.wait()
            self.page("GET", "/summary?" + urllib.parse.urlencode({"s": hidden(text)["s"]}), "/summary")
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
