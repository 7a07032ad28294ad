"""TapTalent as the source of truth: export a resource, one data interval per run, into your lake."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from airflow_provider_taptalent._compat import Context
from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentInputError
from airflow_provider_taptalent.operators._base import DEFAULT_CONN_ID, _TapTalentOperator
from airflow_provider_taptalent.utils import export as _export
from airflow_provider_taptalent.utils import lineage as _lineage
from airflow_provider_taptalent.utils.outputs import FORMATS, record_writer
from airflow_provider_taptalent.utils.sources import output_path

#: at most one progress line per this many seconds
PROGRESS_SECONDS = 30.0


def _utc_text(when: datetime) -> str:
    """The way rows write times (as pydantic does): ``2026-11-30T00:00:00Z``."""
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class TapTalentExportOperator(_TapTalentOperator):
    """Exports the records of one TapTalent resource changed in an interval, to a file, whole or not at all.

    Pages are read ``max_concurrency`` at a time and written as they arrive, so memory stays flat however
    many records there are; the file appears at ``output_path`` only once complete. Each record is
    written once even while others are being added in TapTalent (pages a change moved are read again).
    Rows carry TapTalent's fields in snake_case and ``exported_at``: ``updated_before`` when given (the
    records as of the end of the interval), else the time the export started.

    The interval is ``[updated_since, updated_before)`` on each record's time of last change
    (``interval_field="created_at"``: its creation, where reading stops at the first page older than the
    interval, jobs and candidates being listed newest first). Users and assessment flows carry no times:
    they are exported whole (a snapshot) on every run. With the data interval as bounds, a re-run or a
    backfill of a run exports the same records, except those changed since, which are in the interval of
    their latest change.

    .. code-block:: python

        export = TapTalentExportOperator(
            task_id="export_jobs",
            resource="jobs",
            output_path="s3://lake/taptalent/jobs/{{ ds }}.jsonl",
            updated_since="{{ data_interval_start }}",
            updated_before="{{ data_interval_end }}",
        )

    :param resource: ``jobs``, ``candidates``, ``pipelines``, ``teams``, ``users``, ``assessments`` or
        ``assessment_flows`` (templated).
    :param output_path: local path or object-storage URI of the file (templated).
    :param updated_since: the interval's start, included: a datetime or ISO-8601 text; naive means UTC
        (templated, e.g. ``{{ data_interval_start }}``). ``None``: no lower bound.
    :param updated_before: the interval's end, excluded (templated, e.g. ``{{ data_interval_end }}``).
    :param format: ``jsonl`` (default) or ``parquet`` (needs ``pyarrow``: the ``[parquet]`` extra). In
        Parquet, ids and nested values are JSON text, times are timestamps, and fields this provider does not
        know yet are in the ``extra`` column.
    :param interval_field: ``updated_at`` (default: the record's last change) or ``created_at``.
    :param include_match: for ``candidates``: add each job candidate's AI match (``profile_match_score``,
        ``evaluation_status``, ``criteria_matches``, ``recommend_to_recruiting_firm``, ``ai_summary``; one
        bulk fetch per page); scores still being computed are written as they are and counted.
    :param per_page: records per request: 10, 20, 40, 80 or 100 (default).
    :param max_concurrency: pages read at once (default 4).
    :param taptalent_conn_id: the TapTalent connection (templated).
    :return: ``{"path", "count", "resource", "updated_since", "updated_before"}`` (and ``pending_scores``
        with ``include_match``).
    """

    template_fields = ("resource", "output_path", "updated_since", "updated_before", "taptalent_conn_id")
    ui_color = "#d7f5e3"

    def __init__(
        self,
        *,
        resource: str,
        output_path: str,
        updated_since: Any = None,
        updated_before: Any = None,
        format: str = "jsonl",
        interval_field: str = "updated_at",
        include_match: bool = False,
        per_page: int = _api.MAX_PER_PAGE,
        max_concurrency: int = 4,
        taptalent_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(taptalent_conn_id=taptalent_conn_id, **kwargs)
        _api.check_per_page(per_page)
        self.per_page = per_page
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if interval_field not in _export.INTERVAL_FIELDS:
            raise ValueError(
                f"interval_field must be one of {', '.join(_export.INTERVAL_FIELDS)}, not {interval_field!r}"
            )
        self.resource = resource
        self.output_path = output_path
        self.updated_since = updated_since
        self.updated_before = updated_before
        self.format = format
        self.interval_field = interval_field
        self.include_match = include_match
        self.max_concurrency = self._check_concurrency(max_concurrency)

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_connection()
        with self._fail_without_retry():
            resource, interval, path = self._checked()
        exported_at = _utc_text(interval.before or datetime.now(timezone.utc))
        exporter = _export.Exporter(
            self.hook,
            resource,
            interval,
            interval_field=self.interval_field,
            exported_at=exported_at,
            include_match=self.include_match,
            concurrency=self.max_concurrency,
            per_page=self.per_page,
        )
        if not exporter.filters and interval.bounded:
            self.log.info("%s carry no times: exporting all of them (a snapshot)", resource.name)
        columns = (
            _export.parquet_columns(resource, include_match=self.include_match) if self.format == "parquet" else None
        )
        started = last = time.monotonic()
        with record_writer(path, self.format, columns) as writer:
            for rows in exporter.rows():
                writer.write([_export.parquet_row(r, columns) for r in rows] if columns is not None else rows)
                if time.monotonic() - last >= PROGRESS_SECONDS:
                    last = time.monotonic()
                    self.log.info(
                        "Exported %s of %s %s read so far",
                        f"{writer.count:,}",
                        f"{exporter.report.read:,}",
                        resource.name,
                    )
        report = exporter.report
        self.log.info(
            "Exported %s %s to %s (%s read in %d pages%s, %.1f s)",
            f"{writer.count:,}", resource.name, self.output_path, f"{report.read:,}", report.pages,
            ", stopped early" if report.stopped_early else "", time.monotonic() - started,
        )  # fmt: skip
        if report.pages_read_again:
            self.log.info(
                "%d page(s) were read again: records were added while the export ran", report.pages_read_again
            )
        if report.without_time:
            self.log.warning(
                "%d %s had no time to place them in the interval: left out", report.without_time, resource.name
            )
        result: dict[str, Any] = {
            "path": str(self.output_path),
            "count": writer.count,
            "resource": resource.name,
            "updated_since": _utc_text(interval.since) if interval.since else None,
            "updated_before": _utc_text(interval.before) if interval.before else None,
        }
        if self.include_match:
            result["pending_scores"] = report.pending_scores
            if report.pending_scores:
                self.log.warning(
                    "%d candidate(s) are still being scored (evaluationStatus PENDING): export again later",
                    report.pending_scores,
                )
        return result

    def _checked(self) -> tuple[_export.Resource, _export.Interval, Any]:
        """Every argument, checked before the first request; errors name the field."""
        resource = _export.resource_named(self.resource)
        interval = _export.Interval.of(self.updated_since, self.updated_before)
        if self.include_match and resource.name != "candidates":
            raise TapTalentInputError(
                "Invalid include_match",
                details={"include_match": f"only candidates have match scores, not {resource.name}"},
            )
        if self.format == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise TapTalentInputError(
                    "Invalid format",
                    details={"format": "parquet needs pyarrow: pip install 'airflow-provider-taptalent[parquet]'"},
                ) from None
        if not self.output_path:
            raise TapTalentInputError("Invalid output_path", details={"output_path": "required"})
        return resource, interval, output_path(str(self.output_path), field="output_path")

    def get_openlineage_facets_on_start(self) -> Any:
        """Lineage at START: the same datasets, known once the fields are rendered (a running task shows them)."""
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Lineage: the TapTalent resource in, the file out."""
        return _lineage.operator_lineage(
            [_lineage.resource_dataset(self.taptalent_conn_id, str(self.resource))],
            [_lineage.file_dataset(str(self.output_path))],
        )
