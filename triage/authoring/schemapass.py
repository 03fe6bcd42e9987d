"""The first pass of `triage rules validate`: every content file against its JSON Schema
(rules/schema/, the same files editors use for completion), so every shape problem of a file
is found at once, each at its line and column and worded for an author. The loader's own
checks (ids, citations, stages, what a schema cannot say) run after it.

Why a schema pass before the loader: the loader stops reading a rule at its first problem
(a bad `when` hides a bad `then`), and a later message can follow from an earlier one. The
schema looks at every field of every file independently.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..content import links_out_of
from ..errors import Problem
from ..model import default_rules_dir
from ..yamlsafe import LocatedDict, LocatedList, Mark, load_yaml_file

FILES = {
    "questionnaire.yaml": "questionnaire.schema.json", "outcomes.yaml": "outcomes.schema.json",
    "advice.yaml": "advice.schema.json", "sources.yaml": "sources.schema.json",
}
FOLDERS = {"rules": "rules.schema.json", "tests": "tests.schema.json"}
"""Every .yaml file in these folders follows that schema."""


def content_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(content file, its schema's file name), for the files that exist."""
    for name, schema in FILES.items():
        if (root / name).is_file():
            yield root / name, schema
    for folder, schema in FOLDERS.items():
        if (root / folder).is_dir():
            for path in sorted((root / folder).glob("*.yaml")):
                yield path, schema


def schema_problems(root: Path) -> list[Problem]:
    """Every place where a content file does not fit its schema. Files that cannot be read as
    YAML are left to the loader, which says why."""
    import json

    from jsonschema import Draft202012Validator

    schemas = default_rules_dir() / "schema"
    validators: dict[str, Any] = {}
    problems: list[Problem] = []
    linked_out = {p.path for p in links_out_of(root)}  # never read: the loader refuses them
    for path, schema in content_files(root):
        if str(path) in linked_out:
            continue
        unreadable: list[Problem] = []
        try:
            data = load_yaml_file(str(path), unreadable)
        except Exception:  # noqa: BLE001 - any failure to read is the loader's to report, in its words
            continue
        if unreadable:
            continue
        if schema not in validators:
            validators[schema] = Draft202012Validator(json.loads((schemas / schema).read_text(encoding="utf-8")))
        validator = validators[schema]
        for error in validator.iter_errors(data):
            problems.append(_problem(str(path), data, _deepest(error, validator.schema)))
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.column, p.message))


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
        error = best_match(branches[chosen]) if scores[chosen] else best_match(error.context)
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


def _place(data: Any, path: list[Any]) -> tuple[Mark | None, str]:
    """Where the value at `path` starts, and the name of the field it is in."""
    node, mark, field = data, getattr(data, "mark", None), ""
    for step in path:
        if isinstance(node, LocatedDict) and step in node:
            mark, field, node = node.where_value(step), str(step), node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and step < len(node):
            mark, node = node.where(step), node[step]
        else:
            break
    return mark, field


def _problem(path: str, data: Any, error: Any) -> Problem:
    where = list(error.absolute_path)
    mark, field = _place(data, where)
    instance, kind, expected = error.instance, error.validator, error.validator_value
    if "propertyNames" in error.absolute_schema_path:  # about a key: point at the key itself
        owner = data
        for step in where:
            owner = owner[step] if isinstance(owner, (dict, list)) else owner
        if isinstance(owner, LocatedDict) and instance in owner:
            mark, field = owner.where(instance), f"{field} key" if field else "key"
    named = f"field '{field}': " if field else ""
    if kind == "dependentRequired" and isinstance(instance, dict):
        needs = next(((k, d) for k, deps in expected.items() if k in instance for d in deps if d not in instance), ("?", "?"))
        message = f"{named}'{needs[1]}' is missing (it is needed with '{needs[0]}')"
    elif kind == "required":
        missing = next((k for k in expected if not (isinstance(instance, dict) and k in instance)), "?")
        message = f"{named}'{missing}' is missing" if field else f"'{missing}' is missing"
    elif kind == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in instance if k not in allowed)
        key = unknown[0] if unknown else "?"
        if isinstance(instance, LocatedDict) and key in instance:
            mark = instance.where(key)
        message = f"unknown field '{key}'" + (f" (known here: {', '.join(sorted(allowed))})" if allowed else "")
    elif kind == "enum":
        message = f"{named}{_shown(instance)} is not one of: {', '.join(str(v) for v in expected)}"
    elif kind == "const":
        message = f"{named}must be {_shown(expected)}, not {_shown(instance)}"
    elif kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        message = f"{named}should be {_TYPE_WORDS.get(wanted, wanted)}, not {_kind(instance)}"
    elif kind in ("minItems", "minLength"):
        message = f"{named}must not be empty" if expected == 1 else f"{named}is too short ({error.message})"
    elif kind == "pattern":
        message = f"{named}{_shown(instance)} does not have the expected form (pattern {expected})"
    else:
        message = f"{named}{error.message}"
    line, column = (mark.line, mark.column) if mark is not None else (1, 1)
    return Problem(path, line, column, message, code="schema")


_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping (key: value lines)", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "array or null": "a list"}


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
