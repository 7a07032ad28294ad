"""Bulk resume uploads and their batches (SPEC §7.2 C2/C3, A6, A7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from ._base import ApiId, RequestModel, Timestamp, WireModel
from .urls import url_problem


def _public_url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


ResumeUrl = Annotated[str, AfterValidator(_public_url)]


class ResumeUpload(RequestModel):
    """The body of ``POST /candidates/bulk/resume``: 1 to ``max_batch_size`` public resume URLs, and with
    ``job_id`` the job they are uploaded to (JC2, A11: TapTalent then scores each candidate against it)."""

    resume_urls: Annotated[list[ResumeUrl], Field(min_length=1, alias="resumeURLs")]
    job_id: Annotated[int, Field(ge=1, strict=True)] | None = None


class BulkUpload(WireModel):
    """The answer to a bulk upload: the batch handle (an opaque id) and how many files it accepted."""

    batch_id: ApiId
    file_count: int


class FailedFile(WireModel):
    """A resume that could not be parsed, and why (``UNREADABLE_FILE`` ...)."""

    url: str
    reason: str | None = None


class Candidate(WireModel):
    """A parsed candidate (A7). Unknown fields are kept in ``model_extra``."""

    id: ApiId
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    current_job_title: str | None = None
    current_company: str | None = None
    city: str | None = None
    country: str | None = None
    skills: str | list[str] | None = None
    resume: str | None = None
    batch_id: ApiId | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    #: for a candidate attached to a job (A10, A11)
    job_id: ApiId | None = None
    job_candidate_id: ApiId | None = None


class BatchPagination(WireModel):
    """Where a page of a batch's candidates lies (A7)."""

    page_number: int = 1
    per_page: int = 10
    total_candidates: int = 0
    total_pages: int = 0


class BatchPage(WireModel):
    """``GET /candidates/batch/{id}``: the batch's state and counts, and one page of its candidates (A7)."""

    batch_id: ApiId
    status: str
    file_count: int = 0
    processed_count: int = 0
    success_count: int = 0
    failed_count: int = 0
    failed_files: list[FailedFile] = []
    candidates: list[Candidate] = []
    pagination: BatchPagination = BatchPagination()


Text = Annotated[str, StringConstraints(min_length=1)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _http_url(value: str) -> str:
    if not value.strip().lower().startswith(("http://", "https://")):
        raise ValueError("must be a URL starting with http:// or https://")
    return value.strip()


class CandidateCreate(RequestModel):
    """The body of ``POST /candidates`` (SPEC §7.2 C1, A10): a candidate, deduplicated by email.

    With ``job_id`` the candidate is also attached to that job and scored against it.
    """

    first_name: Name
    last_name: Name
    email: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    phone: Text | None = None
    resume: Annotated[str, AfterValidator(_http_url)] | None = None
    current_job_title: Text | None = None
    current_company: Text | None = None
    city: Text | None = None
    country: Text | None = None
    skills: list[Annotated[str, StringConstraints(max_length=200)]] | Text | None = None
    linkedin: Text | None = None
    cover_letter: Text | None = None
    gender: Literal["male", "female", "other", "Male", "Female", "Other"] | None = None
    date_of_birth: Text | None = None
    nationality: Text | None = None
    industry: Text | None = None
    category: Text | None = None
    job_id: Annotated[int, Field(strict=True)] | None = None
    should_parse_resume: bool | None = None
    majors: Text | None = None
    summary: Text | None = None
    educations: list[Any] | None = None
    work_experiences: list[Any] | None = None


class AddedCandidate(WireModel):
    """The answer to ``POST /candidates`` (A10): the candidate, whether it existed, its job candidate id."""

    candidate: Candidate
    already_exists: bool = False
    job_candidate_id: ApiId | None = None

    @property
    def already_existed(self) -> bool:
        """PUBLIC_API's name for ``already_exists``."""
        return self.already_exists


class CandidatePage(WireModel):
    """One page of ``GET /candidates`` (A10), newest first."""

    candidates: list[Candidate] = []
    pagination: BatchPagination = BatchPagination()

    @property
    def total_candidates(self) -> int:
        return self.pagination.total_candidates


class JobCandidate(WireModel):
    """A candidate's record for one job (SPEC §7.3 JC1): the AI match score and evaluation (A11).

    The AI fields are ``None`` while scoring runs (``evaluation_status == "PENDING"``).
    """

    id: ApiId
    job_id: ApiId | None = None
    candidate_id: ApiId | None = None
    profile_match_score: float | None = None
    evaluation_status: str | None = None
    criteria_matches: dict[str, Any] | None = None
    recommend_to_recruiting_firm: bool | None = None
    ai_summary: str | None = None
    candidate_details: dict[str, Any] | None = Field(default=None, alias="candidate_details")
