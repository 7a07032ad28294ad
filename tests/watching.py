"""The AssetWatcher scenario of issue 23 on real Airflow processes, shared by the deployments that run it
(tests/e2e: SQLite, ``watermark_path``; tests/distributed: CeleryExecutor, PostgreSQL, the state store)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from airflow_provider_taptalent.utils.watching import Watermark


def changes_across_a_triggerer_kill(
    client: Any,
    jobs: list[int],
    *,
    poll: float,
    reported: Callable[[], list[Any]],
    saved_watermark: Callable[[], Any],
    wait_for: Callable[[str, Callable[[], Any], float], Any],
    kill: Callable[[], None],
    restart: Callable[[], None],
) -> tuple[Counter[Any], list[int]]:
    """A ``job_updated`` watcher on the real triggerer, over ``jobs`` (at least 4, last changed before the
    watcher started): a probe job changed until it is reported (a watcher reports what changes after it
    starts), then one change, a burst of the rest but one, the triggerer killed once the watermark covers the
    burst, the last job changed while it is down, the triggerer started again. Returns how often each job
    but the probe was reported, and the jobs changed (each must be there once: none lost, none twice)."""
    probe, first, burst, last = jobs[0], jobs[1], jobs[2:-1], jobs[-1]
    started = time.monotonic()
    while probe not in reported():
        if time.monotonic() - started > 180:
            wait_for("the watcher to report the probe job", lambda: False, 0)  # fails, with the logs
        client.update_job(probe, {"description": f"probe {time.time()}"})
        time.sleep(poll)
    client.update_job(first, {"status": "ACTIVE"})
    wait_for("the first change's event", lambda: first in reported(), 60)
    for job_id in burst:
        client.update_job(job_id, {"status": "ACTIVE"})
    wait_for(f"the burst's {len(burst)} events", lambda: set(burst) <= set(reported()), 60)
    changed_at = {job_id: client.get_job(job_id).updated_at.timestamp() for job_id in burst}

    def covers_the_burst() -> bool:
        """The saved watermark is past each change of the burst, or at its second and holding its key (changes
        made within one second share the watermark's time: its time alone says nothing)."""
        saved = Watermark.from_json(saved_watermark())
        return saved.at is not None and all(
            saved.at > at or (saved.at == at and f"job_updated:{job_id}:{at:.0f}" in saved.keys)
            for job_id, at in changed_at.items()
        )

    # killed once the watermark covers the burst (a kill before that may repeat events: the window
    # triggers/events.py describes, not what this checks)
    wait_for("the watermark to cover the burst", covers_the_burst, 60)
    kill()
    client.update_job(last, {"status": "ACTIVE"})  # changed while no triggerer runs
    restart()
    wait_for("the change made while the triggerer was down", lambda: last in reported(), 120)
    time.sleep(poll)  # a repeat would come with the first poll after the restart, which reported `last`: one more
    return Counter(job_id for job_id in reported() if job_id != probe), [first, *burst, last]
