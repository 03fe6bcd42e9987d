"""A real browser for the tests: Debian's chromium driven by Playwright's Python package.

Playwright's own browser download cannot work offline, so it is pointed at the system
Chromium (`TRIAGE_CHROMIUM`, default /usr/bin/chromium). Without one the browser tests are
skipped, except where TRIAGE_REQUIRE_BROWSER=1 (CI sets it): there a missing browser fails.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("TRIAGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    # No sandbox (tests may run as root), and nothing that reaches for the network: this
    # machine's network is closed, and a result page must need nothing from outside anyway.
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def _missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TRIAGE_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
        import pypdf  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    why = _missing()
    if why:
        if os.environ.get("TRIAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TRIAGE_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def pdf_pages(browser: object, html: str, paper: str) -> list[str]:
    """The page printed to PDF on `paper` ("A4", "Letter") as Chromium's print does it: the text of each page."""
    from pypdf import PdfReader

    page = _printing_pages.get(id(browser))
    if page is None:  # one offline page per browser, reused: a new context for every print costs more than the print
        page = _printing_pages[id(browser)] = browser.new_context(offline=True).new_page()  # type: ignore[attr-defined]
    page.set_content(html, wait_until="load")
    pdf = page.pdf(format=paper, print_background=True)
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


_printing_pages: dict[int, object] = {}
