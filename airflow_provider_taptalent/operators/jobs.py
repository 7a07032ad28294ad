"""Jobs: create one, never twice; keep them in step with a source system."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_taptalent._compat import Context, distributed_executors
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentInputError
from airflow_provider_taptalent.client.models import JobCreate
from airflow_provider_taptalent.client.models.jobs import wire_name
from airflow_provider_taptalent.operators._base import DEFAULT_CONN_ID, DEFAULT_MATCH_FIELDS, _TapTalentOperator
from airflow_provider_taptalent.operators.links import TapTalentJobLink, push_job_link
from airflow_provider_taptalent.utils import batches as _batches
from airflow_provider_taptalent.utils import lineage as _lineage
from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed
from airflow_provider_taptalent.utils.idempotency import task_key
from airflow_provider_taptalent.utils.job_sync import JobSync
from airflow_provider_taptalent.utils.outputs import jsonl_writer
from airflow_provider_taptalent.utils.sources import output_path, records_from, storage_path
from airflow_provider_taptalent.utils.sync_records import CONFLICT_POLICIES, SyncReport, check_mapping, source_jobs
from airflow_provider_taptalent.utils.sync_state import OWNERSHIP_FILE, OwnershipLedger, SyncState


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
    operator_extra_links = (TapTalentJobLink(),)

    def __init__(
        self,
        *,
        job: Any,
        idempotency_key: str | None = None,
        skip_if_exists: bool = True,
        match_fields: Sequence[str] = DEFAULT_MATCH_FIELDS,
        taptalent_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(taptalent_conn_id=taptalent_conn_id, **kwargs)
        self.job = job
        self.idempotency_key = idempotency_key
        self.skip_if_exists = skip_if_exists
        self.match_fields = tuple(match_fields)

    def execute(self, context: Context) -> int | str:
        with self._fail_without_retry():
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
                    push_job_link(context, self.hook.settings.environment, existing.id)
                    return existing.id
            key = self.idempotency_key or task_key(context, "job", wire)
            created = self.hook.create_job(job, idempotency_key=key)
        url = push_job_link(context, self.hook.settings.environment, created.id)
        self.log.info("Created TapTalent job %s (%s)%s", created.id, created.title, f": {url}" if url else "")
        return created.id


class TapTalentSyncJobsOperator(_TapTalentOperator):
    """Keeps TapTalent's jobs in step with a source system (ATS, HRIS): one way, safe to re-run.

    New records are created (never twice, even if the task dies half way), changed ones are updated,
    unchanged ones are left alone; "changed" is decided by content. When TapTalent's copy was edited since
    the last sync and the record changed too, ``conflict_policy`` decides: ``newest`` (default) pushes the
    record only when its own update time is newer than TapTalent's edit, ``source`` always pushes,
    ``taptalent`` keeps TapTalent's edit. A conflict or a drift (an edit in TapTalent alone) is reported
    once, until something changes again. Invalid records are reported with their external id and field
    errors and do not stop the others; a sync whose every record failed fails (``max_failed_ratio``). A
    record that an outage kept from syncing (a 5xx, 429 or network error that outlasted the client's
    retries) fails the task once the others are saved, so that Airflow's retry finishes it.

    Each record needs an external id and job fields, and (unless its source has none) the time it last
    changed. ``mapping`` picks a ready mapping for a job-board export by name (``"greenhouse"``,
    ``"lever"``, ``"ashby"``, ``"workable"``, ``"smartrecruiters"``; options through
    :func:`~airflow_provider_taptalent.utils.ats.ats_mapping`), renames fields with a dict
    (``{"job_title": "title", "location.name": "city"}``, paths allowed), or builds the job fields with a
    callable (which may return ``external_id`` and ``updated_at`` too).

    .. code-block:: python

        sync = TapTalentSyncJobsOperator(
            task_id="sync_jobs",
            jobs="s3://exports/greenhouse/jobs.json",
            mapping="greenhouse",
            state_path="s3://state/taptalent-jobs.json",
        )

    :param jobs: a list of records, an XComArg, or the path / URI of a JSON (list) or CSV export (templated).
    :param state_path: local path or object-storage URI of the sync state file (templated).
    :param mapping: a ready mapping's name, ``{source_field_or_path: job_field}``, or ``callable(record) ->
        job fields``; default: the record's own job fields.
    :param external_id_field: the record field that identifies a job in the source (default ``external_id``).
    :param updated_at_field: the record field with its last change, ISO-8601 or epoch (default ``updated_at``).
    :param conflict_policy: ``newest`` (default), ``source`` or ``taptalent``.
    :param max_failed_ratio: fail the task when more than this share (0..1) of the records failed;
        default: only when every record failed.
    :param adopt_existing: map a new record to an unmapped TapTalent job with the same ``match_fields``
        instead of creating one (protects against a lost state file); never a job another sync owns.
    :param match_fields: the fields that make two jobs the same job, for ``adopt_existing``.
    :param max_concurrency: creates and updates sent at once (default 4; identical jobs go one at a time).
    :param ownership_path: the ledger of which sync owns which job (templated); default:
        ``taptalent-job-owners.json`` beside ``state_path``. Give the syncs of one company the same one.
    :param changes_path: local path or object-storage URI of a JSON Lines file (templated) that receives every
        job changed in TapTalent since the last sync, for the source system to apply (the way back of a
        bi-directional sync): ``external_id``, ``job_id``, ``change`` (``drift``: only TapTalent changed;
        ``conflict``: both did), ``kept`` (whose version the job now has), both timestamps and ``job``
        (TapTalent's current fields, snake_case). A change TapTalent kept is written until a run's file was
        written whole (at least once, never lost); the file is replaced on every run, empty when nothing
        changed: template it per run (``.../changes/{{ ts_nodash }}.jsonl``) to keep each.
    :param allow_local_state: under a distributed executor (Celery, Kubernetes, Edge) a plain local
        ``state_path`` is refused, since a retry on another worker would not find it and would create
        every job again; set this when every worker mounts that path (or give it as ``file:///...``).
    :param taptalent_conn_id: the TapTalent connection (templated).
    :return: ``{"created", "adopted", "updated", "unchanged", "conflicts", "failed", "drifted"}`` counts
        (and ``changes`` with ``changes_path``); the ids of conflicts, failures and drift are pushed to XCom
        as ``report``.
    """

    template_fields = ("jobs", "state_path", "ownership_path", "changes_path", "taptalent_conn_id")

    def __init__(
        self,
        *,
        jobs: Any,
        state_path: str,
        mapping: Any = None,
        external_id_field: str = "external_id",
        updated_at_field: str = "updated_at",
        conflict_policy: str = "newest",
        max_failed_ratio: float | None = None,
        adopt_existing: bool = True,
        match_fields: Sequence[str] = DEFAULT_MATCH_FIELDS,
        ownership_path: str | None = None,
        max_concurrency: int = 4,
        changes_path: str | None = None,
        allow_local_state: bool = False,
        taptalent_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        # One run at a time per task: overlapping runs (a manual run beside a scheduled one) queue up.
        kwargs.setdefault("max_active_tis_per_dag", 1)
        super().__init__(taptalent_conn_id=taptalent_conn_id, **kwargs)
        if conflict_policy not in CONFLICT_POLICIES:
            raise ValueError(f"conflict_policy must be one of {', '.join(CONFLICT_POLICIES)}, not {conflict_policy!r}")
        _batches.check_ratio(max_failed_ratio)
        self.jobs = jobs
        self.state_path = state_path
        self.mapping = check_mapping(mapping)
        self.external_id_field = external_id_field
        self.updated_at_field = updated_at_field
        self.conflict_policy = conflict_policy
        self.max_failed_ratio = max_failed_ratio
        self.adopt_existing = adopt_existing
        self.match_fields = tuple(match_fields)
        self.ownership_path = ownership_path
        self.changes_path = changes_path
        self.allow_local_state = allow_local_state
        self.max_concurrency = self._check_concurrency(max_concurrency)

    def execute(self, context: Context) -> dict[str, int]:
        self._check_connection()
        with self._fail_without_retry():
            records = records_from(self.jobs, field="jobs")
            self._check_state_is_shared()
            state_location = storage_path(self.state_path, field="state_path")
            state = SyncState.load(state_location)
            ledger = OwnershipLedger(
                storage_path(self.ownership_path, field="ownership_path")
                if self.ownership_path
                else state_location.parent / OWNERSHIP_FILE,
                owner=str(state_location),
            )
            changes = output_path(self.changes_path, field="changes_path") if self.changes_path else None
            report = SyncReport()
            sources, invalid = source_jobs(
                records,
                mapping=self.mapping,
                id_field=self.external_id_field,
                updated_field=self.updated_at_field,
                report=report,
            )
        sync = JobSync(
            self.hook,
            state,
            adopt_existing=self.adopt_existing,
            match_fields=self.match_fields,
            report=report,
            conflict_policy=self.conflict_policy,
            max_concurrency=self.max_concurrency,
        )
        with state.locked():
            with self._fail_without_retry():
                sync.owned_elsewhere = ledger.owned_by_others()
            sync.ledger = ledger
            sync.keep_changes = changes is not None
            sync.run(sources)
            if changes is not None:
                with jsonl_writer(changes) as writer:
                    writer.write(report.changes)
                sync.changes_written()
                self.log.info("Wrote %d job(s) changed in TapTalent to %s", writer.count, self.changes_path)
            ledger.claim({str(e["job_id"]) for e in state.jobs.values() if e.get("job_id") is not None})
        report.failed[:0] = invalid
        self._log_report(report, records, state)
        context["ti"].xcom_push(key="report", value=report.details())
        counts = report.counts()
        if changes is not None:
            counts["changes"] = len(report.changes)
        self._check_failures(counts, len(records), report)
        return counts

    def _check_state_is_shared(self) -> None:
        """A plain local ``state_path`` under a distributed executor: refused, unless ``allow_local_state``."""
        if self.allow_local_state:
            return
        executors = distributed_executors(getattr(self, "executor", None))
        for name, value in (("state_path", self.state_path), ("ownership_path", self.ownership_path)):
            if executors and value and "://" not in str(value):
                raise TapTalentInputError(
                    f"Invalid {name}",
                    details={
                        name: f"{value!r} is on this worker's own disk, but tasks run on {executors[0]} workers "
                        "that do not share it: a retry on another worker would not find the state and would "
                        "create every job again. Use object storage (s3://..., gs://...) or a volume every "
                        "worker mounts, as file:///...; or set allow_local_state=True if every worker has it"
                    },
                )

    def get_openlineage_facets_on_start(self) -> Any:
        """Lineage at START: the same datasets, known once the fields are rendered (a running task shows them)."""
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Lineage: the source export in (when it is a file), TapTalent's jobs out, and ``changes_path``."""
        inputs = [_lineage.file_dataset(self.jobs)] if isinstance(self.jobs, str) else []
        outputs = [_lineage.resource_dataset(self.taptalent_conn_id, "jobs")]
        if self.changes_path:
            outputs.append(_lineage.file_dataset(str(self.changes_path)))
        return _lineage.operator_lineage(inputs, outputs)

    def _log_report(self, report: SyncReport, records: list[Any], state: SyncState) -> None:
        for failure in report.failed[:20]:
            self.log.warning("Not synced: %s: %s", failure["external_id"], failure["error"])
        for conflict in report.conflicts[:20]:
            self.log.warning(
                "Conflict: %s changed in TapTalent (job %s, %s) and in the source (%s): kept the %s version",
                conflict["external_id"],
                conflict["job_id"],
                conflict["taptalent_updated_at"],
                conflict["source_updated_at"] or "no update time",
                conflict["kept"],
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
            "Job sync: %d created, %d updated, %d unchanged, %d conflicts, %d failed, %d drifted, %d adopted "
            "(%d records, %d state writes)",
            counts["created"], counts["updated"], counts["unchanged"], counts["conflicts"], counts["failed"],
            counts["drifted"], counts["adopted"], len(records), state.saves,
        )  # fmt: skip

    def _check_failures(self, counts: dict[str, int], total: int, report: SyncReport) -> None:
        failed = counts["failed"]
        if not total or not failed:
            return
        transient = [f for f in report.failed if f.get("retryable")]
        if transient:
            # Everything else is saved; an outage that outlasted the client's retries is Airflow's to retry.
            raise TapTalentError(
                f"{len(transient):,} of {total:,} source records failed on errors a retry may fix (first: "
                f"{transient[0]['external_id']}: {transient[0]['error']}); the others are saved: the task "
                "fails so that its retry syncs them",
                details={"failed": str(len(transient)), "records": str(total)},
            )
        over = failed / total > self.max_failed_ratio if self.max_failed_ratio is not None else failed == total
        if over:
            source = ""
            if isinstance(self.jobs, str):  # the file as lineage names it: never a user:password a URI may carry
                namespace, name = _lineage.file_dataset(self.jobs)
                source = f" from {name}" if namespace == "file" else f" from {namespace}/{name}"
            template = getattr(self, "_templates", {}).get("jobs")
            source += f" (jobs, rendered from {template!r})" if template else ""
            first = report.failed[0]
            raise TapTalentTaskFailed(
                f"{failed:,} of {total:,} source records{source} failed to sync"
                + (f" (over max_failed_ratio {self.max_failed_ratio:.0%})" if self.max_failed_ratio is not None else "")
                + f"; the first, {first['external_id']}: {first['error']}"
                + (" (is jobs an export of jobs, and mapping the right one?)" if failed == total else "")
                + ": see the task log and the 'report' XCom for each record's error",
                details={
                    "jobs": f"{failed:,} of {total:,} records failed",
                    "failed": str(failed),
                    "records": str(total),
                },
            )
