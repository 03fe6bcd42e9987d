"""The load test (bench/load.py) in small: 10 simulated people for 5 s (pausing at most 0.3 s
on a page) against the production recipe on loopback, and the API for 3 s. It must end by
itself, with requests answered in both phases and none failed. The full run (100 people, 60 s)
and its figures are in docs/performance.md; here the latency bar is loose, because this suite
runs on busy machines: it proves the load test works, not the speed."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from .conftest import ROOT

# Looked up, never imported here: importing locust patches this process for gevent (its
# threads, its sockets), which breaks pytest-xdist's worker.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (importlib.util.find_spec("locust") and importlib.util.find_spec("gunicorn"))
                       and os.environ.get("TRIAGE_REQUIRE_INTEGRATION") != "1",
                       reason="locust and gunicorn are not installed (pip install -e '.[integration]')"),
]


def test_the_load_test_runs_and_stops_by_itself_with_no_failed_request():
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--people", "10", "--seconds", "5", "--pause", "0.3",
               "--api-clients", "2", "--api-seconds", "3", "--p95-limit", "10000"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)  # bounds a hang only
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "failed requests: 0; task errors: 0;" in done.stdout
    totals = [int(n) for n in re.findall(r"^\| all requests \| (\d+) \|", done.stdout, re.M)]
    assert len(totals) == 2 and all(n > 0 for n in totals), done.stdout  # people and API clients both got answers
