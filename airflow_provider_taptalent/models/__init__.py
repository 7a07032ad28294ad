"""pydantic models of TapTalent's requests and responses: snake_case here, camelCase on the wire.

Request models (:class:`JobCreate`, :class:`JobUpdate`, :class:`ResumeUpload`) check every documented
rule before anything is sent and raise :class:`~airflow_provider_taptalent.exceptions.TapTalentInputError`
naming each bad field. Response models keep fields and enum values they do not know.
"""

from __future__ import annotations

from airflow_provider_taptalent.models._base import parse_timestamp
from airflow_provider_taptalent.models.candidates import (
    BatchPage,
    BatchPagination,
    BulkUpload,
    Candidate,
    FailedFile,
    ResumeUpload,
)
from airflow_provider_taptalent.models.jobs import Job, JobCreate, JobPage, JobUpdate, ScreeningQuestion
from airflow_provider_taptalent.models.webhooks import WebhookEvent

__all__ = [
    "BatchPage",
    "BatchPagination",
    "BulkUpload",
    "Candidate",
    "FailedFile",
    "Job",
    "JobCreate",
    "JobPage",
    "JobUpdate",
    "ResumeUpload",
    "ScreeningQuestion",
    "WebhookEvent",
    "parse_timestamp",
]
