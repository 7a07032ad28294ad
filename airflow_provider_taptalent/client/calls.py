"""Every TapTalent API call, declared once: method, path, request model, response model, paging shape,
and what makes it safe to send again.

An :class:`Endpoint` is the declaration; :meth:`Endpoint.call` fills it in for one request (a
:class:`Call`). The operations (:mod:`.operations`) build calls, the drivers send them: nothing else in
the package writes a path or a method. Names (``jobs_get``) are valid metric names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from .models._base import M, RequestModel, WireModel

T = TypeVar("T")
Method = Literal["GET", "POST", "PATCH", "PUT"]
#: how a listing pages: ``pageNumber``/``perPage`` (SPEC §3.1), ``page``/``perPage`` (users), or not at all
Paging = Literal["page_number", "page", None]


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One API call as TapTalent defines it.

    :param name: a low-cardinality name, valid in metric names (``jobs_get``).
    :param method: the HTTP method.
    :param path: the path template, relative to the base URL (``/jobs/{jobId}``).
    :param parse: reads the answer's payload (the envelope already removed) into the response model.
    :param body: the request model a body is checked with before it is sent.
    :param creates: a POST that makes something: it carries an ``Idempotency-Key`` (A5).
    :param recoverable: after an ambiguous failure, look for what the call made before sending it again.
    :param paging: how the listing pages.
    :param cacheable: a read of reference data (pipelines, teams, users, assessments): its answer may be kept
        a short while by a client that caches, which clients do only when asked (any write empties the cache).
    :param spec: where SPEC.md / ASSUMPTIONS.md describe it.
    """

    name: str
    method: Method
    path: str
    parse: Callable[[Any], T]
    body: type[RequestModel] | None = None
    creates: bool = False
    recoverable: bool = False
    paging: Paging = None
    spec: str = ""
    cacheable: bool = False

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


def _one(model: type[M]) -> Callable[[Any], M]:
    return model.from_wire  # type: ignore[attr-defined,no-any-return]


def _many(model: type[WireModel]) -> Callable[[Any], list[Any]]:
    def parse(payload: Any) -> list[Any]:
        if not isinstance(payload, list):
            raise TapTalentError(f"TapTalent sent {type(payload).__name__} where a list of {model.__name__} belongs")
        return [model.from_wire(item) for item in payload]

    return parse


# -- jobs (SPEC §7.1, A9) ------------------------------------------------------------------------------------
JOBS_LIST = Endpoint("jobs_list", "GET", "/jobs", _one(JobPage), paging="page_number", spec="J1, A9")
JOBS_CREATE = Endpoint("jobs_create", "POST", "/jobs", _one(Job), JobCreate, creates=True, recoverable=True, spec="J2")
JOBS_GET = Endpoint("jobs_get", "GET", "/jobs/{jobId}", _one(Job), spec="J3")
JOBS_UPDATE = Endpoint("jobs_update", "PATCH", "/jobs/{jobId}", _one(Job), JobUpdate, spec="A9")

# -- candidates (SPEC §7.2, A7, A10, A11) ----------------------------------------------------------------------
CANDIDATES_ADD = Endpoint(
    "candidates_add", "POST", "/candidates", _one(AddedCandidate), CandidateCreate, creates=True, spec="C1, A10"
)
CANDIDATES_BULK_RESUME = Endpoint(
    "candidates_bulk_resume", "POST", "/candidates/bulk/resume", _one(BulkUpload), ResumeUpload, creates=True,
    spec="C2, JC2 (A11)",
)  # fmt: skip
CANDIDATES_BATCH_GET = Endpoint(
    "candidates_batch_get", "GET", "/candidates/batch/{batchId}", _one(BatchPage), paging="page_number", spec="C3, A7"
)
CANDIDATES_LIST = Endpoint(
    "candidates_list", "GET", "/candidates", _one(CandidatePage), paging="page_number", spec="C4, A10"
)
CANDIDATES_GET = Endpoint("candidates_get", "GET", "/candidates/{candidateId}", _one(Candidate), spec="C5, A10")
JOB_CANDIDATES_BULK_FETCH = Endpoint(
    "job_candidates_bulk_fetch", "POST", "/job-candidates/bulk-fetch", _many(JobCandidate), spec="JC1, A11"
)  # a read: safe to repeat, nothing to deduplicate

# -- pipelines, teams, users, assessments (SPEC §7.4-7.7, A12) ---------------------------------------------------
PIPELINES_LIST = Endpoint("pipelines_list", "GET", "/pipelines", _many(Pipeline), spec="P1", cacheable=True)
PIPELINES_GET = Endpoint("pipelines_get", "GET", "/pipelines/{pipelineId}", _one(Pipeline), spec="P2", cacheable=True)
PIPELINES_CREATE = Endpoint(
    "pipelines_create", "POST", "/pipelines", _one(Pipeline), PipelineName, creates=True, spec="P3"
)
PIPELINES_RENAME = Endpoint(
    "pipelines_rename", "PUT", "/pipelines/{pipelineId}", _one(Pipeline), PipelineName, spec="P4"
)
PIPELINES_STAGE_UPSERT = Endpoint(
    "pipelines_stage_upsert", "POST", "/pipelines/stages", _one(Pipeline), StageUpsert, creates=True, spec="P5, A12"
)
TEAMS_LIST = Endpoint("teams_list", "GET", "/teams", _many(Team), spec="T1", cacheable=True)
TEAMS_GET = Endpoint("teams_get", "GET", "/teams/{teamId}", _one(Team), spec="T2", cacheable=True)
USERS_LIST = Endpoint("users_list", "GET", "/users", _one(UserPage), paging="page", spec="U1, A12", cacheable=True)
USERS_GET = Endpoint("users_get", "GET", "/users/{userId}", _one(User), spec="U2, A12", cacheable=True)
ASSESSMENTS_LIST = Endpoint(
    "assessments_list", "GET", "/assessment", _one(AssessmentPage), paging="page_number", spec="A1, A12", cacheable=True
)
ASSESSMENT_FLOWS_LIST = Endpoint(
    "assessment_flows_list", "GET", "/assessment-flows", _many(AssessmentFlow), spec="A12", cacheable=True
)
ASSESSMENT_FLOWS_CREATE = Endpoint(
    "assessment_flows_create", "POST", "/assessment-flows", _one(AssessmentFlow), AssessmentFlowCreate, creates=True,
    spec="A12",
)  # fmt: skip

#: every call, by name: the README's table and the tests walk it
ENDPOINTS: dict[str, Endpoint[Any]] = {e.name: e for e in list(globals().values()) if isinstance(e, Endpoint)}
