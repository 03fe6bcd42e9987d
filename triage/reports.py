"""Batch output formats: JSON Lines, CSV, and a Markdown or HTML report.

JSON Lines and CSV stream one line per record; the report needs every record to sort by
urgency, so it keeps only a short row for each.
"""

from __future__ import annotations

import csv
import html
import json
from collections import Counter
from typing import TextIO

from .batch import change_kind, describe_change
from .model import CLASSIFICATIONS, URGENCY_LEVELS, urgency_rank
from .render import markdown_text, plain

FORMATS = ("jsonl", "csv", "report", "html")


def _public(outcome: dict) -> dict:
    return {k: v for k, v in outcome.items() if k not in ("rendered", "old")}


class JsonlWriter:
    def __init__(self, out: TextIO):
        self.out = out

    def add(self, outcome: dict) -> None:
        self.out.write(json.dumps(_public(outcome), ensure_ascii=False) + "\n")

    def close(self) -> None:
        pass


class CsvWriter:
    COLUMNS = ("source", "id", "classification", "urgency", "headline", "error")

    def __init__(self, out: TextIO):
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow(self.COLUMNS)

    def add(self, outcome: dict) -> None:
        self.writer.writerow([_cell(outcome.get(c)) for c in self.COLUMNS])

    def close(self) -> None:
        pass


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no spreadsheet formulas


class ReportWriter:
    """Counts by urgency and classification, records from most to least urgent, then errors."""

    def __init__(self, out: TextIO, as_html: bool = False, title: str = "Triage report"):
        self.out, self.as_html, self.title = out, as_html, title
        self.rows: list[tuple[int, int, str, str, str, str]] = []
        self.errors: list[tuple[str, str]] = []

    def add(self, outcome: dict) -> None:
        if outcome["ok"]:
            self.rows.append((
                -urgency_rank(outcome["urgency"]), len(self.rows), outcome["urgency"],
                outcome["classification"], outcome["headline"], _label(outcome),
            ))
        else:
            self.errors.append((_label(outcome), outcome["error"]))

    def close(self) -> None:
        self.rows.sort()
        by_urgency = Counter(r[2] for r in self.rows)
        by_class = Counter(r[3] for r in self.rows)
        levels = [(u, by_urgency[u]) for u in reversed(URGENCY_LEVELS)]
        kinds = [(c, by_class[c]) for c in CLASSIFICATIONS]
        records = [(u, c, h, s) for _, _, u, c, h, s in self.rows]
        (self._html if self.as_html else self._markdown)(levels, kinds, records)

    def _markdown(self, levels, kinds, records) -> None:
        w = self.out.write
        total = len(records) + len(self.errors)
        w(f"# {self.title}\n\n{total} records: {len(records)} triaged, {len(self.errors)} errors.\n\n")
        w("| urgency | records |\n|---|---|\n" + "".join(f"| {u} | {n} |\n" for u, n in levels))
        w("\n| classification | records |\n|---|---|\n" + "".join(f"| {c} | {n} |\n" for c, n in kinds))
        w("\n## Records, most urgent first\n\n| urgency | classification | headline | source |\n|---|---|---|---|\n")
        for u, c, h, s in records:
            w(f"| {u} | {c} | {_md(h)} | {_md(s)} |\n")
        w("\n## Errors\n\n")
        w("".join(f"- {_md(s)}: {_md(e)}\n" for s, e in self.errors) or "None.\n")

    def _html(self, levels, kinds, records) -> None:
        def e(text) -> str:
            return html.escape(plain(text))

        w = self.out.write
        total = len(records) + len(self.errors)
        w(f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{e(self.title)}</title>\n"
          "<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
          "td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:left}"
          ".emergency,.urgent{background:#fde2e1}.soon{background:#fff4d6}</style></head>\n<body>\n")
        w(f"<h1>{e(self.title)}</h1>\n<p>{total} records: {len(records)} triaged, {len(self.errors)} errors.</p>\n")
        for head, pairs in (("urgency", levels), ("classification", kinds)):
            w(f"<table><tr><th>{head}</th><th>records</th></tr>"
              + "".join(f"<tr><td>{e(a)}</td><td>{n}</td></tr>" for a, n in pairs) + "</table>\n")
        w("<h2>Records, most urgent first</h2>\n<table><tr><th>urgency</th><th>classification</th><th>headline</th><th>source</th></tr>\n")
        for u, c, h, s in records:
            w(f"<tr class=\"{e(u)}\"><td>{e(u)}</td><td>{e(c)}</td><td>{e(h)}</td><td>{e(s)}</td></tr>\n")
        w("</table>\n<h2>Errors</h2>\n<ul>\n")
        w("".join(f"<li>{e(s)}: {e(m)}</li>\n" for s, m in self.errors) or "<li>None.</li>\n")
        w("</ul>\n</body>\n</html>\n")


def _label(outcome: dict) -> str:
    return outcome["source"] + (f" (id {outcome['id']})" if outcome.get("id") else "")


def _md(text: str) -> str:
    return markdown_text(text)


def make_writer(fmt: str, out: TextIO):
    if fmt == "jsonl":
        return JsonlWriter(out)
    if fmt == "csv":
        return CsvWriter(out)
    return ReportWriter(out, as_html=fmt == "html")


class DiffWriter:
    """For --compare-rules: only the records whose result changed, old -> new."""

    def __init__(self, out: TextIO, fmt: str):
        self.out, self.fmt = out, fmt
        self.counts: Counter = Counter()
        self.changes: list[dict] = []

    def add(self, outcome: dict) -> None:
        if change_kind(outcome) is None:
            return
        change = describe_change(outcome)
        self.counts[change["change"]] += 1
        if self.fmt == "jsonl":
            self.out.write(json.dumps(change, ensure_ascii=False) + "\n")
        else:
            self.changes.append(change)

    def close(self) -> None:
        if self.fmt == "jsonl":
            return
        w = self.out.write
        w("# Changes after the rules change\n\n")
        kinds = ("more urgent", "less urgent", "reclassified", "advice changed")
        w("| change | records |\n|---|---|\n" + "".join(f"| {k} | {self.counts[k]} |\n" for k in kinds))
        w("\n")
        for c in self.changes:
            old, new = c["old"], c["new"]
            w(f"- **{_md(c['source'])}** ({c['change']}): {old['urgency']} {old['classification']} -> "
              f"{new['urgency']} {new['classification']}")
            if set(old["advice"]) != set(new["advice"]):
                w(f"; advice {', '.join(old['advice']) or 'none'} -> {', '.join(new['advice']) or 'none'}")
            w(f"; rules only before: {', '.join(c['rules_only_old']) or 'none'}; only now: {', '.join(c['rules_only_new']) or 'none'}\n")

    def summary(self) -> str:
        kinds = ("more urgent", "less urgent", "reclassified", "advice changed")
        return "changed: " + ", ".join(f"{self.counts[k]} {k}" for k in kinds)
