"""Render a Result with the content's Jinja templates, in a sandbox.

Templates are edited by authors, so they run in an immutable sandbox (no reaching into
Python internals), with undefined variables as errors and HTML autoescaped.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import json
import os
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import __version__
from .clock import today
from .contentcache import PrivateBytecodeCache, cache_dir, template_prefix
from .errors import ContentError, Problem, TriageError
from .evaluate import Result
from .model import FORMATS, TEMPLATES, Content
from .textsafe import fill, plain

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()!#|<>~&{}+])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")


def markdown_text(value: Any) -> str:
    """Text that Markdown shows as it is: no links (bare URLs too), images, emphasis, headings or HTML."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(plain(value).split()))
    return _AUTOLINK.sub(lambda m: m.group().replace(":", "\\:").replace(".", "\\."), text)


def markdown_link(title: Any, url: Any) -> str:
    """A Markdown link for an https address (the title escaped, the address made safe to put in
    `(<...>)`); any other address is left out, and the title stays plain text."""
    address = plain(url)
    if not address.startswith("https://") or any(c.isspace() for c in address):
        return markdown_text(title)
    for char, code in (("<", "%3C"), (">", "%3E"), ("\\", "%5C")):
        address = address.replace(char, code)
    return f"[{markdown_text(title)}](<{address}>)"


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class Presentation:
    """How a result is shown, beside what it says: the templates read these as `width`,
    `colour`, `today`, `links`, `script` and `versions`."""

    width: int = 78
    """Lines of text are wrapped to this many columns (the `wrap` filter)."""
    colour: bool = False
    """Bold and colour for the headline and warnings (the `strong` and `alarm` filters); only on a terminal."""
    today: datetime.date = field(default_factory=lambda: result_date())
    links: tuple[tuple[str, str], ...] = ()
    """(label, address) of pages around this one, for a page served on the web; none in a file."""
    script: str = ""
    """The address of a script that adds a Print button, for a page served on the web."""


def result_date() -> datetime.date:
    """Today, or the day of SOURCE_DATE_EPOCH (`clock.today`)."""
    return today()


PRESENTATION_NAMES = ("width", "colour", "today", "links", "script", "versions")
"""What templates get beside the result's fields: the `Presentation` and the versions."""

BOLD, RED, RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[0m"


@jinja2.pass_context
def wrap_lines(context: jinja2.runtime.Context, value: Any, width: int | None = None) -> str:
    """Each line of `value` wrapped to the presentation's width, never mid-word; a continuation
    is indented under the text after a leading bullet ("- ", "* ", "! ", "1. ")."""
    columns = max(20, min(int(width or context.get("width", 78)), 1000))
    return "\n".join(fill(line, columns) for line in str(value).splitlines() or [""])


def _styled(code: str) -> Any:
    @jinja2.pass_context
    def style(context: jinja2.runtime.Context, value: Any) -> str:
        """Each line in bold (or bold red) when the presentation has colour; unchanged otherwise."""
        text = str(value)
        if not context.get("colour"):
            return text
        return "\n".join(f"{code}{line}{RESET}" if line.strip() else line for line in text.split("\n"))

    return style


class ContainedLoader(jinja2.FileSystemLoader):
    """Templates (and what they include) only from inside the template folder, links included."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        inside = [os.path.realpath(p) for p in self.searchpath]
        real = os.path.realpath(filename)
        if not any(real.startswith(folder + os.sep) for folder in inside):
            raise jinja2.TemplateNotFound(template, "it is a link that leads out of the template folder")
        return source, filename, uptodate


MAX_RANGE_ITEMS = 100_000
"""All range() calls of one render together may give at most this many numbers (nested loops multiply)."""
MAX_OUTPUT = 2_000_000
"""Characters one rendered result may have; a bigger one is a content error."""
MAX_RENDER_SECONDS = 5
"""CPU seconds one result may take to render (loops over long texts are not counted by range)."""
MAX_SEQUENCE = 100_000
"""A string or list made with * or ** in a template may be at most this long."""


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with bounds on what a template can make: range() items per render, sizes
    from * and **, and lipsum; output size is bounded by the Renderer."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def call(self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Method calls such as "a".ljust(n) or .zfill(n): no number over MAX_SEQUENCE."""
        _check_sizes(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        """"{:>9999999}".format(1): the format is checked when the method is looked up."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and isinstance(getattr(value, "__self__", None), str):
            _check_format(value.__self__)
        return wrapped

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            if isinstance(left, str):
                _check_format(left)
            return left % right
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise SecurityError("a power above 64 is not allowed in a template")
            return left**right
        if isinstance(left, (str, list, tuple)) and isinstance(right, int) and len(left) * right > MAX_SEQUENCE:
            raise SecurityError(f"a text or list longer than {MAX_SEQUENCE} is not allowed in a template")
        if isinstance(right, (str, list, tuple)) and isinstance(left, int) and len(right) * left > MAX_SEQUENCE:
            raise SecurityError(f"a text or list longer than {MAX_SEQUENCE} is not allowed in a template")
        return left * right


_WIDE = re.compile(r"%[-#0 +]*(?:\*|\d{6,}|\d*\.(?:\*|\d{6,}))|\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")
"""A width or precision of 100,000 (MAX_SEQUENCE) or more, or one taken from the arguments (`*`), in a
format: "%03000000000d", "%*d", "{:>9999999}"."""


def _check_format(text: str) -> None:
    if _WIDE.search(text):
        raise SecurityError(f"a format {MAX_SEQUENCE} or more wide is not allowed in a template")


def _check_sizes(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SEQUENCE:
            raise SecurityError(f"a number above {MAX_SEQUENCE} is not allowed as an argument in a template")


def _bounded_filter(function: Any) -> Any:
    """A filter that refuses huge number arguments (center(3000000000) would take gigabytes)."""

    @functools.wraps(function)  # keeps jinja_pass_arg (pass_context and the like)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_sizes(args, kwargs)
        if function is jinja2.filters.do_format and args and isinstance(args[0], str):
            _check_format(args[0])  # "%03000000000d"|format(1)
        return function(*args, **kwargs)

    return bounded


@contextlib.contextmanager
def _cpu_time_limit(seconds: float) -> Iterator[None]:
    """Raise SecurityError inside the render when it uses more CPU time than `seconds` (main
    thread on POSIX; elsewhere the range, size and output bounds still hold)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def too_long(signum: int, frame: object) -> None:
        raise SecurityError(f"the template took more than {seconds:g} seconds")

    previous = signal.signal(signal.SIGPROF, too_long)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _budgeted_range(*args: int) -> range:
    numbers = range(*args)
    budget = _RANGE_BUDGET.get()
    if budget is None:  # a template rendered outside Renderer (authoring tools): a budget of its own
        budget = [MAX_RANGE_ITEMS]
        _RANGE_BUDGET.set(budget)
    if len(numbers) > budget[0]:
        raise SecurityError(f"the template's loops count past {MAX_RANGE_ITEMS} in one result")
    budget[0] -= len(numbers)
    return numbers


_RANGE_BUDGET: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("range_budget", default=None)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates beside the content cache (`triage.contentcache`), keyed by their text."""
    folder = cache_dir()
    return PrivateBytecodeCache(str(folder), template_prefix() + "%s.cache") if folder else None


def make_environment(template_dir: Path) -> ImmutableSandboxedEnvironment:
    env = BoundedSandbox(
        loader=ContainedLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        optimized=False,  # constant folding finds little in these templates and costs a sixth of start-up's compile
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update({name: _bounded_filter(function) for name, function in env.filters.items()})
    env.filters["plain"] = plain
    env.filters["md"] = markdown_text
    env.filters["to_json"] = to_json
    env.filters["wrap"] = wrap_lines
    env.filters["strong"] = _styled(BOLD)
    env.filters["alarm"] = _styled(RED)
    env.globals["range"] = _budgeted_range
    env.globals["md_link"] = markdown_link
    env.globals.pop("lipsum", None)  # filler text has no place in a result, and it can be made huge
    return env


class Renderer:
    """Loads templates once; renders any number of results."""

    def __init__(self, content: Content):
        self.content = content
        self.env = make_environment(content.template_dir)
        self._templates: dict[str, jinja2.Template] = {}

    def template(self, fmt: str) -> jinja2.Template:
        """The author template for a templated format (loaded once)."""
        if fmt not in self._templates:
            name = TEMPLATES[fmt]  # type: ignore[index]
            where = str(self.content.template_dir / name)
            try:
                self._templates[fmt] = self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise ContentError([Problem(where, exc.lineno or 1, 1, f"template syntax error: {exc.message}")]) from None
            except jinja2.TemplateNotFound:
                raise ContentError([Problem(where, 1, 1, "missing template")]) from None
            except UnicodeDecodeError:
                raise ContentError([Problem(where, 1, 1, "the template is not valid UTF-8 text")]) from None
        return self._templates[fmt]

    def render(self, result: Result, fmt: str = "text", presentation: Presentation | None = None) -> str:
        """The result in one of `FORMATS`: JSON by code, the others by the content's templates."""
        match fmt:
            case "json":
                return to_json(result.to_dict()) + "\n"
            case "text" | "markdown" | "html" | "doctor":
                return self._render_template(result, fmt, presentation or Presentation())
            case _:
                raise TriageError(f"unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")

    def _render_template(self, result: Result, fmt: str, presentation: Presentation) -> str:
        data = result.to_dict()
        shown = {
            "width": presentation.width, "colour": presentation.colour, "today": presentation.today.isoformat(),
            "links": presentation.links, "script": presentation.script,
            "versions": {"triage": __version__, "rules": self.content.fingerprint or "unknown"},
        }
        template = self.template(fmt)
        where = str(self.content.template_dir / str(template.name))
        token = _RANGE_BUDGET.set([MAX_RANGE_ITEMS])
        try:
            with _cpu_time_limit(MAX_RENDER_SECONDS):
                text = self._generate(template, {"result": data, **data, **shown})
        except SecurityError as exc:
            raise ContentError([Problem(where, _template_line(exc), 1, f"template tried something not allowed: {exc}")]) from None
        except Exception as exc:  # an author's template can fail in many ways; none may crash the tool
            message = f"template error: {exc.__class__.__name__}: {str(exc)[:200]}"
            raise ContentError([Problem(where, _template_line(exc), 1, message)]) from None
        finally:
            _RANGE_BUDGET.reset(token)
        return text if text.endswith("\n") else text + "\n"

    @staticmethod
    def _generate(template: jinja2.Template, context: dict) -> str:
        pieces: list[str] = []
        size = 0
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the result would be longer than {MAX_OUTPUT} characters")
            pieces.append(piece)
        return "".join(pieces)


def _template_line(exc: Exception) -> int:
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
