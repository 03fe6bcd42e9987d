"""Render a Result with the content's Jinja templates, in a sandbox.

Templates are edited by authors, so they run in an immutable sandbox (no reaching into
Python internals), with undefined variables as errors and HTML autoescaped.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .errors import ContentError, Problem, TriageError
from .evaluate import Result
from .model import FORMATS, TEMPLATES, Content
from .textsafe import plain

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()!#|<>~&{}+])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")


def markdown_text(value: Any) -> str:
    """Text that Markdown shows as it is: no links (bare URLs too), images, emphasis, headings or HTML."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(plain(value).split()))
    return _AUTOLINK.sub(lambda m: m.group().replace(":", "\\:").replace(".", "\\."), text)


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class ContainedLoader(jinja2.FileSystemLoader):
    """Templates (and what they include) only from inside the template folder, links included."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        inside = [os.path.realpath(p) for p in self.searchpath]
        real = os.path.realpath(filename)
        if not any(real.startswith(folder + os.sep) for folder in inside):
            raise jinja2.TemplateNotFound(template, "it is a link that leads out of the template folder")
        return source, filename, uptodate


def make_environment(template_dir: Path) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=ContainedLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        optimized=False,  # constant folding finds little in these templates and costs a sixth of start-up's compile
    )
    env.filters["plain"] = plain
    env.filters["md"] = markdown_text
    env.filters["to_json"] = to_json
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

    def render(self, result: Result, fmt: str = "text") -> str:
        """The result in one of `FORMATS`: JSON by code, the others by the content's templates."""
        match fmt:
            case "json":
                return to_json(result.to_dict()) + "\n"
            case "text" | "markdown" | "html":
                return self._render_template(result, fmt)
            case _:
                raise TriageError(f"unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")

    def _render_template(self, result: Result, fmt: str) -> str:
        data = result.to_dict()
        template = self.template(fmt)
        where = str(self.content.template_dir / str(template.name))
        try:
            text = template.render(result=data, **data)
        except SecurityError as exc:
            raise ContentError([Problem(where, 1, 1, f"template tried something not allowed: {exc}")]) from None
        except Exception as exc:  # an author's template can fail in many ways; none may crash the tool
            message = f"template error: {exc.__class__.__name__}: {str(exc)[:200]}"
            raise ContentError([Problem(where, _template_line(exc), 1, message)]) from None
        return text if text.endswith("\n") else text + "\n"


def _template_line(exc: Exception) -> int:
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
