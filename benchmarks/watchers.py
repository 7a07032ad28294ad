"""Watchers at scale: 100 TapTalentEventTriggers (AssetWatchers) in one event loop, as one triggerer runs them.

A sandbox in its own process holds 250 jobs; 100 watchers (half ``job_created``, half ``job_updated``, each on
a connection of its own, as distinct watchers are) poll it every 5 s for 60 s while 10 jobs a second are
updated, through a client in the same event loop (its CPU is counted with the watchers': a small part).
Measured one after the other in one run, each path a triggerer takes: Airflow 3.3's ack-mode shared streams
(Airflow's own SharedStreamManager, each event confirmed stored half a second after it fired, as the
triggerer's supervisor does) and the trigger's ``run()`` (Airflow 3.0-3.2). Reported for each: this process's
CPU as a share of one core, the requests the watchers sent per minute (from the sandbox's request log), the
events they fired, the delay from an update to its event, and the watermark saves. Beside them, the webhook
path for the same changes: no request at all while nothing happens, one inbound POST per event.
Logging as in a triggerer: the provider's lines go to a file at INFO.
Run: ``python -m benchmarks.watchers [--watchers 100] [--seconds 60] [--paths stream run]``.
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
        self.saves = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.saves += 1
        self.values[key] = value


async def watch(
    path: str, count: int, poll: float, seconds: float, changed: dict[int, float]
) -> tuple[list[float], int]:
    """Run ``count`` watchers for ``seconds`` on ``path``; the delays (s) from each update to each job_updated
    event, and the watermark saves."""
    from airflow_provider_taptalent.triggers.events import TapTalentEventTrigger

    delays: list[float] = []
    stores = [_Store() for _ in range(count)]
    manager: Any = None
    if path == "stream":
        from airflow.triggers.shared_stream import SharedStreamManager

        manager, pending = SharedStreamManager(), []

    def fired(kind: str, payload: dict[str, Any]) -> None:
        if kind == "job_updated" and payload["id"] in changed:
            delays.append(time.time() - changed[payload["id"]])

    async def one(n: int) -> None:
        kind = "job_updated" if n % 2 else "job_created"
        trigger = TapTalentEventTrigger(kind, taptalent_conn_id=f"taptalent_w{n}", poll_interval=poll)
        trigger.asset_state_store = stores[n]
        if path == "run":
            async for event in trigger.run():
                fired(kind, event.payload)
            return
        key = trigger.shared_stream_key()
        async for event in trigger.filter_shared_stream(manager.subscribe(trigger_id=n, trigger=trigger, key=key)):
            pending.append(manager.bind_pending_event(trigger_id=n, key=key))
            fired(kind, event.payload)

    async def supervisor() -> None:
        """Confirms the events stored, every half second (the triggerer's supervisor, in a real one)."""
        while True:
            await asyncio.sleep(0.5)
            manager.confirm_persisted([seq for seq in pending if seq is not None])
            pending.clear()

    tasks = [asyncio.create_task(one(n)) for n in range(count)]
    tasks += [asyncio.create_task(supervisor())] if manager else []
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if manager:
        await manager.stop_all()
    return delays, sum(store.saves for store in stores)


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


async def measure(
    path: str, api: str, key: str, ids: list[int], args: argparse.Namespace, changed: dict[int, float]
) -> tuple[list[float], int, float]:
    """One path's run with the changes beside it: the delays, the watermark saves, the CPU seconds."""
    cpu = cpu_seconds()
    changes = asyncio.create_task(change_jobs(api, key, ids, 10, args.seconds - args.poll * 2, changed))
    delays, saves = await watch(path, args.watchers, args.poll, args.seconds, changed)
    await changes
    return delays, saves, cpu_seconds() - cpu


def main() -> None:
    from airflow_provider_taptalent._compat import SHARED_STREAM_ACKS

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--poll", type=float, default=5)
    parser.add_argument("--paths", nargs="+", choices=("stream", "run"), default=["stream", "run"])
    parser.add_argument("--log-file", default="/tmp/taptalent-watchers.log")
    args = parser.parse_args()
    paths = [p for p in args.paths if p == "run" or SHARED_STREAM_ACKS]  # shared streams: Airflow 3.3+
    log_to_file(args.log_file)
    measured: dict[str, tuple[float, int, list[float], int]] = {}
    with sandbox_process("--history-days", "1", "--history-jobs-per-day", "250") as (root, key):
        for n in range(args.watchers):
            connection_env(root, key, f"taptalent_w{n}")
        api = f"{root}/v1/partner"
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
            ids = [
                job["id"]
                for page in (1, 2, 3)
                for job in client.get("/jobs", params={"pageNumber": page, "perPage": 100}).json()["jobs"]
            ]
        control = httpx.Client(base_url=f"{root}/__sandbox")
        for path in paths:
            first_request = len(control.get("/requests").json()["requests"])
            changed: dict[int, float] = {}

            delays, saves, cpu = asyncio.run(measure(path, api, key, ids[:50], args, changed))
            log = control.get("/requests", params={"since": first_request}).json()["requests"]
            listings = sum(1 for r in log if r["method"] == "GET" and r["path"].endswith("/jobs"))
            measured[path] = (cpu, listings, delays, saves)
    names = {"stream": "3.3: shared streams", "run": "3.0-3.2: run()"}
    polls = args.watchers * (args.seconds / args.poll)

    def row(label: str, cell: Any, expected: str = "") -> tuple[str, ...]:
        return (label, *(cell(*measured[path]) for path in paths), expected)

    rows = [
        ("watchers", *(f"{args.watchers}, every {args.poll:g} s, {args.seconds:g} s" for _ in paths), ""),
        row("CPU, share of one core (watchers and the changes' client)", lambda c, n, d, s: f"{c / args.seconds:.1%}"),
        row("listing requests per minute, all watchers", lambda c, n, d, s: f"{n / args.seconds * 60:,.0f}"),
        row("  per watcher per poll", lambda c, n, d, s: f"{n / polls:.2f}", "2: created 1, updated 3"),
        row("events fired (job_updated)", lambda c, n, d, s: f"{len(d):,}"),
        row(
            "delay update -> event, median", lambda c, n, d, s: f"{statistics.median(d):.1f} s" if d else "-", "<= poll"
        ),
        row("watermark saves", lambda c, n, d, s: f"{s:,}"),
        ("the webhook path, same changes", *("0 requests while idle; 1 inbound POST per event" for _ in paths), ""),
    ]
    if len(paths) == 2:
        (cpu_a, listings_a, _, _), (cpu_b, listings_b, _, _) = measured["stream"], measured["run"]
        rows.append(
            ("shared streams / run(): CPU, requests", f"{cpu_a / cpu_b:.2f}x, {listings_a / listings_b:.2f}x", "", "")
        )
    print(
        table(
            "Watchers on one triggerer (TapTalentEventTrigger, in one event loop)",
            ("measure", *(names[p] for p in paths), "expected"),
            rows,
        )
    )


if __name__ == "__main__":
    main()
