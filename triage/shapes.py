"""Field shapes: each content file against its JSON Schema (rules/schema/), the one place the
content format's shapes are written down: the same files editors use for completion, and the
first thing the loader does with every file it reads.

Every shape problem of a file is found at once, each at its line and column and worded for an
author by `triage.shapewords` ("rule 'cramp': field 'urgency': 'whenever' is not one of: ...").
The loader then reads
only what fits, and checks what a schema cannot say (ids that must exist, options that must fit
their question, flag order); a part that did not fit is not read again, so no second message
follows from the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .model import default_rules_dir
from .shapewords import ENTRY_KINDS, deepest, problem_for
from .yamlsafe import LocatedDict, load_yaml_file

NOT_BLOCKING = "additionalProperties"
"""An unknown field is reported, but the rest of its entry can still be read and checked."""


@dataclass(frozen=True)
class Shape:
    """What the schema found in one file: its problems, and which parts are not fit to read."""

    problems: list[Problem]
    whole: bool = False
    """A problem outside any entry (the file is not a mapping, its list is missing): read nothing."""
    broken: dict[int, set[str]] = field(default_factory=dict)
    """Entry index -> the fields of that entry with a problem ("" for the entry itself)."""
    fields: set[str] = field(default_factory=set)
    """Top-level fields (other than the list of entries) with a problem."""

    def field_fits(self, name: str) -> bool:
        return not self.whole and name not in self.fields

    def fits(self, index: int, *fields: str) -> bool:
        """True when entry `index` (or, if named, just these of its fields) had no problem."""
        if self.whole:
            return False
        bad = self.broken.get(index, set()) - {"+"}
        return not bad if not fields else not (bad & {"", *fields})


@dataclass
class ShapedFile:
    """One content file as read: its located data (None when it could not be parsed) and what
    its schema found."""

    path: Path
    data: Any
    shape: Shape

    def entries(self, key: str) -> Iterator[tuple[int, LocatedDict]]:
        """(index, entry) for each entry of the file's list that is a mapping (the schema has
        reported any other); the caller asks `shape.fits` about its fields."""
        if self.data is None or self.shape.whole:
            return
        for index, entry in enumerate(self.data.get(key) or ()):
            if isinstance(entry, LocatedDict):
                yield index, entry

    def unread_ids(self, key: str) -> set[str]:
        """Ids of entries that did not fit (as written, and as they were probably meant: "s0\n",
        5): references to them stay quiet, their own problem is reported where they are."""
        ids = [e.get("id") for i, e in self.entries(key) if not self.shape.fits(i)]
        return {form for item in ids if isinstance(item, (str, int)) for form in (str(item), str(item).strip())}


def read_shaped(path: Path, schema: str, problems: list[Problem]) -> ShapedFile:
    """Parse a file and check it against its schema (the schema's problems join `problems`)."""
    try:
        data = load_yaml_file(str(path), problems)
    except InputError as exc:
        problems.extend(exc.problems)
        return ShapedFile(path, None, Shape([], whole=True))
    shape = check_shape(str(path), data, schema)
    problems.extend(shape.problems)
    return ShapedFile(path, data, shape)


def check_shape(path: str, data: Any, schema: str) -> Shape:
    """Every place where `data` (read from `path`) does not fit `schema` (a file name in
    rules/schema/)."""
    validator = _validator(schema)
    problems: list[Problem] = []
    whole = False
    broken: dict[int, set[str]] = {}
    fields: set[str] = set()
    errors = list(validator.iter_errors(data))
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    missing: dict[tuple, set[str]] = {}
    for e in errors:
        if e.validator == "required" and isinstance(e.instance, dict):
            missing.setdefault(tuple(e.absolute_path), set()).update(k for k in e.validator_value if k not in e.instance)
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and (
            tuple(error.absolute_path) in mistyped or _forms_keys(error) & missing.get(tuple(error.absolute_path), set())
        ):
            continue  # "should be a mapping" or "'urgency' is missing" says it; "none of the forms fit" would repeat it
        error = deepest(error, validator.schema)
        where = list(error.absolute_path)
        problems.append(problem_for(path, data, error, validator.schema))
        if len(where) >= 2 and where[0] in ENTRY_KINDS and isinstance(where[1], int):
            blocked = "+" if error.validator == NOT_BLOCKING and len(where) == 2 else (str(where[2]) if len(where) > 2 else "")
            broken.setdefault(where[1], set()).add(blocked)
        elif where and where[0] not in ENTRY_KINDS:
            if not (error.validator == NOT_BLOCKING and len(where) == 1):
                fields.add(str(where[0]))
        elif not (error.validator == NOT_BLOCKING and not where):  # an unknown top-level key blocks nothing
            whole = True
    problems = sorted(set(problems), key=lambda p: (p.line, p.column, p.message))
    return Shape(problems, whole, broken, fields)


def _forms_keys(error: Any) -> set[str]:
    """The keys that start the forms of an anyOf or oneOf (`urgency`, `classification`, ...)."""
    return {key for form in error.validator_value if isinstance(form, dict) for key in form.get("required", [])}


@cache
def _validator(schema: str) -> Any:
    from jsonschema import Draft202012Validator, validators

    def pattern(validator: Any, expected: str, instance: Any, schema: dict) -> Any:
        # ECMA-262's "$" (what JSON Schema means) is the end of the text; Python's also lets a
        # final newline through, so "cramp\n" would pass as an id. Python spells the first "\Z".
        if isinstance(instance, str) and not re.search(_ecma_end(expected), instance):
            from jsonschema.exceptions import ValidationError

            yield ValidationError(f"{instance!r} does not match {expected!r}")

    checker = validators.extend(Draft202012Validator, {"pattern": pattern})
    document = json.loads((default_rules_dir() / "schema" / schema).read_text(encoding="utf-8"))
    return checker(document)


@cache
def _ecma_end(pattern: str) -> str:
    return re.sub(r"(?<!\\)\$", r"\\Z", pattern)
