"""Packaging: installs anywhere (durable is an extra), one version, the wheel carries the
content, its schemas and the licence, and the schema headers work in a copied folder."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

import triage
from triage.cli import cli

from .conftest import EXAMPLES, ROOT, SHIPPED

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
HOME = PROJECT["urls"]["Homepage"]
HEADER = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def test_one_version_source():
    assert "version" not in PROJECT and PROJECT["dynamic"] == ["version"]
    path = PYPROJECT["tool"]["hatch"]["version"]["path"]
    assert f'__version__ = "{triage.__version__}"' in (ROOT / path).read_text()


def test_durable_rules_is_only_an_extra():
    assert not any(d.startswith("durable") for d in PROJECT["dependencies"])
    assert PROJECT["optional-dependencies"]["durable"] == ["durable-rules==2.0.28; python_version < '3.13'"]


def test_license_fields():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_durable_engine_missing_is_one_clear_line(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # as if not installed
    example = sorted(EXAMPLES.glob("*.yaml"))[0]
    result = runner.invoke(cli, ["check", str(example), "--engine", "durable"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "--engine python" in message
    if sys.version_info < (3, 13):
        assert "pip install 'muscle-triage[durable]'" in message


def test_schemas_have_ids_under_the_home():
    for path in sorted((SHIPPED / "schema").glob("*.schema.json")):
        assert json.loads(path.read_text())["$id"] == f"{HOME}/raw/main/rules/schema/{path.name}"


def test_schema_headers_work_in_a_copied_content_folder(tmp_path):
    copy = tmp_path / "elsewhere" / "my-rules"
    shutil.copytree(SHIPPED, copy)
    headers = 0
    for path in sorted(copy.rglob("*.yaml")):
        match = HEADER.match(path.read_text(encoding="utf-8").split("\n", 1)[0])
        if match:
            headers += 1
            target = (path.parent / match.group(1)).resolve()
            assert target.is_file() and copy.resolve() in target.parents, path
    assert headers > 4


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # hatchling is in the test extra: no build environment to make (the install itself uses one)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True)
    (built,) = out.glob("*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


def test_wheel_carries_content_schemas_and_license(wheel):
    names = set(wheel.namelist())
    info = f"muscle_triage-{triage.__version__}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    for path in SHIPPED.rglob("*"):
        if path.is_file():
            assert f"triage/rules/{path.relative_to(SHIPPED).as_posix()}" in names
    assert any(n.startswith("triage/rules/schema/") for n in names)
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert f"\nVersion: {triage.__version__}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    durable = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: durable-rules")]
    assert durable and all("extra == 'durable'" in line for line in durable)
