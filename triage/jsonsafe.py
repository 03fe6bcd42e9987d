"""Safe JSON parsing for answer files and JSON Lines: no duplicate keys, no NaN or Infinity,
and (for a file a person edits) the line and column of each top-level key, as YAML has them.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from typing import Any

from .errors import InputError, Problem
from .yamlsafe import LocatedDict, Mark


def _plain_object(items: list[tuple[str, Any]]) -> dict:
    plain = dict(items)
    if len(plain) != len(items):
        _located_object(items)  # raises ValueError at the first duplicate key
    return plain


def _located_object(items: list[tuple[str, Any]]) -> LocatedDict:
    result = LocatedDict()
    result.mark, result.key_marks, result.value_marks = Mark((1, 1)), {}, {}
    for key, value in items:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _bad_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


# Built once (json.loads with options builds a decoder on every call, a third of a line's cost).
_PLAIN = json.JSONDecoder(object_pairs_hook=_plain_object, parse_constant=_bad_constant)
_LOCATED = json.JSONDecoder(object_pairs_hook=_located_object, parse_constant=_bad_constant)


def _int_or_too_large(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:  # Python's digit limit (4,300 by default)
        return math.inf  # "a number too large to use", named at its field like any other bad answer


# Used only when a first parse met such a number, so the ordinary parse keeps its C fast path.
_HUGE_INTS = {
    decoder: json.JSONDecoder(object_pairs_hook=decoder.object_pairs_hook, parse_constant=_bad_constant,
                              parse_int=_int_or_too_large)
    for decoder in (_PLAIN, _LOCATED)
}


def _decode(decoder: json.JSONDecoder, text: str) -> Any:
    if text.startswith("\ufeff"):  # as json.loads says it (decode alone would say "Expecting value")
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return decoder.decode(text)


def load_json(text: str, path: str, locate: bool = True) -> Any:
    """Parse JSON, rejecting duplicate keys, NaN and Infinity.

    With `locate`, the line and column of each top-level key are looked up in the text
    (worth it for a file a person edits, not for a line of JSON Lines, whose plain dicts are
    also cheap to send to worker processes).
    """
    decoder = _LOCATED if locate else _PLAIN
    try:
        try:
            value = _decode(decoder, text)
        except ValueError as exc:
            if "integer string conversion" not in str(exc):
                raise
            value = _decode(_HUGE_INTS[decoder], text)
    except json.JSONDecodeError as exc:
        raise InputError([_syntax_problem(exc, path)]) from None
    except ValueError as exc:
        raise InputError([Problem(path, 1, 1, f"JSON error: {exc}")]) from None
    except RecursionError:
        raise InputError([Problem(path, 1, 1, "the JSON is nested too deeply")]) from None
    if locate and isinstance(value, LocatedDict):
        _locate_top_keys(value, text)
    return value


def _syntax_problem(exc: json.JSONDecodeError, path: str) -> Problem:
    """The syntax error where a person would fix it: a trailing comma ({"a": 1,}) is named at
    the comma, not at the bracket after it."""
    before = exc.doc[: exc.pos].rstrip()
    if before.endswith(",") and exc.pos < len(exc.doc) and exc.doc[exc.pos] in "]}":
        comma = len(before) - 1
        line = exc.doc.count("\n", 0, comma) + 1
        column = comma - exc.doc.rfind("\n", 0, comma)
        return Problem(path, line, column, "JSON syntax error: a comma with nothing after it (remove this comma)")
    return Problem(path, exc.lineno, exc.colno, f"JSON syntax error: {exc.msg}")


_QUOTED_KEY = re.compile(r'"(?:[^"\\\n]|\\.)*"\s*:')


def _locate_top_keys(mapping: LocatedDict, text: str) -> None:
    """Point each top-level key at the first place its quoted name appears (one pass over the text)."""
    wanted = set(mapping)
    found: dict[str, int] = {}
    for match in _QUOTED_KEY.finditer(text):
        quoted = match.group().rstrip()[:-1].rstrip()
        try:
            key = json.loads(quoted)
        except ValueError:
            continue
        if key in wanted and key not in found:
            found[key] = match.start()
            if len(found) == len(wanted):
                break
    if not found:
        return
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for key, offset in found.items():
        line = bisect.bisect_right(line_starts, offset)
        column = offset - line_starts[line - 1] + 1
        mapping.key_marks[key] = mapping.value_marks[key] = Mark((line, column))
