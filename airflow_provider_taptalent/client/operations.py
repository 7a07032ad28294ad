"""Every API operation, written once as plain logic over the calls of :mod:`.calls` (sans-I/O).

Each function takes the :class:`~.steps.Context` first and returns an operation (a generator of steps):
:mod:`.methods` turns each into a sync and an async method, and a driver runs it. Input is checked with a
request model before the first step, so nothing is sent for bad input. Every create carries an
``Idempotency-Key`` (yours, or a fresh one).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from . import calls, contract
from .errors import TapTalentAuthenticationError, TapTalentInputError, TapTalentPermissionError
from .models import (
    AddedCandidate,
    AssessmentFlow,
    AssessmentFlowCreate,
    AssessmentPage,
    BatchPage,
    BulkUpload,
    Candidate,
    CandidateCreate,
    CandidatePage,
    Job,
    JobCandidate,
    JobCreate,
    JobPage,
    JobUpdate,
    KeyStatus,
    Pipeline,
    PipelineName,
    ResumeUpload,
    StageUpsert,
    Team,
    User,
    UserPage,
)
from .retry import RetryPolicy
from .steps import Context, Op, paginate, send

# How far back (seconds) a job's createdAt may lie before the first attempt of a create and still be the
# job that attempt made: createdAt is in whole seconds (A9), and the clocks of this machine and TapTalent
# are assumed to agree within a second (NTP). A wider window would take other creates' jobs for ours; a
# job missed for skew is not lost: the create is sent again with its idempotency key (A5).
RECOVERY_CLOCK_SKEW = 2.0
# Jobs list newest first (A9): a job created moments ago is on the first pages, if anywhere.
RECOVERY_MAX_PAGES = 5
#: a key check retries once at most: someone is waiting for the answer
KEY_CHECK_POLICY = RetryPolicy(max_retries=1, max_total=20.0)


def checked_idempotency_key(key: str | None) -> str:
    """``key`` checked (A5: 1 to 255 printable ASCII characters), or a fresh one."""
    if key is None:
        return uuid.uuid4().hex
    if not key or len(key) > contract.IDEMPOTENCY_KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise TapTalentInputError(
            "Invalid idempotency key",
            details={"idempotency_key": f"1 to {contract.IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters"},
        )
    return key


def _pages(page_number: int, per_page: int, *, name: str = "pageNumber") -> dict[str, int]:
    contract.check_per_page(per_page)
    if isinstance(page_number, bool) or not isinstance(page_number, int) or page_number < 1:
        raise ValueError(f"page_number must be 1 or more, not {page_number!r}")
    return {name: page_number, "perPage": per_page}


def _filters(**values: Any) -> dict[str, Any]:
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in values.items() if v is not None}


def _ids(ids: Collection[int | str]) -> frozenset[str]:
    return frozenset(str(i) for i in ids)


# -- jobs ---------------------------------------------------------------------------------------------------


def create_job(
    ctx: Context,
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
    known = _ids(known_job_ids)
    return (yield from send(ctx, call, recover=lambda since: find_created_job(ctx, body, since, exclude=known)))


def find_created_job(
    ctx: Context, sent: Mapping[str, Any], since: float, *, exclude: Collection[int | str] = ()
) -> Op[Job | None]:
    """The newest job with every field of ``sent`` (a create's body), created after ``since`` (epoch s)
    and not in ``exclude``.

    How an interrupted create is resolved without creating twice: jobs list newest first (A9), so only the
    first pages are read, back to ``since`` (less a second or two of clock skew).
    """
    excluded, not_before = _ids(exclude), since - RECOVERY_CLOCK_SKEW
    for page_number in range(1, RECOVERY_MAX_PAGES + 1):
        page: JobPage = yield from send(ctx, calls.JOBS_LIST.call(params=_pages(page_number, contract.MAX_PER_PAGE)))
        for job in page.jobs:
            if job.created_at is None:
                continue  # cannot be shown to be new: never taken for ours
            if job.created_at.timestamp() < not_before:
                return None
            if str(job.id) not in excluded and job.matches(sent):
                return job
        if len(page.jobs) < contract.MAX_PER_PAGE:
            return None
    return None


def get_job(ctx: Context, job_id: int | str) -> Op[Job]:
    """One job (``GET /jobs/{id}``); :class:`TapTalentNotFoundError` when it does not exist."""
    return (yield from send(ctx, calls.JOBS_GET.call({"jobId": job_id})))


def update_job(ctx: Context, job_id: int | str, changes: JobUpdate | Mapping[str, Any]) -> Op[Job]:
    """Change some fields of a job (``PATCH /jobs/{id}``, A9); the same rules as create apply.

    A PATCH that sets fields to given values is safe to repeat, so it is retried like a read.
    """
    body = JobUpdate.coerce(changes, what="job update").to_wire()
    return (yield from send(ctx, calls.JOBS_UPDATE.call({"jobId": job_id}, json=body)))


def list_jobs(ctx: Context, *, page_number: int = 1, per_page: int = contract.MAX_PER_PAGE) -> Op[JobPage]:
    """One page of the company's jobs, newest first (``GET /jobs``); ``per_page`` is 10, 20, 40, 80 or 100."""
    return (yield from send(ctx, calls.JOBS_LIST.call(params=_pages(page_number, per_page))))


def iter_jobs(ctx: Context, *, per_page: int = contract.MAX_PER_PAGE) -> Op[None]:
    """Every job of the company, page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.JOBS_LIST.call(params=_pages(n, per_page)),
        lambda page: page.jobs,
        lambda page, n: contract.has_next_page(n, per_page, page.total_jobs),
    )


# -- bulk resume upload and batches ---------------------------------------------------------------------------


def bulk_upload_resumes(
    ctx: Context, resume_urls: Sequence[str], *, job_id: int | None = None, idempotency_key: str | None = None
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


def get_batch(
    ctx: Context, batch_id: int | str, *, page_number: int = 1, per_page: int = contract.MAX_PER_PAGE
) -> Op[BatchPage]:
    """A batch's status, counts, failed files and one page of its candidates (``GET /candidates/batch/{id}``)."""
    call = calls.CANDIDATES_BATCH_GET.call({"batchId": batch_id}, params=_pages(page_number, per_page))
    return (yield from send(ctx, call))


def iter_batch_candidates(ctx: Context, batch_id: int | str, *, per_page: int = contract.MAX_PER_PAGE) -> Op[None]:
    """Every parsed candidate of a batch, page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.CANDIDATES_BATCH_GET.call({"batchId": batch_id}, params=_pages(n, per_page)),
        lambda page: page.candidates,
        lambda page, n: contract.has_next_page(n, per_page, page.pagination.total_candidates),
    )


# -- candidates and job candidates -----------------------------------------------------------------------------


def add_candidate(
    ctx: Context, candidate: CandidateCreate | Mapping[str, Any], *, idempotency_key: str | None = None
) -> Op[AddedCandidate]:
    """Add one candidate (``POST /candidates``, C1/A10); the same email returns the existing one with
    ``already_existed``. With ``job_id`` in the candidate it is attached to that job and scored.

    Repeating it is safe: TapTalent deduplicates on the email.
    """
    body = CandidateCreate.coerce(candidate, what="candidate").to_wire()
    call = calls.CANDIDATES_ADD.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


def _candidate_filters(page_number: int, per_page: int, **filters: Any) -> dict[str, Any]:
    return {**_pages(page_number, per_page), **_filters(**filters)}


def list_candidates(
    ctx: Context,
    *,
    page_number: int = 1,
    per_page: int = contract.MAX_PER_PAGE,
    email: str | None = None,
    batch_id: int | str | None = None,
    job_id: int | str | None = None,
) -> Op[CandidatePage]:
    """One page of the company's candidates, newest first (``GET /candidates``, C4/A10), filtered."""
    params = _candidate_filters(page_number, per_page, email=email, batchId=batch_id, jobId=job_id)
    return (yield from send(ctx, calls.CANDIDATES_LIST.call(params=params)))


def iter_candidates(
    ctx: Context,
    *,
    per_page: int = contract.MAX_PER_PAGE,
    email: str | None = None,
    batch_id: int | str | None = None,
    job_id: int | str | None = None,
) -> Op[None]:
    """Every candidate (matching the filters), page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.CANDIDATES_LIST.call(
            params=_candidate_filters(n, per_page, email=email, batchId=batch_id, jobId=job_id)
        ),
        lambda page: page.candidates,
        lambda page, n: contract.has_next_page(n, per_page, page.total_candidates),
    )


def get_candidate(ctx: Context, candidate_id: int | str) -> Op[Candidate]:
    """One candidate (``GET /candidates/{id}``, C5); :class:`TapTalentNotFoundError` when unknown."""
    return (yield from send(ctx, calls.CANDIDATES_GET.call({"candidateId": candidate_id})))


def bulk_fetch_job_candidates(ctx: Context, job_candidate_ids: Sequence[int | str]) -> Op[list[JobCandidate]]:
    """Job candidates with their AI match scores (``POST /job-candidates/bulk-fetch``, JC1), in requests of
    at most 100 ids. Unknown ids are left out (A11); scores are ``None`` while ``evaluation_status`` is
    ``PENDING``."""
    if isinstance(job_candidate_ids, (str, bytes)):
        raise TapTalentInputError("Invalid job_candidate_ids", details={"jobCandidateIds": "must be a list of ids"})
    ids = list(dict.fromkeys(job_candidate_ids))
    bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, (int, str)) or str(i).strip() == ""]
    if bad or not ids:
        problem = f"not an id: {bad[0]!r}" if bad else "no ids given"
        raise TapTalentInputError("Invalid job_candidate_ids", details={"jobCandidateIds": problem})
    found: list[JobCandidate] = []
    size = contract.MAX_JOB_CANDIDATE_IDS
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found += yield from send(ctx, calls.JOB_CANDIDATES_BULK_FETCH.call(json={"jobCandidateIds": chunk}))
    return found


# -- pipelines, teams, users, assessments -------------------------------------------------------------------------


def list_pipelines(ctx: Context) -> Op[list[Pipeline]]:
    """Every pipeline with its stages (``GET /pipelines``)."""
    return (yield from send(ctx, calls.PIPELINES_LIST.call()))


def get_pipeline(ctx: Context, pipeline_id: int | str) -> Op[Pipeline]:
    """One pipeline with its stages (``GET /pipelines/{id}``)."""
    return (yield from send(ctx, calls.PIPELINES_GET.call({"pipelineId": pipeline_id})))


def create_pipeline(ctx: Context, name: str, *, idempotency_key: str | None = None) -> Op[Pipeline]:
    """A new pipeline with TapTalent's default stages (``POST /pipelines``)."""
    body = PipelineName.coerce({"name": name}, what="pipeline").to_wire()
    call = calls.PIPELINES_CREATE.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


def rename_pipeline(ctx: Context, pipeline_id: int | str, name: str) -> Op[Pipeline]:
    """Rename a pipeline (``PUT /pipelines/{id}``)."""
    body = PipelineName.coerce({"name": name}, what="pipeline").to_wire()
    return (yield from send(ctx, calls.PIPELINES_RENAME.call({"pipelineId": pipeline_id}, json=body)))


def upsert_stage(
    ctx: Context,
    pipeline_id: int,
    *,
    name: str,
    type: str,
    order: int | None = None,
    stage_id: int | None = None,
    idempotency_key: str | None = None,
) -> Op[Pipeline]:
    """Add a stage to a pipeline, or with ``stage_id`` change one (``POST /pipelines/stages``, A12); the
    other stages are renumbered around ``order``. Returns the pipeline."""
    body = StageUpsert.coerce(
        {"pipelineId": pipeline_id, "name": name, "type": type, "order": order, "stageId": stage_id}, what="stage"
    ).to_wire()
    call = calls.PIPELINES_STAGE_UPSERT.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


def list_teams(ctx: Context) -> Op[list[Team]]:
    """Every team of the workspace (``GET /teams``)."""
    return (yield from send(ctx, calls.TEAMS_LIST.call()))


def get_team(ctx: Context, team_id: str) -> Op[Team]:
    """One team (``GET /teams/{id}``)."""
    return (yield from send(ctx, calls.TEAMS_GET.call({"teamId": team_id})))


def _user_params(page: int, per_page: int, filters: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= contract.MAX_USERS_PER_PAGE:
        raise ValueError(f"per_page must be 1 to {contract.MAX_USERS_PER_PAGE}, not {per_page!r}")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be 1 or more, not {page!r}")
    status = filters.get("status")
    if status is not None and not isinstance(status, str):
        filters = {**filters, "status": ",".join(status)}
    return {"page": page, "perPage": per_page, **_filters(**filters)}


def list_users(
    ctx: Context,
    *,
    page: int = 1,
    per_page: int = contract.MAX_USERS_PER_PAGE,
    status: str | Sequence[str] | None = None,
    role: str | None = None,
    is_company_admin: bool | None = None,
    search: str | None = None,
) -> Op[UserPage]:
    """One page of workspace users and invites (``GET /users``): ``status`` is ``ACTIVE``, ``INVITED``,
    ``EXPIRED`` or several; ``role`` a code or a display name; ``search`` matches email and names."""
    filters = {"status": status, "role": role, "isCompanyAdmin": is_company_admin, "search": search}
    return (yield from send(ctx, calls.USERS_LIST.call(params=_user_params(page, per_page, filters))))


def iter_users(
    ctx: Context,
    *,
    per_page: int = contract.MAX_USERS_PER_PAGE,
    status: str | Sequence[str] | None = None,
    role: str | None = None,
    is_company_admin: bool | None = None,
    search: str | None = None,
) -> Op[None]:
    """Every workspace user (matching the filters), page after page."""
    filters = {"status": status, "role": role, "isCompanyAdmin": is_company_admin, "search": search}
    _user_params(1, per_page, filters)
    yield from paginate(
        ctx,
        lambda n: calls.USERS_LIST.call(params=_user_params(n, per_page, filters)),
        lambda page: page.users,
        lambda page, n: contract.has_next_page(n, per_page, page.total),
    )


def get_user(ctx: Context, user_id: str) -> Op[User]:
    """One workspace user or invite (``GET /users/{id}``)."""
    return (yield from send(ctx, calls.USERS_GET.call({"userId": user_id})))


def list_assessments(
    ctx: Context, *, page_number: int = 1, per_page: int = contract.MAX_PER_PAGE
) -> Op[AssessmentPage]:
    """One page of assessments (``GET /assessment``)."""
    return (yield from send(ctx, calls.ASSESSMENTS_LIST.call(params=_pages(page_number, per_page))))


def iter_assessments(ctx: Context, *, per_page: int = contract.MAX_PER_PAGE) -> Op[None]:
    """Every assessment, page after page."""
    contract.check_per_page(per_page)
    yield from paginate(
        ctx,
        lambda n: calls.ASSESSMENTS_LIST.call(params=_pages(n, per_page)),
        lambda page: page.assessments,
        lambda page, n: contract.has_next_page(n, per_page, page.total),
    )


def list_assessment_flows(ctx: Context) -> Op[list[AssessmentFlow]]:
    """Every assessment flow (``GET /assessment-flows``, A12)."""
    return (yield from send(ctx, calls.ASSESSMENT_FLOWS_LIST.call()))


def create_assessment_flow(
    ctx: Context, flow: AssessmentFlowCreate | Mapping[str, Any], *, idempotency_key: str | None = None
) -> Op[AssessmentFlow]:
    """A new assessment flow (``POST /assessment-flows``, A12): ``flow_name`` and at least one step, each
    with ``assessment_id`` and ``pass_threshold`` (0-100)."""
    body = AssessmentFlowCreate.coerce(flow, what="assessment flow").to_wire()
    call = calls.ASSESSMENT_FLOWS_CREATE.call(json=body, idempotency_key=checked_idempotency_key(idempotency_key))
    return (yield from send(ctx, call))


# -- keys ---------------------------------------------------------------------------------------------------------


def key_state(ctx: Context) -> Op[str]:
    """What the cheapest authenticated read says of the context's key (A13): active, invalid, inactive.

    Network and server failures are raised: they say nothing about the key.
    """
    checking = ctx.with_policy(KEY_CHECK_POLICY)
    try:
        yield from send(checking, calls.JOBS_LIST.call(params=_pages(1, contract.PER_PAGE_CHOICES[0])))
    except TapTalentAuthenticationError:
        return contract.KEY_STATES[401]
    except TapTalentPermissionError as error:
        if error.code == "ACCOUNT_INACTIVE":
            return contract.KEY_STATES[403]
        raise
    return contract.KEY_STATES[200]


def check_key(ctx: Context) -> Op[KeyStatus]:
    """The state of the connection's key (A13): ``active``, ``invalid`` (401) or ``inactive`` (403
    ``ACCOUNT_INACTIVE``). Never raises for a key problem."""
    state = yield from key_state(ctx)
    messages = {
        "active": "the key works",
        "invalid": "TapTalent does not know this key (revoked or rotated away): put a current key in the connection",
        "inactive": "the company's subscription is inactive: renew it in TapTalent",
    }
    return KeyStatus(state=state, environment=ctx.settings.environment, message=messages[state])  # type: ignore[arg-type]
