"""Field shapes: each content file against its JSON Schema (rules/schema/), the one place the
content format's shapes are written down: the same files editors use for completion, and the
first thing the loader does with every file it reads.

Every shape problem of a file is found at once, each at its line and column and worded for an
author ("rule 'cramp': field 'urgency': 'whenever' is not one of: ..."). The loader then reads
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
from .model import NUMBER_LIMIT, default_rules_dir
from .yamlsafe import LocatedDict, LocatedList, Mark, load_yaml_file

ENTRY_KINDS = {"questions": "question", "rules": "rule", "advice": "advice", "sources": "source", "cases": "case"}
"""A file's list of entries, and what one entry is called in a message."""

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
        """(index, entry) for each entry of the file's list; the caller asks `shape.fits`."""
        if self.data is None or self.shape.whole:
            return
        yield from enumerate(self.data.get(key) or ())

    def unread_ids(self, key: str) -> set[str]:
        """Ids of entries whose own id or entry did not fit: references to them stay quiet."""
        return {e["id"] for i, e in self.entries(key) if not self.shape.fits(i) and isinstance(e.get("id"), str)}


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
    for error in validator.iter_errors(data):
        error = _deepest(error, validator.schema)
        where = list(error.absolute_path)
        problems.append(_problem(path, data, error))
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
    return checker({**_inlined(document, document.get("$defs", {}), ()), "$defs": document.get("$defs", {})})


def _inlined(node: Any, defs: dict, within: tuple[str, ...]) -> Any:
    """The schema with each local `$ref` replaced by what it names, except where a definition
    refers to itself (a condition inside a condition): the same meaning, several times faster
    to check, since looking a reference up is most of jsonschema's work on these files."""
    if isinstance(node, list):
        return [_inlined(item, defs, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else ""
    if name in defs and name not in within:
        siblings = {key: _inlined(value, defs, within) for key, value in node.items() if key != "$ref"}
        return {**_inlined(defs[name], defs, (*within, name)), **siblings}
    return {key: _inlined(value, defs, within) if key != "$defs" else value for key, value in node.items()}


@cache
def _ecma_end(pattern: str) -> str:
    return re.sub(r"(?<!\\)\$", r"\\Z", pattern)


def _deepest(error: Any, root: dict) -> Any:
    """For "none of these forms fit" (oneOf, anyOf), the error of the form the author meant: the
    one whose required keys the value has most of (a `question:` means a comparison, `all:` a
    list of conditions), so the message names the field that is wrong, not another form's."""
    from jsonschema.exceptions import best_match

    while error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[int, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        scores = {i: _fit(error.validator_value[i], error.instance, root) for i in branches}
        chosen = max(branches, key=lambda i: scores[i])
        if not scores[chosen]:
            break  # no form is even close: say what the forms are
        error = best_match(branches[chosen])
    return error


def _fit(form: Any, instance: Any, root: dict) -> int:
    """How many of a form's required keys `instance` has (a local $ref is followed)."""
    if isinstance(form, dict) and isinstance(form.get("$ref"), str) and form["$ref"].startswith("#/"):
        target: Any = root
        for part in form["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        form = target
    if not (isinstance(form, dict) and isinstance(instance, dict)):
        return 0
    return sum(1 for key in form.get("required", []) if key in instance)


def _place(data: Any, path: list[Any]) -> tuple[Mark | None, str, str]:
    """Where the value at `path` starts, the name of the field it is in, and the entry it is in
    ("rule 'cramp'")."""
    node, mark, name, entry = data, getattr(data, "mark", None), "", ""
    for depth, step in enumerate(path):
        if isinstance(node, LocatedDict) and step in node:
            mark, name, node = node.where_value(step), str(step), node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and step < len(node):
            mark, node = node.where(step), node[step]
            if depth == 1 and path[0] in ENTRY_KINDS:
                entry, name = _entry_name(path[0], step, node), ""
        else:
            break
    return mark, name, entry


def _entry_name(kind: str, index: int, entry: Any) -> str:
    label = entry.get("name" if kind == "cases" else "id") if isinstance(entry, dict) else None
    return f"{ENTRY_KINDS[kind]} {label!r}" if isinstance(label, str) else f"{ENTRY_KINDS[kind]} {index + 1}"


def _problem(path: str, data: Any, error: Any) -> Problem:
    where = list(error.absolute_path)
    mark, name, entry = _place(data, where)
    instance, kind, expected = error.instance, error.validator, error.validator_value
    named = f"field '{name}': " if name else ""
    about_key = "propertyNames" in error.absolute_schema_path
    if about_key:  # point at the key itself
        owner = data
        for step in where:
            owner = owner[step] if isinstance(owner, (dict, list)) else owner
        if isinstance(owner, LocatedDict) and instance in owner:
            mark = owner.where(instance)
        named = f"'{name}' key {_shown(instance)}: " if name else f"key {_shown(instance)}: "
    if kind == "dependentRequired" and isinstance(instance, dict):
        needs = next(((k, d) for k, deps in expected.items() if k in instance for d in deps if d not in instance), ("?", "?"))
        message = f"{named}'{needs[1]}' is missing (it is needed with '{needs[0]}')"
    elif kind == "required":
        missing = next((k for k in expected if not (isinstance(instance, dict) and k in instance)), "?")
        message = f"{named}'{missing}' is missing"
    elif kind == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in instance if k not in allowed)
        key = unknown[0] if unknown else "?"
        if isinstance(instance, LocatedDict) and key in instance:
            mark = instance.where(key)
        message = f"unknown field '{key}'" + (f" (known here: {', '.join(sorted(allowed))})" if allowed else "")
    elif kind == "enum":
        message = f"{named}{_shown(instance)} is not one of: {', '.join(str(v) for v in expected)}" + _why(error)
    elif kind == "const":
        message = f"{named}must be {_shown(expected)}, not {_shown(instance)}" + _why(error)
    elif kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        message = f"{named}should be {_TYPE_WORDS.get(wanted, wanted)}, not {_kind(instance)}"
    elif kind in ("minItems", "minLength"):
        message = f"{named}must not be empty" if expected == 1 else f"{named}needs at least {expected} items"
    elif kind in ("maxProperties", "minProperties") and "question" in instance:
        message = f"a comparison on {_shown(instance['question'])} needs exactly one comparison word (found {len(instance) - 1})"
    elif about_key and kind in ("pattern", "not"):
        rule = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"{named}not allowed here" + (f": {rule}" if rule else "")
    elif kind == "pattern" and expected == r"\S":
        message = f"{named}must not be empty"
    elif kind == "not" and expected == {}:  # a field that never fits here; its description says why
        message = f"{named}not allowed here" + (f": {error.schema['description']}" if error.schema.get("description") else "")
    elif kind in ("pattern", "not"):
        rule = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"{named}{_shown(instance)} is not allowed here" + (f": {rule}" if rule else "")
    elif kind == "anyOf" and all(isinstance(form, dict) and form.get("required") for form in expected):
        wanted = [key for form in expected for key in form["required"]]
        message = f"{named}needs at least one of: {', '.join(wanted)}"
    elif kind in ("minimum", "maximum"):
        message = f"{named}{_shown(instance)} is out of range (numbers stay between -{NUMBER_LIMIT:.0f} and {NUMBER_LIMIT:.0f})"
    elif kind in ("oneOf", "anyOf"):
        forms = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"{named}does not fit any of the forms allowed here" + (f" ({forms})" if forms else "")
    else:
        message = f"{named}{error.message}"
    if entry:
        message = f"{entry}: {message}"
    line, column = (mark.line, mark.column) if mark is not None else (1, 1)
    return Problem(path, line, column, message, code="schema")


def _why(error: Any) -> str:
    """Why a field is narrower here than elsewhere: the description of the if/then branch that
    narrowed it ("a red flag must conclude..."), or nothing for an error outside one."""
    steps = list(error.absolute_schema_path)
    conditional = any(step == "then" and (i == 0 or steps[i - 1] != "properties") for i, step in enumerate(steps))
    why = error.schema.get("description", "") if conditional and isinstance(error.schema, dict) else ""
    return f" ({why[0].lower()}{why[1:].rstrip('.')})" if why else ""


_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping (key: value lines)", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "array or null": "a list",
               "string or number or boolean": "a single value (an option id, a number, or true/false)"}


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping"


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
