"""Pipelines, teams, workspace users, assessments and assessment flows (SPEC §7.4-7.7, A12), and a key's
status (A13)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from ._base import ApiId, RequestModel, Timestamp, WireModel

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Stage(WireModel):
    """One stage of a pipeline (``SOURCED``, ``APPLIED`` ... ``HIRED``; more types may come)."""

    id: ApiId
    name: str | None = None
    type: str | None = None
    order: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Pipeline(WireModel):
    """A pipeline with its stages, in order."""

    id: ApiId
    name: str | None = None
    stages: list[Stage] = []
    created_at: Timestamp = None
    updated_at: Timestamp = None


class PipelineName(RequestModel):
    """The body of ``POST /pipelines`` and ``PUT /pipelines/{id}``: a name, non-empty after trimming."""

    name: NonBlank


StageType = Literal[
    "SOURCED", "APPLIED", "ASSESSMENT", "SCREEN", "SHORTLISTED", "HIRED", "INTERVIEW", "OFFER", "REJECTED"
]


class StageUpsert(RequestModel):
    """The body of ``POST /pipelines/stages`` (A12): without ``stage_id`` a new stage, with it an update."""

    pipeline_id: Annotated[int, Field(strict=True, ge=1)]
    name: NonBlank
    type: StageType
    order: Annotated[int, Field(strict=True, ge=1)] | None = None
    stage_id: Annotated[int, Field(strict=True, ge=1)] | None = None


class Team(WireModel):
    """A team of the workspace (SPEC §7.5)."""

    id: ApiId
    name: str | None = None
    created_at: Timestamp = None
    created_by: str | None = None
    user_count: int | None = None


class User(WireModel):
    """A member or an invite of the workspace (SPEC §7.6)."""

    id: ApiId
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: str | None = None
    role: str | None = None
    is_company_admin: bool | None = None
    invited_by_id: str | None = None
    team_id: ApiId | None = None
    team_ids: list[ApiId] | None = None
    reporting_manager_id: ApiId | None = None


class UserPagination(WireModel):
    page: int = 1
    per_page: int = 20
    total: int = 0
    total_pages: int = 0


class UserPage(WireModel):
    """One page of ``GET /users`` (A12)."""

    users: list[User] = []
    pagination: UserPagination = UserPagination()

    @property
    def total(self) -> int:
        return self.pagination.total


class Assessment(WireModel):
    """A voice-based AI interview (SPEC §7.7)."""

    assessment_id: ApiId
    test_name: str | None = None
    company_id: ApiId | None = None
    job_id: ApiId | None = None
    status: str | None = None
    assessment_type: str | None = None
    question_count: int | None = None
    duration: float | None = None
    skills: list[str] | None = None
    created_at: Timestamp = None
    last_updated_on: Timestamp = None
    submission_count: int | None = None
    assessment_url: str | None = None


class AssessmentPagination(WireModel):
    page: int = 1
    limit: int = 10
    total: int = 0


class AssessmentPage(WireModel):
    """One page of ``GET /assessment``."""

    assessments: list[Assessment] = []
    pagination: AssessmentPagination = AssessmentPagination()

    @property
    def total(self) -> int:
        return self.pagination.total


class FlowStep(RequestModel):
    """One step of an assessment flow (A12)."""

    assessment_id: Annotated[str, StringConstraints(min_length=1)] | Annotated[int, Field(strict=True)]
    pass_threshold: Annotated[float, Field(ge=0, le=100)]
    name: Annotated[str, StringConstraints(min_length=1)] | None = None
    instructions: Annotated[str, StringConstraints(min_length=1)] | None = None
    pass_action: Annotated[str, StringConstraints(min_length=1)] | None = None


class AssessmentFlowCreate(RequestModel):
    """The body of ``POST /assessment-flows`` (A12): a name and at least one step."""

    flow_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(min_length=1)] | None = None
    steps: Annotated[list[FlowStep], Field(min_length=1)]


class AssessmentFlow(WireModel):
    """An assessment flow: steps of assessments a candidate passes through (A12)."""

    id: ApiId
    company_id: ApiId | None = None
    flow_name: str | None = None
    description: str | None = None
    status: str | None = None
    candidate_count: int | None = None
    steps: list[dict[str, Any]] = []


KeyState = Literal["active", "invalid", "inactive"]


class KeyStatus(WireModel):
    """What TapTalent says of a connection's keys (A13): ``active`` (200), ``invalid`` (401: unknown,
    revoked or rotated away) or ``inactive`` (403 ``ACCOUNT_INACTIVE``: the subscription).

    ``fallback_state`` is ``None`` when the connection has no fallback key.
    """

    state: KeyState
    environment: str
    fallback_state: KeyState | None = None
    message: str = ""
