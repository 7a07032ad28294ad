"""DAG parse cost: a DAG file using every TapTalent operator minus the same DAG built from EmptyOperators.

Each file is imported in a fresh interpreter that has already imported Airflow (as the DAG processor
has), 10 times; the medians are compared. Target (issue 8): under 50 ms.
Run: ``python -m benchmarks.parse_cost`` (``--runs N``: interpreters per file, default 10).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._common import table

HEADER = """
from datetime import datetime
from airflow.providers.common.compat.sdk import DAG
"""
OURS = (
    HEADER
    + """
from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator, TapTalentCreateJobOperator, TapTalentFetchCandidatesOperator,
    TapTalentSyncJobsOperator,
)
from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor
with DAG("bench_ours", start_date=datetime(2026, 1, 1), schedule=None):
    job = TapTalentCreateJobOperator(task_id="job", job={"title": "abc", "city": "a", "state": "b", "country": "c"})
    up = TapTalentBulkUploadResumesOperator(task_id="up", resume_urls="/tmp/r.txt")
    wait = TapTalentBatchSensor(task_id="wait", batch_ids=up.output, deferrable=True)
    fetch = TapTalentFetchCandidatesOperator(task_id="fetch", batch_ids=wait.output, output_path="/tmp/c.jsonl")
    sync = TapTalentSyncJobsOperator(task_id="sync", jobs="/tmp/j.json", state_path="/tmp/s.json")
    job >> up >> wait >> fetch
"""
)
EMPTY = (
    HEADER
    + """
from airflow.providers.standard.operators.empty import EmptyOperator
with DAG("bench_empty", start_date=datetime(2026, 1, 1), schedule=None):
    job, up, wait, fetch, sync = (EmptyOperator(task_id=t) for t in ("job", "up", "wait", "fetch", "sync"))
    job >> up >> wait >> fetch
"""
)
PROBE = """
import sys, time, importlib.util
import airflow.sdk, airflow.providers.common.compat.sdk  # what a DAG processor has loaded already
from airflow.providers.standard.operators.empty import EmptyOperator
spec = importlib.util.spec_from_file_location("dagfile", sys.argv[1])
started = time.perf_counter()
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(time.perf_counter() - started)
"""


def median_import(path: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times) * 1000


def main(runs: int = 10) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ours, empty = Path(folder) / "ours.py", Path(folder) / "empty.py"
        ours.write_text(OURS)
        empty.write_text(EMPTY)
        timings = {"TapTalent operators": median_import(ours, runs), "EmptyOperators": median_import(empty, runs)}
    print(
        table(
            f"Parsing a 5-task DAG file (median of {runs} fresh interpreters)",
            ("DAG file", "ms"),
            list(timings.items()),
        )
    )
    print(
        f"parse cost of the provider: {timings['TapTalent operators'] - timings['EmptyOperators']:.0f} ms "
        "(target < 50 ms)"
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh interpreters per DAG file (default 10)")
    main(parser.parse_args().runs)
