"""Rule engines: which rules of one stage match one fact. One registry, `ENGINES`.

An engine's only job is matching; staging, combining conclusions and defaults live in
`triage.evaluate`, so every engine gives identical results by construction of its inputs.
Adding an engine: a class with `name` and `matching(fact, stage)`, built from a `Content`,
registered below (docs/design.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from ..errors import TriageError
from ..model import Content

EngineName = Literal["durable", "python"]


class Engine(Protocol):
    name: str

    def matching(self, fact: dict, stage: int) -> set[str]:
        """Ids of the rules in `stage` whose condition holds for `fact`."""
        ...


def _durable(content: Content) -> Engine:
    from .durable import DurableEngine

    return DurableEngine(content)


def _python(content: Content) -> Engine:
    from .python import PythonEngine

    return PythonEngine(content)


ENGINES: dict[str, Callable[[Content], Engine]] = {"durable": _durable, "python": _python}


def default_engine() -> str:
    """durable where durable-rules is installed and imports, the built-in python engine elsewhere."""
    from .durable import available

    return "durable" if available() else "python"


def make_engine(content: Content, name: str | None = None) -> Engine:
    """The named engine, or the default one."""
    name = name or default_engine()
    try:
        build = ENGINES[name]
    except KeyError:
        raise TriageError(f"unknown engine {name!r} (use one of: {', '.join(ENGINES)})") from None
    return build(content)
