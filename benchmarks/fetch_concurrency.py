"""Fetching 10,000 candidates (100 pages of 100) with 50 ms of API latency: max_concurrency 1 vs 8.

TapTalentFetchCandidatesOperator writes them to a JSON Lines file in both runs; reported are the wall
time, the speed-up, and the peak Python memory of each run (tracemalloc: candidates must be streamed to
the file, never held). Targets (issue 8): at least 6x faster at 8, peak memory growth under 50 MB.
Run: ``python -m benchmarks.fetch_concurrency``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import httpx

from benchmarks._common import connection_env, sandbox_process, table, task_logging

CONTEXT = {"ti": SimpleNamespace(dag_id="bench", task_id="fetch", run_id="r", map_index=-1)}


def fetch(batch_ids: list[int], concurrency: int, output: Path) -> tuple[float, int, int]:
    """(wall seconds, candidates written, peak traced bytes): timed and traced in separate runs, since
    tracing every allocation slows the run it measures."""
    from airflow_provider_taptalent.operators.taptalent import TapTalentFetchCandidatesOperator

    def run() -> int:
        task = TapTalentFetchCandidatesOperator(
            task_id="fetch", batch_ids=batch_ids, output_path=str(output), max_concurrency=concurrency
        )
        return int(task.execute(CONTEXT)["count"])

    started = time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, count, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    task_logging()
    with sandbox_process("--latency-ms", str(args.latency_ms), "--batch-seconds", "0") as (root, key):
        connection_env(root, key)
        batch_ids = []
        with httpx.Client(
            base_url=f"{root}/v1/partner", headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            for start in range(0, args.candidates, 5000):
                urls = [f"https://files.example/f/{n}.pdf" for n in range(start, min(start + 5000, args.candidates))]
                batch_ids.append(
                    client.post("/candidates/bulk/resume", json={"resumeURLs": urls}).json()["data"]["batchId"]
                )
        with tempfile.TemporaryDirectory() as folder:
            runs = {c: fetch(batch_ids, c, Path(folder) / f"c{c}.jsonl") for c in (1, 8)}
    (slow, count, peak1), (fast, _, peak8) = runs[1], runs[8]
    print(
        table(
            f"Fetching {count:,} candidates ({-(-count // 100)} pages of 100), {args.latency_ms:.0f} ms API latency",
            ("max_concurrency", "wall s", "candidates/s", "peak memory MB"),
            [(c, runs[c][0], runs[c][1] / runs[c][0], runs[c][2] / 2**20) for c in (1, 8)],
        )
    )
    print(
        f"speed-up at 8: {slow / fast:.1f}x (target >= 6x); "
        f"peak memory growth: {max(peak1, peak8) / 2**20:.1f} MB (target < 50 MB)"
    )


if __name__ == "__main__":
    main()
