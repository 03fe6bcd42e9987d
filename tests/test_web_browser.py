"""The web questionnaire in a real browser (Debian's Chromium through Playwright): keyboard only,
with JavaScript off, and checked by axe-core, against a real WSGI server on loopback."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator

import pytest

from triage.cli import cli

from .conftest import EXAMPLES
from .webforms import plain

pytest.importorskip("flask")
waitress = pytest.importorskip("waitress")
from triage.web import create_app  # noqa: E402

EYELID = EXAMPLES / "eyelid-twitch-coffee.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app on a free loopback port, served by waitress in a thread (stopped at the end)."""
    served = waitress.create_server(create_app(), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{served.effective_port}"
    finally:
        served.close()
        thread.join(timeout=30)


def _focused(page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector))


def tab_to(page, selector: str) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(80):
        if _focused(page, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def answer_with_keyboard(page, answer) -> None:
    """Give one answer with the keyboard only, then press Enter on Next."""
    if page.locator("input[type=text]#reply").count():
        tab_to(page, "#reply")
        page.keyboard.type(str(answer))
    elif page.locator("input[type=checkbox][name=reply]").count():
        for value in answer:
            tab_to(page, f"input[name=reply][value='{value}']")
            page.keyboard.press("Space")
    else:
        value = {True: "yes", False: "no"}.get(answer, answer) if isinstance(answer, bool) else answer
        radios = page.locator("input[type=radio][name=reply]")
        values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
        tab_to(page, "input[type=radio][name=reply]")
        page.keyboard.press("Space")  # the first one; arrow keys move and pick within the group
        for _ in range(values.index(value)):
            page.keyboard.press("ArrowDown")
    tab_to(page, "button[value=answer]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def walk(page, server: str, answers: dict) -> None:
    page.goto(server + "/")
    tab_to(page, "button.primary")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(40):
        form = page.locator("form[data-question]")
        if not form.count():
            return
        answer_with_keyboard(page, answers[form.get_attribute("data-question")])
    raise AssertionError("the questionnaire did not end")


URGENT = EXAMPLES / "calf-cramp-will-not-let-go.yaml"
EMERGENCY = EXAMPLES / "back-spasms-numb-between-legs.yaml"


@pytest.mark.parametrize("path, javascript", [(EYELID, True), (URGENT, False), (EMERGENCY, False)],
                         ids=["harmless", "urgent, no JavaScript", "emergency, no JavaScript"])
def test_keyboard_only_to_the_same_result_as_check(browser, server, shipped, runner, path, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        walk(page, server, plain(shipped, path))
        expected = json.loads(runner.invoke(cli, ["check", str(path), "-f", "json"]).stdout)
        if expected["urgency"] == "emergency":  # the call-now page came first, at once
            assert page.locator("h1#now").inner_text() == "Call your emergency number now"
            tab_to(page, "form[action='/result'] button")
            with page.expect_navigation():
                page.keyboard.press("Enter")
        assert page.locator("h1#headline").inner_text() == expected["headline"]
        assert expected["urgency_label"] in page.locator("section.headline").inner_text()
        # The result page's answers go on to the doctor summary, by keyboard too.
        tab_to(page, "form[action='/summary'] button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "summary for a doctor" in page.content()
    finally:
        context.close()


def test_the_browsers_own_back_button_returns_to_the_last_question(browser, server):
    context = browser.new_context(java_script_enabled=False)  # the question pages have no script: Back needs none
    try:
        page = context.new_page()
        page.goto(server + "/question")
        tab_to(page, "button[value=answer]")  # Next with nothing picked: the page with an error
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("#error").count() == 1
        answer_with_keyboard(page, ["none"])
        page.go_back()  # back to the page with the error: fetched again, no "Confirm form resubmission"
        assert page.locator("#error").count() == 1
        page.go_forward()
        assert page.locator("form[data-question]").get_attribute("data-question") == "feeling"
        tab_to(page, "input[type=radio][name=reply]")  # from the answers, Tab goes to Next, Back, then Save
        for expected in ("button[value=answer]", "button[value=back]", ".save-so-far button"):
            page.keyboard.press("Tab")
            assert _focused(page, expected), expected
        answer_with_keyboard(page, "flicker")
        assert "Question 3 of about" in page.content()
        page.go_back()  # the page as it was before that answer (no "Confirm form resubmission")
        assert page.locator("form[data-question]").get_attribute("data-question") == "feeling"
        assert "Question 2 of about" in page.content()
        answer_with_keyboard(page, "locked")  # a new answer from there goes on as usual
        assert "Question 3 of about" in page.content()
        page.go_back()
        page.go_back()
        assert "Question 1 of about" in page.content()
        page.go_forward()
        page.go_forward()
        assert "Question 3 of about" in page.content()
        # The page's own Back button keeps the answer given, to change it.
        tab_to(page, "button[value=back]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.is_checked("input[value=locked]")
    finally:
        context.close()


def follow(page, selector: str) -> None:
    """Click what starts a navigation, and wait until the next page has loaded: a check or an
    axe run on the page being left would race with the navigation."""
    with page.expect_navigation():
        page.click(selector)


def every_page_type(page, server: str, shipped) -> Iterator[str]:
    """Visit one page of each kind, yielding its name while it is on screen."""
    page.goto(server + "/")
    yield "start"
    follow(page, "button.primary")
    yield "choice question"
    follow(page, "button[value=answer]")
    yield "question with an error"
    page.check("input[name=reply][value=none]")
    follow(page, "button[value=answer]")
    page.check("input[name=reply][value=locked]")
    follow(page, "button[value=answer]")
    page.check("input[name=reply][value=one_muscle]")
    follow(page, "button[value=answer]")
    page.check("input[name=reply][value=moderate]")
    follow(page, "button[value=answer]")
    yield "number question"
    page.goto(server + "/question")
    page.check("input[name=reply][value=breathing]")
    follow(page, "button[value=answer]")
    yield "call-now page"
    follow(page, "text=See what to do now")
    yield "emergency result"
    page.goto(server + "/nope")
    yield "not found"
    walk(page, server, plain(shipped, EYELID))
    yield "harmless result"
    follow(page, "form[action='/summary'] button")
    yield "doctor summary"


PAGE_TYPES = 9


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push("the page scrolls sideways");
  for (const e of document.querySelectorAll("h1, h2, p, li, th, td, label, legend, button, input, a")) {
    const box = e.getBoundingClientRect();
    const words = (e.textContent || e.value || "").slice(0, 40);
    if (box.width && (box.left < 0 || box.right > width + 0.5)) out.push(e.tagName + " " + words);
  }
  return out;
}"""


SIZES = [(360, 1), (640, 2)]
"""A phone 360 px wide; text at 200% in a 640 px window (a 1280 px screen zoomed to 200%)."""


def test_every_page_type_passes_axe_and_fits_a_phone_and_text_at_200_percent(browser, server, shipped):
    """axe-core finds no violation on any page type; and (WCAG 1.4.4 and 1.4.10) nothing
    scrolls sideways or falls off the screen at 360 px wide, nor with the text twice as large
    (the root font size doubled, as a browser's text zoom does). One visit of each page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})  # lets axe's script in
    try:
        page = context.new_page()
        seen: dict[str, int] = {}
        for kind in every_page_type(page, server, shipped):
            results = axe.run(page)
            seen[kind] = results.violations_count
            assert results.violations_count == 0, f"{kind}: {results.generate_report()[:2000]}"
            for width, zoom in SIZES:
                page.set_viewport_size({"width": width, "height": 800})
                page.evaluate(f"() => {{ document.documentElement.style.fontSize = '{100 * zoom}%'; }}")
                assert page.evaluate(OVERFLOW) == [], f"{kind} at {width} px, text x{zoom}"
            page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
            page.set_viewport_size({"width": 1280, "height": 800})
        assert len(seen) == PAGE_TYPES
    finally:
        context.close()


def test_the_result_page_prints_on_few_pages_and_splits_no_box(browser, server, shipped):
    from pypdf import PdfReader

    context = browser.new_context()
    try:
        page = context.new_page()
        for name in ("fibromyalgia-neck-spasms.yaml",):  # the longest result of the examples
            walk(page, server, plain(shipped, EXAMPLES / name))
            texts = [p.extract_text() or "" for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages]
            assert 1 <= len(texts) <= 4, f"{name}: {len(texts)} pages"
            signs = next(t for t in texts if "Call your emergency number now if you have" in t)
            assert "An arm or leg that is very swollen" in " ".join(signs.split()), "the emergency box is on one page"
            assert not any("Save answers" in t for t in texts), "the buttons are not printed"
    finally:
        context.close()


