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
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_taptalent._compat import ObjectStoragePath
from airflow_provider_taptalent._idempotency import content_hash
from airflow_provider_taptalent.exceptions import TapTalentError, TapTalentInputError, TapTalentNotFoundError
from airflow_provider_taptalent.models import Job, JobCreate, parse_timestamp
from airflow_provider_taptalent.models.jobs import wire_name

if TYPE_CHECKING:
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

log = logging.getLogger(__name__)
STATE_VERSION = 1
#: entries listed per category in the task's report (the counts are always complete)
MAX_REPORTED = 100

Mapping_ = Mapping[str, str] | Callable[[dict[str, Any]], Mapping[str, Any]] | None


@dataclass(frozen=True)
class SourceJob:
    external_id: str
    updated_at: datetime
    job: JobCreate
    content_hash: str


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in ("created", "updated", "unchanged", "conflicts", "failed", "drifted")
        }

    def details(self) -> dict[str, list[Any]]:
        return {name: getattr(self, name)[:MAX_REPORTED] for name in ("conflicts", "failed", "drifted")}


def source_jobs(
    records: Sequence[Mapping[str, Any]],
    *,
    mapping: Mapping_ = None,
    id_field: str = "external_id",
    updated_field: str = "updated_at",
) -> tuple[list[SourceJob], list[dict[str, Any]]]:
    """Source records as jobs, and the records that cannot be (with their id and field errors).

    The mapping turns a record into job fields: ``None`` takes the record's keys that are job fields
    (snake_case or camelCase); a dict renames ``{source_field: job_field}`` first; a callable returns the
    job fields itself. Empty values (CSV cells) count as absent.
    """
    jobs: dict[str, SourceJob] = {}
    failed: list[dict[str, Any]] = []
    for position, record in enumerate(records):
        external_id = str(record.get(id_field) or "").strip()
        label = external_id or f"(record {position})"
        try:
            if not external_id:
                raise TapTalentInputError("no external id", details={id_field: "required"})
            updated_at = _timestamp(record.get(updated_field), updated_field)
            job = JobCreate.coerce(_job_fields(record, mapping, (id_field, updated_field)), what=f"job {external_id}")
        except TapTalentInputError as error:
            failed.append({"external_id": label, "error": str(error), "details": error.details})
            continue
        candidate = SourceJob(external_id, updated_at, job, content_hash(job.to_wire()))
        earlier = jobs.get(external_id)
        if earlier is not None:
            loser = min(earlier, candidate, key=lambda s: s.updated_at)
            failed.append(
                {"external_id": label, "error": "duplicate external id: the older record was skipped", "details": {}}
            )
            candidate = candidate if loser is earlier else earlier
        jobs[external_id] = candidate
    return list(jobs.values()), failed


def _timestamp(value: Any, name: str) -> datetime:
    try:
        parsed = parse_timestamp(value)
    except ValueError as error:
        raise TapTalentInputError("bad timestamp", details={name: str(error)}) from None
    if parsed is None:
        raise TapTalentInputError("no timestamp", details={name: "required: the time the record last changed"})
    return parsed


def _job_fields(record: Mapping[str, Any], mapping: Mapping_, consumed: tuple[str, ...]) -> dict[str, Any]:
    if callable(mapping):
        return {k: v for k, v in dict(mapping(dict(record))).items() if v not in (None, "")}
    renamed = {(mapping or {}).get(k, k): v for k, v in record.items() if k not in consumed}
    known = set(JobCreate.model_fields) | {wire_name(name) for name in JobCreate.model_fields}
    return {k: v for k, v in renamed.items() if k in known and v not in (None, "")}


class SyncState:
    """The state file: ``{"version": 1, "jobs": {external_id: entry}}``, rewritten whole after each change.

    A local file is replaced atomically (write, then rename); an object-storage object is replaced by one
    PUT, which object stores apply atomically too.
    """

    def __init__(self, path: ObjectStoragePath) -> None:
        self.path = path
        self.jobs: dict[str, dict[str, Any]] = {}

    @classmethod
    def load(cls, path: ObjectStoragePath) -> SyncState:
        state = cls(path)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as error:
                raise TapTalentInputError(
                    "Invalid state_path", details={"state_path": f"not a sync state file: {error}"}
                ) from None
            if (
                not isinstance(data, dict)
                or data.get("version") != STATE_VERSION
                or not isinstance(data.get("jobs"), dict)
            ):
                raise TapTalentInputError(
                    "Invalid state_path", details={"state_path": "not a sync state file (version 1)"}
                )
            state.jobs = data["jobs"]
        return state

    def save(self) -> None:
        text = json.dumps({"version": STATE_VERSION, "jobs": self.jobs}, indent=1, sort_keys=True)
        if self.path.protocol in ("", "file"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = ObjectStoragePath(f"{self.path}.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.rename(self.path)
        else:
            self.path.write_text(text, encoding="utf-8")


class JobSync:
    """Applies source jobs to TapTalent through a hook, recording each step in the state."""

    def __init__(
        self, hook: TapTalentHook, state: SyncState, *, adopt_existing: bool, match_fields: Sequence[str]
    ) -> None:
        self.hook = hook
        self.state = state
        self.adopt_existing = adopt_existing
        self.match_fields = [wire_name(name) for name in match_fields]
        self.report = SyncReport()

    def run(self, sources: Sequence[SourceJob]) -> SyncReport:
        remote = {str(job.id): job for job in self.hook.iter_jobs()}
        mapped = {str(entry.get("job_id")) for entry in self.state.jobs.values() if entry.get("job_id") is not None}
        for source in sources:
            try:
                self._one(source, remote, mapped)
            except TapTalentError as error:
                log.warning("Job %s failed to sync: %s", source.external_id, error)
                self.report.failed.append(
                    {"external_id": source.external_id, "error": str(error), "details": error.details}
                )
        return self.report

    def _one(self, source: SourceJob, remote: dict[str, Job], mapped: set[str]) -> None:
        entry = self.state.jobs.get(source.external_id)
        if entry is None or entry.get("job_id") is None:
            job, sent = self._recover(entry or {}), (entry or {}).get("pending", {}).get("job")
            if job is None and self.adopt_existing:
                job, sent = self._adopt(source, remote, mapped), None
            if job is None:
                job, sent = self._create(source), source.job.to_wire()
            mapped.add(str(job.id))
            self.report.created.append(source.external_id)
            if sent != source.job.to_wire():
                job = self.hook.update_job(job.id, source.job.to_wire())  # found or adopted with other content
            self._record(source, job)
            return
        job = remote.get(str(entry["job_id"]))
        if job is None:
            raise TapTalentNotFoundError(f"TapTalent job {entry['job_id']} of {source.external_id} no longer exists")
        drifted = _after(job.updated_at, entry.get("taptalent_updated_at"))
        if drifted:
            self.report.drifted.append(source.external_id)
        if entry.get("content_hash") == source.content_hash:
            self.report.unchanged.append(source.external_id)
            return
        if drifted and job.updated_at is not None and source.updated_at < job.updated_at:
            self.report.conflicts.append(
                {
                    "external_id": source.external_id,
                    "job_id": job.id,
                    "source_updated_at": source.updated_at.isoformat(),
                    "taptalent_updated_at": job.updated_at.isoformat(),
                }
            )
            return
        updated = self.hook.update_job(job.id, source.job.to_wire())
        self._record(source, updated)
        self.report.updated.append(source.external_id)

    def _create(self, source: SourceJob) -> Job:
        key = f"taptalent-sync-{content_hash([source.external_id, source.content_hash])[:48]}"
        # Write-ahead: should the process die after TapTalent created the job, the next run finds it.
        pending = {"idempotency_key": key, "job": source.job.to_wire(), "started": time.time()}
        self.state.jobs[source.external_id] = {"job_id": None, "pending": pending}
        self.state.save()
        return self.hook.create_job(source.job, idempotency_key=key)

    def _recover(self, entry: dict[str, Any]) -> Job | None:
        """The job an interrupted run created, if it did: looked up, or created again under the same key."""
        pending = entry.get("pending") or {}
        if not pending.get("job"):
            return None
        found = self.hook.find_created_job(pending["job"], float(pending.get("started", 0)))
        if found is not None:
            log.info("Found TapTalent job %s created by an interrupted run; not creating another", found.id)
            return found
        # Not visible: send the interrupted create again, with its key, which TapTalent deduplicates (A5).
        return self.hook.create_job(pending["job"], idempotency_key=pending["idempotency_key"])

    def _adopt(self, source: SourceJob, remote: dict[str, Job], mapped: set[str]) -> Job | None:
        wire = source.job.to_wire()
        wanted = {name: wire.get(name) for name in self.match_fields}
        for job_id, job in remote.items():
            if job_id not in mapped and job.matches(wanted):
                log.info(
                    "Job %s: adopting the existing TapTalent job %s with the same %s",
                    source.external_id,
                    job_id,
                    ", ".join(wanted),
                )
                return job
        return None

    def _record(self, source: SourceJob, job: Job) -> None:
        self.state.jobs[source.external_id] = {
            "job_id": job.id,
            "content_hash": source.content_hash,
            "source_updated_at": source.updated_at.isoformat(),
            "taptalent_updated_at": job.updated_at.isoformat() if job.updated_at else None,
            "synced_at": datetime.now(timezone.utc).isoformat(),
        }
        self.state.save()


def _after(value: datetime | None, recorded: str | None) -> bool:
    if value is None or not recorded:
        return False
    return value > datetime.fromisoformat(recorded)
