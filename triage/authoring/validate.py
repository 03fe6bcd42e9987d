"""`triage rules validate`: everything the loader checks, plus the templates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jinja2
from jinja2 import meta

from ..content import load_content
from ..engines import durable
from ..errors import ContentError, Problem
from ..evaluate import Result, Triage, all_headlines
from ..model import NOT_SURE, TEMPLATES, Content, default_rules_dir
from ..render import PRESENTATION_NAMES, Renderer, make_environment
from .cases import case_shape_problems

MAX_HEADLINE = 140


def _result_fields() -> set[str]:
    return set(Result.__dataclass_fields__) | {"result"} | set(PRESENTATION_NAMES)


def check_templates(content: Content) -> list[Problem]:
    """Syntax errors and variables the result does not provide, found without rendering."""
    problems = []
    env = make_environment(content.template_dir)
    provided = _result_fields()
    for fmt, name in TEMPLATES.items():
        path = content.template_dir / name
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(str(path), 1, 1, "the template is not valid UTF-8 text"))
            continue
        try:
            parsed = env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(str(path), exc.lineno or 1, 1, f"template syntax error: {exc.message}"))
            continue
        unknown = sorted(meta.find_undeclared_variables(parsed) - provided)
        for name in unknown:
            line = next((i for i, text in enumerate(source.splitlines(), 1) if name in text), 1)
            problems.append(Problem(str(path), line, 1, f"template uses {name!r}, which the result does not provide"))
        if not unknown:
            problems.extend(_render_samples(content, fmt))
    return problems


def _render_samples(content: Content, fmt: str) -> list[Problem]:
    """Render a template with a few real results, to catch errors that only show at run time."""
    renderer = Renderer(content)
    triage = Triage(content, "python")
    samples: list[dict] = [{}, {q.id: NOT_SURE for q in content.questions if q.not_sure}]
    for answers in samples:
        try:
            renderer.render(triage.evaluate(answers), fmt)
        except ContentError as exc:
            return exc.problems
    return []


def validate_content(rules_dir: str | None) -> tuple[list[Problem], str]:
    """Every problem (with severity), and the folder that was checked."""
    root = rules_dir or str(default_rules_dir())
    cases = case_shape_problems(Path(root))  # the authors' test files: their shapes, whatever else is wrong
    try:
        content = load_content(root)
    except ContentError as exc:
        problems = exc.problems + cases
    else:
        problems = cases + check_templates(content)
        if durable.available():  # conditions durable-rules cannot compile
            try:
                durable.DurableEngine(content)
            except ContentError as exc:
                problems += exc.problems
        longest = max(all_headlines(content), key=len)
        if len(longest) > MAX_HEADLINE:
            problems.append(Problem(
                str(content.root / "outcomes.yaml"), 1, 1,
                f"a headline can be {len(longest)} characters long (at most {MAX_HEADLINE}): {longest!r}",
            ))
    if not Path(root).is_dir():
        raise ContentError(problems)  # nothing to check: exit 2
    problems = sorted(problems, key=lambda p: (p.path, p.line, p.column))
    return [replace(p, severity="error", code=p.code or "invalid") for p in problems], root
