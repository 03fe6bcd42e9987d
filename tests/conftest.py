"""Shared fixtures: real content folders, engines built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage import Triage, load_content
from triage.engines.durable import available as durable_available
from triage.render import Renderer

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SHIPPED = ROOT / "rules"
MINI = TESTS / "content" / "mini"
EXAMPLES = ROOT / "examples"

needs_durable = pytest.mark.skipif(not durable_available(), reason="durable-rules cannot be imported here")
ENGINES = [pytest.param("durable", marks=needs_durable), "python"]


@pytest.fixture(scope="session")
def shipped():
    return load_content(SHIPPED)


@pytest.fixture(scope="session")
def mini():
    return load_content(MINI)


@pytest.fixture(scope="session")
def engines(shipped):
    """One Triage per engine over the shipped content (durable hosts are costly; share them)."""
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


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of the shipped content, for tests that change one file."""
    target = tmp_path / "rules"
    shutil.copytree(SHIPPED, target)
    return target
