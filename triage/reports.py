"""Batch output formats: JSON Lines, CSV, and a Markdown or HTML report. One registry, `WRITERS`.

JSON Lines and CSV stream one line per record; the report needs every record to sort by
urgency, so it keeps only a short row for each (and its notes: warnings about an answer set
that was still checked, listed under "Records with notes"). With --compare-rules a `DiffWriter` lists only
the records whose result changed (`DIFF_FORMATS`). Adding a format: a class with `add(outcome)`
and `close()`, registered below, and its name in `model.BatchFormat` (the CLI's choices, so
that `triage check` need not import this module).
"""

from __future__ import annotations

import csv
import datetime
import html
import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal, Protocol, TextIO, assert_never

from . import __version__
from .model import CLASSIFICATIONS, URGENCY_LEVELS, urgency_rank
from .outcome import CHANGE_KINDS, Outcome
from .render import markdown_text, result_date
from .textsafe import escaped, plain


class Writer(Protocol):
    def add(self, outcome: Outcome) -> None:
        """Take one outcome (in input order)."""
        ...

    def close(self) -> None:
        """Write whatever waits for the last outcome (a report's tables)."""
        ...


_encode = json.JSONEncoder().encode
"""json.dumps(value), without building an encoder for every line. ASCII only (non-ASCII as
\\u escapes), so a lone surrogate in an id or an ASCII-only output can never fail a run."""


def _markdown_errors(errors: list[tuple[str, str]]) -> str:
    """The "Errors" section of a Markdown report: every record that could not be checked."""
    return "\n## Errors\n\n" + ("".join(f"- {_md(s)}: {_md(e)}\n" for s, e in errors) or "None.\n")


class JsonlWriter:
    def __init__(self, out: TextIO):
        self.out = out

    def add(self, outcome: Outcome) -> None:
        self.out.write(_encode(outcome.record()) + "\n")

    def close(self) -> None:
        pass


class CsvWriter:
    COLUMNS = ("source", "id", "classification", "urgency", "headline", "error", "notes")
    """`notes` last (added later): warnings about a record that was still checked, joined by "; "."""

    def __init__(self, out: TextIO):
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow(self.COLUMNS)

    def add(self, outcome: Outcome) -> None:
        record = {**outcome.record(), "notes": "; ".join(outcome.notes)}
        self.writer.writerow([_cell(record.get(c)) for c in self.COLUMNS])

    def close(self) -> None:
        pass


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as a formula (OWASP CSV injection)."""


def _cell(value: object) -> str:
    """A cell that is shown as text: no formula, no line break or control character inside."""
    raw = "" if value is None else str(value)
    text = escaped(raw)
    return "'" + text if raw[:1] in _FORMULA_STARTS or text[:1] in _FORMULA_STARTS else text


ReportStyle = Literal["markdown", "html", "text"]


class ReportWriter:
    """Counts by urgency and classification, records from most to least urgent, then errors:
    as Markdown (`report`), a page (`html`) or plain text for a terminal (`text`)."""

    def __init__(self, out: TextIO, style: ReportStyle = "markdown", made: str = "", title: str = "Triage report"):
        self.out, self.style, self.made, self.title = out, style, made, title
        self.rows: list[tuple[int, int, str, str, str, str, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.noted: list[tuple[str, str]] = []
        """(source, its notes as one line) for each record with notes, most urgent first (made by close)."""

    def add(self, outcome: Outcome) -> None:
        s = outcome.summary
        if s is not None:
            self.rows.append((-urgency_rank(s.urgency), len(self.rows), s.urgency, s.classification, s.headline,
                              _label(outcome), _notes(outcome)))
        else:
            self.errors.append((_label(outcome), outcome.error or ""))

    def close(self) -> None:
        self.rows.sort()
        by_urgency = Counter(r[2] for r in self.rows)
        by_class = Counter(r[3] for r in self.rows)
        levels = [(u, by_urgency[u]) for u in reversed(URGENCY_LEVELS)]
        kinds = [(c, by_class[c]) for c in CLASSIFICATIONS]
        records = [(u, c, h, s) for _, _, u, c, h, s, _ in self.rows]
        self.noted = [(s, n) for _, _, _, _, _, s, n in self.rows if n]
        match self.style:
            case "markdown":
                self._markdown(levels, kinds, records)
            case "html":
                self._html(levels, kinds, records)
            case "text":
                self._text(levels, kinds, records)
            case _:
                assert_never(self.style)

    def _counts(self, records: Sequence[tuple[str, ...]]) -> str:
        total = len(records) + len(self.errors)
        noted = f" {_count(len(self.noted), 'record')} had notes." if self.noted else ""
        return f"{_count(total, 'record')}: {len(records)} triaged, {_count(len(self.errors), 'error')}.{noted}"

    def _markdown(
        self, levels: Sequence[tuple[str, int]], kinds: Sequence[tuple[str, int]], records: Sequence[tuple[str, ...]]
    ) -> None:
        w = self.out.write
        w(f"# {self.title}\n\n" + (f"{_md(self.made)}\n\n" if self.made else "") + f"{self._counts(records)}\n\n")
        w("## Records by urgency\n\n| urgency | records |\n|---|---|\n" + "".join(f"| {u} | {n} |\n" for u, n in levels))
        w("\n## Records by classification\n\n| classification | records |\n|---|---|\n"
          + "".join(f"| {c} | {n} |\n" for c, n in kinds))
        w("\n## Records, most urgent first\n\n| urgency | classification | headline | source |\n|---|---|---|---|\n")
        for u, c, h, s in records:
            w(f"| {u} | {c} | {_md(h)} | {_md(s)} |\n")
        if self.noted:
            w(f"\n## {NOTES_HEADING}\n\n" + "".join(f"- {_md(s)}: {_md(n)}\n" for s, n in self.noted))
        w(_markdown_errors(self.errors))

    def _text(
        self, levels: Sequence[tuple[str, int]], kinds: Sequence[tuple[str, int]], records: Sequence[tuple[str, ...]]
    ) -> None:
        w = self.out.write
        w(f"{self.title.upper()}\n" + (f"{plain(self.made)}\n" if self.made else "") + f"{self._counts(records)}\n")
        for head, pairs in (("BY URGENCY", levels), ("BY CLASSIFICATION", kinds)):
            w(f"\n{head}\n" + "".join(f"  {name:<15}{n:>6}\n" for name, n in pairs))
        w("\nRECORDS, MOST URGENT FIRST\n")
        for u, c, h, s in records:
            w(f"- {u}, {c}: {escaped(s)}\n  {plain(' '.join(h.split()))}\n")
        if self.noted:
            w(f"\n{NOTES_HEADING.upper()}\n" + "".join(f"- {escaped(s)}: {plain(n)}\n" for s, n in self.noted))
        w("\nERRORS\n" + ("".join(f"- {escaped(s)}: {escaped(m)}\n" for s, m in self.errors) or "None.\n"))

    def _html(
        self, levels: Sequence[tuple[str, int]], kinds: Sequence[tuple[str, int]], records: Sequence[tuple[str, ...]]
    ) -> None:
        def e(text: object) -> str:
            return html.escape(plain(text))

        w = self.out.write
        w(f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
          f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{e(self.title)}</title>\n"
          "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}"
          "table{border-collapse:collapse;margin:.4rem 0 1.2rem}"
          "caption{text-align:left;font-weight:bold;padding:.3rem 0}"
          "td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}"
          "tr{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}"
          "h2{break-after:avoid;page-break-after:avoid}.made{color:#444}"
          ".emergency,.urgent{background:#fde2e1}.soon{background:#fff4d6}"
          "@media print{body{margin:0;font-size:10pt}@page{margin:12mm}}</style></head>\n<body>\n")
        w(f"<h1>{e(self.title)}</h1>\n" + (f"<p class=\"made\">{e(self.made)}</p>\n" if self.made else "")
          + f"<p>{e(self._counts(records))}</p>\n<h2>Summary</h2>\n")
        for head, pairs in (("urgency", levels), ("classification", kinds)):
            w(f"<table><caption>Records by {head}</caption><thead><tr><th scope=\"col\">{head}</th>"
              f"<th scope=\"col\">records</th></tr></thead><tbody>"
              + "".join(f"<tr><td>{e(a)}</td><td>{n}</td></tr>" for a, n in pairs) + "</tbody></table>\n")
        w("<h2>Records, most urgent first</h2>\n<table><thead><tr><th scope=\"col\">urgency</th>"
          "<th scope=\"col\">classification</th><th scope=\"col\">headline</th>"
          "<th scope=\"col\">source</th></tr></thead><tbody>\n")
        for u, c, h, s in records:
            w(f"<tr class=\"{e(u)}\"><td>{e(u)}</td><td>{e(c)}</td><td>{e(h)}</td><td>{e(s)}</td></tr>\n")
        w("</tbody></table>\n")
        if self.noted:
            w(f"<h2>{NOTES_HEADING}</h2>\n<ul>\n" + "".join(f"<li>{e(s)}: {e(n)}</li>\n" for s, n in self.noted) + "</ul>\n")
        w("<h2>Errors</h2>\n<ul>\n")
        w("".join(f"<li>{e(s)}: {e(m)}</li>\n" for s, m in self.errors) or "<li>None.</li>\n")
        w("</ul>\n</body>\n</html>\n")


def _count(n: int, noun: str) -> str:
    """"1 record", "2 records"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


NOTES_HEADING = "Records with notes"
"""The reports' section for warnings about records that were still checked (only when any)."""


def _notes(outcome: Outcome) -> str:
    """A record's notes as one line, as `check` says them (empty without any): "note; other note." """
    text = " ".join("; ".join(outcome.notes).split())
    return text + "." if text else ""


def _label(outcome: Outcome) -> str:
    return outcome.source + (f" (id {outcome.id})" if outcome.id else "")


def _md(text: str) -> str:
    return markdown_text(text)


WRITERS: dict[str, Callable[[TextIO, str], Writer]] = {
    "jsonl": lambda out, made: JsonlWriter(out),
    "csv": lambda out, made: CsvWriter(out),
    "report": lambda out, made: ReportWriter(out, "markdown", made),
    "html": lambda out, made: ReportWriter(out, "html", made),
    "text": lambda out, made: ReportWriter(out, "text", made),
}
"""Each takes the output and the "made on ... rules version ..." line (reports show it)."""
DIFF_FORMATS = ("jsonl", "report")
"""The formats --compare-rules can write."""


def made_line(fingerprint: str, today: datetime.date | None = None) -> str:
    """When and with what a report was made: the date, this tool's version, the rules version."""
    day = (today or result_date()).isoformat()
    return f"Made on {day} by muscle-triage {__version__}, rules version {fingerprint or 'unknown'}."


def make_writer(fmt: str, out: TextIO, compare: bool = False, made: str = "") -> Writer:
    """The registered writer for `fmt` (a DiffWriter with `compare`); ValueError on an unknown one."""
    if compare:
        if fmt not in DIFF_FORMATS:
            raise ValueError(f"--compare-rules writes {' or '.join(DIFF_FORMATS)}, not {fmt}")
        return DiffWriter(out, fmt)
    try:
        return WRITERS[fmt](out, made)
    except KeyError:
        raise ValueError(f"unknown batch format {fmt!r} (known: {', '.join(WRITERS)})") from None


class DiffWriter:
    """For --compare-rules: the records whose result changed, old -> new, and every error record
    (a record that could not be checked is never dropped)."""

    def __init__(self, out: TextIO, fmt: str):
        self.out, self.fmt = out, fmt
        self.counts: Counter = Counter()
        self.changes: list[dict] = []
        self.errors: list[tuple[str, str]] = []

    def add(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            if self.fmt == "jsonl":
                self.out.write(_encode(outcome.record()) + "\n")
            else:
                self.errors.append((_label(outcome), outcome.error))
            return
        if outcome.change() is None:
            return
        change = outcome.change_record()
        self.counts[change["change"]] += 1
        if self.fmt == "jsonl":
            self.out.write(_encode(change) + "\n")
        else:
            self.changes.append(change)

    def close(self) -> None:
        if self.fmt == "jsonl":
            return
        w = self.out.write
        w("# Changes after the rules change\n\n")
        w("| change | records |\n|---|---|\n" + "".join(f"| {k} | {self.counts[k]} |\n" for k in CHANGE_KINDS))
        w("\n")
        for c in self.changes:
            old, new = c["old"], c["new"]
            before = f"not accepted ({_md(old['error'])})" if "error" in old else f"{old['urgency']} {old['classification']}"
            w(f"- **{_md(c['source'])}** ({c['change']}): {before} -> {new['urgency']} {new['classification']}")
            if "error" not in old and set(old["advice"]) != set(new["advice"]):
                w(f"; advice {', '.join(old['advice']) or 'none'} -> {', '.join(new['advice']) or 'none'}")
            w(f"; rules only before: {', '.join(c['rules_only_old']) or 'none'}; "
              f"only now: {', '.join(c['rules_only_new']) or 'none'}\n")
        w(_markdown_errors(self.errors))

    def summary(self) -> str:
        return "changed: " + ", ".join(f"{self.counts[k]} {k}" for k in CHANGE_KINDS)
