"""Every TapTalent API call, declared once: method, path, request model, response model, paging shape,
and what makes it safe to send again.

An :class:`Endpoint` is the declaration; :meth:`Endpoint.call` fills it in for one request (a
:class:`Call`). The operations (:mod:`.operations`) build calls, the drivers send them: nothing else in
the package writes a path or a method. Names (``jobs_get``) are valid metric names.

A plain call (its path parameters in, its answer out: a read of one resource, a listing without
parameters, a delete) needs nothing but its declaration: ``op="get_team"`` makes it a client and hook
method, sync and async (:mod:`.operations` builds it). Calls with input rules, paging or recovery have an
operation written for them. ``make generate`` then writes the typed method stubs and the docs' method table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from .errors import TapTalentError
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
    Pipeline,
    PipelineName,
    ResumeUpload,
    StageUpsert,
    Team,
    User,
    UserPage,
)
from .models._base import RequestModel, WireModel

T = TypeVar("T")
Method = Literal["GET", "POST", "PATCH", "PUT", "DELETE"]
#: how a listing pages: ``pageNumber``/``perPage`` (SPEC §3.1), ``page``/``perPage`` (users), or not at all
Paging = Literal["page_number", "page", None]


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One API call as TapTalent defines it.

    :param name: a low-cardinality name, valid in metric names (``jobs_get``).
    :param method: the HTTP method.
    :param path: the path template, relative to the base URL (``/jobs/{jobId}``).
    :param response: what the answer's payload (the envelope removed) is read into: a response model, a
        one-item list ``[Model]`` for a JSON array of them, or ``None`` for an answer without a body (204).
    :param body: the request model a body is checked with before it is sent.
    :param creates: a POST that makes something: it carries an ``Idempotency-Key`` (A5).
    :param recoverable: after an ambiguous failure, look for what the call made before sending it again.
    :param paging: how the listing pages.
    :param cacheable: a read of reference data (pipelines, teams, users, assessments): its answer may be kept
        a short while by a client that caches, which clients do only when asked (any write empties the cache).
    :param spec: where SPEC.md / ASSUMPTIONS.md describe it.
    :param op: for a plain call, the name of the method it becomes (its path parameters, snake_case, are
        the method's arguments, in order).
    :param doc: that method's docstring.
    """

    name: str
    method: Method
    path: str
    response: type[T] | list[type[WireModel]] | None
    body: type[RequestModel] | None = None
    creates: bool = False
    recoverable: bool = False
    paging: Paging = None
    spec: str = ""
    cacheable: bool = False
    op: str | None = None
    doc: str = ""

    def parse(self, payload: Any) -> T:
        """The answer's payload (its envelope removed) as the response model."""
        response = self.response
        if response is None:
            return None  # type: ignore[return-value]
        if isinstance(response, list):
            return _many(response[0], payload)  # type: ignore[return-value]
        return response.from_wire(payload)  # type: ignore[attr-defined,no-any-return]

    @property
    def parameters(self) -> list[str]:
        """The path parameters, in order (``["jobId"]``)."""
        return re.findall(r"{(\w+)}", self.path)

    def call(
        self,
        path: Mapping[str, int | str] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Call[T]:
        """This call for one request; path parameters are quoted so that an id can never change the path."""
        filled = self.path.format(**{k: _segment(v) for k, v in path.items()}) if path else self.path
        return Call(self, filled, dict(params) if params else None, json, idempotency_key)


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request of an :class:`Endpoint`, relative to the connection's base URL."""

    endpoint: Endpoint[T]
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    idempotency_key: str | None = field(default=None)

    @property
    def method(self) -> Method:
        return self.endpoint.method

    def parse(self, payload: Any) -> T:
        return self.endpoint.parse(payload)


def _segment(value: int | str) -> str:
    """A path parameter as one path segment: quoted, so that an id can never change the path."""
    text = str(value)
    return text if text.isascii() and text.isalnum() else quote(text, safe="")


def _many(model: type[WireModel], payload: Any) -> list[Any]:
    if not isinstance(payload, list):
        raise TapTalentError(f"TapTalent sent {type(payload).__name__} where a list of {model.__name__} belongs")
    return [model.from_wire(item) for item in payload]


# -- jobs (SPEC §7.1, A9) ------------------------------------------------------------------------------------
JOBS_LIST = Endpoint("jobs_list", "GET", "/jobs", JobPage, paging="page_number", spec="J1, A9")
JOBS_CREATE = Endpoint("jobs_create", "POST", "/jobs", Job, JobCreate, creates=True, recoverable=True, spec="J2")
JOBS_GET = Endpoint("jobs_get", "GET", "/jobs/{jobId}", Job, spec="J3", op="get_job", doc="One job.")
JOBS_UPDATE = Endpoint("jobs_update", "PATCH", "/jobs/{jobId}", Job, JobUpdate, spec="A9")

# -- candidates (SPEC §7.2, A7, A10, A11) ----------------------------------------------------------------------
CANDIDATES_ADD = Endpoint(
    "candidates_add", "POST", "/candidates", AddedCandidate, CandidateCreate, creates=True, spec="C1, A10"
)
CANDIDATES_BULK_RESUME = Endpoint(
    "candidates_bulk_resume", "POST", "/candidates/bulk/resume", BulkUpload, ResumeUpload, creates=True,
    spec="C2, JC2 (A11)",
)  # fmt: skip
CANDIDATES_BATCH_GET = Endpoint(
    "candidates_batch_get", "GET", "/candidates/batch/{batchId}", BatchPage, paging="page_number", spec="C3, A7"
)
CANDIDATES_LIST = Endpoint("candidates_list", "GET", "/candidates", CandidatePage, paging="page_number", spec="C4, A10")
CANDIDATES_GET = Endpoint(
    "candidates_get", "GET", "/candidates/{candidateId}", Candidate, spec="C5, A10", op="get_candidate",
    doc="One candidate.",
)  # fmt: skip
JOB_CANDIDATES_BULK_FETCH: Endpoint[list[JobCandidate]] = Endpoint(
    "job_candidates_bulk_fetch", "POST", "/job-candidates/bulk-fetch", [JobCandidate], spec="JC1, A11"
)  # a read: safe to repeat, nothing to deduplicate

# -- pipelines, teams, users, assessments (SPEC §7.4-7.7, A12) ---------------------------------------------------
PIPELINES_LIST: Endpoint[list[Pipeline]] = Endpoint(
    "pipelines_list", "GET", "/pipelines", [Pipeline], spec="P1", cacheable=True, op="list_pipelines",
    doc="Every pipeline with its stages.",
)  # fmt: skip
PIPELINES_GET = Endpoint(
    "pipelines_get", "GET", "/pipelines/{pipelineId}", Pipeline, spec="P2", cacheable=True, op="get_pipeline",
    doc="One pipeline with its stages.",
)  # fmt: skip
PIPELINES_CREATE = Endpoint("pipelines_create", "POST", "/pipelines", Pipeline, PipelineName, creates=True, spec="P3")
PIPELINES_RENAME = Endpoint("pipelines_rename", "PUT", "/pipelines/{pipelineId}", Pipeline, PipelineName, spec="P4")
PIPELINES_STAGE_UPSERT = Endpoint(
    "pipelines_stage_upsert", "POST", "/pipelines/stages", Pipeline, StageUpsert, creates=True, spec="P5, A12"
)
TEAMS_LIST: Endpoint[list[Team]] = Endpoint(
    "teams_list",
    "GET",
    "/teams",
    [Team],
    spec="T1",
    cacheable=True,
    op="list_teams",
    doc="Every team of the workspace.",
)
TEAMS_GET = Endpoint(
    "teams_get", "GET", "/teams/{teamId}", Team, spec="T2", cacheable=True, op="get_team", doc="One team."
)
USERS_LIST = Endpoint("users_list", "GET", "/users", UserPage, paging="page", spec="U1, A12", cacheable=True)
USERS_GET = Endpoint(
    "users_get", "GET", "/users/{userId}", User, spec="U2, A12", cacheable=True, op="get_user",
    doc="One workspace user.",
)  # fmt: skip
ASSESSMENTS_LIST = Endpoint(
    "assessments_list", "GET", "/assessment", AssessmentPage, paging="page_number", spec="A1, A12", cacheable=True
)
ASSESSMENT_FLOWS_LIST: Endpoint[list[AssessmentFlow]] = Endpoint(
    "assessment_flows_list", "GET", "/assessment-flows", [AssessmentFlow], spec="A12", cacheable=True,
    op="list_assessment_flows", doc="Every assessment flow.",
)  # fmt: skip
ASSESSMENT_FLOWS_CREATE = Endpoint(
    "assessment_flows_create", "POST", "/assessment-flows", AssessmentFlow, AssessmentFlowCreate, creates=True,
    spec="A12",
)  # fmt: skip

#: every call, by name: the docs' method table and the tests walk it
ENDPOINTS: dict[str, Endpoint[Any]] = {e.name: e for e in list(globals().values()) if isinstance(e, Endpoint)}
