"""Errors with messages fit for the user; the CLI turns them into exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass

from .textsafe import escaped


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, pointing at a place an editor can jump to."""

    path: str
    line: int
    """0 when the problem is about the whole file (it is missing, a folder, unreadable)."""
    column: int
    message: str
    severity: str = "error"
    code: str = ""

    def __str__(self) -> str:
        if self.line <= 0:  # about the whole file (missing, a folder, unreadable): no position to name
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class TriageError(Exception):
    """Base class: the message is shown to the user as it is, on one line."""

    exit_code = 2
    label = "error"


class InputError(TriageError):
    """Bad input: a file that cannot be read or does not fit the questionnaire or the format."""

    SHOWN = 50
    """At most this many problems are printed; the rest are counted (a file with 464,000 unknown
    keys must not print 464,000 lines)."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", 0, 0, problems)]
        self.problems = sorted(problems)
        # each problem one line, whatever a file name or id holds (line breaks, escape sequences)
        lines = [escaped(p.message if not p.path else str(p)) for p in self.problems[: self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"... and {len(self.problems) - self.SHOWN} more problems like these")
        super().__init__("\n".join(lines))


    def messages(self) -> str:
        """The problems' messages on one line, without places (for a batch error record)."""
        return "; ".join(p.message for p in self.problems)


class ContentError(InputError):
    """The content folder (questionnaire, rules, advice, templates) has problems."""


class AnswerError(InputError):
    """An answer file or answer record does not fit the questionnaire."""


class Interrupted(TriageError):
    """The user stopped the questionnaire (Ctrl-C or end of input)."""

    exit_code = 130
    label = "stopped"


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, so temporary files and workers are cleaned up.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` swallows it.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
