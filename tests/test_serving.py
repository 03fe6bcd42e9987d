"""The production recipe (docs/serving.md: gunicorn, 2 workers, --preload) run as written, on
loopback: a whole questionnaire and the API through it, and an access log with no answers."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import urllib.request

import pytest

from triage.cli import cli

from .conftest import EXAMPLES
from .webforms import complete_with, plain

pytest.importorskip("gunicorn")
pytest.importorskip("flask")
from .recipe import served_by_recipe  # noqa: E402

EYELID = EXAMPLES / "eyelid-twitch-coffee.yaml"


class Browserless:
    """Fetches and posts as a browser without JavaScript does (urllib follows 303 with GET)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict) -> str:
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        with urllib.request.urlopen(self.url + path, data=body, timeout=60) as response:
            return response.read().decode()


def test_the_recipe_serves_the_questionnaire_and_the_api_and_logs_no_answers(shipped, runner):
    with served_by_recipe() as served:
        person = Browserless(served.url)
        for _ in range(3):  # a dozen pages each time, each taken by whichever worker is free
            page = complete_with(person.get, person.post, plain(shipped, EYELID))
            expected = json.loads(runner.invoke(cli, ["check", str(EYELID), "-f", "json"]).stdout)
            assert f'<h1 id="headline">{html.escape(expected["headline"])}</h1>' in page
        request = urllib.request.Request(served.url + "/api/v1/triage", data=json.dumps(plain(shipped, EYELID)).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert json.loads(response.read())["headline"] == expected["headline"]
    assert "Traceback" not in served.errors and "Booting worker" in served.errors
    paths = re.findall(r'"(GET|POST) (\S*)"', served.log)
    assert len(paths) > 20, served.log[:500]
    assert all("?" not in path and "s=" not in path for _, path in paths), "no query string (sealed answers) logged"
    assert "flicker" not in served.log and "coffee" not in served.log
