"""TapTalentBatchTrigger: waits in the triggerer, holding no worker slot, until bulk-upload batches finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio

from airflow_provider_taptalent._compat import BaseTrigger, TriggerEvent
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.utils import batches as _batches
from airflow_provider_taptalent.utils.failures import describe

#: the least time between two progress lines of one wait
PROGRESS_SECONDS = 30.0


class TapTalentBatchTrigger(BaseTrigger):
    """Polls batches until every one is COMPLETED or FAILED, or ``end_time`` passes; fires one event.

    Between polls it sleeps until an answer can have changed: from each batch's processed count and its
    rate, until the soonest estimated finish; ``poll_interval`` at most (and while there is no rate yet).

    Every argument is a JSON primitive, and the deadline is absolute wall-clock time computed by the task
    before it deferred: a trigger rebuilt from :meth:`serialize` after a triggerer restart (or moved to
    another triggerer) keeps the original deadline.

    Events: ``{"status": "success", "batches": [summary, ...]}``, ``{"status": "timeout", "message",
    "batches"}`` (the progress so far) or ``{"status": "error", "message", "batch_ids"}``. Whether finished
    batches are good enough is decided by the task, in ``execute_complete``.

    :param batch_ids: the batches to wait for.
    :param taptalent_conn_id: the TapTalent connection.
    :param poll_interval: the longest wait between polls, in seconds.
    :param end_time: epoch seconds after which the trigger gives up with a ``timeout`` event.
    """

    def __init__(
        self, batch_ids: Sequence[int | str], taptalent_conn_id: str, poll_interval: float, end_time: float
    ) -> None:
        super().__init__()
        self.batch_ids = list(batch_ids)
        self.taptalent_conn_id = taptalent_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "batch_ids": self.batch_ids,
                "taptalent_conn_id": self.taptalent_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # The wait, its client included, is over before the event is yielded: nothing is left open for
        # the triggerer to close, and a closing generator never has a second event to give.
        yield TriggerEvent(await self._wait())

    async def _wait(self) -> dict[str, Any]:
        finished: dict[str, dict[str, Any]] = {}
        pending = list(self.batch_ids)
        self._reported, self._reported_at = "", -PROGRESS_SECONDS
        seen: dict[str, tuple[float, int]] = {}
        try:
            # One hook, so one async client and one connection look-up, for the whole wait.
            async with TapTalentHook(self.taptalent_conn_id) as hook:
                # The connection is read before the deadline's scope: its look-up hands off to threads
                # (before Airflow 3.3, asgiref's), where a cancel from the scope came out as CancelledError
                # instead of the deadline (seen 1 in 10 runs of a trigger restarted past its deadline).
                await hook.asettings()
                while True:
                    try:
                        # The deadline holds even while a request hangs: the poll gets the time left.
                        # (anyio, not asyncio.wait_for: before Python 3.12 that can swallow the triggerer's
                        # cancellation when the poll ends at the same moment, and the wait goes on.)
                        with anyio.fail_after(max(self.end_time - time.time(), 0.001)):
                            summaries = await _batches.apoll(hook, pending)
                    except TimeoutError:
                        return self._timeout(pending, finished)
                    for summary in summaries:
                        if _batches.is_terminal(summary):
                            finished[str(summary["batch_id"])] = summary
                    pending = [b for b in pending if str(b) not in finished]
                    if not pending:
                        return {"status": "success", "batches": self._in_order(finished)}
                    # Progress with counts; each request is already at DEBUG.
                    running = [s for s in summaries if not _batches.is_terminal(s)]
                    self._report(_batches.progress([*finished.values(), *running]))
                    remaining = self.end_time - time.time()
                    if remaining <= 0:
                        return self._timeout(pending, finished)
                    # Sleep until an answer can have changed: the soonest estimated finish (progress-based).
                    wait = _batches.next_poll(seen, running, time.time(), self.poll_interval)
                    await asyncio.sleep(min(wait, remaining))
        except Exception as error:  # a trigger reports every failure as its one event, with the ids
            return {"status": "error", "message": describe(error), "batch_ids": self.batch_ids}

    def _report(self, progress: str) -> None:
        """A progress line when it moved, at most every PROGRESS_SECONDS (a triggerer runs many waits)."""
        if progress != self._reported and time.monotonic() - self._reported_at >= PROGRESS_SECONDS:
            self.log.info("Waiting for TapTalent batches: %s", progress)
            self._reported, self._reported_at = progress, time.monotonic()

    def _timeout(self, pending: list[int | str], finished: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "status": "timeout",
            "message": f"batches {', '.join(map(str, pending))} still running at the deadline",
            "batches": self._in_order(finished),
        }

    def _in_order(self, finished: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [finished[str(b)] for b in self.batch_ids if str(b) in finished]
