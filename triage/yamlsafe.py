"""Safe YAML and JSON reading that remembers where every value came from.

PyYAML alone accepts duplicate keys, turns `no` into False, builds dates and
expands alias bombs; authors and answer files need none of that. Here only
`true`/`false` are booleans, dates stay text, and duplicate keys, aliases and
tags are errors, each reported with its line and column (counted from 1).
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Callable
from typing import Any, cast

import yaml

from .errors import InputError, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class Mark(tuple):
    """(line, column), both from 1."""

    @property
    def line(self) -> int:
        return self[0]

    @property
    def column(self) -> int:
        return self[1]


class LocatedDict(dict):
    """A mapping that knows where it and each of its keys and values start."""

    mark: Mark
    key_marks: dict
    value_marks: dict

    def where(self, key: Any = None) -> Mark:
        if key is None:
            return self.mark
        return self.key_marks.get(key, self.mark)

    def where_value(self, key: Any) -> Mark:
        return self.value_marks.get(key, self.where(key))


class LocatedList(list):
    """A list that knows where it and each item start."""

    mark: Mark
    item_marks: list

    def where(self, index: int | None = None) -> Mark:
        if index is None or index >= len(self.item_marks):
            return self.mark
        return self.item_marks[index]


def _mark(node_or_mark: Any) -> Mark:
    m = getattr(node_or_mark, "start_mark", node_or_mark)
    return Mark((m.line + 1, m.column + 1))


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 style booleans, no timestamps and no aliases."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


_REPLACED = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# YAML 1.2 core schema: no octal 014, no base-60 1:30, no yes/no booleans.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
# Only scalar nodes reach this constructor: _build handles mappings and sequences itself, and
# _fast_scalar passes a ScalarNode.
def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int | float:
    text = str(loader.construct_scalar(cast(yaml.ScalarNode, node)))
    try:
        return int(text, 10)
    except ValueError:  # the resolver let only digits through: this is Python's digit limit
        # as JSON has it (jsonsafe): "a number too large to use", named at its field
        return -math.inf if text.startswith("-") else math.inf


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def read_text(path: str) -> str:
    """Read a UTF-8 text file (a byte-order mark is allowed) or raise a one-line InputError."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError([Problem(path, 0, 0, "is a directory, not a file")]) from None
    except FileNotFoundError:
        raise InputError([Problem(path, 0, 0, "no such file")]) from None
    except PermissionError:
        raise InputError([Problem(path, 0, 0, "cannot read the file: permission denied")]) from None
    except OSError as exc:
        raise InputError([Problem(path, 0, 0, f"cannot read the file: {exc.strerror or exc}")]) from None
    return decode_text(data, path)


def decode_text(data: bytes, path: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise InputError([Problem(path, 1, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")])
    if b"\x00" in data:
        raise InputError([Problem(path, 1, 1, "this is a binary file, not YAML or JSON text")])
    # What "utf-8-sig" does (a byte-order mark is dropped), without that codec's Python layer.
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:  # exc.start counts from after the mark, as with "utf-8-sig"
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(path, line, column, "the file is not valid UTF-8 text")]) from None
    return text.replace("\r\n", "\n")


def load_yaml(text: str, path: str, problems: list[Problem] | None = None) -> Any:
    """Parse one YAML document into plain values with LocatedDict/LocatedList containers.

    Syntax errors always raise InputError. Other problems (duplicate keys, tags) raise too,
    unless a `problems` list is given: then they are added to it and the rest is returned,
    so a validator can report everything in one pass.
    """
    if _CParser is not None and not _UNUSUAL.search(text):
        try:
            return _fast_load(text)
        except Exception:  # anything out of the ordinary: the general path below decides
            pass
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "invalid YAML"
        raise InputError([Problem(path, line, column, f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(path, 1, 1, f"YAML syntax error: {exc}")]) from None
    except RecursionError:
        raise InputError([Problem(path, 1, 1, "the YAML is nested too deeply")]) from None
    except ValueError:  # how PyYAML's scanner fails on an escape such as "\U00110000"
        mark = loader.get_mark()  # just after the backslash and the letter
        message = "YAML syntax error: this escape (\\x, \\u or \\U) names no character"
        raise InputError([Problem(path, mark.line + 1, max(mark.column - 1, 1), message)]) from None
    if node is None:
        return None
    found: list[Problem] = []
    try:
        value = _build(node, loader, path, found, 0)
    except RecursionError:
        raise InputError([Problem(path, 1, 1, "the YAML is nested too deeply")]) from None
    if found and problems is None:
        raise InputError(found)
    if problems is not None:
        problems.extend(found)
    return value


MAX_DEPTH = 50


def _build(node: yaml.Node, loader: _Loader, path: str, problems: list[Problem], depth: int) -> Any:
    mark = _mark(node)
    if depth > MAX_DEPTH:
        problems.append(Problem(path, mark.line, mark.column, f"nested more than {MAX_DEPTH} levels deep"))
        return None
    if node.tag not in _STANDARD_TAGS:
        problems.append(Problem(path, mark.line, mark.column, f"YAML tags such as {node.tag!r} are not allowed"))
        return None
    if isinstance(node, yaml.MappingNode):
        result = LocatedDict()
        result.mark, result.key_marks, result.value_marks = mark, {}, {}
        for key_node, value_node in node.value:
            key = _build(key_node, loader, path, problems, depth + 1)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key_mark = _mark(key_node)
                problems.append(Problem(path, key_mark.line, key_mark.column, "a key must be a plain word"))
                continue
            if key in result:
                first = result.key_marks[key]
                key_mark = _mark(key_node)
                problems.append(
                    Problem(path, key_mark.line, key_mark.column, f"duplicate key {key!r} (first at line {first.line})")
                )
                continue
            result[key] = _build(value_node, loader, path, problems, depth + 1)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LocatedList()
        items.mark, items.item_marks = mark, []
        for item in node.value:
            items.append(_build(item, loader, path, problems, depth + 1))
            items.item_marks.append(_mark(item))
        return items
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError) as exc:
        problems.append(Problem(path, mark.line, mark.column, f"not a valid value: {str(exc).splitlines()[0][:80]}"))
        return None
    return value


# --- the fast path -----------------------------------------------------------------------------
#
# PyYAML's pure-Python scanner and parser are slow: with them, reading the shipped content took
# about 0.45 s of CPU, twice the start-up of Python with click, Jinja2 and PyYAML imported.
# libyaml, PyYAML's C parser, makes the same events some fifty times faster. But it is not the
# same parser: it accepts a few things PyYAML rejects (tabs before a value, `?` inside a plain
# scalar in a [list] or {mapping}, `|#note`), places some empty values and everything after a
# byte-order mark at other columns, and words its error messages differently. So libyaml is used only for
# ordinary documents, and only for the events it produces; _fast_load turns them into the same
# values with the same marks as the general path. At the first thing it does not handle
# (anchors, aliases, tags, duplicate or complex keys, a value that does not construct, nesting
# deeper than MAX_DEPTH, a syntax error, one of the characters in _UNUSUAL) it raises, and
# load_yaml parses the text again with PyYAML's own parser, which reports problems and errors
# exactly as before. tests/test_yaml_fast_path.py compares the two paths.

_CParser: type[CParser] | None
try:
    # yaml.cyaml takes CParser from here too, but does not list it in its __all__.
    from yaml._yaml import CParser

    _CParser = CParser
except ImportError:  # PyYAML built without libyaml: always the general path
    _CParser = None

_UNUSUAL = re.compile(r"[\t\r\x85\ufeff\u2028\u2029]")  # where libyaml and PyYAML disagree
_NULL = "tag:yaml.org,2002:null"
_CONSTRUCTED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # what the bool, int and float constructors need
_Resolvers = list[tuple[str, re.Pattern[str]]]
_WILDCARD: _Resolvers = _Loader.yaml_implicit_resolvers.get(None, [])
_RESOLVERS: dict[str, _Resolvers] = {
    first: resolvers + _WILDCARD for first, resolvers in _Loader.yaml_implicit_resolvers.items() if first is not None
}


_BLOCK = ("|", ">")
_BLOCK_HEADER = re.compile(r"[|>](?:[+-][1-9]?|[1-9][+-]?)?(?: +(?:#.*)?)?$")


class _NotOrdinary(Exception):
    """The document needs the general path."""


def _fast_load(text: str) -> Any:
    if _CParser is None:  # load_yaml checks this first
        raise _NotOrdinary
    parser = _CParser(text)
    try:
        get = parser.get_event
        get()  # stream start
        if type(get()) is yaml.StreamEndEvent:
            return None
        blocks: list = []
        value = _fast_node(get, get(), 0, False, blocks)
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _NotOrdinary  # more than one document
    finally:
        parser.dispose()
    if blocks:  # PyYAML is stricter about a block scalar's first line (`|#note` is an error)
        lines = text.split("\n")
        if not all(_BLOCK_HEADER.match(lines[m.line], m.column) for m in blocks):
            raise _NotOrdinary
    return value


def _fast_node(get: Callable[[], Any], event: Any, depth: int, flow: bool, blocks: list) -> Any:
    if depth > MAX_DEPTH or event.anchor is not None or event.tag is not None:
        raise _NotOrdinary
    kind = type(event)
    if kind is yaml.ScalarEvent:
        if event.style in _BLOCK:
            blocks.append(event.start_mark)
        return _fast_scalar(event, flow)
    m = event.start_mark
    if kind is yaml.MappingStartEvent:
        flow = flow or bool(event.flow_style)
        result = LocatedDict()
        key_marks: dict[Any, Mark] = {}
        value_marks: dict[Any, Mark] = {}
        result.mark = Mark((m.line + 1, m.column + 1))
        result.key_marks, result.value_marks = key_marks, value_marks
        while True:
            event = get()
            if type(event) is yaml.MappingEndEvent:
                return result
            if (
                type(event) is not yaml.ScalarEvent or event.style in _BLOCK or depth >= MAX_DEPTH
                or event.anchor is not None or event.tag is not None
            ):
                raise _NotOrdinary
            key = _fast_scalar(event, flow)
            if key is None or key in result:
                raise _NotOrdinary
            km = cast(yaml.Mark, event.start_mark)  # libyaml gives every event its marks
            event = get()
            result[key] = _fast_node(get, event, depth + 1, flow, blocks)
            vm = event.start_mark
            key_marks[key] = Mark((km.line + 1, km.column + 1))
            value_marks[key] = Mark((vm.line + 1, vm.column + 1))
    if kind is yaml.SequenceStartEvent:
        flow = flow or bool(event.flow_style)
        items = LocatedList()
        item_marks: list[Mark] = []
        items.mark = Mark((m.line + 1, m.column + 1))
        items.item_marks = item_marks
        while True:
            event = get()
            if type(event) is yaml.SequenceEndEvent:
                return items
            im = event.start_mark
            items.append(_fast_node(get, event, depth + 1, flow, blocks))
            item_marks.append(Mark((im.line + 1, im.column + 1)))
    raise _NotOrdinary  # an alias


def _fast_scalar(event: yaml.ScalarEvent, flow: bool) -> Any:
    """The value of an untagged scalar, resolved and constructed as _Loader does."""
    value = event.value
    if not event.implicit[0]:  # quoted (or a block scalar): always text
        return value
    if not value or (flow and "?" in value):
        # The two parsers place some empty values (`{a: }`, `? a`) at different columns, and
        # inside [] and {} PyYAML ends a plain scalar at "?" where libyaml does not.
        raise _NotOrdinary
    tag = next((tag for tag, regexp in _RESOLVERS.get(value[:1], _WILDCARD) if regexp.match(value)), None)
    if tag is None:
        return value
    if tag == _NULL:
        return None
    if tag not in _CONSTRUCTED:  # merge keys (<<) and the like: the general path reports them
        raise _NotOrdinary
    return _Loader.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))


def load_yaml_file(path: str, problems: list[Problem] | None = None) -> Any:
    """Read a YAML content file (answer files, which may be JSON, are `triage.answerfile`'s)."""
    return load_yaml(read_text(path), path, problems)


def is_finite_number(value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large to be a float
        return False
