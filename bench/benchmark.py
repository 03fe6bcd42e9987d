#!/usr/bin/env python3
"""Benchmark: records per second, peak memory, and start-up. Not a test; run it by hand.

    python bench/benchmark.py                       # 100,000 records, both engines, 1 and 2 jobs
    python bench/benchmark.py --records 50000 --memory 10000,100000,1000000
    python bench/benchmark.py --against HEAD~3      # that commit and this tree, side by side
    python bench/benchmark.py --against main --quick

Without --against, it generates N valid random answer sets from the shipped questionnaire
with a fixed seed, then measures (1) the engine alone (Triage.evaluate in a loop; 2 jobs =
2 processes each doing half) and (2) `triage batch` end to end with JSON Lines in and out,
and reports the peak memory of each batch run.

With --against REV, it checks REV out into a temporary git worktree (removed afterwards) and
measures that tree and this one in turns (old, new, then new, old, ... for several rounds;
the median is shown): the CPU time of `triage check` on one file against the bare
`python -c 'import click, jinja2, yaml'`, of loading the content with its cache off (what an
author's edit or a first run costs), each engine alone (Triage.decide over pre-generated
random answer sets), and `triage batch` with one job. Every measurement runs in a fresh
process that imports only its own tree (PYTHONPATH), from a neutral folder, through public
entry points only (triage.Triage, triage.load_content, triage.samples.random_answers and
`python -m triage`), so commits with a different package layout compare fine. Times are CPU
times (user + system), which a busy shared machine disturbs less than wall-clock time.
Compiled bytecode is kept in a temporary folder (as after an ordinary install, where it is
compiled once), so PYTHONDONTWRITEBYTECODE does not turn every start into a compile.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261121
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/night-calf-cramps.json"
BASELINE = "import click, jinja2, yaml"


# --- the plain benchmark (this tree only) ------------------------------------------------------


def write_jsonl(path: str, count: int, seed: int = SEED) -> None:
    from triage import load_content
    from triage.samples import random_answers

    content = load_content()
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            record = {"id": f"r{i}", **random_answers(content, rng)}
            f.write(json.dumps(record) + "\n")


def _engine_worker(args: tuple[str, list[dict]]) -> int:
    from triage import Triage, load_content

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


def durable_available(content) -> bool:
    from triage import Triage

    try:
        Triage(content, "durable")
    except Exception:  # not importable on this Python
        return False
    return True


def plain_benchmark(args: argparse.Namespace) -> None:
    from triage import load_content
    from triage.samples import random_answers

    content = load_content()
    engines = ["durable", "python"] if durable_available(content) else ["python"]
    rng = random.Random(SEED)
    answer_sets = [random_answers(content, rng) for _ in range(args.records)]
    print(f"{args.records} records, {len(content.rules)} rules, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| engine | jobs | engine alone (records/s) | batch end to end (records/s) | end to end / engine "
          "| batch peak memory (MiB) |")
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


# --- child processes for --against (they import the tree on their PYTHONPATH) ------------------


def child_engine(engine: str, sets: int, seed: int) -> dict:
    """Answer sets per CPU second for one engine alone, in this process."""
    import triage
    from triage import Triage, load_content
    from triage.samples import random_answers

    content = load_content()
    rng = random.Random(seed)
    answer_sets = [random_answers(content, rng) for _ in range(sets)]
    try:
        checker = Triage(content, engine)
    except Exception as exc:  # durable-rules missing or not importable on this Python
        return {"error": f"{exc.__class__.__name__}: {exc}", "module": triage.__file__}
    run = getattr(checker, "decide", None) or checker.evaluate  # decide: no wording, as batch work
    for answers in answer_sets[:100]:  # warm up
        run(answers)
    start = time.process_time()
    for answers in answer_sets:
        run(answers)
    seconds = time.process_time() - start
    return {"rate": sets / seconds, "method": run.__name__, "module": triage.__file__}


def child_load(times: int) -> dict:
    """CPU ms of loading and checking the shipped content with the content cache off: the first
    load (the checking code's imports included: what a first `triage check` pays) and the mean
    of the next `times` loads."""
    os.environ["TRIAGE_NO_CACHE"] = "1"
    import triage
    from triage import load_content

    start = time.process_time()
    load_content()
    first = time.process_time() - start
    start = time.process_time()
    for _ in range(times):
        load_content()
    return {"first": first * 1000, "again": (time.process_time() - start) / times * 1000, "module": triage.__file__}


def child_jsonl(path: str, count: int, seed: int) -> dict:
    import triage

    write_jsonl(path, count, seed)
    return {"module": triage.__file__}


# --- --against: two trees side by side ---------------------------------------------------------


class Tree:
    def __init__(self, label: str, path: Path, work: Path):
        self.label, self.path = label, path
        self.env = dict(os.environ, PYTHONPATH=str(path), PYTHONPYCACHEPREFIX=str(work / "pycache"),
                        TRIAGE_CACHE_DIR=str(work / "content-cache"))  # warmed by the first run, like a user's
        self.env.pop("TRIAGE_NO_CACHE", None)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env.pop("PYTHONSAFEPATH", None)
        self.jsonl = work / f"answers-{label}.jsonl"
        self.jsonl1 = work / f"one-{label}.jsonl"  # one record: the batch's start-up
        self.durable = True


def _cpu_of(command: list[str], env: dict, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    """CPU seconds (user + system) of one command and the processes it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, proc


def _child(tree: Tree, cwd: Path, *args: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    _, proc = _cpu_of(command, tree.env, cwd)
    if proc.returncode != 0:
        raise SystemExit(f"{tree.label}: child {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if not str(result.get("module", "")).startswith(str(tree.path)):
        raise SystemExit(f"{tree.label}: imported {result.get('module')}, not its own tree {tree.path}")
    return result


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def against(args: argparse.Namespace) -> None:
    rounds = args.rounds or (3 if args.quick else 5)
    sets = args.sets or (1_000 if args.quick else 5_000)
    records = args.batch_records or (1_500 if args.quick else 20_000)
    starts = 2 if args.quick else 3  # start-up runs per tree per round
    try:
        old_commit = _git("rev-parse", "--short", "--verify", f"{args.against}^{{commit}}")
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"not a commit: {args.against} ({exc.stderr.strip()})") from None
    new_commit = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--untracked-files=no"):
        new_commit += "+changes"
    work = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    old_path = work / "old"
    try:
        neutral = work / "cwd"  # `python -m` and `-c` put the current folder first on sys.path
        neutral.mkdir()
        _git("worktree", "add", "--detach", "--quiet", str(old_path), old_commit)
        old = Tree(f"old {old_commit}", old_path, work)
        new = Tree(f"new {new_commit}", ROOT, work)
        _measure(old, new, neutral, rounds, sets, records, starts)
    finally:
        if old_path.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_path)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _measure(old: Tree, new: Tree, cwd: Path, rounds: int, sets: int, records: int, starts: int) -> None:
    example = str(ROOT / EXAMPLE)
    check = [sys.executable, "-m", "triage", "check", example]
    bare = [sys.executable, "-c", BASELINE]
    figures: dict[tuple[str, str], list[float]] = {}
    methods: dict[str, str] = {}

    def note(tree_label: str, key: str, value: float) -> None:
        figures.setdefault((tree_label, key), []).append(value)

    started = time.perf_counter()
    print(f"{old.label} against {new.label}: {rounds} rounds, {sets:,} answer sets per engine run, "
          f"{records:,} records per batch, Python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
    for tree in (old, new):  # warm up: compile bytecode once, write the batch input
        where = subprocess.run([sys.executable, "-c", "import triage; print(triage.__file__)"], env=tree.env,
                               cwd=cwd, capture_output=True, text=True).stdout.strip()
        if not where.startswith(str(tree.path)):
            raise SystemExit(f"{tree.label}: `import triage` gave {where!r}, not its own tree {tree.path}")
        for command in (check, bare):
            _, proc = _cpu_of(command, tree.env, cwd)
            if proc.returncode != 0:
                raise SystemExit(f"{tree.label}: {' '.join(command)} failed:\n{proc.stderr[-2000:]}")
        _child(tree, cwd, "jsonl", str(tree.jsonl), str(records), str(SEED))
        _child(tree, cwd, "jsonl", str(tree.jsonl1), "1", str(SEED))
    for number in range(rounds):
        pair = (old, new) if number % 2 == 0 else (new, old)
        for _ in range(starts):
            note("", "bare", _cpu_of(bare, old.env, cwd)[0])
            for tree in pair:
                note(tree.label, "check", _cpu_of(check, tree.env, cwd)[0])
        for tree in pair:
            loaded = _child(tree, cwd, "load", "5")
            note(tree.label, "load first", loaded["first"] / 1000)
            note(tree.label, "load again", loaded["again"] / 1000)
        for engine in ("python", "durable"):
            for tree in pair:
                if engine == "durable" and not tree.durable:
                    continue
                result = _child(tree, cwd, "engine", engine, str(sets), str(SEED))
                if "error" in result:
                    tree.durable = False
                    print(f"  {tree.label}: no durable engine ({result['error']})", flush=True)
                    continue
                methods[tree.label] = result["method"]
                note(tree.label, f"engine {engine}", result["rate"])
        for engine in ("python", "durable"):
            for tree in pair:
                if engine == "durable" and not tree.durable:
                    continue
                for source, count in ((tree.jsonl1, 1), (tree.jsonl, records)):
                    out = cwd / "out.jsonl"
                    command = [sys.executable, "-m", "triage", "batch", str(source), "-o", str(out), "-j", "1",
                               "--engine", engine]
                    cpu, proc = _cpu_of(command, tree.env, cwd)
                    produced = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
                    if produced != count:
                        raise SystemExit(f"{tree.label}: batch wrote {produced} of {count} records:\n{proc.stderr[-2000:]}")
                    out.unlink()
                    note(tree.label, f"batch cpu {engine} {count}", cpu)
                note(tree.label, f"batch {engine}", records / cpu)
        print(f"  round {number + 1} of {rounds} done ({time.perf_counter() - started:.0f} s)", flush=True)
    _table(figures, methods, old, new, sets, records)


def _table(figures: dict, methods: dict, old: Tree, new: Tree, sets: int, records: int) -> None:
    def median(label: str, key: str) -> float | None:
        values = figures.get((label, key))
        return statistics.median(values) if values else None

    def cell(value: float | None, fmt: str, label: str = "", key: str = "", scale: float = 1) -> str:
        if value is None:
            return "n/a"
        values = figures.get((label, key))
        if not values or len(values) < 2:
            return format(value * scale, fmt)
        spread = (max(values) - min(values)) / 2 / statistics.median(values)  # how noisy the runs were
        return f"{format(value * scale, fmt)} ±{spread:.0%}"

    def ratio(a: float | None, b: float | None) -> str:
        return "n/a" if a is None or b is None else f"{b / a:.2f}"

    bare = median("", "bare")
    print(f"\n| measure | {old.label} | {new.label} | new / old |")
    print("|---|---|---|---|")
    print(f"| bare `python -c '{BASELINE}'`, ms CPU | {cell(bare, ',.0f', '', 'bare', 1000)} | (same runs) | |")
    a, b = median(old.label, "check"), median(new.label, "check")
    print(f"| `triage check {EXAMPLE}`, ms CPU | {cell(a, ',.0f', old.label, 'check', 1000)} "
          f"| {cell(b, ',.0f', new.label, 'check', 1000)} | {ratio(a, b)} |")
    print(f"| start-up / bare import | {a / bare:.2f}x | {b / bare:.2f}x | |")
    for key, words in (("load first", "first content load, no cache (imports included)"),
                       ("load again", "each later content load, no cache")):
        a, b = median(old.label, key), median(new.label, key)
        print(f"| {words}, ms CPU | {cell(a, ',.0f', old.label, key, 1000)} | {cell(b, ',.0f', new.label, key, 1000)} "
              f"| {ratio(a, b)} |")
    for engine in ("python", "durable"):
        alone = median(old.label, f"engine {engine}"), median(new.label, f"engine {engine}")
        batch = median(old.label, f"batch {engine}"), median(new.label, f"batch {engine}")
        print(f"| {engine} engine alone, answer sets per CPU s | {cell(alone[0], ',.0f', old.label, f'engine {engine}')} "
              f"| {cell(alone[1], ',.0f', new.label, f'engine {engine}')} | {ratio(*alone)} |")
        print(f"| {engine} `triage batch -j 1`, records per CPU s | {cell(batch[0], ',.0f', old.label, f'batch {engine}')} "
              f"| {cell(batch[1], ',.0f', new.label, f'batch {engine}')} | {ratio(*batch)} |")
        start = median(old.label, f"batch cpu {engine} 1"), median(new.label, f"batch cpu {engine} 1")
        every = median(old.label, f"batch cpu {engine} {records}"), median(new.label, f"batch cpu {engine} {records}")
        per_record = [
            None if x is None or y is None or y <= x else (records - 1) / (y - x) for x, y in zip(start, every, strict=True)
        ]
        print(f"| {engine} `triage batch -j 1` on 1 record (start-up), ms CPU | {cell(start[0], ',.0f', scale=1000)} "
              f"| {cell(start[1], ',.0f', scale=1000)} | {ratio(*start)} |")
        print(f"| {engine} batch after start-up, records per CPU s | {cell(per_record[0], ',.0f')} "
              f"| {cell(per_record[1], ',.0f')} | {ratio(*per_record)} |")
        shares = [None if x is None or y is None else x / y for x, y in zip(per_record, alone, strict=True)]
        print(f"| {engine} batch after start-up / engine alone | {cell(shares[0], '.0%')} | {cell(shares[1], '.0%')} | |")
    print(f"\nMedians of the rounds; ±: half the range of the rounds, relative to the median. "
          f"Engine alone: Triage.{methods.get(old.label, '?')} (old) and "
          f"Triage.{methods.get(new.label, '?')} (new) over {sets:,} answer sets, CPU of the loop only. Batch: "
          f"{records:,} JSON Lines records, CPU of the whole command, start-up included. Batch after start-up: "
          f"({records:,} - 1) records / (median CPU of the {records:,}-record run - median CPU of the 1-record run), "
          "so start-up is not counted; `batch after start-up / engine alone` divides that by the engine-alone rate. "
          "For start-up, "
          "new / old below 1 is faster; for rates, above 1 is faster.")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "engine":
            result = child_engine(rest[0], int(rest[1]), int(rest[2]))
        elif kind == "load":
            result = child_load(int(rest[0]))
        else:
            result = child_jsonl(rest[0], int(rest[1]), int(rest[2]))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--memory", default="", help="comma-separated record counts for the peak-memory runs")
    parser.add_argument("--against", metavar="REV", help="compare this tree with commit REV, side by side")
    parser.add_argument("--quick", action="store_true", help="with --against: a run of about a minute")
    parser.add_argument("--rounds", type=int, default=0, help="with --against: rounds (default 5, quick 3)")
    parser.add_argument("--sets", type=int, default=0, help="with --against: answer sets per engine run")
    parser.add_argument("--batch-records", type=int, default=0, help="with --against: records per batch run")
    args = parser.parse_args()
    if args.against:
        against(args)
    else:
        plain_benchmark(args)


if __name__ == "__main__":
    main()
