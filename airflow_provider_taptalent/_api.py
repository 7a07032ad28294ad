"""TapTalent's wire contract, as this provider reads it: hosts, paths, limits, envelopes, header names.

Everything here is either documented (../shared/taptalent-api/SPEC.md, cited by section) or one of the
assumptions of ASSUMPTIONS.md (cited as A1..A9) where the public docs are silent. Each fact is written
once, here, so that it can be corrected in one line when TapTalent's real behaviour is known.

The API calls themselves are described as :class:`Call` values: a request and the parser of its
answer. The hook's sync and async methods send the same ``Call`` through the same request path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote

from airflow_provider_taptalent.models import (
    BatchPage,
    BulkUpload,
    Job,
    JobCreate,
    JobPage,
    JobUpdate,
)

T = TypeVar("T")

Environment = Literal["production", "sandbox"]

# A1: hosts and the path every endpoint hangs off.
API_PATH_PREFIX: Final = "/v1/partner"
BASE_URLS: Final[Mapping[Environment, str]] = {
    "production": "https://partner-api.taptalent.io/v1/partner",
    "sandbox": "https://sandbox.partner-api.taptalent.io/v1/partner",
}

# SPEC §2 (format) and A1 (which key belongs where).
API_KEY_PATTERN: Final = re.compile(r"^sk_(live|test)_[A-Za-z0-9]{22}$")
KEY_ENVIRONMENTS: Final[Mapping[str, Environment]] = {"live": "production", "test": "sandbox"}

# SPEC §3.1: every paged endpoint accepts only these page sizes.
PER_PAGE_CHOICES: Final = (10, 20, 40, 80, 100)
MAX_PER_PAGE: Final = 100

# A6: the newest guide says 5,000 resumes per batch, an older page 200; 5,000 unless lowered.
DEFAULT_MAX_BATCH_SIZE: Final = 5000

# A7: batch states; COMPLETED and FAILED are final.
BATCH_TERMINAL_STATUSES: Final = frozenset({"COMPLETED", "FAILED"})
BATCH_FAILED_STATUS: Final = "FAILED"

# A5: the header that makes a POST safe to repeat, and its length limit.
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH: Final = 255
# A3/A4: the header a 429 carries.
RETRY_AFTER_HEADER: Final = "Retry-After"
# Not documented; read when present so that support tickets can quote it.
REQUEST_ID_HEADERS: Final = ("X-Request-Id", "X-Request-ID", "Request-Id")

# A8: webhook deliveries.
WEBHOOK_KEY_HEADER: Final = "X-Webhook-Key"
WEBHOOK_EVENT_HEADER: Final = "X-Webhook-Event"
WEBHOOK_TIMESTAMP_HEADER: Final = "X-Webhook-Timestamp"
BATCH_EVENTS: Final = frozenset(
    {
        "resume.bulk_upload_parse.started",
        "resume.bulk_upload_parse.completed",
        "resume.bulk_upload_parse.failed",
    }
)


def environment_of_key(api_key: str) -> Environment | None:
    """The environment an API key belongs to (A1), or ``None`` when it is not a TapTalent key."""
    match = API_KEY_PATTERN.match(api_key)
    return KEY_ENVIRONMENTS[match.group(1)] if match else None


def unwrap(body: Any) -> Any:
    """Return the payload of a success body, whatever its envelope (SPEC §4, A2).

    ``{"success": true, "data": X}`` and ``{"status": "success", "data": X}`` give ``X``; a bare object
    (``GET /jobs``, the job endpoints) is its own payload.
    """
    if isinstance(body, Mapping) and "data" in body and ("success" in body or "status" in body):
        return body["data"]
    return body


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request, relative to the connection's base URL."""

    method: Literal["GET", "POST", "PATCH"]
    path: str
    #: the path's template (``/jobs/{jobId}``): a low-cardinality name for logs and metrics
    endpoint: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    idempotency_key: str | None = field(default=None)


@dataclass(frozen=True)
class Call(Generic[T]):
    """An API call: what to send and how to read the answer's payload."""

    request: ApiRequest
    parse: Callable[[Any], T]


def _segment(value: int | str) -> str:
    # Ids are opaque (SPEC §3): quote them so that an id can never change the path.
    return quote(str(value), safe="")


def check_per_page(per_page: int) -> None:
    """Page sizes are one of SPEC §3.1's five; anything else is refused before it is sent."""
    if per_page not in PER_PAGE_CHOICES:
        raise ValueError(f"per_page must be one of {', '.join(map(str, PER_PAGE_CHOICES))}, not {per_page!r}")


def _page_params(page_number: int, per_page: int) -> dict[str, int]:
    check_per_page(per_page)
    if page_number < 1:
        raise ValueError(f"page_number must be 1 or more, not {page_number!r}")
    return {"pageNumber": page_number, "perPage": per_page}


def create_job(job: JobCreate, idempotency_key: str) -> Call[Job]:
    """J2 ``POST /jobs``: the bare created job (A9)."""
    return Call(
        ApiRequest("POST", "/jobs", "/jobs", json=job.to_wire(), idempotency_key=idempotency_key), Job.from_wire
    )


def get_job(job_id: int | str) -> Call[Job]:
    """J3 ``GET /jobs/{id}``: the bare job, or 404."""
    return Call(ApiRequest("GET", f"/jobs/{_segment(job_id)}", "/jobs/{jobId}"), Job.from_wire)


def update_job(job_id: int | str, changes: JobUpdate) -> Call[Job]:
    """A9 ``PATCH /jobs/{id}`` (assumed: no update endpoint is visible in the docs)."""
    return Call(
        ApiRequest("PATCH", f"/jobs/{_segment(job_id)}", "/jobs/{jobId}", json=changes.to_wire()), Job.from_wire
    )


def list_jobs(page_number: int, per_page: int) -> Call[JobPage]:
    """J1 ``GET /jobs``: ``{"jobs": [...], "totalJobs": N}``, newest first (A9)."""
    return Call(ApiRequest("GET", "/jobs", "/jobs", params=_page_params(page_number, per_page)), JobPage.from_wire)


def bulk_upload_resumes(resume_urls: list[str], idempotency_key: str) -> Call[BulkUpload]:
    """C2 ``POST /candidates/bulk/resume``: ``{"success": true, "data": {"batchId", "fileCount"}}``."""
    request = ApiRequest(
        "POST",
        "/candidates/bulk/resume",
        "/candidates/bulk/resume",
        json={"resumeURLs": resume_urls},
        idempotency_key=idempotency_key,
    )
    return Call(request, BulkUpload.from_wire)


def get_batch(batch_id: int | str, page_number: int, per_page: int) -> Call[BatchPage]:
    """C3 ``GET /candidates/batch/{id}``: batch status, counts and one page of candidates (A7)."""
    request = ApiRequest(
        "GET",
        f"/candidates/batch/{_segment(batch_id)}",
        "/candidates/batch/{batchId}",
        params=_page_params(page_number, per_page),
    )
    return Call(request, BatchPage.from_wire)


def find_created_job(
    page: JobPage, sent: Mapping[str, Any], not_before: float, exclude: frozenset[str] = frozenset()
) -> tuple[Job | None, bool]:
    """Look through one page of jobs (newest first, A9) for the job a create with body ``sent`` made.

    Only a job created at ``not_before`` (epoch seconds) or later, and not in ``exclude`` (ids as
    strings), can be it. Returns the job (or ``None``) and whether the search is over: a match, a job
    older than ``not_before``, or the last page ends it.
    """
    for job in page.jobs:
        if job.created_at is None:
            continue  # cannot be shown to be new: never taken for ours
        if job.created_at.timestamp() < not_before:
            return None, True
        if str(job.id) not in exclude and job.matches(sent):
            return job, True
    return None, len(page.jobs) < MAX_PER_PAGE


def has_next_page(page_number: int, per_page: int, total: int) -> bool:
    """Whether a page-numbered listing has more after ``page_number`` (jobs and batch candidates alike)."""
    return page_number * per_page < total
