"""Shared fixtures: real content folders, engines built once per test session.

Hypothesis runs under the `ci` profile unless HYPOTHESIS_PROFILE says otherwise: the same
examples on every run (derandomized, no example database) and a small budget per property,
so the suite is quick and repeatable. `HYPOTHESIS_PROFILE=thorough python -m pytest` gives
every property its full budget and keeps failing examples in .hypothesis/ for manual runs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from triage import Triage, load_content
from triage.engines.durable import available as durable_available
from triage.render import Renderer

from .browser import browser  # noqa: F401  (one Chromium per test process: Playwright's sync API runs one at a time)

# The content cache (triage.contentcache) goes to a folder of this test run, never the user's.
_CACHE = tempfile.mkdtemp(prefix="triage-test-cache-")
os.environ["TRIAGE_CACHE_DIR"] = _CACHE
os.environ.pop("TRIAGE_NO_CACHE", None)
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SHIPPED = ROOT / "rules"
MINI = TESTS / "content" / "mini"
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
"""The shipped example answer files (the README's and the docs' cases)."""

needs_durable = pytest.mark.skipif(not durable_available(), reason="durable-rules cannot be imported here")
ENGINES = [pytest.param("durable", marks=needs_durable), "python"]

# The properties draw from fixtures built once per session, so the function-scoped fixture
# check does not apply; generating a shipped-content answer set is legitimately slow.
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile("ci", deadline=None, derandomize=True, database=None, suppress_health_check=_QUIET)
settings.register_profile("thorough", deadline=None, suppress_health_check=_QUIET)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def examples(ci: int, thorough: int) -> settings:
    """A property's budget: `thorough` examples under the thorough profile, `ci` otherwise."""
    return settings(max_examples=thorough if PROFILE == "thorough" else ci)


@pytest.fixture(scope="session")
def shipped():
    return load_content(SHIPPED)


@pytest.fixture(scope="session")
def mini():
    return load_content(MINI)


@pytest.fixture(scope="session")
def engines(shipped):
    """One Triage per engine over the shipped content (durable rulesets are costly; share them)."""
    built = {"python": Triage(shipped, "python")}
    if durable_available():
        built["durable"] = Triage(shipped, "durable")
    return built


@pytest.fixture(scope="session")
def renderer(shipped):
    return Renderer(shipped)


@pytest.fixture
def runner():
    return CliRunner()
