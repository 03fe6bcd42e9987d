#!/usr/bin/env python3
"""Benchmark: records per second and peak memory. Not a test; run it by hand.

    python bench/benchmark.py                       # 100,000 records, both engines, 1 and 2 jobs
    python bench/benchmark.py --records 50000 --memory 10000,100000,1000000

It generates N valid random answer sets from the shipped questionnaire with a fixed seed,
then measures (1) the engine alone (Triage.evaluate in a loop; 2 jobs = 2 processes each
doing half) and (2) `triage batch` end to end with JSON Lines in and out, and reports the
peak memory (max RSS) of each batch run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time

from triage import Triage, load_content
from triage.engines.durable import available as durable_available
from triage.samples import random_answers

SEED = 20261121


def write_jsonl(path: str, count: int) -> None:
    content = load_content()
    rng = random.Random(SEED)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            record = {"id": f"r{i}", **random_answers(content, rng)}
            f.write(json.dumps(record) + "\n")


def _engine_worker(args: tuple[str, list[dict]]) -> int:
    engine, answer_sets = args
    triage = Triage(load_content(), engine)
    for answers in answer_sets:
        triage.evaluate(answers)
    return len(answer_sets)


def engine_alone(engine: str, jobs: int, answer_sets: list[dict]) -> float:
    parts = [(engine, answer_sets[i::jobs]) for i in range(jobs)]
    start = time.perf_counter()
    if jobs == 1:
        _engine_worker(parts[0])
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pool.map(_engine_worker, parts)
    return len(answer_sets) / (time.perf_counter() - start)


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (0 once it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return total
    return total + sum(_tree_rss_kib(child) for child in children)


def batch_end_to_end(engine: str, jobs: int, source: str, count: int) -> tuple[float, float]:
    """(records per second, peak MiB of the batch process and its workers together).

    Memory is sampled from /proc every 20 ms: ru_maxrss would also count the pages the
    child shared with this (large) benchmark process before it started the command.
    """
    out = source + ".out"
    command = [sys.executable, "-m", "triage", "batch", source, "-o", out, "-j", str(jobs), "--engine", engine]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_kib = 0
    while proc.poll() is None:
        peak_kib = max(peak_kib, _tree_rss_kib(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read()
    with open(out, encoding="utf-8") as f:
        produced = sum(1 for _ in f)
    if produced != count:
        raise SystemExit(f"batch wrote {produced} records for {count}: {stderr}")
    os.unlink(out)
    return count / seconds, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--memory", default="", help="comma-separated record counts for the peak-memory runs")
    args = parser.parse_args()
    engines = ["durable", "python"] if durable_available() else ["python"]
    content = load_content()
    rng = random.Random(SEED)
    answer_sets = [random_answers(content, rng) for _ in range(args.records)]
    print(f"{args.records} records, {len(content.rules)} rules, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| engine | jobs | engine alone (records/s) | batch end to end (records/s) | end to end / engine | batch peak memory (MiB) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "answers.jsonl")
        write_jsonl(source, args.records)
        for engine in engines:
            for jobs in (1, 2):
                alone = engine_alone(engine, jobs, answer_sets)
                rate, peak = batch_end_to_end(engine, jobs, source, args.records)
                print(f"| {engine} | {jobs} | {alone:,.0f} | {rate:,.0f} | {rate / alone:.0%} | {peak:,.0f} |", flush=True)
        sizes = [int(n) for n in args.memory.split(",") if n]
        if sizes:
            print("\n| records | engine | jobs | records/s | peak memory (MiB) |\n|---|---|---|---|---|")
        for size in sizes:
            big = os.path.join(tmp, f"memory-{size}.jsonl")
            write_jsonl(big, size)
            rate, peak = batch_end_to_end(engines[0], 2, big, size)
            print(f"| {size:,} | {engines[0]} | 2 | {rate:,.0f} | {peak:,.0f} |", flush=True)
            os.unlink(big)


if __name__ == "__main__":
    main()
