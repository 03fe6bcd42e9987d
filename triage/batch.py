"""Triage many answer records: in order, in parallel, with every input accounted for.

`check_record` is the unit of work: a pure function of one record (the content and engine
are loaded once per process), so it runs the same in this process, in worker processes, or
under a distributed scheduler such as Dask (see docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import gc
import signal
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .content import load_content
from .errors import ContentError, InputError
from .evaluate import Triage
from .outcome import Outcome, Summary
from .records import Record
from .render import Renderer

CHUNK = 200
_LOADED: dict[tuple, tuple[Triage, Renderer]] = {}


def _checker(rules_dir: str | None, engine: str | None, region: str | None = None) -> tuple[Triage, Renderer]:
    """Content, engine and templates, built once per process, rules folder and region."""
    key = (rules_dir, engine, region)
    if key not in _LOADED:
        content = load_content(rules_dir)
        _LOADED[key] = (Triage(content, engine, region), Renderer(content))
    return _LOADED[key]


def summarize(triage: Triage, raw: dict) -> Summary:
    """The decision for one answer set, without building the worded result (what batch needs)."""
    decision = triage.decide(raw)  # checks and coerces the answers itself
    reasons = [r.reason for r in decision.urgency_rules] or [triage.content.outcomes.fallback_reason]
    return Summary(
        decision.classification, decision.urgency, triage.headline(decision), tuple(reasons),
        tuple(decision.advice_ids), tuple(r.id for r in decision.fired),
    )


def check_record(
    record: Record,
    rules_dir: str | None = None,
    engine: str | None = None,
    render: str | None = None,
    compare_rules: str | None = None,
    region: str | None = None,
) -> Outcome:
    """The outcome for one record; never raises for bad input (bad content does raise)."""
    triage, renderer = _checker(rules_dir, engine, region)  # bad content is not a record's fault: it raises
    record = record.parsed(triage.content)
    if record.error is not None or record.raw is None:
        return Outcome(record.source, record.id, error=record.error or "no answers")
    try:
        rendered = None
        if render:  # the full result is needed anyway: summarize it instead of deciding twice
            result = triage.evaluate(record.raw)
            summary = Summary(
                result.classification, result.urgency, result.headline, tuple(r.text for r in result.urgency_reasons),
                tuple(a.id for a in result.advice), tuple(result.fired_rules),
            )
            rendered = renderer.render(result, render)
        else:
            summary = summarize(triage, record.raw)
    except ContentError:
        raise  # a template that fails (time, size) is the content's fault, not this record's
    except InputError as exc:
        return Outcome(record.source, record.id, error=exc.messages())
    old, old_error = None, None
    if compare_rules:
        try:
            old = summarize(_checker(compare_rules, engine, region)[0], record.raw)
        except InputError as exc:  # the new rules accept it: a change to report, not an error
            old_error = exc.messages()
    return Outcome(record.source, record.id, summary, rendered=rendered, old=old, old_error=old_error, notes=record.notes)


def _check_chunk(records: list[Record], options: dict) -> list[Outcome]:
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


def _died(chunk: list[Record]) -> list[Outcome]:
    message = "a worker process stopped while checking this record, so it was not checked"
    return [Outcome(r.source, r.id, error=message) for r in chunk]


def run(records: Iterable[Record], jobs: int = 1, freeze: bool = False, **options: Any) -> Iterator[Outcome]:
    """Outcomes in input order. With jobs > 1, chunks run in worker processes.

    `freeze`: for a process that does nothing else (the `triage batch` command), keep every
    object made so far out of the garbage collector's walks from now on (`gc.freeze`).

    Only a bounded number of chunks is in flight, so memory stays flat however many records
    there are. If a worker dies, its chunks are retried one at a time in a new pool; a chunk
    that kills a worker on its own comes back as error records, never as a silent gap.
    """
    # Build the content and engines first, so every worker starts ready (design note). Frozen,
    # they live as long as the run without every collection walking them again (a tenth of the
    # time per record), and forked workers keep sharing their memory pages.
    _checker(options.get("rules_dir"), options.get("engine"), options.get("region"))
    if options.get("compare_rules"):
        _checker(options["compare_rules"], options.get("engine"), options.get("region"))
    if freeze:
        gc.freeze()
    try:
        yield from _outcomes(records, jobs, options)
    finally:
        if freeze:
            gc.unfreeze()  # a caller in the same process gets its collector back as it was


def _outcomes(records: Iterable[Record], jobs: int, options: dict) -> Iterator[Outcome]:
    if jobs <= 1:
        for record in records:
            yield check_record(record, **options)
        return
    pool = _pool(jobs)
    in_flight: deque = deque()
    try:
        for chunk in _chunks(records, CHUNK):
            in_flight.append((chunk, _submit(pool, chunk, options)))
            while len(in_flight) >= jobs * 3:
                pool = yield from _drain_one(in_flight, pool, jobs, options)
        while in_flight:
            pool = yield from _drain_one(in_flight, pool, jobs, options)
    except BaseException:  # Ctrl-C, SIGTERM, a failed write: stop the workers now, do not wait
        # The queue's feeder thread may be stuck writing a chunk into a full pipe that no worker
        # reads any more (this process holds the read end too): joining it would wait for ever.
        with contextlib.suppress(AttributeError):
            pool._call_queue.cancel_join_thread()  # type: ignore[attr-defined]
        _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _pool(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(jobs, initializer=_worker_signals)


def _worker_signals() -> None:
    """Workers leave Ctrl-C to the main process (no traceback from each) and die on SIGTERM/SIGHUP."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the worker processes at once (ProcessPoolExecutor only has this from Python 3.14).

    A worker killed while it writes a result leaves half a message in the result pipe. The
    pool's manager thread then waits for the rest for ever (this process holds the pipe's
    writing end too, so no end of file comes), and shutting down, or Python's exit, waits for
    that thread. So the writing end is closed here once the workers are gone: the manager
    thread reads the end of the file, takes the pool as broken and stops.
    """
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    processes = list(getattr(pool, "_processes", {}).values())  # the same, by hand, before 3.14
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=10)
    with contextlib.suppress(AttributeError, OSError):
        pool._result_queue._writer.close()  # type: ignore[attr-defined]


def _submit(pool: ProcessPoolExecutor, chunk: list[Record], options: dict) -> Future[list[Outcome]] | None:
    """A future for the chunk, or None when the pool is already broken (retried later)."""
    try:
        return pool.submit(_check_chunk, chunk, options)
    except BrokenProcessPool:
        return None


def _drain_one(
    in_flight: deque, pool: ProcessPoolExecutor, jobs: int, options: dict
) -> Generator[Outcome, None, ProcessPoolExecutor]:
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
        pool = _pool(jobs)
        try:
            yield from pool.submit(_check_chunk, retry, options).result()
        except BrokenProcessPool:
            yield from _died(retry)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return _pool(jobs)
