"""pydantic models of TapTalent's requests and responses: snake_case here, camelCase on the wire.

Import them from :mod:`airflow_provider_taptalent.models`, their one public path (Airflow-free too);
this package is where they are defined.

Request models (:class:`JobCreate`, :class:`CandidateCreate`, :class:`AssessmentFlowCreate` ...) check every documented
rule before anything is sent and raise :class:`~.errors.TapTalentInputError`
naming each bad field. Response models keep fields and enum values they do not know.
"""

from __future__ import annotations

from ._base import parse_timestamp
from .candidates import (
    AddedCandidate,
    BatchPage,
    BatchPagination,
    BulkUpload,
    Candidate,
    CandidateCreate,
    CandidatePage,
    FailedFile,
    JobCandidate,
    ResumeUpload,
)
from .jobs import Job, JobCreate, JobPage, JobUpdate, ScreeningQuestion
from .webhooks import WebhookEvent
from .workspace import (
    Assessment,
    AssessmentFlow,
    AssessmentFlowCreate,
    AssessmentPage,
    FlowStep,
    KeyStatus,
    Pipeline,
    PipelineName,
    Stage,
    StageUpsert,
    Team,
    User,
    UserPage,
)

__all__ = [
    "AddedCandidate",
    "Assessment",
    "AssessmentFlow",
    "AssessmentFlowCreate",
    "AssessmentPage",
    "BatchPage",
    "BatchPagination",
    "BulkUpload",
    "Candidate",
    "CandidateCreate",
    "CandidatePage",
    "FailedFile",
    "FlowStep",
    "Job",
    "JobCandidate",
    "JobCreate",
    "JobPage",
    "JobUpdate",
    "KeyStatus",
    "Pipeline",
    "PipelineName",
    "ResumeUpload",
    "ScreeningQuestion",
    "Stage",
    "StageUpsert",
    "Team",
    "User",
    "UserPage",
    "WebhookEvent",
    "parse_timestamp",
]
