"""One answer file: reading it (YAML, JSON or FHIR; a path or standard input) and writing it.

This is the only place that decides what kind of document an answer file is: JSON when its
name ends in `.json` (or, on standard input, when it starts with `{`), YAML otherwise; a
JSON or YAML document whose `resourceType` is QuestionnaireResponse or Bundle is FHIR.
Checking the answers themselves is `triage.answers`' job; FHIR's shape is `triage.fhir`'s.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, Literal

import yaml

from .answers import RECORD_ID, Answers, check_answers, record_id, to_plain
from .errors import AnswerError, Problem
from .jsonsafe import load_json
from .model import Content
from .questiontypes import describe_kind
from .yamlsafe import MAX_FILE_BYTES, decode_text, load_yaml, read_text

SaveFormat = Literal["yaml", "json", "fhir"]
SAVE_FORMATS: tuple[SaveFormat, ...] = ("yaml", "json", "fhir")
STDIN = "-"
FHIR_KINDS = ("QuestionnaireResponse", "Bundle")


def is_json(path: str, text: str) -> bool:
    """The one format sniff: by the file's ending, or by the first character on standard input."""
    if path in (STDIN, "<stdin>"):
        return text.lstrip().startswith("{")
    return path.lower().endswith(".json")


def parse_document(text: str, path: str, locate: bool = True) -> Any:
    """A YAML or JSON document's data (located containers where `locate` allows)."""
    return load_json(text, path, locate=locate) if is_json(path, text) else load_yaml(text, path)


def read_document(path: str) -> Any:
    """Read and parse one answer file, or standard input for `-`."""
    if path == STDIN:
        text = decode_text(sys.stdin.buffer.read(MAX_FILE_BYTES + 1), "<stdin>")
        return parse_document(text, "<stdin>")
    return parse_document(read_text(path), path)


def is_fhir(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") in FHIR_KINDS


MAX_DEPTH = 40
"""Deeper than any answer set or FHIR resource this tool reads (a FHIR Bundle is about 8)."""


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and mappings nest more than `limit` levels (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def answer_sets(
    content: Content, data: Any, path: str, check_depth: bool = True,
) -> Iterator[tuple[str | None, dict | AnswerError]]:
    """(where in the document, or None for a plain mapping; raw answers or why they cannot be read).

    A plain mapping is one answer set; a QuestionnaireResponse is one; a Bundle is one per entry.
    `check_depth=False` where the caller knows the data cannot nest deeper than MAX_DEPTH.
    """
    if check_depth and nested_deeper_than(data, MAX_DEPTH):  # no answer set is this deep; it could not even be passed to a worker
        yield None, AnswerError([Problem(path, 1, 1, f"the data is nested more than {MAX_DEPTH} levels deep")])
        return
    if is_fhir(data):
        from .fhir import response_to_raw_answers

        try:
            found = response_to_raw_answers(content, data, path)
        except AnswerError as exc:
            yield None, exc
            return
        except (AttributeError, TypeError, KeyError, ValueError):  # a shape the reader did not foresee
            yield None, AnswerError([Problem(path, 1, 1, "the FHIR resource has a shape this tool cannot read")])
            return
        yield from found
        return
    if data is None:
        yield None, AnswerError([Problem(path, 1, 1, "the file is empty; expected question ids with answers")])
    elif not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else describe_kind(data)  # never the text itself
        yield None, AnswerError([Problem(path, 1, 1, f"expected a mapping of question ids to answers, got {kind}")])
    else:
        yield None, data


def data_notes(data: Any, content: Content) -> list[str | None]:
    """A warning (or None) for each answer set `answer_sets` reads from `data`, in its order:
    a FHIR response marked unfinished may lack answers; one saved for other questions may mean
    something else."""
    if is_fhir(data):
        from .fhir import response_notes

        return response_notes(data, content)
    return [None]


def answers_from_data(content: Content, data: Any, path: str, notes: list[str] | None = None) -> Answers:
    """Check parsed answer data holding one answer set (a mapping or one QuestionnaireResponse);
    warnings about it (an unfinished FHIR response) are added to `notes` when it is given."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        raise AnswerError([Problem(path, 1, 1, "a FHIR Bundle holds several answer sets; check it with: triage batch FILE")])
    ((_, raw),) = answer_sets(content, data, path)
    if isinstance(raw, AnswerError):
        raise raw
    if notes is not None:
        notes.extend(note for note in data_notes(data, content) if note)
    checked = check_answers(content, raw, path)
    rid = record_id(raw)  # kept, so that a resumed and saved file keeps its id
    return checked if rid is None else {RECORD_ID: rid, **checked}


def load_answers(content: Content, path: str, notes: list[str] | None = None) -> Answers:
    """Read and check one saved answer file (YAML, JSON or FHIR), or standard input for `-`
    (warnings about it go to `notes`, as in answers_from_data)."""
    return answers_from_data(content, read_document(path), "<stdin>" if path == STDIN else path, notes)


SAVED_BY_ASK = "# Saved by `triage ask`. Resume with: triage ask --answers THIS_FILE\n"


def dump_answers(content: Content, answers: Answers, fmt: SaveFormat = "yaml", complete: bool = True,
                 header: str = SAVED_BY_ASK) -> str:
    """Answers as the text of an answer file in the chosen format (`complete=False`: a partial
    save, which FHIR marks in-progress); `header` is the YAML file's opening comment."""
    match fmt:
        case "fhir":
            from .fhir import answers_to_response

            response = answers_to_response(content, answers, complete=complete)
            return json.dumps(response, indent=2, ensure_ascii=False) + "\n"
        case "json":
            return json.dumps(to_plain(answers), indent=2, ensure_ascii=False) + "\n"
        case "yaml":
            plain = to_plain(answers)
            body = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, default_flow_style=None) if plain else "{}\n"
            return header + body
        case _:
            raise ValueError(f"unknown answer file format {fmt!r} (known: {', '.join(SAVE_FORMATS)})")
