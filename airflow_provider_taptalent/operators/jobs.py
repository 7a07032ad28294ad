"""Jobs: create one, never twice; keep them in step with a source system."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_taptalent._compat import Context
from airflow_provider_taptalent.client.errors import TapTalentInputError
from airflow_provider_taptalent.client.models import JobCreate
from airflow_provider_taptalent.client.models.jobs import wire_name
from airflow_provider_taptalent.operators._base import DEFAULT_MATCH_FIELDS, _TapTalentOperator
from airflow_provider_taptalent.utils.failures import fail_without_retry
from airflow_provider_taptalent.utils.idempotency import task_key
from airflow_provider_taptalent.utils.job_sync import JobSync, SyncReport, source_jobs
from airflow_provider_taptalent.utils.sources import records_from, storage_path
from airflow_provider_taptalent.utils.sync_state import SyncState


class TapTalentCreateJobOperator(_TapTalentOperator):
    """Creates a job in TapTalent, never twice, and returns its id.

    The job is checked before anything is sent: a bad job fails the task at once, naming each field, and
    is not retried. With ``skip_if_exists`` an existing job with the same ``match_fields`` is returned
    instead of creating another. The create carries an idempotency key that a retried task, or a re-run
    of the same DAG run, sends again.

    .. code-block:: python

        create = TapTalentCreateJobOperator(
            task_id="create_job",
            job={"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"},
        )

    :param job: the job's fields, as a mapping (snake_case or camelCase) or a ``JobCreate`` (templated).
    :param idempotency_key: identifies this create; default: derived from the DAG, task, run, map index
        and the job's content (templated).
    :param skip_if_exists: return the id of an existing job with the same ``match_fields`` instead.
    :param match_fields: the fields that make two jobs the same job (compared ignoring case and spacing).
    :param taptalent_conn_id: the TapTalent connection (templated).
    """

    template_fields = ("job", "idempotency_key", "taptalent_conn_id")
    template_fields_renderers = {"job": "json"}

    def __init__(
        self,
        *,
        job: Any,
        idempotency_key: str | None = None,
        skip_if_exists: bool = True,
        match_fields: Sequence[str] = DEFAULT_MATCH_FIELDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.idempotency_key = idempotency_key
        self.skip_if_exists = skip_if_exists
        self.match_fields = tuple(match_fields)

    def execute(self, context: Context) -> int | str:
        with fail_without_retry():
            job = JobCreate.coerce(self.job, what="job")
            wire = job.to_wire()
            wanted = {wire_name(name): wire.get(wire_name(name)) for name in self.match_fields}
            if self.skip_if_exists and (not wanted or any(v is None for v in wanted.values())):
                missing = [name for name in self.match_fields if wanted.get(wire_name(name)) is None] or ["(none)"]
                raise TapTalentInputError(
                    "Invalid match_fields", details={"match_fields": f"the job has no {', '.join(missing)}"}
                )
            if self.skip_if_exists:
                existing = next((found for found in self.hook.iter_jobs() if found.matches(wanted)), None)
                if existing is not None:
                    self.log.info(
                        "Job %s already has the same %s: not creating another", existing.id, ", ".join(wanted)
                    )
                    return existing.id
            key = self.idempotency_key or task_key(context, "job", wire)
            created = self.hook.create_job(job, idempotency_key=key)
        self.log.info("Created TapTalent job %s (%s)", created.id, created.title)
        return created.id


class TapTalentSyncJobsOperator(_TapTalentOperator):
    """Keeps TapTalent's jobs in step with a source system (ATS, HRIS): one way, safe to re-run.

    New records are created (never twice, even if the task dies half way), changed ones are updated,
    unchanged ones are left alone. A record older than a change made in TapTalent since the last sync is
    a conflict and is not pushed (newest timestamp wins); TapTalent jobs changed since the last sync are
    reported as drift. Invalid records are reported with their external id and field errors and do not
    stop the others. The state (which record is which job, what was sent) lives at ``state_path`` and is
    rewritten after every change.

    Each record needs an external id, the time it last changed, and job fields: by default the record's
    keys that are ``JobCreate`` fields (snake_case or camelCase); ``mapping`` renames source fields
    (``{"job_title": "title"}``) or, as a callable, builds the job fields from a record.

    .. code-block:: python

        sync = TapTalentSyncJobsOperator(
            task_id="sync_jobs", jobs="s3://exports/ats/jobs.json", state_path="s3://state/taptalent-jobs.json"
        )

    :param jobs: a list of records, an XComArg, or the path / URI of a JSON (list) or CSV export (templated).
    :param state_path: local path or object-storage URI of the sync state file (templated).
    :param mapping: ``{source_field: job_field}`` or ``callable(record) -> job fields``; default: identity.
    :param external_id_field: the record field that identifies a job in the source (default ``external_id``).
    :param updated_at_field: the record field with its last change, ISO-8601 or epoch (default ``updated_at``).
    :param adopt_existing: map a new record to an unmapped TapTalent job with the same ``match_fields``
        instead of creating one (protects against a lost state file).
    :param match_fields: the fields that make two jobs the same job, for ``adopt_existing``.
    :param taptalent_conn_id: the TapTalent connection (templated).
    :return: ``{"created", "updated", "unchanged", "conflicts", "failed", "drifted"}`` counts; the ids of
        conflicts, failures and drift are pushed to XCom as ``report``.
    """

    template_fields = ("jobs", "state_path", "taptalent_conn_id")

    def __init__(
        self,
        *,
        jobs: Any,
        state_path: str,
        mapping: Any = None,
        external_id_field: str = "external_id",
        updated_at_field: str = "updated_at",
        adopt_existing: bool = True,
        match_fields: Sequence[str] = DEFAULT_MATCH_FIELDS,
        **kwargs: Any,
    ) -> None:
        # One run at a time per task: overlapping runs (a manual run beside a scheduled one) queue up.
        kwargs.setdefault("max_active_tis_per_dag", 1)
        super().__init__(**kwargs)
        if mapping is not None and not (callable(mapping) or isinstance(mapping, dict)):
            raise ValueError(f"mapping must be a dict or a callable, not {type(mapping).__name__}")
        self.jobs = jobs
        self.state_path = state_path
        self.mapping = mapping
        self.external_id_field = external_id_field
        self.updated_at_field = updated_at_field
        self.adopt_existing = adopt_existing
        self.match_fields = tuple(match_fields)

    def execute(self, context: Context) -> dict[str, int]:
        self._check_connection()
        with fail_without_retry():
            records = records_from(self.jobs, field="jobs")
            state = SyncState.load(storage_path(self.state_path, field="state_path"))
            report = SyncReport()
            sources, invalid = source_jobs(
                records,
                mapping=self.mapping,
                id_field=self.external_id_field,
                updated_field=self.updated_at_field,
                report=report,
            )
        sync = JobSync(
            self.hook, state, adopt_existing=self.adopt_existing, match_fields=self.match_fields, report=report
        )
        with state.locked():
            sync.run(sources)
        report.failed[:0] = invalid
        for failure in report.failed[:20]:
            self.log.warning("Not synced: %s: %s", failure["external_id"], failure["error"])
        for conflict in report.conflicts[:20]:
            self.log.warning(
                "Conflict: %s changed in TapTalent (job %s, %s) after the source record (%s): not pushed",
                conflict["external_id"],
                conflict["job_id"],
                conflict["taptalent_updated_at"],
                conflict["source_updated_at"],
            )
        if report.naive_timestamps:
            self.log.warning(
                "%d record(s) have a %s without a time zone, taken as UTC (e.g. %s): add an offset to be sure",
                len(report.naive_timestamps),
                self.updated_at_field,
                ", ".join(report.naive_timestamps[:5]),
            )
        counts = report.counts()
        self.log.info(
            "Job sync: %d created, %d updated, %d unchanged, %d conflicts, %d failed, %d drifted "
            "(%d records, %d state writes)",
            *counts.values(),
            len(records),
            state.saves,
        )
        context["ti"].xcom_push(key="report", value=report.details())
        return counts
