"""Bulk resume uploads and their batches (SPEC §7.2 C2/C3, A6, A7)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from airflow_provider_taptalent.models._base import ApiId, RequestModel, Timestamp, WireModel
from airflow_provider_taptalent.models.urls import url_problem


def _public_url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


ResumeUrl = Annotated[str, AfterValidator(_public_url)]


class ResumeUpload(RequestModel):
    """The body of ``POST /candidates/bulk/resume``: 1 to ``max_batch_size`` public resume URLs."""

    resume_urls: Annotated[list[ResumeUrl], Field(min_length=1, alias="resumeURLs")]


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


class BatchPagination(WireModel):
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
