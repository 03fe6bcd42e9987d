"""The one-record entry point runs unchanged on a local two-worker Dask cluster."""

from __future__ import annotations

import json
import random

import pytest

from triage.batch import check_record
from triage.records import Record
from triage.samples import random_answers

from .conftest import SHIPPED

distributed = pytest.importorskip("distributed")


def test_dask_cluster_gives_the_single_process_results(shipped):
    rng = random.Random(11)
    records = [Record(f"r{i}", str(i), json.loads(json.dumps(random_answers(shipped, rng)))) for i in range(200)]
    records.append(Record("bad", "bad", {"feeling": "wobbly"}))
    expected = [check_record(r, str(SHIPPED)) for r in records]
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        futures = client.map(check_record, records, rules_dir=str(SHIPPED), pure=True)
        results = client.gather(futures)
        workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    assert results == expected
    assert results[-1].ok is False and results[0].ok
