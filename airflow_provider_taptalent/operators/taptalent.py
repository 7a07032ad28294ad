"""Operators for the TapTalent Partner API: create jobs, bulk-upload resumes, fetch parsed candidates, sync jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import Any

from airflow_provider_taptalent._compat import BaseOperator, Context, default_deferrable
from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentInputError, TapTalentTimeoutError
from airflow_provider_taptalent.client.models import Candidate, JobCreate
from airflow_provider_taptalent.client.models.jobs import wire_name
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger
from airflow_provider_taptalent.utils import batches as _batches
from airflow_provider_taptalent.utils.failures import fail_without_retry
from airflow_provider_taptalent.utils.idempotency import task_key
from airflow_provider_taptalent.utils.job_sync import JobSync, SyncReport, SyncState, source_jobs
from airflow_provider_taptalent.utils.jsonl import jsonl_writer
from airflow_provider_taptalent.utils.sources import output_path, records_from, resume_urls_from, storage_path

__all__ = [
    "TapTalentBulkUploadResumesOperator",
    "TapTalentCreateJobOperator",
    "TapTalentFetchCandidatesOperator",
    "TapTalentSyncJobsOperator",
]

DEFAULT_MATCH_FIELDS = ("title", "city", "state", "country")
#: candidates a task may return through XCom; more must go to a file (XCom is not a data store)
MAX_CANDIDATES_IN_XCOM = 1000


class _TapTalentOperator(BaseOperator):
    """What every TapTalent operator shares: the connection id and a lazily built hook."""

    ui_color = "#e8f0fe"

    def __init__(self, *, taptalent_conn_id: str = TapTalentHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taptalent_conn_id = taptalent_conn_id

    @cached_property
    def hook(self) -> TapTalentHook:
        return TapTalentHook(self.taptalent_conn_id)

    @staticmethod
    def _check_concurrency(max_concurrency: int) -> int:
        if isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be 1 or more, not {max_concurrency!r}")
        return max_concurrency

    def _check_connection(self) -> None:
        """Read the connection now, so that an unusable one fails the task without retries."""
        with fail_without_retry():
            self.hook.settings  # noqa: B018 (resolved and checked on first access)


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


class TapTalentBulkUploadResumesOperator(_TapTalentOperator):
    """Uploads resume URLs for parsing, in API-sized batches, and returns the batch ids.

    The URLs are checked first (http/https, not empty); exact duplicates are dropped with a warning. They
    are split into batches of ``batch_size`` and submitted ``max_concurrency`` at a time, each with an
    idempotency key derived from the task instance, the batch's position and its content, so a retried
    task gets the same batches back instead of new ones. With ``wait_for_completion`` it then waits like
    :class:`~airflow_provider_taptalent.sensors.taptalent.TapTalentBatchSensor` and returns a summary per
    batch.

    .. code-block:: python

        upload = TapTalentBulkUploadResumesOperator(task_id="upload", resume_urls="s3://bucket/resumes.txt")

    :param resume_urls: a list of URLs, or the local path / object-storage URI of a file with one URL a
        line (or a JSON list) (templated).
    :param batch_size: URLs per batch; default and upper bound: the connection's ``max_batch_size`` (5,000).
    :param max_concurrency: batches submitted at once (default 4).
    :param wait_for_completion: wait until every batch finished, and return summaries instead of ids.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.
    :param poll_interval: seconds between checks while waiting (default 30).
    :param timeout: seconds to wait before failing (default 1 day).
    :param max_failed_ratio: when waiting, fail if more than this share (0..1) of the files failed.
    :param taptalent_conn_id: the TapTalent connection (templated).
    """

    template_fields = ("resume_urls", "taptalent_conn_id")

    def __init__(
        self,
        *,
        resume_urls: Any,
        batch_size: int | None = None,
        max_concurrency: int = 4,
        wait_for_completion: bool = False,
        deferrable: bool | None = None,
        poll_interval: float = 30,
        timeout: float = 24 * 3600,
        max_failed_ratio: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _batches.check_ratio(max_failed_ratio)
        if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"batch_size must be a positive number of URLs, not {batch_size!r}")
        self.resume_urls = resume_urls
        self.batch_size = batch_size
        self.max_concurrency = self._check_concurrency(max_concurrency)
        self.wait_for_completion = wait_for_completion
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_failed_ratio = max_failed_ratio

    def execute(self, context: Context) -> Any:
        end_time = time.time() + float(self.timeout)
        with fail_without_retry():
            urls, _ = resume_urls_from(self.resume_urls)
            batches = self._split(urls)
        batch_ids = self._submit(context, batches)
        if not self.wait_for_completion:
            return batch_ids
        summaries = _batches.poll(self.hook, batch_ids)
        if not all(_batches.is_terminal(s) for s in summaries) and self.deferrable:
            self.log.info("TapTalent batches: %s; waiting in the triggerer", _batches.progress(summaries))
            trigger = TapTalentBatchTrigger(batch_ids, self.taptalent_conn_id, float(self.poll_interval), end_time)
            # The trigger's own deadline ends the wait: a framework timeout would bypass execute_complete.
            self.defer(trigger=trigger, method_name="execute_complete", timeout=None)
        while not all(_batches.is_terminal(s) for s in summaries):
            self.log.info("TapTalent batches: %s", _batches.progress(summaries))
            if time.time() >= end_time:
                raise TapTalentTimeoutError(f"Timed out waiting for TapTalent batches: {_batches.progress(summaries)}")
            time.sleep(min(float(self.poll_interval), max(end_time - time.time(), 0)))
            summaries = _batches.poll(self.hook, batch_ids)
        return _batches.check_outcome(summaries, self.max_failed_ratio)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Resume after the trigger: fail closed on a missing or unknown event."""
        summaries = _batches.read_event(event, timeout_error=TapTalentTimeoutError)
        return _batches.check_outcome(summaries, self.max_failed_ratio)

    def _split(self, urls: list[str]) -> list[list[str]]:
        limit = self.hook.max_batch_size
        size = self.batch_size or limit
        if size > limit:
            raise TapTalentInputError(
                "Invalid batch_size", details={"batch_size": f"{size} is over the connection's max_batch_size {limit}"}
            )
        return [urls[start : start + size] for start in range(0, len(urls), size)]

    def _submit(self, context: Context, batches: list[list[str]]) -> list[int | str]:
        total = len(batches)

        def submit(index: int) -> int | str:
            key = task_key(context, f"batch{index}", batches[index])
            with fail_without_retry():
                upload = self.hook.bulk_upload_resumes(batches[index], idempotency_key=key)
            self.log.info("Batch %d/%d accepted: %d files, id %s", index + 1, total, upload.file_count, upload.batch_id)
            return upload.batch_id

        # The hook's httpx client is thread-safe: the threads share its connection pool.
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, total), thread_name_prefix="taptalent") as pool:
            batch_ids = list(pool.map(submit, range(total)))
        self.log.info("Uploaded %s resume URLs in %d batch(es): %s", f"{sum(map(len, batches)):,}", total, batch_ids)
        return batch_ids


class TapTalentFetchCandidatesOperator(_TapTalentOperator):
    """Reads every parsed candidate of the given batches and writes them as JSON Lines.

    Pages (``per_page`` candidates each) are fetched ``max_concurrency`` at a time and written in order as
    they arrive, so memory stays flat however many candidates there are. The file appears at
    ``output_path`` only once complete. Every batch must have finished (wait with
    :class:`~airflow_provider_taptalent.sensors.taptalent.TapTalentBatchSensor` first).

    .. code-block:: python

        fetch = TapTalentFetchCandidatesOperator(
            task_id="fetch", batch_ids=upload.output, output_path="s3://bucket/candidates/{{ ds }}.jsonl"
        )

    :param batch_ids: one batch id, a list, or the upload operator's / sensor's XCom (templated).
    :param output_path: local path or object-storage URI of the JSON Lines file (templated). Without it the
        candidates are returned through XCom, at most 1,000 of them.
    :param per_page: candidates per request: 10, 20, 40, 80 or 100.
    :param max_concurrency: pages fetched at once (default 4).
    :param taptalent_conn_id: the TapTalent connection (templated).
    :return: ``{"path": output_path, "count": n}``, or the candidates when there is no ``output_path``.
    """

    template_fields = ("batch_ids", "output_path", "taptalent_conn_id")

    def __init__(
        self,
        *,
        batch_ids: Any,
        output_path: str | None = None,
        per_page: int = _api.MAX_PER_PAGE,
        max_concurrency: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _api.check_per_page(per_page)
        self.batch_ids = batch_ids
        self.output_path = output_path
        self.per_page = per_page
        self.max_concurrency = self._check_concurrency(max_concurrency)

    def execute(self, context: Context) -> Any:
        self._check_connection()
        with fail_without_retry():
            batch_ids = _batches.batch_ids_from(self.batch_ids)
            path = output_path(self.output_path, field="output_path") if self.output_path else None
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="taptalent") as pool:
            pages, total = self._plan(pool, batch_ids)
            if path is None and total > MAX_CANDIDATES_IN_XCOM:
                with fail_without_retry():
                    raise TapTalentInputError(
                        f"{total:,} candidates are too many to return through XCom",
                        details={"output_path": f"set it: at most {MAX_CANDIDATES_IN_XCOM:,} go without a file"},
                    )
            self.log.info(
                "Fetching %s candidates of %d batch(es) in %d pages", f"{total:,}", len(batch_ids), len(pages)
            )
            if path is None:
                return [row for page in self._in_order(pool, pages, total) for row in page]
            with jsonl_writer(path) as writer:
                for page in self._in_order(pool, pages, total):
                    writer.write(page)
                if writer.count != total:  # inside: an incomplete file is never published
                    raise TapTalentError(
                        f"Expected {total:,} candidates but read {writer.count:,}: the batches changed "
                        f"meanwhile; {self.output_path} was left as it was"
                    )
        self.log.info("Wrote %s candidates to %s", f"{writer.count:,}", path)
        return {"path": str(self.output_path), "count": writer.count}

    def _plan(
        self, pool: ThreadPoolExecutor, batch_ids: list[int | str]
    ) -> tuple[list[Future[list[Candidate]] | tuple[int | str, int]], int]:
        """Every page to read, from each batch's first page (read concurrently, and kept: it is page 1).

        Refuses a batch that has not finished: its candidates are not all there yet.
        """
        firsts = list(pool.map(lambda batch_id: self.hook.get_batch(batch_id, per_page=self.per_page), batch_ids))
        pages: list[Future[list[Candidate]] | tuple[int | str, int]] = []
        total = 0
        for batch_id, first in zip(batch_ids, firsts, strict=True):
            if first.status not in _api.BATCH_TERMINAL_STATUSES:
                raise TapTalentError(
                    f"Batch {batch_id} is still {first.status}: wait for it (TapTalentBatchSensor) before fetching"
                )
            count = first.pagination.total_candidates
            total += count
            if count:
                done: Future[list[Candidate]] = Future()
                done.set_result(first.candidates)
                pages.append(done)
            pages += [(batch_id, n) for n in range(2, -(-count // self.per_page) + 1)]
        return pages, total

    def _in_order(
        self, pool: ThreadPoolExecutor, pages: list[Future[list[Candidate]] | tuple[int | str, int]], total: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages in order, ``max_concurrency`` requests in flight, at most twice that many pages held."""
        queue = iter(pages)

        def submit() -> Future[list[Candidate]] | None:
            page = next(queue, None)
            if page is None or isinstance(page, Future):
                return page
            return pool.submit(self._page, *page)

        window = [f for f in (submit() for _ in range(2 * self.max_concurrency)) if f is not None]
        done, reported = 0, 0
        while window:
            candidates = window.pop(0).result()
            if (following := submit()) is not None:
                window.append(following)
            done += len(candidates)
            if done - reported >= max(total // 10, 1) or done == total:
                self.log.info("Fetched %s / %s candidates", f"{done:,}", f"{total:,}")
                reported = done
            yield [c.model_dump(mode="json", by_alias=True) for c in candidates]

    def _page(self, batch_id: int | str, page_number: int) -> list[Candidate]:
        return self.hook.get_batch(batch_id, page_number=page_number, per_page=self.per_page).candidates


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
