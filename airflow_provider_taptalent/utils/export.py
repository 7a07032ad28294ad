"""TapTalent as the source of truth: every record of a resource changed in an interval, as rows.

One table, :data:`RESOURCES`, says how each exported resource is read (paged or in one response), what
identifies a record and which of its times say when it changed (the latter in
:data:`~airflow_provider_taptalent.client.contract.UPDATED_FIELDS`). Rows carry TapTalent's fields in
snake_case (fields this provider does not know yet too) and ``exported_at``.

The interval is ``[updated_since, updated_before)`` on the record's time of last change. TapTalent has no
filter for it, so every page is read and filtered here; with ``interval_field="created_at"`` on a
newest-first listing (jobs, candidates) the reading stops at the first page older than the interval.
``exported_at`` is ``updated_before`` when given (the export is the state of the records as of then: a
record changed later is in a later interval), else the time the export started: a re-run of an interval
gives the same rows for records that did not change since.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import pydantic_core
from pydantic import BaseModel
from pydantic.alias_generators import to_snake

from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentInputError
from airflow_provider_taptalent.client.models import (
    Assessment,
    AssessmentFlow,
    Candidate,
    Job,
    JobCandidate,
    Pipeline,
    Team,
    User,
)
from airflow_provider_taptalent.client.models._base import parse_timestamp
from airflow_provider_taptalent.utils.pages import PageReader

if TYPE_CHECKING:
    from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

#: what a candidate's row gains with ``include_match`` (the job candidate's AI fields, SPEC §7.3, A11)
MATCH_FIELDS = (
    "profile_match_score",
    "evaluation_status",
    "criteria_matches",
    "recommend_to_recruiting_firm",
    "ai_summary",
)
INTERVAL_FIELDS = ("updated_at", "created_at")
EXPORTED_AT = "exported_at"
#: Parquet keeps fields this provider does not know yet here, as a JSON object (JSON Lines keeps them as columns)
EXTRA_COLUMN = "extra"


@dataclass(frozen=True)
class Resource:
    """How one resource is exported."""

    name: str
    model: type[BaseModel]
    key: str
    #: ``page(hook, page_number, per_page)`` -> (records, total); ``None``: the resource is not paged
    page: Callable[[TapTalentHook, int, int], tuple[Sequence[Any], int]] | None = None
    #: ``everything(hook)`` -> every record, for resources listed in one response (A12)
    everything: Callable[[TapTalentHook], Sequence[Any]] | None = None
    #: newest first by creation (A9, A10): reading may stop at the first page older than the interval
    newest_first: bool = False

    @property
    def times(self) -> tuple[str, ...]:
        return _api.UPDATED_FIELDS[self.name]


def _jobs(hook: TapTalentHook, number: int, size: int) -> tuple[Sequence[Any], int]:
    page = hook.list_jobs(page_number=number, per_page=size)
    return page.jobs, page.total_jobs


def _candidates(hook: TapTalentHook, number: int, size: int) -> tuple[Sequence[Any], int]:
    page = hook.list_candidates(page_number=number, per_page=size)
    return page.candidates, page.total_candidates


def _users(hook: TapTalentHook, number: int, size: int) -> tuple[Sequence[Any], int]:
    page = hook.list_users(page=number, per_page=size)
    return page.users, page.total


def _assessments(hook: TapTalentHook, number: int, size: int) -> tuple[Sequence[Any], int]:
    page = hook.list_assessments(page_number=number, per_page=size)
    return page.assessments, page.total


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("jobs", Job, "id", page=_jobs, newest_first=True),
        Resource("candidates", Candidate, "id", page=_candidates, newest_first=True),
        Resource("pipelines", Pipeline, "id", everything=lambda hook: hook.list_pipelines()),
        Resource("teams", Team, "id", everything=lambda hook: hook.list_teams()),
        Resource("users", User, "id", page=_users),
        Resource("assessments", Assessment, "assessment_id", page=_assessments),
        Resource("assessment_flows", AssessmentFlow, "id", everything=lambda hook: hook.list_assessment_flows()),
    )
}


def resource_named(name: Any) -> Resource:
    if name not in RESOURCES:
        raise TapTalentInputError(
            "Invalid resource", details={"resource": f"{name!r} is not one of {', '.join(RESOURCES)}"}
        )
    return RESOURCES[name]


def bound(value: Any, field: str) -> datetime | None:
    """An interval bound: a datetime, a date or an ISO-8601 text (a rendered template); naive means UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        parsed = parse_timestamp(value.isoformat() if isinstance(value, datetime) else value)
    except (ValueError, TypeError) as error:
        raise TapTalentInputError(f"Invalid {field}", details={field: f"not a time: {value!r} ({error})"}) from None
    return parsed


@dataclass(frozen=True)
class Interval:
    """``[since, before)``; either end may be open."""

    since: datetime | None = None
    before: datetime | None = None

    @classmethod
    def of(cls, since: Any, before: Any) -> Interval:
        interval = cls(bound(since, "updated_since"), bound(before, "updated_before"))
        if interval.since and interval.before and interval.since >= interval.before:
            raise TapTalentInputError(
                "Invalid updated_before",
                details={"updated_before": f"{interval.before.isoformat()} is not after updated_since"},
            )
        return interval

    def __contains__(self, when: datetime) -> bool:
        return (self.since is None or when >= self.since) and (self.before is None or when < self.before)

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.before is not None


def row(record: BaseModel) -> dict[str, Any]:
    """A record as a row: declared fields by their Python names, others turned to snake_case (or kept as sent
    when that name is a declared one: ``Title`` beside ``title``); times in UTC, in JSON Lines as in Parquet."""
    out = record.model_dump(mode="json", exclude=set(record.model_extra or ()))
    for name in list(out):
        if isinstance(when := getattr(record, name, None), datetime) and when.tzinfo is not None:
            out[name] = pydantic_core.to_jsonable_python(when.astimezone(timezone.utc))
    for name, value in (record.model_extra or {}).items():
        out[name if to_snake(name) in out else to_snake(name)] = value
    return out


def record_time(record: Any, fields: Sequence[str]) -> datetime | None:
    for name in fields:
        value = getattr(record, name, None)
        if value is not None:
            return value  # type: ignore[no-any-return]
    return None


def add_match(
    hook: TapTalentHook, candidates: Sequence[Candidate], rows: list[dict[str, Any]], *, by_alias: bool
) -> int:
    """Each row of a job's candidate gains its job candidate's AI fields (one bulk fetch of <= 100, JC1).

    :return: how many are still being scored (``evaluationStatus`` PENDING or no score yet).
    """
    ids = [c.job_candidate_id for c in candidates if c.job_candidate_id is not None]
    matches: dict[str, JobCandidate] = {str(jc.id): jc for jc in hook.bulk_fetch_job_candidates(ids)} if ids else {}
    pending = 0
    for out, candidate in zip(rows, candidates, strict=True):
        match = matches.get(str(candidate.job_candidate_id))
        if match is not None:
            out.update(match.model_dump(mode="json", by_alias=by_alias, include=set(MATCH_FIELDS)))
            pending += match.evaluation_status == _api.PENDING_EVALUATION or match.profile_match_score is None
    return pending


@dataclass
class ExportReport:
    """What an export read and wrote."""

    read: int = 0
    written: int = 0
    pages: int = 0
    pages_read_again: int = 0
    without_time: int = 0
    pending_scores: int = 0
    stopped_early: bool = False


class Exporter:
    """The rows of one resource in one interval, page by page (see the module's docstring).

    :param include_match: for candidates: add each job candidate's AI fields (:data:`MATCH_FIELDS`).
    """

    def __init__(
        self,
        hook: TapTalentHook,
        resource: Resource,
        interval: Interval,
        *,
        interval_field: str = "updated_at",
        exported_at: str,
        include_match: bool = False,
        concurrency: int = 4,
        per_page: int = _api.MAX_PER_PAGE,
    ) -> None:
        self.hook = hook
        self.resource = resource
        self.interval = interval
        self.times = ("created_at",) if interval_field == "created_at" else resource.times
        self.interval_field = interval_field
        self.exported_at = exported_at
        self.include_match = include_match
        self.concurrency = concurrency
        self.per_page = per_page
        self.report = ExportReport()

    @property
    def filters(self) -> bool:
        """Whether the interval applies: a resource without times is exported whole (a snapshot)."""
        return self.interval.bounded and bool(self.resource.times)

    def rows(self) -> Iterator[list[dict[str, Any]]]:
        """The rows, a page's worth at a time."""
        for records in self._records():
            self.report.read += len(records)
            kept = [r for r in records if self._wanted(r)]
            rows = [row(r) for r in kept]
            if self.include_match and kept:
                self.report.pending_scores += add_match(self.hook, kept, rows, by_alias=False)
            for out in rows:
                out[EXPORTED_AT] = self.exported_at
            self.report.written += len(rows)
            yield rows

    def _wanted(self, record: Any) -> bool:
        if not self.filters:
            return True
        when = record_time(record, self.times)
        if when is None:
            self.report.without_time += 1
            return False
        return when in self.interval

    def _records(self) -> Iterator[Sequence[Any]]:
        resource = self.resource
        if resource.page is None:
            assert resource.everything is not None
            self.report.pages = 1
            yield list(resource.everything(self.hook))
            return
        page = resource.page
        enough = None
        if resource.newest_first and self.interval_field == "created_at" and self.interval.since is not None:
            since = self.interval.since

            def enough(records: Sequence[Any]) -> bool:
                oldest = getattr(records[-1], "created_at", None) if records else None
                stop = not records or (oldest is not None and oldest < since)
                self.report.stopped_early |= stop
                return stop

        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="taptalent-export") as pool:
            reader: PageReader[Any] = PageReader(
                lambda number: page(self.hook, number, self.per_page),
                self.per_page,
                key=lambda record: getattr(record, resource.key),
                pool=pool,
                concurrency=self.concurrency,
                enough=enough,
            )
            yield from reader
        self.report.pages = reader.pages_read
        self.report.pages_read_again = reader.repaired


def parquet_columns(resource: Resource, *, include_match: bool = False) -> dict[str, Any]:
    """The Arrow type of each column of a resource's rows (nested values as JSON text)."""
    import pyarrow as pa

    columns = {name: _arrow_type(field.annotation) for name, field in resource.model.model_fields.items()}
    if include_match:
        columns.update({name: _arrow_type(JobCandidate.model_fields[name].annotation) for name in MATCH_FIELDS})
    columns[EXPORTED_AT] = pa.timestamp("us", tz="UTC")
    columns[EXTRA_COLUMN] = pa.string()
    return columns


def parquet_row(out: dict[str, Any], columns: dict[str, Any]) -> dict[str, Any]:
    """A row for :func:`parquet_columns`: nested values as JSON, unknown fields in :data:`EXTRA_COLUMN`."""
    import pyarrow as pa

    shaped: dict[str, Any] = {}
    extra = {k: v for k, v in out.items() if k not in columns}
    for name, kind in columns.items():
        value = out.get(name)
        if value is not None and pa.types.is_string(kind) and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        shaped[name] = value
    shaped[EXTRA_COLUMN] = json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else None
    return shaped


def _arrow_type(annotation: Any) -> Any:
    import pyarrow as pa

    options = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _arrow_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return _arrow_type(options[0]) if len(options) == 1 else pa.string()
    simple = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), datetime: pa.timestamp("us", tz="UTC")}
    return simple.get(annotation, pa.string())
