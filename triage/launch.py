"""The `triage` command's entry point: a Ctrl-C while the program is still starting is a quiet
stop (exit 130), not an import traceback. Nothing heavy is imported before the guard."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("\ntriage: stopped: interrupted\n")
        raise SystemExit(130) from None
    run()
