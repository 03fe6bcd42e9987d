"""Text that is safe to show: in a terminal, a spreadsheet, a page or a file name.

Kept apart from `render` (which imports Jinja2) so that batch reading and writing stay light.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Marks that reorder text (a right-to-left override can make a name read backwards)."""


def shown_escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_marks(value: Any) -> str:
    """Direction marks and unpaired surrogates shown as escapes (the rest unchanged)."""
    text = str(value)
    if text.isascii():
        return text
    return _BIDI.sub(shown_escaped, text.encode("utf-8", "backslashreplace").decode("utf-8"))


def plain(value: Any) -> str:
    """Text safe for a terminal, a spreadsheet or a page: control characters (escape sequences)
    removed, direction marks and unpaired surrogates shown as escapes."""
    return _CONTROL.sub("", escape_marks(value))


_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escaped(value: Any) -> str:
    """Text with every control character (line breaks and tabs too), direction mark and unpaired
    surrogate shown as an escape: for file names and spreadsheet cells, which must stay one line."""
    return _ANY_CONTROL.sub(shown_escaped, escape_marks(value))


_BULLET = re.compile(r"^\s*(?:[-*!>]|\d+[.)])?\s*")


def fill(line: str, width: int, indent: str = "", continuation: str = "") -> str:
    """One line of text wrapped to `width` columns, never mid-word; continuation lines are
    indented under the text after a leading bullet ("- ", "* ", "! ", "1. "), or by
    `continuation` when there is none."""
    hanging = indent + (" " * len(_BULLET.match(line).group()) or continuation)  # type: ignore[union-attr]
    return textwrap.fill(line, width, initial_indent=indent, subsequent_indent=hanging,
                         break_long_words=False, break_on_hyphens=False) or line
