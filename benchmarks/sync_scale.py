"""The job sync at scale, against a sandbox in its own process with 50 ms of latency per call.

Measured side by side in one run, with logging as in a task (INFO to a handler; each request at DEBUG is
filtered by the level, as in a task):
- client CPU per record of a first sync (every record created) at two sizes: linear if the ratio of CPU per
  record is near 1; compared with the CPU of one bare ``httpx.Client`` POST of the same body;
- state writes per sync (target: at most N/50 + 10);
- wall time of a sync at ``max_concurrency`` 1 and 8 (target: 8 at least 6x faster than 1);
- a no-change re-run: its requests are only the job listings, and it writes no state.

``python -m benchmarks.sync_scale --sizes 500 2000 --speedup-size 300`` (the defaults keep it near 2 minutes).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

from benchmarks._common import connection_env, cpu_seconds, sandbox_process, table, task_logging


def _records(n: int, tag: str) -> list[dict]:
    return [
        {"external_id": f"{tag}-{i}", "updated_at": "2026-01-01T00:00:00Z", "title": f"Engineer {tag} {i}",
         "city": "Berlin", "state": "Berlin", "country": "Germany"}
        for i in range(n)
    ]  # fmt: skip


def _sync(records: list[dict], state: Path, concurrency: int) -> tuple[dict, float, float, int]:
    from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator
    from airflow_provider_taptalent.utils import sync_state

    saves = {"n": 0}
    real_save = sync_state.SyncState.save

    def counting(self):  # type: ignore[no-untyped-def]
        saves["n"] += 1
        real_save(self)

    sync_state.SyncState.save = counting  # type: ignore[method-assign]
    ti = SimpleNamespace(dag_id="bench", task_id="sync", run_id="r", map_index=-1, xcom_push=lambda **kw: None)
    operator = TapTalentSyncJobsOperator(
        task_id="sync", jobs=records, state_path=str(state), max_concurrency=concurrency, adopt_existing=False
    )
    execute = getattr(type(operator).execute, "__wrapped__", type(operator).execute)
    cpu, wall = cpu_seconds(), time.perf_counter()
    try:
        counts = execute(operator, {"ti": ti})
    finally:
        sync_state.SyncState.save = real_save  # type: ignore[method-assign]
    return counts, cpu_seconds() - cpu, time.perf_counter() - wall, saves["n"]


def _bare_post_cpu(root: str, key: str, n: int) -> float:
    body = {"title": "Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}
    with httpx.Client(base_url=f"{root}/v1/partner", headers={"Authorization": f"Bearer {key}"}) as client:
        client.get("/jobs")
        cpu = cpu_seconds()
        for i in range(n):
            client.post("/jobs", json={**body, "title": f"Bare {i}"}, headers={"Idempotency-Key": f"bare-{i}"})
        return (cpu_seconds() - cpu) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(500, 2000))
    parser.add_argument("--speedup-size", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    task_logging()
    work = Path(tempfile.mkdtemp(prefix="taptalent-sync-bench-"))
    rows = []
    with sandbox_process("--latency-ms", str(args.latency_ms), "--rate-limit", "100000/s") as (root, key):
        connection_env(root, key)
        bare = _bare_post_cpu(root, key, 200)
        per_record = {}
        for size in args.sizes:
            counts, cpu, wall, saves = _sync(_records(size, f"n{size}"), work / f"state-{size}.json", 8)
            assert counts["created"] == size, counts
            per_record[size] = cpu / size
            limit = size // 50 + 10
            rows.append([f"first sync, {size:,} records, concurrency 8", f"{cpu / size * 1e6:,.0f} µs",
                         f"{cpu / size / bare:.2f}x", f"{wall:.1f} s", f"{saves} (limit {limit})"])  # fmt: skip
            before = len(httpx.get(f"{root}/__sandbox/requests").json()["requests"])
            _, cpu2, wall2, saves2 = _sync(_records(size, f"n{size}"), work / f"state-{size}.json", 8)
            requests = httpx.get(f"{root}/__sandbox/requests").json()["requests"][before:]
            methods = sorted({r["method"] for r in requests})
            rows.append([f"re-run, {size:,} records, nothing changed", f"{cpu2 / size * 1e6:,.0f} µs", "",
                         f"{wall2:.1f} s", f"{saves2}; {len(requests)} requests ({', '.join(methods)})"])  # fmt: skip
        small, large = args.sizes
        walls = {}
        for concurrency in (1, 8):
            _, _, wall, _ = _sync(
                _records(args.speedup_size, f"c{concurrency}"), work / f"c{concurrency}.json", concurrency
            )
            walls[concurrency] = wall
    print(table(
        f"Job sync against the sandbox, {args.latency_ms:.0f} ms latency (bare httpx POST: {bare * 1e6:,.0f} µs CPU)",
        ["run", "client CPU / record", "vs bare POST", "wall", "state writes"], rows,
    ))  # fmt: skip
    print()
    print(f"linearity: CPU per record at {large:,} / at {small:,} = {per_record[large] / per_record[small]:.2f}x")
    print(f"concurrency ({args.speedup_size} records): 1 -> {walls[1]:.1f} s, 8 -> {walls[8]:.1f} s: "
          f"{walls[1] / walls[8]:.1f}x faster")  # fmt: skip
    print(json.dumps({"bare_post_us": bare * 1e6, "speedup": walls[1] / walls[8]}))


if __name__ == "__main__":
    main()
