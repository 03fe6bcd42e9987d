"""One `triage batch` run: inputs in, every outcome written, the count out.

The CLI parses options into `BatchOptions` and calls `run_batch`; this module owns what a run
touches: the atomic output file, the --out-dir files, progress, and turning write failures
into one clear error. Checking records is `triage.batch`'s job, formats are `triage.reports`'.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .batch import run
from .content import load_content
from .errors import InputError, TriageError
from .files import PRIVATE, AtomicOutput, open_output, refuse_overwriting
from .model import URGENCY_LEVELS, urgency_rank
from .outcome import Outcome
from .records import read_all
from .reports import DiffWriter, made_line, make_writer

OUT_SUFFIXES = {"text": ".txt", "markdown": ".md", "html": ".html", "doctor": ".html"}
PROGRESS_EVERY = 500


def progress_line(records: int, seconds: float) -> str:
    """"12,500 records, 8,300 a second, 1.5 s": how far a run is (the total is often unknown)."""
    rate = f", {records / seconds:,.0f} a second" if seconds > 0 else ""
    return f"{records:,} records{rate}, {seconds:.1f} s"


@dataclass(frozen=True)
class BatchOptions:
    inputs: Sequence[str]
    fmt: str = "jsonl"
    rules_dir: str | None = None
    engine: str | None = None
    output: str | None = None
    out_dir: str | None = None
    out_format: str = "text"
    pattern: str | None = None
    jobs: int = 1
    fail_on: str | None = None
    compare_rules: str | None = None
    region: str | None = None


@dataclass
class Tally:
    """What the summary line and the exit code count."""

    read: int = 0
    errors: int = 0
    by_urgency: Counter = field(default_factory=Counter)
    failed_on: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, outcome: Outcome, fail_on: str | None = None) -> None:
        self.read += 1
        if outcome.summary is None:
            self.errors += 1
            return
        self.by_urgency[outcome.summary.urgency] += 1
        if fail_on and urgency_rank(outcome.summary.urgency) >= urgency_rank(fail_on):
            self.failed_on += 1

    def line(self) -> str:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        levels = ", ".join(f"{level} {self.by_urgency[level]}" for level in reversed(URGENCY_LEVELS) if self.by_urgency[level])
        return (
            f"read {self.read} record{'' if self.read == 1 else 's'}: {self.read - self.errors} triaged, "
            f"{self.errors} error{'' if self.errors == 1 else 's'}"
            + (f"; {levels}" if levels else "")
            + f"; {seconds:.2f} s, {self.read / seconds:.0f} records/s"
        )

    def exit_code(self) -> int:
        return 2 if self.errors or not self.read else 1 if self.failed_on else 0


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(label: str, suffix: str, key: str | None = None) -> str:
    """A file name from an id or source that cannot leave its folder; `key` keeps names apart."""
    base = _UNSAFE.sub("-", label).strip(".-")[:80] or "record"
    digest = hashlib.sha256((key or label).encode("utf-8", "replace")).hexdigest()[:10]
    return f"{base}-{digest}{suffix}"


def write_rendered(out_dir: Path, outcome: Outcome, suffix: str) -> Path:
    """Write one record's full result into `out_dir` under a name no other record gets.

    The file is written beside its name and renamed onto it, so whatever is already there
    under that name (a file, or a link someone planted) is replaced, never followed: another
    record's result, or a file outside the folder, cannot be overwritten through it.
    """
    # Two records may share an id; their sources differ, so the names do too.
    name = safe_name(outcome.id or outcome.source, suffix, key=f"{outcome.id}\n{outcome.source}")
    target = out_dir / name  # safe_name has no separators and no leading dot: it stays in out_dir
    out = AtomicOutput(str(target), PRIVATE)
    try:
        out.write(outcome.rendered or "")
        out.commit()
    except BaseException:
        out.abort()
        raise
    return target


def run_batch(
    options: BatchOptions,
    stdout: TextIO | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[Tally, str | None]:
    """Check every input and write the outputs; (the tally, the --compare-rules summary or None)."""
    content = load_content(options.rules_dir)
    content.outcomes.for_region(options.region)  # an unknown region stops before any output is opened
    if options.compare_rules:
        load_content(options.compare_rules)  # a broken old folder is reported before any work starts
    try:
        refuse_overwriting(options.output, list(options.inputs))
        sink = open_output(options.output, PRIVATE) if options.output else None
    except OSError as exc:
        raise TriageError(f"cannot write {options.output}: {exc.strerror or exc}") from None
    out = sink.file if sink else (stdout or sys.stdout)
    try:
        writer = make_writer(options.fmt, out, compare=bool(options.compare_rules), made=made_line(content.fingerprint))
    except ValueError as exc:
        if sink:
            sink.abort()
        raise InputError(str(exc)) from None
    folder = Path(options.out_dir) if options.out_dir else None
    suffix = OUT_SUFFIXES[options.out_format]
    tally = Tally()
    try:
        if folder:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # only a new folder gets the mode
        outcomes = run(
            read_all(options.inputs, content, options.pattern), options.jobs,
            freeze=True, rules_dir=options.rules_dir, engine=options.engine,
            render=options.out_format if folder else None, compare_rules=options.compare_rules, region=options.region,
        )
        for outcome in outcomes:
            tally.add(outcome, options.fail_on)
            writer.add(outcome)
            if folder and outcome.rendered:
                write_rendered(folder, outcome, suffix)
            if on_progress is not None and tally.read % PROGRESS_EVERY == 0:
                on_progress(tally.read)
        writer.close()
        if sink:
            sink.commit()
    except BrokenPipeError:  # the reader stopped (batch ... | head): nothing to report
        if sink:
            sink.abort()
        raise
    except OSError as exc:
        if sink:
            sink.abort()
        where = exc.filename or options.output or options.out_dir or "the output"
        raise TriageError(f"cannot write {os.fsdecode(where)}: {exc.strerror or exc}; nothing was left half-written") from None
    except BaseException:
        if sink:
            sink.abort()
        raise
    summary = writer.summary() if isinstance(writer, DiffWriter) else None
    return tally, summary
