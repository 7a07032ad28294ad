"""Resumes: upload them in batches, wait for parsing, fetch the parsed candidates."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_provider_taptalent._compat import Context, default_deferrable
from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentError, TapTalentInputError, TapTalentTimeoutError
from airflow_provider_taptalent.client.models import Candidate
from airflow_provider_taptalent.operators._base import DEFAULT_CONN_ID, MAX_CANDIDATES_IN_XCOM, _TapTalentOperator
from airflow_provider_taptalent.operators.links import TapTalentJobLink, push_job_link
from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger
from airflow_provider_taptalent.utils import batches as _batches
from airflow_provider_taptalent.utils import lineage as _lineage
from airflow_provider_taptalent.utils.export import add_match
from airflow_provider_taptalent.utils.idempotency import task_key
from airflow_provider_taptalent.utils.outputs import jsonl_writer
from airflow_provider_taptalent.utils.pages import in_order
from airflow_provider_taptalent.utils.sources import output_path, resume_urls_from

#: one page of candidates, as rows
Rows = list[dict[str, Any]]


def _job_id(value: Any) -> int | None:
    """The job to upload to: an id, or its text from a template."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    raise TapTalentInputError("Invalid job_id", details={"job_id": f"must be a TapTalent job id, not {value!r}"})


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
    :param job_id: upload the resumes to this job (templated, e.g. a create task's XCom): TapTalent scores
        each candidate against it (read the scores with ``TapTalentFetchCandidatesOperator(include_match=True)``).
    :param taptalent_conn_id: the TapTalent connection (templated).
    """

    template_fields = ("resume_urls", "job_id", "taptalent_conn_id")
    operator_extra_links: tuple[Any, ...] = (TapTalentJobLink(),)

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
        job_id: Any = None,
        taptalent_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(taptalent_conn_id=taptalent_conn_id, **kwargs)
        _batches.check_ratio(max_failed_ratio)
        self.job_id = job_id
        if job_id is None:  # nothing to link to: no empty "Extra Links" heading in the UI
            self.operator_extra_links = ()
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
        with self._fail_without_retry():
            urls, _ = resume_urls_from(self.resume_urls)
            batches = self._split(urls)
            job_id = _job_id(self.job_id)
        batch_ids = self._submit(context, batches, job_id)
        if job_id is not None:
            push_job_link(context, self.hook.settings.environment, job_id)
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

    def _submit(self, context: Context, batches: list[list[str]], job_id: int | None) -> list[int | str]:
        total = len(batches)

        def submit(index: int) -> int | str:
            content = batches[index] if job_id is None else [job_id, batches[index]]
            key = task_key(context, f"batch{index}", content)
            with self._fail_without_retry():
                upload = self.hook.bulk_upload_resumes(batches[index], job_id=job_id, idempotency_key=key)
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
    :param include_match: for candidates of batches uploaded to a job, add their AI match from the job
        candidates (``profileMatchScore``, ``evaluationStatus``, ``criteriaMatches``,
        ``recommendToRecruitingFirm``, ``aiSummary``; one bulk fetch per page). Scores still being computed
        are written as they are (null, ``PENDING``) and counted in ``pending_scores``.
    :param taptalent_conn_id: the TapTalent connection (templated).
    :return: ``{"path": output_path, "count": n}`` (and ``pending_scores`` with ``include_match``), or the
        candidates when there is no ``output_path``.
    """

    template_fields = ("batch_ids", "output_path", "taptalent_conn_id")

    def __init__(
        self,
        *,
        batch_ids: Any,
        output_path: str | None = None,
        per_page: int = _api.MAX_PER_PAGE,
        max_concurrency: int = 4,
        include_match: bool = False,
        taptalent_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(taptalent_conn_id=taptalent_conn_id, **kwargs)
        _api.check_per_page(per_page)
        self.include_match = include_match
        self.batch_ids = batch_ids
        self.output_path = output_path
        self.per_page = per_page
        self.max_concurrency = self._check_concurrency(max_concurrency)

    def execute(self, context: Context) -> Any:
        self._check_connection()
        self._pending: list[int] = []  # per page, appended from the fetching threads
        with self._fail_without_retry():
            batch_ids = _batches.batch_ids_from(self.batch_ids)
            path = output_path(self.output_path, field="output_path") if self.output_path else None
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="taptalent") as pool:
            pages, total = self._plan(pool, batch_ids)
            if path is None and total > MAX_CANDIDATES_IN_XCOM:
                with self._fail_without_retry():
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
        result: dict[str, Any] = {"path": str(self.output_path), "count": writer.count}
        if self.include_match:
            result["pending_scores"] = pending = sum(self._pending)
            if pending:
                self.log.warning(
                    "%d candidate(s) are still being scored (evaluationStatus PENDING, no score yet): "
                    "run the fetch again later for their match",
                    pending,
                )
        return result

    def get_openlineage_facets_on_start(self) -> Any:
        """Lineage at START: the same datasets, known once the fields are rendered (a running task shows them)."""
        return self.get_openlineage_facets_on_complete(None)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Lineage: TapTalent's candidates in, the file out (none without ``output_path``)."""
        outputs = [_lineage.file_dataset(str(self.output_path))] if self.output_path else []
        return _lineage.operator_lineage([_lineage.resource_dataset(self.taptalent_conn_id, "candidates")], outputs)

    def _plan(self, pool: ThreadPoolExecutor, batch_ids: list[int | str]) -> tuple[list[Callable[[], Rows]], int]:
        """Every page to read, as a call, from each batch's first page (read concurrently, and kept: it is
        page 1). Refuses a batch that has not finished: its candidates are not all there yet."""
        firsts = list(pool.map(lambda batch_id: self.hook.get_batch(batch_id, per_page=self.per_page), batch_ids))
        pages: list[Callable[[], Rows]] = []
        total = 0
        for batch_id, first in zip(batch_ids, firsts, strict=True):
            if first.status not in _api.BATCH_TERMINAL_STATUSES:
                raise TapTalentError(
                    f"Batch {batch_id} is still {first.status}: wait for it (TapTalentBatchSensor) before fetching"
                )
            count = first.pagination.total_candidates
            total += count
            if count:
                pages.append(functools.partial(self._rows, first.candidates))
            pages += [functools.partial(self._page, batch_id, n) for n in range(2, -(-count // self.per_page) + 1)]
        return pages, total

    def _in_order(self, pool: ThreadPoolExecutor, pages: list[Callable[[], Rows]], total: int) -> Iterator[Rows]:
        """Pages in order, ``max_concurrency`` requests in flight, at most twice that many pages held."""
        done, reported = 0, 0
        for candidates in in_order(pool, pages, 2 * self.max_concurrency):
            done += len(candidates)
            if done - reported >= max(total // 10, 1) or done == total:
                self.log.info("Fetched %s / %s candidates", f"{done:,}", f"{total:,}")
                reported = done
            yield candidates

    def _page(self, batch_id: int | str, page_number: int) -> list[dict[str, Any]]:
        return self._rows(self.hook.get_batch(batch_id, page_number=page_number, per_page=self.per_page).candidates)

    def _rows(self, candidates: list[Candidate]) -> list[dict[str, Any]]:
        """The page's rows, with each job candidate's AI match where asked for (one bulk fetch of <= 100)."""
        rows = [c.model_dump(mode="json", by_alias=True) for c in candidates]
        if self.include_match:
            self._pending.append(add_match(self.hook, candidates, rows, by_alias=True))
        return rows
