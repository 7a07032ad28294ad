"""Polling only when an answer can have changed: 1,000 ETA-aware waits vs fixed-interval polling, same delay.

1,000 batches of 20 files are uploaded to a sandbox (its own process) that parses each in 40 s, files
one after the other. A TapTalentBatchTrigger per batch (``poll_interval`` 30 s, the longest sleep) runs in
this process's event loop, as a triggerer runs them, with logging to a file as the triggerer writes it.
Each sleeps until its batch's estimated finish (from the processed count and its rate). Then, on fresh
batches, bare httpx clients poll at a fixed interval chosen to give the same median delay between a batch
finishing and its waiter seeing it (twice the ETA waits' median delay: a fixed poll sees a finish half an
interval late, on average). Reported side by side: requests (the sandbox's own count), the delay, and
this process's CPU.
Targets (issue 15): at least 3x fewer requests than fixed-interval polling at the same median delay,
at most 0.5x its CPU.
Run: ``python -m benchmarks.wait_eta [--waits 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx

from benchmarks._common import connection_env, cpu_seconds, log_to_file, sandbox_process, table

FILES = 20


def upload(api: str, key: str, count: int, seconds: float) -> dict[int, float]:
    """{batch id: when it will have finished} for ``count`` batches of :data:`FILES` files."""
    finish = {}
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
        for n in range(count):
            urls = [f"https://files.example/eta/{n}/{f}.pdf" for f in range(FILES)]
            accepted = time.time()
            response = client.post("/candidates/bulk/resume", json={"resumeURLs": urls})
            finish[response.json()["data"]["batchId"]] = accepted + seconds
    return finish


def request_count(root: str) -> int:
    return int(httpx.get(f"{root}/__sandbox/state").json()["requestCount"])


async def eta_waits(batch_ids: list[int], poll: float) -> dict[int, float]:
    from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger

    seen: dict[int, float] = {}

    async def one(batch_id: int) -> None:
        async for event in TapTalentBatchTrigger([batch_id], "taptalent_default", poll, time.time() + 900).run():
            assert event.payload["status"] == "success", event.payload
            seen[batch_id] = time.time()

    await asyncio.gather(*(one(b) for b in batch_ids))
    return seen


async def fixed_polls(api: str, key: str, batch_ids: list[int], interval: float) -> dict[int, float]:
    """Bare httpx clients, one poll every ``interval`` seconds (started at a random phase), no parsing."""
    import random

    seen: dict[int, float] = {}
    context = httpx.create_ssl_context()

    async def one(batch_id: int) -> None:
        async with httpx.AsyncClient(
            base_url=api, headers={"Authorization": f"Bearer {key}"}, verify=context
        ) as client:
            await asyncio.sleep(random.uniform(0, interval))
            while True:
                response = await client.get(f"/candidates/batch/{batch_id}", params={"pageNumber": 1, "perPage": 10})
                if response.json()["data"]["status"] in ("COMPLETED", "FAILED"):
                    seen[batch_id] = time.time()
                    return
                await asyncio.sleep(interval)

    await asyncio.gather(*(one(b) for b in batch_ids))
    return seen


def run(label: str, root: str, finish: dict[int, float], wait: object) -> dict[str, float]:
    before, cpu, wall = request_count(root), cpu_seconds(), time.time()
    seen = asyncio.run(wait)  # type: ignore[arg-type]
    cpu, wall = cpu_seconds() - cpu, time.time() - wall
    delays = sorted(seen[b] - finish[b] for b in seen)
    return {
        "label": label,  # type: ignore[dict-item]
        "waits": len(seen),
        "requests": request_count(root) - before,
        "median_delay": statistics.median(delays),
        "p90_delay": delays[int(len(delays) * 0.9)],
        "cpu": cpu,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waits", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=40, help="how long each batch takes to parse")
    parser.add_argument("--poll", type=float, default=30, help="the ETA waits' poll_interval (the longest sleep)")
    parser.add_argument("--log-file", default="/tmp/taptalent-wait-eta.log")
    args = parser.parse_args()
    log_to_file(args.log_file)
    with sandbox_process("--batch-seconds", str(args.seconds)) as (root, key):
        connection_env(root, key)
        api = f"{root}/v1/partner"
        finish = upload(api, key, args.waits, args.seconds)
        eta = run("ETA-aware triggers", root, finish, eta_waits(list(finish), args.poll))
        interval = 2 * eta["median_delay"]
        finish = upload(api, key, args.waits, args.seconds)
        fixed = run(f"bare httpx, every {interval:.1f} s", root, finish, fixed_polls(api, key, list(finish), interval))
    rows = [
        [r["label"], f"{r['waits']:,}", f"{r['requests']:,}", f"{r['median_delay']:.2f} s", f"{r['p90_delay']:.2f} s",
         f"{r['cpu']:.1f} s"]
        for r in (eta, fixed)
    ]  # fmt: skip
    print(table(
        f"{args.waits:,} waits for batches of {FILES} files ({args.seconds:.0f} s each)",
        ["waits", "done", "requests", "delay, median", "delay, p90", "CPU"], rows,
    ))  # fmt: skip
    fewer, cheaper = fixed["requests"] / eta["requests"], eta["cpu"] / fixed["cpu"]
    # A fixed poll's requests go as 1/interval and its delay as the interval: at exactly the ETA waits'
    # median delay it would have sent this many (the interval above only aims at that delay).
    matched = fixed["requests"] * fixed["median_delay"] / eta["median_delay"] / eta["requests"]
    print(f"\nrequests: fixed-interval / ETA-aware = {fewer:.1f}x; at exactly the same median delay "
          f"{matched:.1f}x (target >= 3x)")  # fmt: skip
    print(f"CPU: ETA-aware / bare httpx fixed-interval = {cheaper:.2f}x (target <= 0.5x)")
    print(json.dumps({"fewer_requests": fewer, "delay_matched": matched, "cpu_ratio": cheaper}))


if __name__ == "__main__":
    main()
