"""Triage many answer records: in order, in parallel, with every input accounted for.

`check_record` is the unit of work: a pure function of one record (the content and engine
are loaded once per process), so it runs the same in this process, in worker processes, or
under a distributed scheduler such as Dask (see docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .content import load_content
from .model import URGENCY_LEVELS, urgency_rank
from .errors import InputError, TriageError
from .evaluate import Triage
from .files import write_private_atomically
from .records import Record
from .render import Renderer

CHUNK = 200
_LOADED: dict[tuple, tuple[Triage, Renderer]] = {}


def _checker(rules_dir: str | None, engine: str | None) -> tuple[Triage, Renderer]:
    """Content, engine and templates, built once per process and rules folder."""
    key = (rules_dir, engine)
    if key not in _LOADED:
        content = load_content(rules_dir)
        _LOADED[key] = (Triage(content, engine), Renderer(content))
    return _LOADED[key]


def _summary(triage: Triage, raw: dict) -> dict:
    decision = triage.decide(raw)  # checks and coerces the answers itself
    reasons = [r.reason for r in decision.urgency_rules] or [triage.content.outcomes.fallback_reason]
    fired = [r.id for r in decision.fired]
    return _fields(decision.classification, decision.urgency, triage.headline(decision), reasons, decision.advice_ids, fired)


def _fields(classification: str, urgency: str, headline: str, reasons: list, advice: list, fired: list) -> dict:
    return {
        "classification": classification, "urgency": urgency, "headline": headline,
        "reasons": reasons, "advice": advice, "fired_rules": fired,
    }


def check_record(
    record: Record,
    rules_dir: str | None = None,
    engine: str | None = None,
    render: str | None = None,
    compare_rules: str | None = None,
) -> dict:
    """The outcome for one record, as plain JSON-ready data; never raises for bad input."""
    triage, renderer = _checker(rules_dir, engine)  # bad content is not a record's fault: it raises
    record = record.parsed(triage.content)
    out: dict = {"source": record.source, "id": record.id}
    if record.error is not None:
        return {**out, "ok": False, "error": record.error}
    try:
        if render:  # the full result is needed anyway: summarize it instead of deciding twice
            result = triage.evaluate(record.raw)
            out.update(ok=True, **_fields(
                result.classification, result.urgency, result.headline, [r.text for r in result.urgency_reasons],
                [a.id for a in result.advice], result.fired_rules,
            ))
            out["rendered"] = renderer.render(result, render)
        else:
            out.update(ok=True, **_summary(triage, record.raw))
        if compare_rules:
            old_triage, _ = _checker(compare_rules, engine)
            out["old"] = _summary(old_triage, record.raw)
    except InputError as exc:
        return {**out, "ok": False, "error": "; ".join(p.message for p in exc.problems)}
    return out


def _check_chunk(records: list[Record], options: dict) -> list[dict]:
    return [check_record(r, **options) for r in records]


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _died(chunk: list[Record]) -> list[dict]:
    message = "a worker process stopped while checking this record, so it was not checked"
    return [{"source": r.source, "id": r.id, "ok": False, "error": message} for r in chunk]


def run(records: Iterable[Record], jobs: int = 1, **options) -> Iterator[dict]:
    """Outcomes in input order. With jobs > 1, chunks run in worker processes.

    Only a bounded number of chunks is in flight, so memory stays flat however many records
    there are. If a worker dies, its chunks are retried one at a time in a new pool; a chunk
    that kills a worker on its own comes back as error records, never as a silent gap.
    """
    if jobs <= 1:
        for record in records:
            yield check_record(record, **options)
        return
    # Build the content and engines before forking, so every worker starts ready (design note).
    _checker(options.get("rules_dir"), options.get("engine"))
    if options.get("compare_rules"):
        _checker(options["compare_rules"], options.get("engine"))
    pool = ProcessPoolExecutor(jobs)
    in_flight: deque = deque()
    try:
        for chunk in _chunks(records, CHUNK):
            in_flight.append((chunk, _submit(pool, chunk, options)))
            while len(in_flight) >= jobs * 3:
                pool = yield from _drain_one(in_flight, pool, jobs, options)
        while in_flight:
            pool = yield from _drain_one(in_flight, pool, jobs, options)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, chunk: list[Record], options: dict):
    """A future for the chunk, or None when the pool is already broken (retried later)."""
    try:
        return pool.submit(_check_chunk, chunk, options)
    except BrokenProcessPool:
        return None


def _drain_one(in_flight: deque, pool: ProcessPoolExecutor, jobs: int, options: dict):
    chunk, future = in_flight.popleft()
    try:
        if future is not None:
            yield from future.result()
            return pool
    except BrokenProcessPool:
        pass
    pool.shutdown(wait=False, cancel_futures=True)
    waiting = [chunk] + [c for c, _ in in_flight]
    in_flight.clear()
    for retry in waiting:  # one at a time, so a chunk that kills a worker is found
        pool = ProcessPoolExecutor(jobs)
        try:
            yield from pool.submit(_check_chunk, retry, options).result()
        except BrokenProcessPool:
            yield from _died(retry)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return ProcessPoolExecutor(jobs)


# --- counting and comparing -----------------------------------------------------------------


@dataclass
class Tally:
    """What the summary line and the report count."""

    read: int = 0
    errors: int = 0
    by_urgency: Counter = field(default_factory=Counter)
    by_classification: Counter = field(default_factory=Counter)
    failed_on: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, outcome: dict, fail_on: str | None = None) -> None:
        self.read += 1
        if not outcome["ok"]:
            self.errors += 1
            return
        self.by_urgency[outcome["urgency"]] += 1
        self.by_classification[outcome["classification"]] += 1
        if fail_on and urgency_rank(outcome["urgency"]) >= urgency_rank(fail_on):
            self.failed_on += 1

    def line(self) -> str:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        levels = ", ".join(f"{level} {self.by_urgency[level]}" for level in reversed(URGENCY_LEVELS) if self.by_urgency[level])
        return (
            f"read {self.read} records: {self.read - self.errors} triaged, {self.errors} errors"
            + (f"; {levels}" if levels else "")
            + f"; {seconds:.2f} s, {self.read / seconds:.0f} records/s"
        )

    def exit_code(self) -> int:
        return 2 if self.errors or not self.read else 1 if self.failed_on else 0


def change_kind(outcome: dict) -> str | None:
    """How a record's result changed between the old and new rules, or None."""
    old, new = outcome.get("old"), outcome
    if not outcome["ok"] or old is None:
        return None
    step = urgency_rank(new["urgency"]) - urgency_rank(old["urgency"])
    if step > 0:
        return "more urgent"
    if step < 0:
        return "less urgent"
    if new["classification"] != old["classification"]:
        return "reclassified"
    if set(new["advice"]) != set(old["advice"]):
        return "advice changed"
    return None


def describe_change(outcome: dict) -> dict:
    old = outcome["old"]
    keep = ("classification", "urgency", "advice")
    return {
        "source": outcome["source"],
        "id": outcome["id"],
        "change": change_kind(outcome),
        "old": {k: old[k] for k in keep},
        "new": {k: outcome[k] for k in keep},
        "rules_only_old": sorted(set(old["fired_rules"]) - set(outcome["fired_rules"])),
        "rules_only_new": sorted(set(outcome["fired_rules"]) - set(old["fired_rules"])),
    }


# --- files ------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(label: str, suffix: str, key: str | None = None) -> str:
    """A file name from an id or source that cannot leave its folder; `key` keeps names apart."""
    base = _UNSAFE.sub("-", label).strip(".-")[:80] or "record"
    digest = hashlib.sha256((key or label).encode("utf-8", "replace")).hexdigest()[:10]
    return f"{base}-{digest}{suffix}"


def write_rendered(out_dir: Path, outcome: dict, suffix: str) -> Path:
    # Two records may share an id; their sources differ, so the names do too.
    name = safe_name(outcome["id"] or outcome["source"], suffix, key=f"{outcome['id']}\n{outcome['source']}")
    target = (out_dir / name).resolve()
    if target.parent != out_dir.resolve():
        raise TriageError(f"refusing to write outside {out_dir}: {name}")
    write_private_atomically(str(target), outcome["rendered"])
    return target


def process(
    records: Iterable[Record],
    emit: Callable[[dict], None],
    jobs: int = 1,
    fail_on: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    **options,
) -> Tally:
    """Run every record, hand each outcome to `emit` in input order, and count."""
    tally = Tally()
    for outcome in run(records, jobs, **options):
        tally.add(outcome, fail_on)
        emit(outcome)
        if on_progress is not None and tally.read % 500 == 0:
            on_progress(tally.read)
    return tally
