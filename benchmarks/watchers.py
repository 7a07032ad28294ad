"""Watchers at scale: 100 TapTalentEventTriggers (AssetWatchers) in one event loop, as one triggerer runs them.

A sandbox in its own process holds 250 jobs; 100 watchers (half ``job_created``, half ``job_updated``) poll
it every 5 s for 60 s while 10 jobs a second are updated, through a client in the same event loop (its CPU
is counted with the watchers': a small part). Reported: this process's CPU as a share of one core, the
requests the watchers sent per minute (from the sandbox's request log), the events they fired, and the
delay from an update to its event. Beside it, the webhook path for the same changes: no request at all
while nothing happens, one inbound POST per event.
Logging as in a triggerer: the provider's lines go to a file at INFO.
Run: ``python -m benchmarks.watchers [--watchers 100] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from benchmarks._common import connection_env, cpu_seconds, log_to_file, sandbox_process, table


class _Store:
    """The asset state store the triggerer gives each event trigger (Airflow 3.3), in memory."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value


async def watch(count: int, poll: float, seconds: float, changed: dict[int, float]) -> list[float]:
    """Run ``count`` watchers for ``seconds``; the delays (s) from each update to each job_updated event."""
    from airflow_provider_taptalent.triggers.events import TapTalentEventTrigger

    delays: list[float] = []

    async def one(n: int) -> None:
        kind = "job_updated" if n % 2 else "job_created"
        trigger = TapTalentEventTrigger(kind, poll_interval=poll)
        trigger.asset_state_store = _Store()
        async for event in trigger.run():
            if kind == "job_updated" and event.payload["id"] in changed:
                delays.append(time.time() - changed[event.payload["id"]])

    tasks = [asyncio.create_task(one(n)) for n in range(count)]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return delays


async def change_jobs(
    api: str, key: str, ids: list[int], rate: float, seconds: float, changed: dict[int, float]
) -> None:
    async with httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            job_id = ids[n % len(ids)]
            await client.patch(f"/jobs/{job_id}", json={"description": f"change {n}"})
            changed[job_id] = time.time()
            n += 1
            await asyncio.sleep(1 / rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--poll", type=float, default=5)
    parser.add_argument("--log-file", default="/tmp/taptalent-watchers.log")
    args = parser.parse_args()
    log_to_file(args.log_file)
    with sandbox_process("--history-days", "1", "--history-jobs-per-day", "250") as (root, key):
        connection_env(root, key)
        api = f"{root}/v1/partner"
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
            ids = [
                job["id"]
                for page in (1, 2, 3)
                for job in client.get("/jobs", params={"pageNumber": page, "perPage": 100}).json()["jobs"]
            ]
            control = httpx.Client(base_url=f"{root}/__sandbox")
            first_request = len(control.get("/requests").json()["requests"])
        changed: dict[int, float] = {}

        async def run() -> tuple[list[float], float]:
            cpu = cpu_seconds()
            changes = asyncio.create_task(change_jobs(api, key, ids[:50], 10, args.seconds - args.poll * 2, changed))
            delays = await watch(args.watchers, args.poll, args.seconds, changed)
            await changes
            return delays, cpu_seconds() - cpu

        delays, cpu = asyncio.run(run())
        log = control.get("/requests", params={"since": first_request}).json()["requests"]
        listings = sum(1 for r in log if r["method"] == "GET" and r["path"].endswith("/jobs"))
    rows = [
        ("watchers", f"{args.watchers} (poll every {args.poll:g} s, {args.seconds:g} s)", ""),
        ("CPU, share of one core (watchers and the changes' client)", f"{cpu / args.seconds:.1%}", ""),
        ("listing requests per minute, all watchers", f"{listings / args.seconds * 60:,.0f}", ""),
        (
            "  per watcher per poll",
            f"{listings / args.watchers / (args.seconds / args.poll):.2f}",
            "2: created 1, updated 3",
        ),
        ("events fired (job_updated)", f"{len(delays):,}", ""),
        ("delay update -> event, median", f"{statistics.median(delays):.1f} s" if delays else "-", "<= poll"),
        ("the webhook path, same changes", "0 requests while idle; 1 inbound POST per event", ""),
    ]
    print(
        table(
            "Watchers on one triggerer (TapTalentEventTrigger, in one event loop)",
            ("measure", "value", "expected"),
            rows,
        )
    )


if __name__ == "__main__":
    main()
