"""One-way job sync from a source system (ATS, HRIS) into TapTalent, safe to interrupt at any point.

For each source record the sync keeps, in a state file, the TapTalent job id, the hash of the content last
sent and both sides' timestamps. A create is written to the state as *pending* before it is sent, so a
crash between TapTalent creating the job and the state recording it is resolved on the next run by
finding that job (and by the create's idempotency key), never by creating a second one.

Rules: a new record is created (or adopted, when an unmapped TapTalent job has the same match fields);
an unchanged record is left alone; a TapTalent job changed since the last sync is reported as drift; a
changed record is PATCHed, unless TapTalent's copy changed since the last sync *and* is newer than the
record: then the record loses (newest timestamp wins) and is reported as a conflict. Comparing with
TapTalent's time only when someone else changed the job keeps the sync's own writes (always "newer"
than the record they copied) from passing for conflicts.

Cost: records are handled in chunks of :data:`CHUNK`; the state is written once per chunk that creates
(the write-ahead of its creates, carrying the results of the chunks before it) and once at the end, so the
writes grow with the changes, not with their square, and a run that changes nothing writes nothing.
Two runs on one state never work at once: the state is locked for the whole run (see :class:`SyncState`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_taptalent.client.contract import MAX_PER_PAGE
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentNotFoundError
from airflow_provider_taptalent.client.models import Job
from airflow_provider_taptalent.client.models.jobs import wire_name
from airflow_provider_taptalent.client.operations.jobs import made_by
from airflow_provider_taptalent.utils.export import row
from airflow_provider_taptalent.utils.idempotency import content_hash
from airflow_provider_taptalent.utils.pages import PageReader
from airflow_provider_taptalent.utils.sync_records import Known, SourceJob, SyncReport, after
from airflow_provider_taptalent.utils.sync_state import OwnershipLedger, SyncState

if TYPE_CHECKING:
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

log = logging.getLogger(__name__)
#: records handled between two state writes
CHUNK = 200
#: a state entry's change the source won, kept until ``changes_path`` has it
UNWRITTEN = "unwritten_change"


class JobSync:
    """Applies source jobs to TapTalent through a hook, recording each step in the state."""

    def __init__(
        self,
        hook: TapTalentHook,
        state: SyncState,
        *,
        adopt_existing: bool,
        match_fields: Sequence[str],
        report: SyncReport | None = None,
        conflict_policy: str = "newest",
        max_concurrency: int = 1,
    ) -> None:
        self.hook = hook
        self.state = state
        self.adopt_existing = adopt_existing
        self.match_fields = [wire_name(name) for name in match_fields]
        self.report = report or SyncReport()
        self.conflict_policy = conflict_policy
        self.max_concurrency = max_concurrency
        self._updates: list[tuple[SourceJob, Job]] = []
        self._dirty = False
        #: jobs that another sync's state maps (the ownership ledger): never adopted
        self.owned_elsewhere: set[str] = set()
        #: the ownership ledger, claimed at each chunk's creates and before each adoption
        self.ledger: OwnershipLedger | None = None
        #: changes go to a file (``changes_path``): the ones the source won wait in the state until written
        self.keep_changes = False
        self.existing: set[str] = set()

    def run(self, sources: Sequence[SourceJob]) -> SyncReport:
        """Sync ``sources``; call it holding :meth:`SyncState.locked` (the operator does)."""
        remote = {str(job.id): job for job in self._remote_jobs()}
        mapped = {str(entry["job_id"]) for entry in self.state.jobs.values() if entry.get("job_id") is not None}
        # Jobs that existed before this run: never taken for the one a create of this run made.
        self.existing = set(remote)
        self._dirty = False
        # What an earlier run overwrote in TapTalent but did not get into changes_path before it died.
        self.report.changes.extend(
            e[UNWRITTEN] for e in self.state.jobs.values() if self.keep_changes and UNWRITTEN in e
        )
        for start in range(0, len(sources), CHUNK):
            self._chunk(sources[start : start + CHUNK], remote, mapped)
        if self.keep_changes:
            for change in self.report.changes:
                entry = self.state.jobs.get(change["external_id"])
                if change["kept"] == "source" and entry is not None and UNWRITTEN not in entry:
                    entry[UNWRITTEN] = change  # TapTalent's overwritten edit is recorded nowhere else
                    self._dirty = True
        if self._dirty:
            self.state.save()
        return self.report

    def _remote_jobs(self) -> list[Job]:
        """Every TapTalent job, each once: page 1, then the others ``max_concurrency`` at a time.

        A job created meanwhile hides none (:class:`~airflow_provider_taptalent.utils.pages.PageReader`).
        """

        def page(number: int) -> tuple[list[Job], int]:
            found = self.hook.list_jobs(page_number=number, per_page=MAX_PER_PAGE)
            return found.jobs, found.total_jobs

        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="taptalent-sync") as pool:
            reader = PageReader(
                page, MAX_PER_PAGE, key=lambda job: str(job.id), pool=pool, concurrency=self.max_concurrency
            )
            return [job for jobs in reader for job in jobs]

    def _chunk(self, chunk: Sequence[SourceJob], remote: dict[str, Job], mapped: set[str]) -> None:
        """One chunk: decided in order; its creates written ahead in one save; its creates and updates sent
        ``max_concurrency`` at a time; the results recorded in order, in one save."""
        dirty = False
        self._updates = []
        to_create: list[SourceJob] = []
        for source in chunk:
            try:
                outcome = self._without_create(source, remote, mapped)
            except TapTalentError as error:
                self._failed(source, error)
                continue
            if outcome == "create":
                to_create.append(source)
            dirty = dirty or outcome == "changed"
        if to_create:
            for source in to_create:
                self.state.jobs[source.external_id] = {"job_id": None, "pending": self._pending(source)}
            # Write-ahead (with the results of the chunks before): should the process die after TapTalent
            # created a job, the next run finds it; an update whose result was not saved is recognised.
            self.state.save()
            if self.ledger is not None:  # and no sync beside this one adopts what these creates make
                self.ledger.reserve([self._wanted(source) for source in to_create])
            dirty = True
        created = {s.external_id for s in to_create}
        results = self._send(to_create, mapped)
        for source, job, failure in results:
            if failure is not None:
                self._failed(source, failure)
            elif source.external_id in created:
                self._created(source, job, mapped, sent=source.job.to_wire())
            else:
                self._record(source, job)
                self.report.updated.append(source.external_id)
        if to_create and self.ledger is not None:  # now, not at the end: no sync beside this one adopts them
            self.ledger.add(
                {str(job.id) for s, job, failure in results if failure is None and s.external_id in created}
            )
        self._dirty = self._dirty or dirty  # saved with the next chunk's write-ahead, or at the end

    def _send(self, to_create: list[SourceJob], mapped: set[str]) -> list[_Result]:
        """The chunk's creates and updates, ``max_concurrency`` at a time, as ``(source, job, error)`` in order.

        Creates with the same content go one after the other, in one lane: a create's recovery tells its own
        job from another only by content and time, so two identical ones never race (and each one's job is
        in ``mapped``, which recovery excludes, before the next starts).
        """
        lanes: dict[str, list[Callable[[], tuple[SourceJob, Any, Any]]]] = {}
        for source in to_create:
            lanes.setdefault(source.content_hash, []).append(functools.partial(self._create_one, source, mapped))
        for source, job in self._updates:
            lanes.setdefault(f"update:{source.external_id}", []).append(
                functools.partial(self._update_one, source, job)
            )
        order = {s.external_id: n for n, s in enumerate([*to_create, *(u[0] for u in self._updates)])}
        if self.max_concurrency <= 1 or len(lanes) <= 1:
            done = [result for lane in lanes.values() for result in _run_lane(lane)]
        else:
            workers, stop = min(self.max_concurrency, len(lanes)), threading.Event()
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="taptalent-sync") as pool:
                runs = pool.map(functools.partial(_run_lane, stop=stop), lanes.values())
                done = [result for results in runs for result in results]
        return sorted(done, key=lambda r: order[r[0].external_id])

    def _create_one(self, source: SourceJob, mapped: set[str]) -> tuple[SourceJob, Any, Any]:
        try:
            pending = self.state.jobs[source.external_id]["pending"]
            # ``mapped`` itself, not a copy: what the other lanes create meanwhile is excluded too
            job = self.hook.create_job(
                source.job, idempotency_key=pending["idempotency_key"], known_job_ids=Known(self.existing, mapped)
            )
            mapped.add(str(job.id))
            return source, job, None
        except TapTalentError as error:
            return source, None, error

    def _update_one(self, source: SourceJob, job: Job) -> tuple[SourceJob, Any, Any]:
        try:
            return source, self.hook.update_job(job.id, source.job.to_wire()), None
        except TapTalentError as error:
            return source, None, error

    def _without_create(self, source: SourceJob, remote: dict[str, Job], mapped: set[str]) -> str:
        """Everything but a new create: ``"create"`` when one is needed, ``"changed"`` or ``"same"`` else."""
        entry = self.state.jobs.get(source.external_id)
        if entry is None or entry.get("job_id") is None:
            pending = (entry or {}).get("pending") or {}
            job, sent = self._recover(pending, remote, mapped), pending.get("job")
            if job is None and self.adopt_existing:
                adopted = self._adopt(source, remote, mapped)
                if adopted is not None:
                    mapped.add(str(adopted.id))
                    self.report.adopted.append(source.external_id)
                    if not adopted.matches(source.job.to_wire()):
                        adopted = self.hook.update_job(adopted.id, source.job.to_wire())
                    self._record(source, adopted)
                    return "changed"
            if job is None:
                return "create"
            self._created(source, job, mapped, sent=sent)
            return "changed"
        job = remote.get(str(entry["job_id"]))
        if job is None:
            raise TapTalentNotFoundError(f"TapTalent job {entry['job_id']} of {source.external_id} no longer exists")
        drifted = after(job.updated_at, entry.get("taptalent_updated_at"))
        stamp = job.updated_at.isoformat() if job.updated_at else None
        if entry.get("content_hash") == source.content_hash:
            self.report.unchanged.append(source.external_id)
            if drifted:
                self._change(source, job, entry, stamp, kind="drift", kept="taptalent")
            if drifted and entry.get("drift_reported") != stamp:  # once, until TapTalent changes it again
                self.report.drifted.append(source.external_id)
                entry["drift_reported"] = stamp
                return "changed"
            return "same"
        if drifted and job.matches(source.job.to_wire()):
            # TapTalent already holds this content (an update whose result was never recorded): record it.
            self._record(source, job)
            self.report.unchanged.append(source.external_id)
            return "changed"
        if drifted:
            return self._conflict(source, job, entry, stamp)
        return self._update(source, job)

    def _update(self, source: SourceJob, job: Job) -> str:
        self._updates.append((source, job))  # sent with the chunk's other writes, concurrently
        return "changed"

    def _conflict(self, source: SourceJob, job: Job, entry: dict[str, Any], stamp: str | None) -> str:
        """Both sides changed since the last sync: ``conflict_policy`` decides, and it is reported once."""
        source_newer = (
            source.updated_at is not None and job.updated_at is not None and source.updated_at > job.updated_at
        )
        if self.conflict_policy == "newest" and source_newer:  # the record is newer than TapTalent's edit
            self.report.drifted.append(source.external_id)
            self._change(source, job, entry, stamp, kind="conflict", kept="source")
            return self._update(source, job)
        # newest without a newer source time (or with none at all): TapTalent's edit stays
        winner = "source" if self.conflict_policy == "source" else "taptalent"
        marker = [source.content_hash, stamp]
        self._change(source, job, entry, stamp, kind="conflict", kept=winner)
        if winner == "source":
            self._report_conflict(source, job, "source")
            return self._update(source, job)
        if entry.get("conflict_reported") == marker:
            self.report.unchanged.append(source.external_id)
            return "same"
        self._report_conflict(source, job, "taptalent")
        entry["conflict_reported"] = marker
        return "changed"

    def _change(self, source: SourceJob, job: Job, entry: dict[str, Any], stamp: str | None, **what: str) -> None:
        """A job changed in TapTalent since the last sync, for ``changes_path`` (once: see :meth:`changes_written`)."""
        if entry.get("change_written") == stamp and what["kept"] == "taptalent":
            return
        self.report.changes.append(
            {
                "external_id": source.external_id,
                "job_id": job.id,
                "change": what["kind"],
                "kept": what["kept"],
                "taptalent_updated_at": stamp,
                "source_updated_at": source.updated_at.isoformat() if source.updated_at else None,
                "job": row(job),
            }
        )

    def changes_written(self) -> None:
        """The changes reached ``changes_path``: the next runs leave out those TapTalent kept (one state write).

        Until this is called (the file written), a crash loses nothing: the next run reports them again.
        """
        marked = False
        for change in self.report.changes:
            entry = self.state.jobs.get(change["external_id"])
            if entry is not None and change["kept"] == "taptalent":
                entry["change_written"] = change["taptalent_updated_at"]
                marked = True
            if entry is not None and entry.pop(UNWRITTEN, None) is not None:
                marked = True
        if marked:
            self.state.save()

    def _report_conflict(self, source: SourceJob, job: Job, kept: str) -> None:
        self.report.drifted.append(source.external_id)
        self.report.conflicts.append(
            {
                "external_id": source.external_id,
                "job_id": job.id,
                "source_updated_at": source.updated_at.isoformat() if source.updated_at else None,
                "taptalent_updated_at": job.updated_at.isoformat() if job.updated_at else None,
                "kept": kept,
            }
        )

    def _pending(self, source: SourceJob) -> dict[str, Any]:
        key = f"taptalent-sync-{content_hash([source.external_id, source.content_hash])[:48]}"
        # TapTalent's clock, not this worker's: the next run's recovery compares it with createdAt
        return {"idempotency_key": key, "job": source.job.to_wire(), "started": self.hook.server_time()}

    def _created(self, source: SourceJob, job: Job, mapped: set[str], *, sent: Any) -> None:
        mapped.add(str(job.id))
        self.report.created.append(source.external_id)
        if sent != source.job.to_wire():
            job = self.hook.update_job(job.id, source.job.to_wire())  # found or adopted with other content
        self._record(source, job)

    def _failed(self, source: SourceJob, error: TapTalentError) -> None:
        log.warning("Job %s failed to sync: %s", source.external_id, error)
        self.report.failed.append(
            {
                "external_id": source.external_id,
                "error": str(error),
                "details": error.details,
                # an outage outlasted the client's retries: the task fails, for Airflow's retry to finish it
                "retryable": error.retryable,
            }
        )

    def _recover(self, pending: Mapping[str, Any], remote: Mapping[str, Job], mapped: set[str]) -> Job | None:
        """The job an interrupted run created, if it did: found among the jobs listed at the start of this
        run (one listing for every pending create, not one each), or created again under the same key."""
        if not pending.get("job"):
            return None
        started = float(pending.get("started", 0))
        found = next((job for job in remote.values() if made_by(job, pending["job"], started, mapped)), None)
        if found is not None:
            log.info("Found TapTalent job %s created by an interrupted run; not creating another", found.id)
            return found
        # Not visible: send the interrupted create again, with its key, which TapTalent deduplicates (A5).
        return self.hook.create_job(
            pending["job"], idempotency_key=pending["idempotency_key"], known_job_ids=self.existing | mapped
        )

    def _adopt(self, source: SourceJob, remote: dict[str, Job], mapped: set[str]) -> Job | None:
        """An unmapped TapTalent job with the same match fields, that no other sync owns."""
        wanted = self._wanted(source)
        for job_id, job in remote.items():
            if job_id not in mapped and job_id not in self.owned_elsewhere and job.matches(wanted):
                if self.ledger is not None and not self.ledger.take(job_id, wanted):
                    self.owned_elsewhere.add(job_id)  # another sync claimed it since this run began
                    continue
                log.info(
                    "Job %s: adopting the existing TapTalent job %s with the same %s",
                    source.external_id,
                    job_id,
                    ", ".join(wanted),
                )
                return job
        return None

    def _wanted(self, source: SourceJob) -> dict[str, Any]:
        """The record's match fields, as the API names them: what an adoption compares."""
        wire = source.job.to_wire()
        return {name: wire.get(name) for name in self.match_fields}

    def _record(self, source: SourceJob, job: Job) -> None:
        self.state.jobs[source.external_id] = {
            "job_id": job.id,
            "content_hash": source.content_hash,
            "source_updated_at": source.updated_at.isoformat() if source.updated_at else None,
            "taptalent_updated_at": job.updated_at.isoformat() if job.updated_at else None,
            "synced_at": datetime.now(timezone.utc).isoformat(),
        }


_Result = tuple[SourceJob, Any, Any]  # (source, job or None, error or None)


def _run_lane(lane: list[Callable[[], _Result]], stop: threading.Event | None = None) -> list[_Result]:
    """A lane's steps in order; none starts once another lane crashed (``stop``), as in a killed worker."""
    results = []
    for step in lane:
        if stop is not None and stop.is_set():
            break
        try:
            results.append(step())
        except BaseException:
            if stop is not None:
                stop.set()
            raise
    return results
