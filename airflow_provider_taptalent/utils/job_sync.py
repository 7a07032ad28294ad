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

Cost: records are handled in chunks of :data:`CHUNK`; the state is written at most twice per chunk (the
write-ahead of its creates, then its results), so the writes grow with the changes, not with their square,
and a run that changes nothing writes nothing. Two runs on one state never work at once: the state is
locked for the whole run (see :class:`SyncState`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentInputError, TapTalentNotFoundError
from airflow_provider_taptalent.client.models import Job, JobCreate, parse_timestamp
from airflow_provider_taptalent.client.models._base import is_naive_timestamp
from airflow_provider_taptalent.client.models.jobs import wire_name
from airflow_provider_taptalent.utils.ats import MAPPINGS, ats_mapping
from airflow_provider_taptalent.utils.ats import field as ats_field
from airflow_provider_taptalent.utils.idempotency import content_hash
from airflow_provider_taptalent.utils.sync_state import SyncState

if TYPE_CHECKING:
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

log = logging.getLogger(__name__)
#: entries listed per category in the task's report (the counts are always complete)
MAX_REPORTED = 100
#: records handled between two state writes
CHUNK = 50
#: a source timestamp further ahead than this is refused: it would win every conflict for years
MAX_FUTURE = timedelta(days=1)

Mapping_ = str | Mapping[str, str] | Callable[[dict[str, Any]], Mapping[str, Any]] | None
#: how a conflict (both sides changed since the last sync) is decided
CONFLICT_POLICIES = ("newest", "source", "taptalent")
#: the names a dict mapping may map to besides job fields
SPECIAL_TARGETS = ("external_id", "updated_at")


def check_mapping(mapping: Any) -> Mapping_:
    """A mapping usable by :func:`source_jobs`, checked when the DAG is parsed.

    A name picks a ready mapping (:data:`~airflow_provider_taptalent.utils.ats.MAPPINGS`); a dict's targets
    must be job fields (either spelling) or ``external_id`` / ``updated_at``: a typo is an error naming it.

    :raises ValueError: naming the mapping or the unknown target field.
    """
    if mapping is None or callable(mapping):
        return mapping  # type: ignore[no-any-return]
    if isinstance(mapping, str):
        ats_mapping(mapping)  # raises for an unknown name
        return mapping
    if not isinstance(mapping, Mapping):
        raise ValueError(f"mapping must be a name, a dict or a callable, not {type(mapping).__name__}")
    known = _known_fields()
    unknown = [target for target in mapping.values() if target not in known and target not in SPECIAL_TARGETS]
    if unknown:
        raise ValueError(
            f"mapping maps to {', '.join(map(repr, unknown))}, which is not a job field "
            f"(one of {', '.join(sorted(JobCreate.model_fields))}, external_id, updated_at)"
        )
    return mapping


def _known_fields() -> set[str]:
    return set(JobCreate.model_fields) | {wire_name(name) for name in JobCreate.model_fields}


@dataclass(frozen=True)
class SourceJob:
    external_id: str
    #: when the record last changed, or ``None`` where the source publishes no real update time
    updated_at: datetime | None
    job: JobCreate
    content_hash: str


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    #: records mapped to an existing, unowned TapTalent job (a lost state file)
    adopted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    #: records whose timestamp had no time zone, taken as UTC
    naive_timestamps: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in ("created", "adopted", "updated", "unchanged", "conflicts", "failed", "drifted")
        }

    def details(self) -> dict[str, list[Any]]:
        return {
            name: getattr(self, name)[:MAX_REPORTED] for name in ("conflicts", "failed", "drifted", "naive_timestamps")
        }


def source_jobs(
    records: Sequence[Mapping[str, Any]],
    *,
    mapping: Mapping_ = None,
    id_field: str = "external_id",
    updated_field: str = "updated_at",
    report: SyncReport | None = None,
) -> tuple[list[SourceJob], list[dict[str, Any]]]:
    """Source records as jobs, and the records that cannot be (with their id and field errors).

    The mapping turns a record into job fields: ``None`` takes the record's keys that are job fields
    (snake_case or camelCase); a name picks a ready mapping (``"greenhouse"``, ``"lever"`` ...); a dict
    renames ``{source_field_or_path: job_field}`` first (``{"location.name": "city"}``); a callable returns
    the job fields itself, and may return ``external_id`` and ``updated_at`` too. Empty values (CSV cells)
    count as absent. A record that cannot be read (no id, a bad or far-future timestamp, a mapping that
    raises, invalid job fields) is a failure naming the record and the field; it never stops the others.
    """
    jobs: dict[str, SourceJob] = {}
    failed: list[dict[str, Any]] = []
    now = datetime.now(timezone.utc)
    trusted = not (isinstance(mapping, str) and not MAPPINGS[mapping].trusted_updated_at)
    mapper = ats_mapping(mapping) if isinstance(mapping, str) else mapping
    for position, record in enumerate(records):
        label = _id_of(record.get(id_field)) or f"(record {position})"
        try:
            try:
                fields = _job_fields(record, mapper, (id_field, updated_field))
            except TapTalentInputError:
                raise
            except Exception as error:  # a user's mapping: its failure is this record's, not the task's
                raise TapTalentInputError(
                    f"the mapping raised {type(error).__name__}: {error}", details={"mapping": str(error)}
                ) from None
            external_id = _id_of(fields.pop("external_id", record.get(id_field)))
            label = external_id or label
            if not external_id:
                raise TapTalentInputError("no external id", details={id_field: "required"})
            raw_time = fields.pop("updated_at", record.get(updated_field))
            if raw_time is None and not callable(mapper):
                raise TapTalentInputError(
                    "no timestamp", details={updated_field: "required: the time the record last changed"}
                )
            # No time from a callable, or a source that publishes none: content alone decides "changed".
            updated_at = _timestamp(raw_time, updated_field, now) if trusted and raw_time is not None else None
            job = JobCreate.coerce(fields, what=f"job {external_id}")
        except TapTalentInputError as error:
            failed.append({"external_id": label, "error": str(error), "details": error.details})
            continue
        if report is not None and is_naive_timestamp(raw_time):
            report.naive_timestamps.append(external_id)
        candidate = SourceJob(external_id, updated_at, job, content_hash(job.to_wire()))
        earlier = jobs.get(external_id)
        if earlier is not None:
            newest = max(earlier, candidate, key=lambda s: s.updated_at or datetime.min.replace(tzinfo=timezone.utc))
            failed.append(
                {"external_id": label, "error": "duplicate external id: the older record was skipped", "details": {}}
            )
            candidate = newest
        jobs[external_id] = candidate
    return list(jobs.values()), failed


def _id_of(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value).strip()


def _timestamp(value: Any, name: str, now: datetime) -> datetime:
    try:
        parsed = parse_timestamp(value)
    except ValueError as error:
        raise TapTalentInputError("bad timestamp", details={name: str(error)}) from None
    if parsed is None:
        raise TapTalentInputError("no timestamp", details={name: "required: the time the record last changed"})
    if parsed > now + MAX_FUTURE:
        raise TapTalentInputError(
            "timestamp in the future",
            details={name: f"{parsed.isoformat()} is more than {MAX_FUTURE} ahead of now: check its time zone"},
        )
    return parsed


def _job_fields(record: Mapping[str, Any], mapping: Any, consumed: tuple[str, ...]) -> dict[str, Any]:
    if callable(mapping):
        produced = mapping(dict(record))
        if not isinstance(produced, Mapping):
            raise TypeError(f"it must return a mapping of job fields, not {type(produced).__name__}")
        return {k: v for k, v in dict(produced).items() if v not in (None, "")}
    mapping = mapping or {}
    renamed = {mapping.get(k, k): v for k, v in record.items() if k not in consumed}
    renamed.update({target: ats_field(record, path) for path, target in mapping.items() if "." in path})
    known = _known_fields() | set(SPECIAL_TARGETS)
    return {k: v for k, v in renamed.items() if k in known and v not in (None, "")}


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
    ) -> None:
        self.hook = hook
        self.state = state
        self.adopt_existing = adopt_existing
        self.match_fields = [wire_name(name) for name in match_fields]
        self.report = report or SyncReport()
        self.conflict_policy = conflict_policy
        #: jobs that another sync's state maps (the ownership ledger): never adopted
        self.owned_elsewhere: set[str] = set()
        self.existing: set[str] = set()

    def run(self, sources: Sequence[SourceJob]) -> SyncReport:
        """Sync ``sources``; call it holding :meth:`SyncState.locked` (the operator does)."""
        remote = {str(job.id): job for job in self.hook.iter_jobs()}
        mapped = {str(entry["job_id"]) for entry in self.state.jobs.values() if entry.get("job_id") is not None}
        # Jobs that existed before this run: never taken for the one a create of this run made.
        self.existing = set(remote)
        for start in range(0, len(sources), CHUNK):
            self._chunk(sources[start : start + CHUNK], remote, mapped)
        return self.report

    def _chunk(self, chunk: Sequence[SourceJob], remote: dict[str, Job], mapped: set[str]) -> None:
        """One chunk: the creates it needs written ahead in one save, then sent; the results in one save."""
        dirty = False
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
            self.state.save()  # write-ahead: a crash after TapTalent created a job, and the next run finds it
            dirty = True
        for source in to_create:
            try:
                pending = self.state.jobs[source.external_id]["pending"]
                job = self.hook.create_job(
                    source.job, idempotency_key=pending["idempotency_key"], known_job_ids=self.existing | mapped
                )
                self._created(source, job, mapped, sent=source.job.to_wire())
            except TapTalentError as error:
                self._failed(source, error)
        if dirty:
            self.state.save()

    def _without_create(self, source: SourceJob, remote: dict[str, Job], mapped: set[str]) -> str:
        """Everything but a new create: ``"create"`` when one is needed, ``"changed"`` or ``"same"`` else."""
        entry = self.state.jobs.get(source.external_id)
        if entry is None or entry.get("job_id") is None:
            pending = (entry or {}).get("pending") or {}
            job, sent = self._recover(pending, mapped), pending.get("job")
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
        drifted = _after(job.updated_at, entry.get("taptalent_updated_at"))
        stamp = job.updated_at.isoformat() if job.updated_at else None
        if entry.get("content_hash") == source.content_hash:
            self.report.unchanged.append(source.external_id)
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
        updated = self.hook.update_job(job.id, source.job.to_wire())
        self._record(source, updated)
        self.report.updated.append(source.external_id)
        return "changed"

    def _conflict(self, source: SourceJob, job: Job, entry: dict[str, Any], stamp: str | None) -> str:
        """Both sides changed since the last sync: ``conflict_policy`` decides, and it is reported once."""
        source_newer = (
            source.updated_at is not None and job.updated_at is not None and source.updated_at > job.updated_at
        )
        if self.conflict_policy == "newest" and source_newer:  # the record is newer than TapTalent's edit
            self.report.drifted.append(source.external_id)
            return self._update(source, job)
        # newest without a newer source time (or with none at all): TapTalent's edit stays
        winner = "source" if self.conflict_policy == "source" else "taptalent"
        marker = [source.content_hash, stamp]
        if winner == "source":
            self._report_conflict(source, job, "source")
            return self._update(source, job)
        if entry.get("conflict_reported") == marker:
            self.report.unchanged.append(source.external_id)
            return "same"
        self._report_conflict(source, job, "taptalent")
        entry["conflict_reported"] = marker
        return "changed"

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
        return {"idempotency_key": key, "job": source.job.to_wire(), "started": time.time()}

    def _created(self, source: SourceJob, job: Job, mapped: set[str], *, sent: Any) -> None:
        mapped.add(str(job.id))
        self.report.created.append(source.external_id)
        if sent != source.job.to_wire():
            job = self.hook.update_job(job.id, source.job.to_wire())  # found or adopted with other content
        self._record(source, job)

    def _failed(self, source: SourceJob, error: TapTalentError) -> None:
        log.warning("Job %s failed to sync: %s", source.external_id, error)
        self.report.failed.append({"external_id": source.external_id, "error": str(error), "details": error.details})

    def _recover(self, pending: Mapping[str, Any], mapped: set[str]) -> Job | None:
        """The job an interrupted run created, if it did: looked up, or created again under the same key."""
        if not pending.get("job"):
            return None
        started = float(pending.get("started", 0))
        found = self.hook.find_created_job(pending["job"], started, exclude=mapped)
        if found is not None:
            log.info("Found TapTalent job %s created by an interrupted run; not creating another", found.id)
            return found
        # Not visible: send the interrupted create again, with its key, which TapTalent deduplicates (A5).
        return self.hook.create_job(
            pending["job"], idempotency_key=pending["idempotency_key"], known_job_ids=self.existing | mapped
        )

    def _adopt(self, source: SourceJob, remote: dict[str, Job], mapped: set[str]) -> Job | None:
        """An unmapped TapTalent job with the same match fields, that no other sync owns."""
        wire = source.job.to_wire()
        wanted = {name: wire.get(name) for name in self.match_fields}
        for job_id, job in remote.items():
            if job_id not in mapped and job_id not in self.owned_elsewhere and job.matches(wanted):
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
            "source_updated_at": source.updated_at.isoformat() if source.updated_at else None,
            "taptalent_updated_at": job.updated_at.isoformat() if job.updated_at else None,
            "synced_at": datetime.now(timezone.utc).isoformat(),
        }


def _after(value: datetime | None, recorded: str | None) -> bool:
    if value is None or not recorded:
        return False
    try:
        return value > datetime.fromisoformat(recorded)
    except ValueError:
        return False
