"""Exporting 100,000 candidates (1,000 pages of 100) with 50 ms of API latency: max_concurrency 1 vs 8.

TapTalentExportOperator streams them to a JSON Lines file in both runs, with logging as in a task (INFO to
a handler). Reported: the wall time of each, the speed-up, and the growth of the process's resident memory
during the export at 8 (sampled every 20 ms: records must be streamed to the file, never held).
Targets (issue 15): at least 6x faster at 8 than at 1, memory growth under 50 MB.
Run: ``python -m benchmarks.export_scale`` (``--candidates 20000`` for a quicker look).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from benchmarks._common import connection_env, sandbox_process, table, task_logging

CONTEXT = {"ti": SimpleNamespace(dag_id="bench", task_id="export", run_id="r", map_index=-1)}


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def export(output: Path, concurrency: int) -> tuple[float, int, int]:
    """(wall seconds, records written, peak resident-memory growth in bytes)."""
    from airflow_provider_taptalent.operators.taptalent import TapTalentExportOperator

    task = TapTalentExportOperator(
        task_id="export", resource="candidates", output_path=str(output), max_concurrency=concurrency
    )
    base, peak, done = rss(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss() - base)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        count = int(task.execute(CONTEXT)["count"])
    finally:
        done.set()
        sampler.join()
    return time.perf_counter() - started, count, max(peak[0], rss() - base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    task_logging()
    work = Path(tempfile.mkdtemp(prefix="taptalent-export-bench-"))
    flags = ["--latency-ms", str(args.latency_ms), "--history-days", "1", "--history-jobs-per-day", "10"]
    flags += ["--history-candidates-per-day", str(args.candidates)]
    with sandbox_process(*flags, startup=120) as (root, key):
        connection_env(root, key)
        export(work / "warm.jsonl", 8)  # imports, connection and the sandbox's listing, once
        runs = {c: export(work / f"c{c}.jsonl", c) for c in (8, 1)}
    rows = [
        [f"max_concurrency {c}", f"{count:,}", f"{wall:.1f} s", f"{count / wall:,.0f}/s", f"{grown / 2**20:.1f} MB"]
        for c, (wall, count, grown) in sorted(runs.items())
    ]
    print(table(
        f"Export of {args.candidates:,} candidates, {args.latency_ms:.0f} ms latency, logging at INFO",
        ["run", "written", "wall", "rate", "memory growth"], rows,
    ))  # fmt: skip
    speedup = runs[1][0] / runs[8][0]
    print(f"\nconcurrency: 1 -> {runs[1][0]:.1f} s, 8 -> {runs[8][0]:.1f} s: {speedup:.1f}x faster (target >= 6x)")
    print(f"memory growth at 8: {runs[8][2] / 2**20:.1f} MB (target < 50 MB)")
    print(json.dumps({"speedup": speedup, "memory_growth_mb": runs[8][2] / 2**20}))


if __name__ == "__main__":
    main()
