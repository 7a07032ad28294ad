"""Source records (an ATS or HRIS export) as jobs for the sync: mappings, ids, timestamps, per-record errors."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_taptalent.client.errors import TapTalentInputError
from airflow_provider_taptalent.client.models import JobCreate, parse_timestamp
from airflow_provider_taptalent.client.models._base import is_naive_timestamp
from airflow_provider_taptalent.client.models.jobs import wire_name
from airflow_provider_taptalent.utils.ats import MAPPINGS, ats_mapping
from airflow_provider_taptalent.utils.ats import field as ats_field
from airflow_provider_taptalent.utils.idempotency import content_hash

#: entries listed per category in the task's report (the counts are always complete)
MAX_REPORTED = 100
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
    #: jobs changed in TapTalent since the last sync, with TapTalent's fields (for ``changes_path``)
    changes: list[dict[str, Any]] = field(default_factory=list)

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


class Known(Collection[str]):
    """Jobs a create must never take for its own: those listed at the start, and those mapped so far (live)."""

    def __init__(self, existing: set[str], mapped: set[str]) -> None:
        self.existing, self.mapped = existing, mapped

    def __contains__(self, job_id: object) -> bool:
        return job_id in self.existing or job_id in self.mapped

    def __iter__(self) -> Iterator[str]:
        return iter(self.existing | self.mapped)

    def __len__(self) -> int:
        return len(self.existing | self.mapped)


def after(value: datetime | None, recorded: str | None) -> bool:
    """Whether ``value`` is later than the ``recorded`` ISO time (not when either is missing or unreadable)."""
    if value is None or not recorded:
        return False
    try:
        return value > datetime.fromisoformat(recorded)
    except ValueError:
        return False
