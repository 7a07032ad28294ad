"""Webhook deliveries as A8 describes them: POST, JSON envelope, three headers, 5 s to answer, retried.

Delivery is at-least-once: a delivery that fails (non-2xx, timeout, refused) is retried with doubling
waits, and on request the dispatcher sends duplicates and lets deliveries overtake each other, so that
receivers can be tested against what real webhooks do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime, timezone
from typing import Any

import httpx

from airflow_provider_taptalent.sandbox.config import WebhookSettings
from airflow_provider_taptalent.sandbox.store import Batch, Clock, Store

log = logging.getLogger("taptalent.sandbox.webhooks")
FAILED_BATCH_REASON = "NO_READABLE_FILES"


class WebhookDispatcher:
    """Queues batch events and delivers them in the background."""

    def __init__(self, settings: WebhookSettings, seed: int, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.deliveries: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def announce(self, store: Store, batch: Batch, now: float) -> None:
        """Queue the events a batch's clock has passed since the last look (started, completed/failed)."""
        status = batch.status(now)
        if status == "PENDING":
            return
        company_id = batch.company_id
        if "started" not in batch.announced:
            batch.announced.add("started")
            self.emit("resume.bulk_upload_parse.started", company_id, _started(batch))
        if status in ("COMPLETED", "FAILED") and "finished" not in batch.announced:
            batch.announced.add("finished")
            event = "completed" if status == "COMPLETED" else "failed"
            self.emit(f"resume.bulk_upload_parse.{event}", company_id, _finished(batch, status, now))

    def emit(self, event: str, company_id: int, data: dict[str, Any]) -> None:
        if not self.settings.url:
            return
        envelope = {"event": event, "timestamp": _iso_seconds(self.clock.now()), "companyId": company_id, "data": data}
        copies = 2 if self._rng.random() < self.settings.duplicate_rate else 1
        for copy in range(copies):
            delay = self._rng.uniform(0, self.settings.reorder_seconds) if self.settings.reorder_seconds else 0.0
            task = asyncio.get_running_loop().create_task(self._deliver(envelope, delay, duplicate=copy > 0))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, envelope: dict[str, Any], delay: float, *, duplicate: bool) -> None:
        await asyncio.sleep(delay)
        body = json.dumps(envelope).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Event": envelope["event"],
            "X-Webhook-Timestamp": envelope["timestamp"],
            "X-Webhook-Key": self.settings.key or "",
        }
        for attempt in range(1, self.settings.max_attempts + 1):
            record: dict[str, Any] = {
                "event": envelope["event"],
                "batchId": envelope["data"].get("batchId"),
                "attempt": attempt,
                "duplicate": duplicate,
                "at": self.clock.now(),
            }
            try:
                response = await self._http().post(
                    self.settings.url or "", content=body, headers=headers, timeout=self.settings.timeout
                )
                record["statusCode"] = response.status_code
                ok = response.is_success
            except httpx.HTTPError as error:
                record["error"] = type(error).__name__
                ok = False
            record["status"] = "Success" if ok else ("Failed" if attempt == self.settings.max_attempts else "Retrying")
            self.deliveries.append(record)
            if ok:
                return
            if attempt < self.settings.max_attempts:
                await asyncio.sleep(self.settings.retry_base * 2 ** (attempt - 1))
        log.warning("Webhook %s for batch %s gave up", envelope["event"], envelope["data"].get("batchId"))

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    def pending(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _started(batch: Batch) -> dict[str, Any]:
    return {"batchId": batch.id, "fileCount": len(batch.urls), "jobId": batch.job_id}


def _finished(batch: Batch, status: str, now: float) -> dict[str, Any]:
    counts = batch.counts(now)
    data: dict[str, Any] = {"batchId": batch.id, "status": status, "fileCount": counts["fileCount"]}
    if status == "COMPLETED":
        data.update(successCount=counts["successCount"], failedCount=counts["failedCount"])
    else:
        data["reason"] = FAILED_BATCH_REASON
    data["jobId"] = batch.job_id
    return data


def _iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
