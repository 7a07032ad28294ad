"""What changed in TapTalent since a watermark: the change detection behind :class:`TapTalentEventTrigger`.

The API has no change feed and no "updated since" filter, so each kind of event is found the cheapest way
its listing allows (A9, A10, A11):

- ``job_created``, ``candidate_created``: listings are newest first by creation, so pages are read until one
  reaches a record no newer than the watermark: one request per poll while nothing is created. That needs a
  listing that grows only at its head (a parsed candidate dated by its parsing: ARCHITECTURE's decisions).
- ``job_updated``: an update does not move a job in the listing, so every poll reads the whole listing
  (one request per 100 jobs); changes are the jobs whose ``updatedAt`` is past the watermark.
- ``job_candidate_scored`` (one job): the job's candidates (their job-candidate ids), then the AI scores of
  those not yet reported (100 a request); a score that is no longer ``PENDING`` is an event, once.
- ``batch_finished``: the API lists no batches (A7), but each parsed candidate names its batch (A10): the
  new candidates since the watermark (as ``candidate_created`` reads them) name the batches that are
  parsing, and each is read (A7, one request) every poll until it is ``COMPLETED`` or ``FAILED``, once. A
  batch none of whose files parsed names itself nowhere: only the webhooks and the batch sensor see it.

A :class:`Watermark` is JSON: the newest time seen (epoch seconds) and the keys of what was reported at that
very time (records created in the same second are told apart), or, for scores, every key reported; for
batches also those still parsing and the latest finished.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_taptalent.client.contract import BATCH_TERMINAL_STATUSES, PER_PAGE_CHOICES
from airflow_provider_taptalent.client.errors import TapTalentNotFoundError

log = logging.getLogger(__name__)

KINDS = ("job_created", "job_updated", "candidate_created", "job_candidate_scored", "batch_finished")
#: the listing page size a watcher reads (the largest: fewest requests)
PER_PAGE = 100


@dataclass
class Watermark:
    """Where a watcher is: ``at`` the newest time seen (``None``: not started), ``keys`` what it reported
    at that time (for scores: every job candidate it reported)."""

    at: float | None = None
    keys: list[str] = field(default_factory=list)
    #: batch_finished: the batches seen parsing, and the latest reported (a batch is reported once)
    pending: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, value: Any) -> Watermark:
        if not isinstance(value, dict):
            return cls()
        at = value.get("at")
        lists = [[str(k) for k in value.get(name) or []] for name in ("keys", "pending", "finished")]
        return cls(float(at) if isinstance(at, (int, float)) else None, *lists)

    def to_json(self) -> dict[str, Any]:
        batches = {"pending": self.pending, "finished": self.finished} if self.pending or self.finished else {}
        return {"at": self.at, "keys": self.keys, **batches}


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _event(kind: str, record_id: Any, at: float, conn_id: str, **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": record_id,
        "at": datetime.fromtimestamp(at, timezone.utc).isoformat(),  # UTC, whatever the triggerer's zone
        "key": f"{kind}:{record_id}:{at:.0f}",
        "taptalent_conn_id": conn_id,
        **more,
    }


async def changes(
    hook: Any, kind: str, watermark: Watermark, *, conn_id: str, job_id: int | None = None
) -> tuple[list[dict[str, Any]], Watermark]:
    """The events since ``watermark`` (oldest first) and the watermark after them. A watcher that has not
    started (``watermark.at`` is ``None``) reports nothing and starts at the newest record."""
    if kind == "job_candidate_scored":
        return await _scored(hook, watermark, conn_id=conn_id, job_id=job_id)
    if kind == "batch_finished":
        return await _batches(hook, watermark, conn_id=conn_id)
    if kind == "job_updated":
        records: AsyncIterator[Any] = hook.aiter_jobs(per_page=PER_PAGE)
        return await _past(records, kind, watermark, conn_id, "updated_at", newest_first=False)
    listing = hook.aiter_jobs(per_page=PER_PAGE) if kind == "job_created" else hook.aiter_candidates(per_page=PER_PAGE)
    return await _past(listing, kind, watermark, conn_id, "created_at", newest_first=True)


async def _past(
    records: AsyncIterator[Any], kind: str, watermark: Watermark, conn_id: str, attribute: str, *, newest_first: bool
) -> tuple[list[dict[str, Any]], Watermark]:
    found, after = await _new(records, kind, watermark, attribute, newest_first=newest_first)
    return [_event(kind, record.id, at, conn_id) for at, record in found], after


async def _new(
    records: AsyncIterator[Any], kind: str, watermark: Watermark, attribute: str, *, newest_first: bool
) -> tuple[list[tuple[float, Any]], Watermark]:
    """The records past ``watermark`` (by ``attribute``, oldest first, with their times) and the watermark
    after them."""
    found: list[tuple[float, Any]] = []
    newest = watermark.at
    seen_at_newest = set(watermark.keys)
    try:
        async for record in records:
            at = _epoch(getattr(record, attribute))
            if at is None:
                continue
            if watermark.at is not None and at < watermark.at:
                if newest_first:
                    break  # the rest is older still
                continue
            key = f"{kind}:{record.id}:{at:.0f}"
            if watermark.at is not None and key not in watermark.keys:
                found.append((at, record))
            if newest is None or at > newest:
                newest, seen_at_newest = at, set()
            if at == newest:
                seen_at_newest.add(key)
    finally:
        await records.aclose()  # type: ignore[attr-defined]  # an async generator: its paging stops here
    found.sort(key=lambda item: (item[0], str(item[1].id)))
    # An empty listing starts a watcher too: everything from now on is new.
    return found, Watermark(newest if newest is not None else 0.0, sorted(seen_at_newest))


#: how many reported batches a watermark remembers: a batch's last candidates, parsed as it ends, may be
#: read a poll after it was reported, and must not report it again
FINISHED_KEPT = 1000


async def _batches(hook: Any, watermark: Watermark, *, conn_id: str) -> tuple[list[dict[str, Any]], Watermark]:
    listing = hook.aiter_candidates(per_page=PER_PAGE)
    found, after = await _new(listing, "candidate_created", watermark, "created_at", newest_first=True)
    pending = dict.fromkeys(watermark.pending)
    finished = list(watermark.finished)
    for _, candidate in found:
        if candidate.batch_id is not None and str(candidate.batch_id) not in finished:
            pending.setdefault(str(candidate.batch_id))
    events = []
    for batch_id in list(pending):
        try:
            batch = await hook.aget_batch(batch_id, per_page=PER_PAGE_CHOICES[0])
        except TapTalentNotFoundError:  # a 404 never mends: a poll failing on it would stall the watcher for good
            log.warning("TapTalent watcher batch_finished: batch %s is not found (404); no longer watched", batch_id)
            del pending[batch_id]
            continue
        if batch.status not in BATCH_TERMINAL_STATUSES:
            continue
        del pending[batch_id]
        finished.append(batch_id)
        events.append(
            {
                "kind": "batch_finished",
                "id": batch.batch_id,
                "key": f"batch_finished:{batch_id}",
                "taptalent_conn_id": conn_id,
                "status": batch.status,
                "file_count": batch.file_count,
                "success_count": batch.success_count,
                "failed_count": batch.failed_count,
            }
        )
    after.pending, after.finished = list(pending), finished[-FINISHED_KEPT:]
    return events, after


async def _scored(
    hook: Any, watermark: Watermark, *, conn_id: str, job_id: int | None
) -> tuple[list[dict[str, Any]], Watermark]:
    reported = set(watermark.keys)
    ids = [c.job_candidate_id async for c in hook.aiter_candidates(per_page=PER_PAGE, job_id=job_id)]
    waiting = [i for i in ids if i is not None and f"job_candidate_scored:{i}" not in reported]
    events = []
    scored = await hook.abulk_fetch_job_candidates(waiting) if waiting else []
    for candidate in sorted(scored, key=lambda c: str(c.id)):
        if candidate.profile_match_score is None or (candidate.evaluation_status or "PENDING") == "PENDING":
            continue
        key = f"job_candidate_scored:{candidate.id}"
        reported.add(key)
        if watermark.at is not None:  # a watcher that starts reports the scores that come after it
            events.append(
                {
                    "kind": "job_candidate_scored",
                    "id": candidate.id,
                    "key": key,
                    "taptalent_conn_id": conn_id,
                    "job_id": job_id,
                    "score": candidate.profile_match_score,
                    "evaluation": candidate.evaluation_status,
                }
            )
    return events, Watermark(watermark.at if watermark.at is not None else 0.0, sorted(reported))
