# ruff: noqa: E501 (a table: one case a line)
"""Every endpoint through a hook method: the wire shape over respx, sync and async (behaviour against the
sandbox is in tests/sandbox/test_whole_api_against_sandbox.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_taptalent.client.calls import ENDPOINTS
from airflow_provider_taptalent.client.errors import TapTalentInputError, TapTalentNotFoundError
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import FAKE_API

OK = {"status": "success"}
CANDIDATE = {"id": 5, "firstName": "Ada", "lastName": "L", "email": "ada@example.com"}
PIPELINE = {"id": 101, "name": "P", "stages": [{"id": 701, "name": "Sourced", "type": "SOURCED", "order": 1}]}
FLOW = {"flowName": "Screen", "steps": [{"assessmentId": "a-1", "passThreshold": 70}]}

# (method, args, kwargs, endpoint name, query, body, answer, check of the result)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str, dict[str, str], Any, Any, Any]] = [
    ("get_job", (7,), {}, "jobs_get", {}, None, {"id": 7}, lambda r: r.id == 7),
    ("list_jobs", (), {"page_number": 2, "per_page": 20}, "jobs_list", {"pageNumber": "2", "perPage": "20"}, None,
     {"jobs": [{"id": 1}], "totalJobs": 21}, lambda r: r.total_jobs == 21),
    ("update_job", (7, {"status": "ACTIVE"}), {}, "jobs_update", {}, {"status": "ACTIVE"}, {"id": 7},
     lambda r: r.id == 7),
    ("add_candidate", ({**{k: v for k, v in CANDIDATE.items() if k != "id"}, "job_id": 9},), {}, "candidates_add", {},
     {"firstName": "Ada", "lastName": "L", "email": "ada@example.com", "jobId": 9},
     {**OK, "data": {"candidate": CANDIDATE, "alreadyExists": True, "jobCandidateId": 900001}},
     lambda r: r.already_existed and r.job_candidate_id == 900001 and r.candidate.id == 5),
    ("list_candidates", (), {"email": "ada@example.com", "job_id": 9}, "candidates_list",
     {"pageNumber": "1", "perPage": "100", "email": "ada@example.com", "jobId": "9"}, None,
     {**OK, "data": {"candidates": [CANDIDATE], "pagination": {"totalCandidates": 1}}},
     lambda r: r.total_candidates == 1),
    ("get_candidate", (5,), {}, "candidates_get", {}, None, {**OK, "data": CANDIDATE}, lambda r: r.email == CANDIDATE["email"]),
    ("bulk_upload_resumes", (["https://files.example/a.pdf"],), {"job_id": 9, "idempotency_key": "k"},
     "candidates_bulk_resume", {}, {"resumeURLs": ["https://files.example/a.pdf"], "jobId": 9},
     {"success": True, "data": {"batchId": 70001, "fileCount": 1}}, lambda r: r.batch_id == 70001),
    ("get_batch", (70001,), {"per_page": 10}, "candidates_batch_get", {"pageNumber": "1", "perPage": "10"}, None,
     {"success": True, "data": {"batchId": 70001, "status": "COMPLETED"}}, lambda r: r.status == "COMPLETED"),
    ("bulk_fetch_job_candidates", ([900001, 900002],), {}, "job_candidates_bulk_fetch", {},
     {"jobCandidateIds": [900001, 900002]},
     {**OK, "data": [{"id": 900001, "profileMatchScore": None, "evaluationStatus": "PENDING"}]},
     lambda r: r[0].evaluation_status == "PENDING" and r[0].profile_match_score is None),
    ("list_pipelines", (), {}, "pipelines_list", {}, None, {**OK, "data": [PIPELINE]}, lambda r: r[0].stages[0].type == "SOURCED"),
    ("get_pipeline", (101,), {}, "pipelines_get", {}, None, {**OK, "data": PIPELINE}, lambda r: r.id == 101),
    ("create_pipeline", ("  Engineering ",), {"idempotency_key": "p1"}, "pipelines_create", {}, {"name": "Engineering"},
     {**OK, "data": PIPELINE}, lambda r: r.id == 101),
    ("rename_pipeline", (101, "Renamed"), {}, "pipelines_rename", {}, {"name": "Renamed"}, {**OK, "data": PIPELINE},
     lambda r: r.id == 101),
    ("upsert_stage", (101,), {"name": "Phone screen", "type": "SCREEN", "order": 2}, "pipelines_stage_upsert", {},
     {"pipelineId": 101, "name": "Phone screen", "type": "SCREEN", "order": 2}, {**OK, "data": PIPELINE},
     lambda r: r.id == 101),
    ("list_teams", (), {}, "teams_list", {}, None, {**OK, "data": [{"id": "t-1", "name": "Recruiting"}]},
     lambda r: r[0].id == "t-1"),
    ("get_team", ("t-1",), {}, "teams_get", {}, None, {**OK, "data": {"id": "t-1"}}, lambda r: r.id == "t-1"),
    ("list_users", (), {"status": ["ACTIVE", "INVITED"], "is_company_admin": False, "per_page": 50}, "users_list",
     {"page": "1", "perPage": "50", "status": "ACTIVE,INVITED", "isCompanyAdmin": "false"}, None,
     {**OK, "data": {"users": [{"id": "u-1"}], "pagination": {"total": 1}}}, lambda r: r.total == 1),
    ("get_user", ("u-1",), {}, "users_get", {}, None, {**OK, "data": {"id": "u-1"}}, lambda r: r.id == "u-1"),
    ("list_assessments", (), {"per_page": 10}, "assessments_list", {"pageNumber": "1", "perPage": "10"}, None,
     {**OK, "data": {"assessments": [{"assessmentId": "a-1"}], "pagination": {"total": 1}}}, lambda r: r.total == 1),
    ("list_assessment_flows", (), {}, "assessment_flows_list", {}, None, {**OK, "data": [{"id": 301}]},
     lambda r: r[0].id == 301),
    ("create_assessment_flow", (FLOW,), {"idempotency_key": "f1"}, "assessment_flows_create", {}, FLOW,
     {**OK, "data": {"id": 301, **FLOW}}, lambda r: r.id == 301),
]  # fmt: skip


def _route(mock: respx.MockRouter, name: str, args: tuple[Any, ...], answer: Any) -> respx.Route:
    endpoint = ENDPOINTS[name]
    path = endpoint.path
    for value in args[:1]:  # the first argument fills the path's one parameter, when it has one
        if "{" in path:
            path = path[: path.index("{")] + str(value) + path[path.index("}") + 1 :]
    return mock.route(method=endpoint.method, url=f"{FAKE_API}{path}").respond(json=answer)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_each_call_sends_its_documented_request(fake_conn, case, kind):
    method, args, kwargs, name, query, body, answer, check = case
    with respx.mock(assert_all_called=True) as mock:
        route = _route(mock, name, args, answer)
        if kind == "sync":
            result = getattr(TapTalentHook(), method)(*args, **kwargs)
        else:

            async def call() -> Any:
                async with TapTalentHook() as hook:
                    return await getattr(hook, f"a{method}")(*args, **kwargs)

            result = asyncio.run(call())
    request = route.calls.last.request
    assert dict(request.url.params) == query
    assert (json.loads(request.content) if request.content else None) == body
    if ENDPOINTS[name].creates:
        assert request.headers["Idempotency-Key"]
    assert check(result)


def test_every_endpoint_has_a_wire_case():
    covered = {c[3] for c in CASES} | {"jobs_create"}  # create: tests/unit/hooks/test_hook.py
    assert covered == set(ENDPOINTS)


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "field"),
    [
        ("add_candidate", ({"firstName": "A", "lastName": "B", "email": "not-an-email"},), {}, "email"),
        ("add_candidate", ({"firstName": "", "lastName": "B", "email": "a@b.co"},), {}, "firstName"),
        ("create_pipeline", ("   ",), {}, "name"),
        ("upsert_stage", (101,), {"name": "X", "type": "NOPE"}, "type"),
        ("create_assessment_flow", ({"flowName": "F", "steps": []},), {}, "steps"),
        ("create_assessment_flow", ({"flowName": "F", "steps": [{"assessmentId": "a", "passThreshold": 101}]},), {},
         "steps.0.passThreshold"),
        ("bulk_fetch_job_candidates", ([],), {}, "jobCandidateIds"),
        ("bulk_upload_resumes", (["https://files.example/a.pdf"],), {"job_id": "nine"}, "jobId"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_sends_nothing(fake_conn, method, args, kwargs, field):
    with respx.mock(assert_all_called=False) as mock:
        mock.route().respond(json={})
        with pytest.raises(TapTalentInputError) as raised:
            getattr(TapTalentHook(), method)(*args, **kwargs)
        assert not mock.calls
    assert field in raised.value.details


def test_bulk_fetch_is_split_into_requests_of_at_most_100(fake_conn):
    with respx.mock() as mock:
        route = mock.post(f"{FAKE_API}/job-candidates/bulk-fetch").mock(
            side_effect=lambda request: httpx.Response(
                200, json={**OK, "data": [{"id": i} for i in json.loads(request.content)["jobCandidateIds"]]}
            )
        )
        found = TapTalentHook().bulk_fetch_job_candidates([*range(1, 251), 5])  # a repeat is fetched once
    assert [len(json.loads(c.request.content)["jobCandidateIds"]) for c in route.calls] == [100, 100, 50]
    assert [jc.id for jc in found] == list(range(1, 251))


def test_iterators_walk_every_page(fake_conn):
    with respx.mock() as mock:
        mock.get(f"{FAKE_API}/users").mock(
            side_effect=lambda request: httpx.Response(
                200,
                json={**OK, "data": {"users": [{"id": f"u{request.url.params['page']}"}], "pagination": {"total": 3}}},
            )
        )
        assert [u.id for u in TapTalentHook().iter_users(per_page=1)] == ["u1", "u2", "u3"]


def test_check_key_reports_each_state_and_never_raises_for_a_key_problem(fake_conn, waits):
    hook = TapTalentHook()
    for status, code, state in [
        (200, None, "active"),
        (401, "UNAUTHORIZED", "invalid"),
        (403, "ACCOUNT_INACTIVE", "inactive"),
    ]:
        with respx.mock() as mock:
            body = {"jobs": [], "totalJobs": 0} if status == 200 else {"error": {"code": code}}
            mock.get(f"{FAKE_API}/jobs").respond(status, json=body)
            status_ = hook.check_key()
        assert (status_.state, status_.environment) == (state, "sandbox")
    with respx.mock() as mock:
        mock.get(f"{FAKE_API}/jobs").respond(404, json={"error": {"code": "NOT_FOUND"}})
        with pytest.raises(TapTalentNotFoundError):
            hook.check_key()  # not a key problem
