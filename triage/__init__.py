"""muscle-triage: make sense of a muscle twitch, cramp or spasm, and how soon to see a doctor.

Library use:

    from triage import load_content, Triage
    triage = Triage(load_content())            # built-in content, default engine
    result = triage.evaluate({"feeling": "flicker", "pain": "none"})
    print(result.headline)
"""

__version__ = "0.1.0"  # the only copy: pyproject.toml reads it ([tool.hatch.version])

from .content import load_content  # noqa: E402
from .evaluate import Result, Triage  # noqa: E402

__all__ = ["Result", "Triage", "load_content", "__version__"]
