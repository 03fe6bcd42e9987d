#!/usr/bin/env python3
"""Load test: the production recipe (docs/serving.md) under simulated people, on loopback.

    python bench/load.py                      # 100 people for 60 s, then the API for 15 s
    python bench/load.py --people 10 --seconds 6 --pause 0.3 --api-seconds 4

It starts the recipe exactly as the doc writes it (gunicorn, 2 workers; tests/recipe.py
only changes the port), runs locust headless against it twice (bench/locustfile.py: people
completing the questionnaire, then another system posting to the API back to back), prints
the figures as Markdown, and stops everything by itself: locust's --run-time bounds each
phase, and the recipe is stopped at the end. Nothing leaves 127.0.0.1.

Exit status 1 when any request failed, a simulated person's code failed, or the 95th
percentile of a page is 200 ms or more (the bar of issue 13); docs/performance.md keeps the figures of a full run.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.recipe import served_by_recipe  # noqa: E402

LOCUSTFILE = ROOT / "bench" / "locustfile.py"
P95_LIMIT_MS = 200


def run_locust(
    url: str, user_class: str, people: int, seconds: int, folder: Path, pause: float,
) -> tuple[list[dict[str, str]], int]:
    """One headless locust phase: the rows of its statistics (one per request name, then
    'Aggregated'), and how many times a simulated person's own code failed (an exception in a
    task is no failed request to locust, but a person who got stuck)."""
    prefix = folder / user_class
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
               "--host", url, "--users", str(people), "--spawn-rate", str(max(1, people // 5)),
               "--run-time", f"{seconds}s", "--stop-timeout", "5", "--csv", str(prefix),
               "--exit-code-on-error", "0", "--loglevel", "WARNING", user_class]
    # locust stops itself after --run-time (+ --stop-timeout); the timeout only bounds a hang.
    with open(f"{prefix}.log", "wb") as log:
        subprocess.run(command, check=True, timeout=seconds + 120, cwd=folder, stdout=log, stderr=log,
                       env={**os.environ, "TRIAGE_LOAD_PAUSE": str(pause)})
    with open(f"{prefix}_failures.csv", newline="") as f:
        for row in csv.DictReader(f):
            print(f"failed {row['Occurrences']}x: {row['Method']} {row['Name']}: {row['Error']}", file=sys.stderr)
    errors = 0
    with open(f"{prefix}_exceptions.csv", newline="") as f:
        for row in csv.DictReader(f):
            errors += int(row["Count"])
            print(f"task error {row['Count']}x: {row['Message']}", file=sys.stderr)
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f)), errors


def table(rows: list[dict[str, str]]) -> list[str]:
    lines = ["| request | count | failures | median ms | p95 ms | p99 ms | max ms | per second |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        name = f"{row['Type']} {row['Name']}" if row["Name"] != "Aggregated" else "all requests"
        lines.append(f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
                     f"{float(row['Median Response Time']):.0f} | {row['95%']} | {row['99%']} | "
                     f"{float(row['Max Response Time']):.0f} | {float(row['Requests/s']):.1f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100, help="simulated people at once (default 100)")
    parser.add_argument("--seconds", type=int, default=60, help="how long the people phase runs (default 60)")
    parser.add_argument("--pause", type=float, default=3.0,
                        help="a person's longest pause on a page, in seconds; the shortest is a third (default 3)")
    parser.add_argument("--api-clients", type=int, default=4, help="API clients at once (default 4)")
    parser.add_argument("--api-seconds", type=int, default=15, help="how long the API phase runs (default 15)")
    parser.add_argument("--p95-limit", type=float, default=P95_LIMIT_MS,
                        help=f"fail when a page's 95th percentile reaches this many ms (default {P95_LIMIT_MS})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="triage-load-") as tmp, served_by_recipe() as served:
        people, people_errors = run_locust(served.url, "Person", args.people, args.seconds, Path(tmp), args.pause)
        api, api_errors = run_locust(served.url, "ApiClient", args.api_clients, args.api_seconds, Path(tmp), args.pause)
    task_errors = people_errors + api_errors
    failures = sum(int(row["Failure Count"]) for row in people + api if row["Name"] == "Aggregated")
    pages = [row for row in people if row["Name"] != "Aggregated"]
    worst_p95 = max(float(row["95%"]) for row in pages) if pages else 0.0
    evaluations = next(float(row["Requests/s"]) for row in api if row["Name"] == "Aggregated")
    print(f"## {args.people} people for {args.seconds} s (2 gunicorn workers, loopback)\n")
    print("\n".join(table(people)))
    print(f"\n## The API, {args.api_clients} clients back to back for {args.api_seconds} s\n")
    print("\n".join(table(api)))
    print(f"\nfailed requests: {failures}; task errors: {task_errors}; "
          f"worst page p95: {worst_p95:.0f} ms (limit {args.p95_limit:.0f}); "
          f"API evaluations per second: {evaluations:.0f}")
    return 0 if failures == 0 and task_errors == 0 and worst_p95 < args.p95_limit and pages else 1


if __name__ == "__main__":
    sys.exit(main())
