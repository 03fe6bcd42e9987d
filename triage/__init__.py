"""muscle-triage: make sense of a muscle twitch, cramp or spasm, and how soon to see a doctor.

Library use:

    from triage import load_content, Triage
    triage = Triage(load_content())            # built-in content, default engine
    result = triage.evaluate({"feeling": "flicker", "pain": "none"})
    print(result.headline)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the only copy: pyproject.toml reads it ([tool.hatch.version])

__all__ = ["Result", "Triage", "load_content", "__version__"]

if TYPE_CHECKING:
    from .content import load_content
    from .evaluate import Result, Triage


def __getattr__(name: str) -> Any:
    """The public names load on first use, so that `triage.launch` starts before any heavy import."""
    if name == "load_content":
        from .content import load_content

        return load_content
    if name in ("Result", "Triage"):
        from . import evaluate

        return getattr(evaluate, name)
    raise AttributeError(f"module 'triage' has no attribute {name!r}")
