"""Waiting for bulk-upload batches: one reading of batch ids, progress, outcome and trigger events.

The sensor (poke and deferrable), the upload operator (waiting or not) and the trigger all use these
functions, so the same batches end the same way whichever path waited for them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_taptalent.client.contract import BATCH_FAILED_STATUS, BATCH_TERMINAL_STATUSES, PER_PAGE_CHOICES
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentInputError
from airflow_provider_taptalent.client.models import BatchPage
from airflow_provider_taptalent.utils import metrics
from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed

if TYPE_CHECKING:
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

log = logging.getLogger(__name__)

BatchId = int | str
#: failed files kept per batch in a summary: XComs stay small (the full list is in the API)
MAX_FAILED_FILES_IN_SUMMARY = 20
#: event statuses a batch trigger may send; anything else is refused
EVENT_STATUSES = frozenset({"success", "timeout", "error"})
# Status reads need no candidates: ask for the smallest page.
_STATUS_PAGE = PER_PAGE_CHOICES[0]
_POLL_CONCURRENCY = 8


def batch_ids_from(value: Any, *, field: str = "batch_ids") -> list[BatchId]:
    """Batch ids from what a DAG passes: one id, a list of ids, the upload operator's summaries, or JSON text.

    :raises TapTalentInputError: naming ``field`` when nothing usable was given.
    """
    if isinstance(value, str) and value.strip().startswith(("[", "{")):
        try:
            value = json.loads(value)
        except ValueError:
            raise TapTalentInputError(f"{field} is not valid JSON", details={field: value[:80]}) from None
    items = [value] if isinstance(value, (int, str, Mapping)) else value
    if not isinstance(items, Iterable) or isinstance(items, (bytes, bytearray)):
        raise TapTalentInputError(
            f"Invalid {field}", details={field: f"expected batch ids, got {type(value).__name__}"}
        )
    ids: list[BatchId] = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("batch_id", item.get("batchId"))
        if isinstance(item, bool) or not isinstance(item, (int, str)) or str(item).strip() == "":
            raise TapTalentInputError(f"Invalid {field}", details={field: f"not a batch id: {item!r}"})
        if item not in ids:
            ids.append(item.strip() if isinstance(item, str) else item)
    if not ids:
        raise TapTalentInputError(f"Invalid {field}", details={field: "no batch ids given"})
    return ids


def check_ratio(max_failed_ratio: float | None) -> None:
    """``max_failed_ratio`` is a share of files, 0 to 1 (checked when the DAG is parsed)."""
    if max_failed_ratio is not None and (isinstance(max_failed_ratio, bool) or not 0 <= max_failed_ratio <= 1):
        raise ValueError(f"max_failed_ratio must be a share between 0 and 1, not {max_failed_ratio!r}")


def summarize(page: BatchPage) -> dict[str, Any]:
    """What a task returns per batch: counts and a few failed files, never candidates."""
    return {
        "batch_id": page.batch_id,
        "status": page.status,
        "file_count": page.file_count,
        "processed_count": page.processed_count,
        "success_count": page.success_count,
        "failed_count": page.failed_count,
        "failed_files": [f.model_dump(mode="json") for f in page.failed_files[:MAX_FAILED_FILES_IN_SUMMARY]],
    }


def is_terminal(summary: Mapping[str, Any]) -> bool:
    return summary.get("status") in BATCH_TERMINAL_STATUSES


def poll(hook: TapTalentHook, batch_ids: Sequence[BatchId]) -> list[dict[str, Any]]:
    """The current summary of each batch (sync: worker processes)."""
    return [summarize(hook.get_batch(batch_id, per_page=_STATUS_PAGE)) for batch_id in batch_ids]


async def apoll(hook: TapTalentHook, batch_ids: Sequence[BatchId]) -> list[dict[str, Any]]:
    """The current summary of each batch, read concurrently over the hook's one async client."""
    if len(batch_ids) == 1:  # the common case, and a triggerer runs many of them: no task, no semaphore
        return [summarize(await hook.aget_batch(batch_ids[0], per_page=_STATUS_PAGE))]
    limit = asyncio.Semaphore(_POLL_CONCURRENCY)

    async def one(batch_id: BatchId) -> dict[str, Any]:
        async with limit:
            return summarize(await hook.aget_batch(batch_id, per_page=_STATUS_PAGE))

    return list(await asyncio.gather(*(one(batch_id) for batch_id in batch_ids)))


def progress(summaries: Sequence[Mapping[str, Any]]) -> str:
    done = sum(is_terminal(s) for s in summaries)
    processed = sum(int(s.get("processed_count") or 0) for s in summaries)
    files = sum(int(s.get("file_count") or 0) for s in summaries)
    return f"{done}/{len(summaries)} batches finished, {processed:,}/{files:,} files processed"


def check_outcome(summaries: Sequence[Mapping[str, Any]], max_failed_ratio: float | None) -> list[dict[str, Any]]:
    """Fail on FAILED batches, or on more failed files than ``max_failed_ratio`` allows; else log and return.

    :raises TapTalentTaskFailed: naming each batch and its reasons (no retry: the files will not parse).
    """
    metrics.batches_finished(summaries)
    failed = [s for s in summaries if s.get("status") == BATCH_FAILED_STATUS]
    if failed:
        reasons = {str(s["batch_id"]): _reasons(s) or "the batch failed" for s in failed}
        raise TapTalentTaskFailed(
            f"{len(failed)} of {len(summaries)} batches FAILED: "
            + "; ".join(f"batch {k}: {v}" for k, v in reasons.items()),
            details=reasons,
        )
    files = sum(int(s.get("file_count") or 0) for s in summaries)
    failed_files = sum(int(s.get("failed_count") or 0) for s in summaries)
    ratio = failed_files / files if files else 0.0
    if max_failed_ratio is not None and ratio > max_failed_ratio:
        raise TapTalentTaskFailed(
            f"{failed_files:,} of {files:,} resumes failed ({ratio:.1%}), over max_failed_ratio "
            f"{max_failed_ratio:.1%}: "
            + "; ".join(f"batch {s['batch_id']}: {_reasons(s)}" for s in summaries if _reasons(s)),
            details={str(s["batch_id"]): _reasons(s) for s in summaries if s.get("failed_count")},
        )
    for summary in summaries:
        for failure in summary.get("failed_files", []):
            log.warning("Batch %s: %s failed (%s)", summary["batch_id"], failure.get("url"), failure.get("reason"))
    log.info(
        "All %d batches finished: %s resumes parsed, %s failed",
        len(summaries),
        f"{files - failed_files:,}",
        f"{failed_files:,}",
    )
    return [dict(s) for s in summaries]


def _reasons(summary: Mapping[str, Any]) -> str:
    counts: dict[str, int] = {}
    for failure in summary.get("failed_files", []):
        reason = str(failure.get("reason") or "unknown")
        counts[reason] = counts.get(reason, 0) + 1
    more = int(summary.get("failed_count") or 0) - sum(counts.values())
    parts = [f"{n} {reason}" for reason, n in counts.items()] + ([f"{more} more"] if more > 0 else [])
    return ", ".join(parts)


def read_event(event: Any, timeout_error: type[Exception]) -> list[dict[str, Any]]:
    """The batch summaries of a trigger event, failing closed.

    The event crossed the triggerer/worker boundary through the database: a missing or unknown one is an
    error, never a success.

    :param timeout_error: what a timeout raises (``AirflowSensorTimeout`` for the sensor).
    """
    if not isinstance(event, Mapping) or event.get("status") not in EVENT_STATUSES:
        raise TapTalentError(f"The batch trigger sent no usable event: {event!r}")
    if event["status"] == "timeout":
        raise timeout_error(f"Timed out waiting for TapTalent batches: {event.get('message', '')}".rstrip(": "))
    if event["status"] == "error":
        raise TapTalentError(f"Waiting for TapTalent batches failed: {event.get('message', 'no message')}")
    batches = event.get("batches")
    if not isinstance(batches, list) or not all(isinstance(b, Mapping) and is_terminal(b) for b in batches):
        raise TapTalentError(f"The batch trigger's success event has no finished batches: {event!r}")
    return [dict(b) for b in batches]


#: the shortest wait between two polls of an ETA-aware wait, in seconds (never more than ``poll_interval``)
MIN_POLL = 1.0
#: waits are spread by up to this share, so that many waits do not poll in step: an estimated finish is
#: only ever pushed later (polling before it would be a request wasted), ``poll_interval`` only earlier
POLL_JITTER = 0.1
#: a batch seen moving for the first time is looked at again after this share of ``poll_interval``: the
#: time it waited in PENDING would make its first rate too slow, and its finish too late
RATE_SAMPLE_SHARE = 0.2


def next_poll(
    seen: dict[str, tuple[float, int]],
    summaries: Sequence[Mapping[str, Any]],
    now: float,
    poll_interval: float,
    *,
    rng: Any = None,
) -> float:
    """Seconds until an answer can have changed: the soonest estimated finish of the batches still running.

    Each batch's rate is its progress since the first poll that saw it moving (``seen`` keeps ``{batch_id:
    (time, processed)}`` of that poll, or of the last one before it moved): the longer the baseline, the
    less a count of whole files blurs the rate. Without a rate yet (a PENDING batch, a first poll), the
    wait is ``poll_interval``, which is also the longest; the shortest is :data:`MIN_POLL`. A batch that has
    just started moving is sampled again soon (:data:`RATE_SAMPLE_SHARE`) for a rate of its own.
    """
    import random

    draw = float((rng or random).uniform(0, POLL_JITTER))
    estimates = []
    for summary in summaries:
        if is_terminal(summary):
            continue
        batch_id = str(summary.get("batch_id"))
        processed, files = int(summary.get("processed_count") or 0), int(summary.get("file_count") or 0)
        before = seen.get(batch_id)
        if before is not None and processed > before[1] and now > before[0]:
            if before[1] == 0:  # it just started: its PENDING time is not part of a rate
                estimates.append(max(RATE_SAMPLE_SHARE * poll_interval, MIN_POLL))
            else:
                rate = (processed - before[1]) / (now - before[0])
                estimates.append(max(files - processed, 1) / rate * (1 + draw))
        if before is None or (before[1] == 0 and processed > 0):  # kept from the first sign of movement on
            seen[batch_id] = (now, processed)
    wait: float = min(estimates) if estimates else poll_interval * (1 - draw)
    return max(min(MIN_POLL, poll_interval), min(wait, poll_interval))
