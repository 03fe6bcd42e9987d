"""Answer records from every input format, streamed one at a time.

Formats: answer files (YAML or JSON, the shape `triage ask --save` writes), JSON Lines (one
answer set per line), CSV (a column per question id; several choices joined with `;`), and
HL7 FHIR R4 QuestionnaireResponse resources or Bundles of them. Every record remembers where
it came from, and a record that cannot be read becomes an error record in its place, so the
number of records out always equals the number of records in.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import answerfile
from .answerfile import MAX_DEPTH, answer_sets, data_notes
from .answers import record_id
from .errors import InputError
from .jsonsafe import load_json
from .model import Content
from .textsafe import escaped
from .yamlsafe import decode_text

ANSWER_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".csv")
MAX_LINE = 1024 * 1024


@dataclass(frozen=True)
class Record:
    """One answer set to triage, or the reason it could not be read."""

    source: str
    id: str | None = None
    raw: dict | None = None
    error: str | None = None
    text: str | None = None
    """A JSON Lines record not parsed yet: parsing happens where it is checked (see `parsed`)."""
    notes: tuple[str, ...] = ()
    """Warnings about the answer set that do not stop it being checked (an unfinished FHIR response)."""

    def parsed(self, content: Content) -> Record:
        """This record with `text` parsed into `raw` (or into an error)."""
        if self.text is None:
            return self
        try:
            data = load_json(self.text, self.source, locate=False)
        except InputError as exc:
            return Record(self.source, error=exc.problems[0].message)
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            return Record(self.source, error="a FHIR Bundle in a JSON Lines file: put each Bundle in a .json file of its own")
        # Each level of nesting opens a bracket: with few brackets in the text (strings may hold
        # some, so this only over-counts), the data cannot be deep, and the walk is skipped.
        shallow = self.text.count("{") + self.text.count("[") <= MAX_DEPTH
        (record,) = _from_data(self.source, data, content, self.source, check_depth=not shallow)
        return record


def _from_data(source: str, data: Any, content: Content, path: str, check_depth: bool = True) -> Iterator[Record]:
    """The answer sets in one parsed document, each as a record or an error record."""
    notes = data_notes(data, content)
    for n, (where, raw) in enumerate(answer_sets(content, data, path, check_depth)):
        place = f"{source} {where}" if where else source
        if isinstance(raw, InputError):
            yield Record(place, error=raw.messages())
        else:
            note = notes[n] if n < len(notes) else None
            yield Record(place, record_id(raw), raw, notes=(note,) if note else ())


def read_document(path: str, content: Content) -> Iterator[Record]:
    try:
        data = answerfile.read_document(path)
    except InputError as exc:
        yield Record(path, error=_error_text_with_place(exc))
        return
    yield from _from_data(path, data, content, path)


def _error_text_with_place(exc: InputError) -> str:
    problem = exc.problems[0]
    more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
    if problem.line <= 0:  # about the whole file: no place in it to name
        return f"{problem.message}{more}"
    return f"line {problem.line}, column {problem.column}: {problem.message}{more}"


def _raw_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """Each line's bytes, or None for a line longer than `limit` (skipped without being held).

    A line ends at LF, CR LF or a lone CR (files saved by old Mac programs), as `bytes.splitlines`
    has it; the stream is read in 64 KiB blocks, so memory stays bounded on any input, and a
    block with no line end is only added to the pending pieces (a long line is joined once).
    """
    pending: list[bytes] = []
    size, skipping, drop_lf = 0, False, False
    while block := stream.read(1 << 16):
        if drop_lf and block.startswith(b"\n"):
            block = block[1:]  # the second half of a CR LF split between two blocks
        drop_lf = False
        if b"\n" not in block and b"\r" not in block:
            if not skipping:
                pending.append(block)
                size += len(block)
                if size > limit:
                    yield None
                    pending, size, skipping = [], 0, True
            continue
        lines = (b"".join(pending) + block).splitlines(keepends=True)
        last = lines.pop() if not lines[-1].endswith((b"\n", b"\r")) else b""
        drop_lf = not last and lines[-1].endswith(b"\r")
        for line in lines:
            if skipping:
                skipping = False  # the end of an overlong line, already reported
                continue
            yield None if len(line.rstrip(b"\r\n")) > limit else line
        pending, size = ([last], len(last)) if last else ([], 0)
        if size > limit:
            yield None
            pending, size, skipping = [], 0, True
    rest = b"".join(pending)
    if rest and not skipping:
        yield None if len(rest) > limit else rest


def _lines(stream: BinaryIO, path: str) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, error) for each non-empty line, without loading the whole file."""
    for number, data in enumerate(_raw_lines(stream, MAX_LINE), 1):
        if data is None:
            yield number, None, f"the line is longer than {MAX_LINE // 1024} KiB"
            continue
        try:
            text = decode_text(data, path)
        except InputError as exc:
            yield number, None, exc.problems[0].message
            continue
        if text.strip():
            yield number, text, None


def read_jsonl(stream: BinaryIO, path: str, content: Content) -> Iterator[Record]:
    empty = True
    for number, text, error in _lines(stream, path):
        empty = False
        source = f"{path}:{number}"
        yield Record(source, error=error) if error else Record(source, text=text)
    if empty:
        yield Record(path, error="the file has no answer records")


def _csv_error(exc: csv.Error, first_line: int, last_line: int) -> str:
    if "unexpected end of data" in str(exc):  # the only way a row can take the rest of the file
        lines = f"line {first_line}" if last_line <= first_line else f"lines {first_line} to {last_line}"
        return (f"a quote opened in this row (line {first_line}) is never closed, so {lines} "
                "could not be read as answer rows")
    if "expected after" in str(exc):
        return (f"a quote in the middle of a cell, or text after a closing quote (line {first_line}): "
                "put the whole cell in quotes and write each quote inside it twice")
    return f"unreadable CSV row (line {first_line}): {exc}"


_UNDECODED = re.compile("[\udc80-\udcff]")
"""Bytes that are not UTF-8, as `surrogateescape` decoding keeps them."""


def _csv_lines(stream: BinaryIO, overlong: list[int]) -> Iterator[str]:
    """The file's lines for csv.reader, each at most MAX_LINE long: an overlong line is noted in
    `overlong` and read as an empty line. Bytes that are not UTF-8 are kept as escapes, so only
    the rows that hold them become errors."""
    for number, data in enumerate(_raw_lines(stream, MAX_LINE), 1):
        if data is None:
            overlong.append(number)
            yield "\n"
            continue
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        yield data.decode("utf-8", "surrogateescape")


def read_csv(stream: BinaryIO, path: str, content: Content) -> Iterator[Record]:
    overlong: list[int] = []
    reader = csv.reader(_csv_lines(stream, overlong), strict=True)  # a stray quote is this row's error
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield Record(path, error=f"unreadable CSV header: {exc}")
        return
    if header is None or (overlong and reader.line_num == overlong[0]):
        yield Record(path, error="the CSV file is empty" if header is None else
                     f"the CSV header is longer than {MAX_LINE // 1024} KiB")
        return
    if any(_UNDECODED.search(h) for h in header):
        yield Record(path, error="the CSV header is not valid UTF-8 text")
        return
    header = [h.strip() for h in header]
    repeated = sorted(h for h, n in Counter(header).items() if n > 1)
    if repeated:
        yield Record(path, error=f"the CSV header repeats column {repeated[0]!r}; each question may have one column")
        return
    rows = 0
    multi = {q.id for q in content.questions if q.type == "multi"}
    row_number = 1
    while True:
        first_line = reader.line_num + 1
        try:
            row: list[str] | None = next(reader)
            error = None
        except StopIteration:
            if not rows:
                yield Record(path, error="the CSV file has a header but no answer rows")
            return
        except csv.Error as exc:
            row, error = None, _csv_error(exc, first_line, reader.line_num)
        row_number += 1
        source = f"{path}:row {row_number}"
        if overlong:
            error = f"line {overlong[0]} is longer than {MAX_LINE // 1024} KiB"
            overlong.clear()
        elif row is not None and any(_UNDECODED.search(cell) for cell in row):
            error = f"this row (line {first_line}) is not valid UTF-8 text"
        if error is not None:
            rows += 1
            yield Record(source, error=error)
            continue
        assert row is not None
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if len(row) != len(header):
            yield Record(source, error=f"the row has {len(row)} cells but the header has {len(header)}")
            continue
        raw: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            cell = cell.strip()
            if not cell:
                continue
            if name in multi and cell.lower() not in ("not sure", "not_sure"):
                raw[name] = [part.strip() for part in cell.split(";") if part.strip()]
            else:
                raw[name] = cell
        yield Record(source, record_id(raw), raw)


def _open_stream(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    return open(path, "rb")  # noqa: SIM115 - closed by read_path


def read_path(path: str, content: Content) -> Iterator[Record]:
    """Records from one file (or `-` for standard input: JSON Lines)."""
    lower = path.lower()
    if path != "-" and not (lower.endswith((".jsonl", ".ndjson", ".csv"))):
        yield from read_document(path, content)
        return
    try:
        stream = _open_stream(path)
    except OSError as exc:
        yield Record(path, error=f"cannot read the file: {exc.strerror or exc}")
        return
    try:
        reader = read_csv if lower.endswith(".csv") else read_jsonl
        yield from reader(stream, "<stdin>" if path == "-" else path, content)
    finally:
        if path != "-":
            stream.close()


def printable_path(path: str) -> str:
    """A path that can be shown and written as UTF-8: odd bytes in file names become \\xNN
    escapes, and a backslash in a name is doubled, so `\\xff.yaml` and a file whose name is
    the byte 0xff stay two different sources."""
    if path.isascii() and path.isprintable() and "\\" not in path:  # the usual name: nothing to escape
        return path
    text = os.fsencode(path).replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")
    return escaped(text)  # no escape sequence or line break reaches a terminal


def _check_pattern(pattern: str) -> None:
    """A --pattern finds files inside the named folders only: no absolute path, no `..`."""
    if os.path.isabs(pattern) or ".." in Path(pattern).parts:
        raise InputError(f"--pattern {pattern[:80]!r} cannot be used: it must stay inside the folder (no '..', no leading '/')")


def _unreadable_folders(root: str) -> list[tuple[str, str]]:
    """(folder, why) for each folder under `root` (itself included) that cannot be listed:
    `Path.rglob` skips those silently, and a skipped folder would be answer sets lost unseen."""
    found: list[tuple[str, str]] = []

    def note(exc: OSError) -> None:
        found.append((str(exc.filename or root), f"cannot read this folder: {(exc.strerror or str(exc)).lower()}"))

    for _ in os.walk(root, onerror=note):
        pass
    return found


def expand(inputs: Iterable[str], pattern: str | None = None) -> Iterator[tuple[str, str | None]]:
    """(path, None) for files named directly and the answer files inside named folders
    (recursively, sorted); (folder, why) for a folder with none, or one that cannot be read,
    which becomes an error record like a missing file, so the inputs after it are still read."""
    if pattern is not None:
        _check_pattern(pattern)
    for name in inputs:
        if name != "-" and os.path.isdir(name):
            root = Path(name)
            try:
                matches = sorted(
                    root.rglob(pattern) if pattern else (p for p in root.rglob("*") if p.suffix.lower() in ANSWER_SUFFIXES)
                )
            except (ValueError, NotImplementedError) as exc:
                raise InputError(f"--pattern {pattern!r} cannot be used: {exc}") from None
            found: list[tuple[str, str | None]] = [
                (str(p), None if p.is_file() else "not a regular file (a link to nothing, a pipe or a device)")
                for p in matches if not p.is_dir()
            ]
            unreadable: list[tuple[str, str | None]] = list(_unreadable_folders(name))
            if not found and not unreadable:
                yield name, "no answer files in this folder" + (f" match {pattern!r}" if pattern else "")
            yield from sorted(found + unreadable, key=lambda entry: Path(entry[0]).parts)
        else:
            yield name, None


def read_all(inputs: Iterable[str], content: Content, pattern: str | None = None) -> Iterator[Record]:
    for path, empty in expand(inputs, pattern):
        if empty is not None:
            yield Record(printable_path(path), error=empty)
            continue
        for record in read_path(path, content):
            source = printable_path(record.source)
            yield record if source == record.source else Record(source, record.id, record.raw, record.error, record.text,
                                                                record.notes)
