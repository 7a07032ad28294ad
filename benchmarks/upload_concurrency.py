"""Uploading 50,000 resume URLs in 10 batches: max_concurrency 4 vs 1, with 50 ms of API latency.

Run: ``python -m benchmarks.upload_concurrency``.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

from benchmarks._common import connection_env, sandbox_process, table, task_logging


def upload(urls: list[str], concurrency: int, run_id: str) -> float:
    from airflow_provider_taptalent.operators.taptalent import TapTalentBulkUploadResumesOperator

    context = {"ti": SimpleNamespace(dag_id="bench", task_id="upload", run_id=run_id, map_index=-1)}
    task = TapTalentBulkUploadResumesOperator(
        task_id="upload", resume_urls=urls, batch_size=5000, max_concurrency=concurrency
    )
    started = time.perf_counter()
    assert len(task.execute(context)) == -(-len(urls) // 5000)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    task_logging()
    urls = [f"https://files.example/u/{n:06d}.pdf" for n in range(args.urls)]
    with sandbox_process("--latency-ms", str(args.latency_ms)) as (root, key):
        connection_env(root, key)
        times = {c: upload(urls, c, f"run-{c}") for c in (1, 4)}
    print(
        table(
            f"Uploading {args.urls:,} URLs in {-(-args.urls // 5000)} batches ({args.latency_ms:.0f} ms API latency)",
            ("max_concurrency", "wall s", "URLs/s"),
            [(c, t, args.urls / t) for c, t in times.items()],
        )
    )
    print(f"speed-up at 4: {times[1] / times[4]:.1f}x")


if __name__ == "__main__":
    main()
