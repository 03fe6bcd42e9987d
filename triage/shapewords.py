"""How a schema error reads to an author: placed at its line and column, named by the entry and
field it is in ("rule 'cramp': field 'urgency': ..."), and worded in plain terms rather than
jsonschema's ("'x' does not match '^[a-z]...'")."""

from __future__ import annotations

from typing import Any

from .errors import Problem
from .model import NUMBER_LIMIT
from .yamlsafe import LocatedDict, LocatedList, Mark

ENTRY_KINDS = {"questions": "question", "rules": "rule", "advice": "advice", "sources": "source", "cases": "case"}
"""A file's list of entries, and what one entry is called in a message."""

ONE_OF_A_LIST = {"options": "option", "all": "condition", "any": "condition", "emergency_signs": "sign",
                 "sources": "source", "advice": "advice", "flags": "flag", "questions": "question"}
"""How one item of a list field is called in a message ("option 2"); others are "item 2 of 'x'"."""

PATTERN_WORDS = {
    "^[a-z][a-z0-9_]*$": "lower-case letters, digits and _, starting with a letter",
    "^[a-z](_?[a-z0-9])*_?$": "lower-case letters, digits and single _, starting with a letter",
    "^[a-z][a-z0-9_-]*$": "lower-case letters, digits, - and _, starting with a letter",
    "^[a-z]{2,3}$": "2 or 3 lower-case letters, like us or uk",
    "^[A-Z][A-Za-z0-9_]{0,254}$": "a capital letter, then letters, digits or _",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date written YYYY-MM-DD",
    "^\\s*https://": "an address that starts with https://",
    "^https://[^\\s|,&#?{}%]+$": "an address that starts with https:// (no spaces, and none of | , & # ? { } %)",
}
"""Each pattern the schemas use, in words (tests/test_schemas.py checks every one is here)."""


def deepest(error: Any, root: dict) -> Any:
    """For "none of these forms fit" (oneOf, anyOf), the error of the form the author meant: the
    one whose required keys the value has most of (a `question:` means a comparison, `all:` a
    list of conditions), so the message names the field that is wrong, not another form's. A
    value that has the keys of two forms at once is left as it is: that is its problem."""
    from jsonschema.exceptions import best_match

    while error.validator in ("oneOf", "anyOf") and error.context and not _mixed(error, root):
        branches: dict[int, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        scores = {i: len(_present(error.validator_value[i], error.instance, root)) for i in branches}
        chosen = max(branches, key=lambda i: scores[i])
        if not scores[chosen]:
            break  # no form is even close: say what the forms are
        error = best_match(branches[chosen])
    return error


def _form(form: Any, root: dict) -> Any:
    """A form, its local $ref followed."""
    if isinstance(form, dict) and isinstance(form.get("$ref"), str) and form["$ref"].startswith("#/"):
        target: Any = root
        for part in form["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target
    return form


def _present(form: Any, instance: Any, root: dict) -> list[str]:
    """The form's required keys that `instance` has."""
    form = _form(form, root)
    if not (isinstance(form, dict) and isinstance(instance, dict)):
        return []
    return [key for key in form.get("required", []) if key in instance]


def _mixed(error: Any, root: dict) -> list[str]:
    """The keys that start two or more forms at once (`flag:` and `question:` in one condition)."""
    whole = [_present(form, error.instance, root) for form in error.validator_value
             if (required := _form(form, root).get("required")) and len(_present(form, error.instance, root)) == len(required)]
    return [key for keys in whole for key in keys] if len(whole) > 1 else []


def _place(data: Any, path: list[Any]) -> tuple[Mark | None, str, str]:
    """Where the value at `path` starts, the field it is (quoted), and what it is in:
    "rule 'cramp'", "question 'alarms', option 3", "urgency soon"."""
    node, mark, field, context = data, getattr(data, "mark", None), "", []
    for depth, step in enumerate(path):
        if isinstance(node, LocatedDict) and step in node:
            if field:
                context.append(field.strip("'"))
            mark, field, node = node.where_value(step), f"'{step}'", node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and step < len(node):
            mark, node = node.where(step), node[step]
            if depth == 1 and path[0] in ENTRY_KINDS:
                context, field = [_entry_name(path[0], step, node)], ""
            else:
                key = field.strip("'")
                field = f"{ONE_OF_A_LIST[key]} {step + 1}" if key in ONE_OF_A_LIST else f"item {step + 1} of {field}"
        else:
            break
    return mark, field, ", ".join(context)


def _entry_name(kind: str, index: int, entry: Any) -> str:
    label = entry.get("name" if kind == "cases" else "id") if isinstance(entry, dict) else None
    return f"{ENTRY_KINDS[kind]} {label!r}" if isinstance(label, str) else f"{ENTRY_KINDS[kind]} {index + 1}"


def problem_for(path: str, data: Any, error: Any, root: dict) -> Problem:
    """One schema error as a located problem in an author's words."""
    where = list(error.absolute_path)
    mark, field, context = _place(data, where)
    instance, kind, expected = error.instance, error.validator, error.validator_value
    if field and not field.startswith("'"):  # a list item ("option 7") is where, not a field
        context, field = ", ".join(part for part in (context, field) if part), ""
    named = f"field {field}: " if field else ""
    if kind == "additionalProperties" or "propertyNames" in error.absolute_schema_path:
        context = ", ".join(part for part in (context, field.strip("'")) if part)  # about a key of this field
        named = ""
    mixed = _mixed(error, root) if kind in ("anyOf", "oneOf") else []
    if "propertyNames" in error.absolute_schema_path:  # point at the key itself
        owner = data
        for step in where:
            owner = owner[step] if isinstance(owner, (dict, list)) else owner
        if isinstance(owner, LocatedDict) and instance in owner:
            mark = owner.where(instance)
        message = f"key {_shown(instance)} " + (
            f"is not written right: use {PATTERN_WORDS.get(expected, f'the form {expected}')}" if kind == "pattern"
            else f"should be text, not {_kind(instance)}" if kind == "type" else f"is not allowed: {error.message}")
    elif mixed:
        together = ", ".join(f"'{key}'" for key in mixed)
        combine = " (to use both, list them as conditions under 'all:' or 'any:')" if "all" in str(expected) else ""
        message = f"{named}{together} cannot be given together: give only one{combine}"
    elif kind == "dependentRequired" and isinstance(instance, dict):
        needs = next(((k, d) for k, deps in expected.items() if k in instance for d in deps if d not in instance), ("?", "?"))
        message = f"{named}'{needs[1]}' is missing (it is needed with '{needs[0]}')"
    elif kind == "required":
        missing = next((k for k in expected if not (isinstance(instance, dict) and k in instance)), "?")
        message = f"{named}'{missing}' is missing" + _why(error)
    elif kind == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted((k for k in instance if k not in allowed), key=str)
        if isinstance(instance, LocatedDict) and unknown:
            mark = instance.where(unknown[0])
        key = _shown(unknown[0]).strip("'") if unknown else "?"  # a key written true is "true", as in YAML
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
    elif kind == "minProperties" and expected == 1:
        message = f"{named}must not be empty"
    elif kind in ("maxProperties", "minProperties") and isinstance(instance, dict) and "question" in instance:
        message = f"a comparison on {_shown(instance['question'])} needs exactly one comparison word (found {len(instance) - 1})"
    elif kind == "pattern" and expected == r"\S":
        message = f"{named}must not be empty"
    elif kind == "pattern":
        message = f"{named}{_shown(instance)} is not written right: use {PATTERN_WORDS.get(expected, f'the form {expected}')}"
    elif kind == "not" and expected == {}:  # a field that never fits here; its description says why
        message = f"{named}not allowed here" + (f": {error.schema['description']}" if error.schema.get("description") else "")
    elif kind == "not":
        message = f"{named}{_shown(instance)} cannot be used: it is reserved"
    elif kind in ("anyOf", "oneOf") and all(_form(form, root).get("required") for form in expected):
        forms = [_form(form, root) for form in expected]
        wanted = [key for form in forms for key in form["required"]]
        if all(form.get("additionalProperties") is False for form in forms):  # forms of their own (a condition)
            known = {key for form in forms for key in form.get("properties", {})}
            strange = [repr(str(key)) for key in instance if key not in known] if isinstance(instance, dict) else []
            message = f"{named}needs one of: {', '.join(wanted)}" + (f" (found {', '.join(strange)})" if strange else "")
        else:  # keys of one mapping: a source's file or url, what a rule concludes
            message = f"{named}needs {'exactly one' if kind == 'oneOf' else 'at least one'} of: {', '.join(wanted)}"
    elif kind in ("minimum", "maximum"):
        message = f"{named}{_shown(instance)} is out of range (numbers stay between -{NUMBER_LIMIT:.0f} and {NUMBER_LIMIT:.0f})"
    elif kind in ("oneOf", "anyOf"):
        what = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"{named}does not fit any of the forms allowed here" + (f" ({what})" if what else "")
    else:
        message = f"{named}{error.message}"
    line, column = (mark.line, mark.column) if mark is not None else (1, 1)
    return Problem(path, line, column, f"{context}: {message}" if context else message, code="schema")


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
    """A value as the author wrote it in YAML: true/false in lower case, texts quoted."""
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
