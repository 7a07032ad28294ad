"""Jobs (SPEC §7.1, A9), bulk resume uploads and batches (C2, C3, JC2, A6, A7)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .. import calls, contract
from ..errors import TapTalentInputError
from ..models import (
    BatchPage,
    BulkUpload,
    Candidate,
    Job,
    JobCreate,
    JobPage,
    JobUpdate,
    ResumeUpload,
)
from ..steps import CallContext, Op, paginate, send
from ._common import (
    RECOVERY_MAX_PAGES,
    _ids,
    _pages,
    checked_idempotency_key,
    operation,
)

# -- jobs ---------------------------------------------------------------------------------------------------


@operation(calls.JOBS_CREATE)
def create_job(
    ctx: CallContext,
    job: JobCreate | Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    known_job_ids: Collection[int | str] = (),
) -> Op[Job]:
    """Create a job (``POST /jobs``), never twice.

    The job is validated before anything is sent. The request carries an ``Idempotency-Key`` (yours, or
    a fresh one) that stays the same across retries; and when an attempt's outcome is unknown (timeout,
    dropped connection, 5xx), the newest jobs are searched for the one it may have created before anything
    is sent again: a job with the same fields, created after the first attempt began, and not one of
    ``known_job_ids``.

    :param job: the job, as a :class:`JobCreate` or a mapping of its fields (snake_case or camelCase).
    :param idempotency_key: a key that identifies this create across task retries (at most 255 chars).
    :param known_job_ids: jobs that existed, or belong to something else, already: never taken for the
        one this create made (a sync passes the jobs it maps and the ones it listed).
    """
    body = JobCreate.coerce(job, what="job").to_wire()
    call = calls.JOBS_CREATE.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    # Read when a recovery runs, not now: a caller's collection may grow meanwhile (a sync's other creates).
    return (yield from send(ctx, call, recover=lambda since: find_created_job(ctx, body, since, exclude=known_job_ids)))


@operation(calls.JOBS_LIST)
def find_created_job(
    ctx: CallContext, sent: Mapping[str, Any], since: float, *, exclude: Collection[int | str] = ()
) -> Op[Job | None]:
    """The newest job with every field of ``sent`` (a create's body), created in or after the second
    ``since`` of TapTalent's clock (epoch seconds: :meth:`~.clock.ServerClock.second_of`, or the client's
    ``server_time()`` taken before the create), and not in ``exclude``.

    How an interrupted create is resolved without creating twice: jobs list newest first (A9), so only the
    first pages are read, back to ``since``.
    """
    excluded = _ids(exclude)
    for page_number in range(1, RECOVERY_MAX_PAGES + 1):
        page: JobPage = yield from send(ctx, calls.JOBS_LIST.call(params=_pages(page_number, contract.MAX_PER_PAGE)))
        for job in page.jobs:
            if job.created_at is not None and job.created_at.timestamp() < since:
                return None
            if made_by(job, sent, since, excluded):
                return job
        if len(page.jobs) < contract.MAX_PER_PAGE:
            return None
    return None


def made_by(job: Job, sent: Mapping[str, Any], since: float, excluded: Collection[str]) -> bool:
    """Whether ``job`` may be the one a create of ``sent`` made in or after the second ``since``: created
    then (a job without ``createdAt`` cannot be shown to be new: never), with every field of ``sent``, and
    its id (as text) not in ``excluded``."""
    return (
        job.created_at is not None
        and job.created_at.timestamp() >= since
        and str(job.id) not in excluded
        and job.matches(sent)
    )


@operation(calls.JOBS_UPDATE)
def update_job(ctx: CallContext, job_id: int | str, changes: JobUpdate | Mapping[str, Any]) -> Op[Job]:
    """Change some fields of a job (``PATCH /jobs/{id}``, A9); the same rules as create apply.

    A PATCH that sets fields to given values is safe to repeat, so it is retried like a read.
    """
    body = JobUpdate.coerce(changes, what="job update").to_wire()
    return (yield from send(ctx, calls.JOBS_UPDATE.call({"jobId": job_id}, json=body)))


@operation(calls.JOBS_LIST)
def list_jobs(ctx: CallContext, *, page_number: int = 1, per_page: int = contract.MAX_PER_PAGE) -> Op[JobPage]:
    """One page of the company's jobs, newest first (``GET /jobs``); ``per_page`` is 10, 20, 40, 80 or 100."""
    return (yield from send(ctx, calls.JOBS_LIST.call(params=_pages(page_number, per_page))))


@operation(calls.JOBS_LIST, items=Job)
def iter_jobs(ctx: CallContext, *, per_page: int = contract.MAX_PER_PAGE) -> Op[None]:
    """Every job of the company, page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.JOBS_LIST.call(params=_pages(n, per_page)),
        per_page,
        lambda page: page.jobs,
        lambda page: page.total_jobs,
    )


# -- bulk resume upload and batches ---------------------------------------------------------------------------


@operation(calls.CANDIDATES_BULK_RESUME)
def bulk_upload_resumes(
    ctx: CallContext, resume_urls: Sequence[str], *, job_id: int | None = None, idempotency_key: str | None = None
) -> Op[BulkUpload]:
    """Start parsing up to ``max_batch_size`` resumes (``POST /candidates/bulk/resume``).

    :param resume_urls: public http(s) URLs of PDF, DOC or DOCX files.
    :param job_id: upload them to this job (JC2): TapTalent scores each candidate against it.
    :param idempotency_key: identifies this batch across retries, so that a retried upload is not
        accepted twice (A5).
    """
    if isinstance(resume_urls, (str, bytes)):
        raise TapTalentInputError(
            "resume_urls must be a list of URLs, not one string", details={"resumeURLs": "must be a list"}
        )
    upload = ResumeUpload.coerce({"resumeURLs": list(resume_urls), "jobId": job_id}, what="resume upload")
    limit = ctx.settings.max_batch_size
    if len(upload.resume_urls) > limit:
        raise TapTalentInputError(
            f"{len(upload.resume_urls)} resumes do not fit one batch",
            details={
                "resumeURLs": f"at most {limit} per batch (the connection's max_batch_size); split them "
                "into batches, as TapTalentBulkUploadResumesOperator does"
            },
        )
    call = calls.CANDIDATES_BULK_RESUME.call(
        json=upload.to_wire(), idempotency_key=checked_idempotency_key(idempotency_key)
    )
    return (yield from send(ctx, call))


@operation(calls.CANDIDATES_BATCH_GET)
def get_batch(
    ctx: CallContext, batch_id: int | str, *, page_number: int = 1, per_page: int = contract.MAX_PER_PAGE
) -> Op[BatchPage]:
    """A batch's status, counts, failed files and one page of its candidates (``GET /candidates/batch/{id}``)."""
    call = calls.CANDIDATES_BATCH_GET.call({"batchId": batch_id}, params=_pages(page_number, per_page))
    return (yield from send(ctx, call))


@operation(calls.CANDIDATES_BATCH_GET, items=Candidate)
def iter_batch_candidates(ctx: CallContext, batch_id: int | str, *, per_page: int = contract.MAX_PER_PAGE) -> Op[None]:
    """Every parsed candidate of a batch, page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.CANDIDATES_BATCH_GET.call({"batchId": batch_id}, params=_pages(n, per_page)),
        per_page,
        lambda page: page.candidates,
        lambda page: page.pagination.total_candidates,
    )
