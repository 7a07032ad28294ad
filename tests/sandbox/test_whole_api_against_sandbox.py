# ruff: noqa: E501 (a table: one rule a line)
"""Every hook method against the sandbox (behaviour, sync and async), and validation parity: each
documented rule is refused by the client before sending and by the sandbox, naming the same field."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from airflow_provider_taptalent.client.errors import TapTalentInputError, TapTalentNotFoundError
from airflow_provider_taptalent.client.models import (
    AssessmentFlowCreate,
    CandidateCreate,
    JobCreate,
    PipelineName,
    StageUpsert,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def both(method: str, *args: Any, **kwargs: Any) -> list[Any]:
    """The sync method's result and its async twin's, on two fresh hooks."""
    sync = getattr(TapTalentHook(), method)(*args, **kwargs)

    async def run() -> Any:
        async with TapTalentHook() as hook:
            return await getattr(hook, f"a{method}")(*args, **kwargs)

    return [sync, asyncio.run(run())]


def test_candidates_add_list_get_and_dedupe(sandbox_conn, sandbox):
    job = TapTalentHook().create_job(JOB)
    first = TapTalentHook().add_candidate(
        {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com", "job_id": job.id, "skills": ["py"]}
    )
    assert not first.already_existed and first.job_candidate_id is not None
    again, again_async = both("add_candidate", {"first_name": "A", "last_name": "L", "email": "ada@example.com"})
    assert again.already_existed and again_async.already_existed and again.candidate.id == first.candidate.id
    listed, listed_async = both("list_candidates", email="ada@example.com")
    assert [c.id for c in listed.candidates] == [c.id for c in listed_async.candidates] == [first.candidate.id]
    by_job = TapTalentHook().list_candidates(job_id=job.id)
    assert [c.job_candidate_id for c in by_job.candidates] == [first.job_candidate_id]
    got, got_async = both("get_candidate", first.candidate.id)
    assert got.email == got_async.email == "Ada@Example.com" and got.skills == "py"
    with pytest.raises(TapTalentNotFoundError):
        TapTalentHook().get_candidate(1)


def test_resumes_uploaded_to_a_job_are_scored_once_parsed(sandbox_conn, sandbox):
    hook = TapTalentHook()
    job = hook.create_job(JOB)
    upload = hook.bulk_upload_resumes([f"https://files.example/r{n}.pdf" for n in range(3)], job_id=job.id)
    sandbox.control.patch("/config", json={"batchSeconds": 60})  # the next batch stays PENDING
    sandbox.advance([upload.batch_id])
    page = hook.get_batch(upload.batch_id)
    assert page.model_extra["jobId"] == job.id
    ids = [c.job_candidate_id for c in page.candidates]
    assert None not in ids and len(ids) == 3
    scored, scored_async = both("bulk_fetch_job_candidates", ids)
    assert {jc.id for jc in scored} == {jc.id for jc in scored_async} == set(ids)
    assert all(jc.evaluation_status in ("APPROVED", "REJECTED") and 0 <= jc.profile_match_score <= 100 for jc in scored)
    assert all(jc.job_id == job.id for jc in scored)
    with pytest.raises(TapTalentNotFoundError):
        hook.bulk_upload_resumes(["https://files.example/x.pdf"], job_id=999_999)


def test_a_job_candidate_is_pending_with_null_ai_fields_until_scored(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    hook = TapTalentHook()
    job = hook.create_job(JOB)
    added = hook.add_candidate({"first_name": "B", "last_name": "C", "email": "b@example.com", "job_id": job.id})
    [pending] = hook.bulk_fetch_job_candidates([added.job_candidate_id, 12345])  # an unknown id is left out
    assert pending.evaluation_status == "PENDING" and pending.profile_match_score is None and pending.ai_summary is None


def test_pipelines_and_stages(sandbox_conn, sandbox):
    hook = TapTalentHook()
    created = hook.create_pipeline("  Engineering  ")
    assert created.name == "Engineering" and [s.type for s in created.stages][:2] == ["SOURCED", "APPLIED"]
    renamed, renamed_async = both("rename_pipeline", created.id, "Eng")
    assert renamed.name == renamed_async.name == "Eng"
    added = hook.upsert_stage(created.id, name="Phone screen", type="SCREEN", order=2)
    assert [s.name for s in added.stages][1] == "Phone screen"
    stage = added.stages[1]
    moved = hook.upsert_stage(created.id, name="Phone screen", type="SCREEN", order=1, stage_id=int(stage.id))
    assert moved.stages[0].id == stage.id and [s.order for s in moved.stages] == list(range(1, len(moved.stages) + 1))
    listed, listed_async = both("list_pipelines")
    assert created.id in {p.id for p in listed} and len(listed) == len(listed_async)
    assert both("get_pipeline", created.id)[1].name == "Eng"
    with pytest.raises(TapTalentNotFoundError):
        hook.get_pipeline(1)


def test_teams_and_users(sandbox_conn, sandbox):
    teams, teams_async = both("list_teams")
    assert [t.id for t in teams] == [t.id for t in teams_async] and teams
    assert both("get_team", teams[0].id)[0].name == teams[0].name
    everyone = list(TapTalentHook().iter_users(per_page=10))
    assert len(everyone) == 25 and len({u.id for u in everyone}) == 25
    admins, admins_async = both("list_users", is_company_admin=True)
    assert admins.total == admins_async.total == sum(1 for u in everyone if u.is_company_admin)
    invited = TapTalentHook().list_users(status=["INVITED", "EXPIRED"])
    assert {u.status for u in invited.users} == {"INVITED", "EXPIRED"}
    assert both("get_user", everyone[3].id)[1].email == everyone[3].email
    with pytest.raises(TapTalentNotFoundError):
        TapTalentHook().get_team("team-nobody")


def test_assessments_and_flows(sandbox_conn, sandbox):
    assessments = list(TapTalentHook().iter_assessments(per_page=10))
    page, page_async = both("list_assessments", per_page=10)
    assert page.total == page_async.total == len(assessments) > 0
    flow = TapTalentHook().create_assessment_flow(
        {"flow_name": "Screen", "steps": [{"assessment_id": assessments[0].assessment_id, "pass_threshold": 70}]}
    )
    assert flow.flow_name == "Screen" and flow.status == "ACTIVE"
    flows, flows_async = both("list_assessment_flows")
    assert [f.id for f in flows] == [f.id for f in flows_async] == [flow.id]


def test_check_key_against_the_sandbox(sandbox_conn, sandbox, monkeypatch):
    active, active_async = both("check_key")
    assert active.state == active_async.state == "active"
    sandbox.control.post("/keys", json={"key": sandbox.api_key, "companyId": 1, "active": False})
    assert TapTalentHook().check_key().state == "inactive"
    monkeypatch.setenv(
        "AIRFLOW_CONN_TAPTALENT_DEFAULT",
        f'{{"conn_type": "taptalent", "password": "sk_test_UnknownUnknownUnknown1", "host": "{sandbox.url}"}}',
    )
    assert TapTalentHook().check_key().state == "invalid"


# -- validation parity: one table, through the client and through the sandbox ------------------------------------

RULES = [
    # (model, path, good body, the field to break, a bad value, the field both must name)
    (JobCreate, "/jobs", JOB, "title", "ab", "title"),
    (JobCreate, "/jobs", JOB, "city", "x" * 201, "city"),
    (JobCreate, "/jobs", JOB, "description", "", "description"),
    (JobCreate, "/jobs", JOB, "teamId", "", "teamId"),
    (JobCreate, "/jobs", JOB, "jobRole", "", "jobRole"),
    (JobCreate, "/jobs", JOB, "status", "CLOSED", "status"),
    (JobCreate, "/jobs", JOB, "workMode", "hybrid", "workMode"),
    (JobCreate, "/jobs", JOB, "yearOfExperience", 51, "yearOfExperience"),
    (JobCreate, "/jobs", JOB, "potentialHiresCount", 0, "potentialHiresCount"),
    (JobCreate, "/jobs", JOB, "salaryCurrency", "ZZZ", "salaryCurrency"),
    (JobCreate, "/jobs", JOB, "screeningQuestion", [{"type": "text", "question": "q"}] * 6, "screeningQuestion"),
    (JobCreate, "/jobs", {**JOB, "salaryRangeFrom": 1, "salaryRangeTo": 2, "salaryCurrency": "USD"}, "salaryRangeTo", None,
     "salaryRangeTo"),  # a None value: the field left out
    (JobCreate, "/jobs", {**JOB, "potentialAmount": 5, "potentialAmountCurrency": "USD"}, "potentialAmountCurrency", None,
     "potentialAmountCurrency"),
    (JobCreate, "/jobs", JOB, "unknownField", 1, "unknownField"),
    (CandidateCreate, "/candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co"}, "email", "nope", "email"),
    (CandidateCreate, "/candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co"}, "firstName", "", "firstName"),
    (CandidateCreate, "/candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co"}, "gender", "x", "gender"),
    (CandidateCreate, "/candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co"}, "resume", "ftp://x", "resume"),
    (CandidateCreate, "/candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co"}, "jobId", "nine", "jobId"),
    (PipelineName, "/pipelines", {"name": "P"}, "name", "   ", "name"),
    (StageUpsert, "/pipelines/stages", {"pipelineId": 101, "name": "S", "type": "SCREEN"}, "type", "NOPE", "type"),
    (StageUpsert, "/pipelines/stages", {"pipelineId": 101, "name": "S", "type": "SCREEN"}, "order", 0, "order"),
    (AssessmentFlowCreate, "/assessment-flows", {"flowName": "F", "steps": [{"assessmentId": "a", "passThreshold": 1}]},
     "steps", [], "steps"),
    (AssessmentFlowCreate, "/assessment-flows", {"flowName": "F", "steps": [{"assessmentId": "a", "passThreshold": 1}]},
     "flowName", "", "flowName"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "path", "good", "field", "bad", "named"), RULES, ids=[f"{r[1]}:{r[3]}={r[4]!r}"[:60] for r in RULES]
)
def test_the_client_and_the_sandbox_agree_on_each_rule(sandbox, model, path, good, field, bad, named):
    body = {k: v for k, v in {**good, field: bad}.items() if v is not None}
    with pytest.raises(TapTalentInputError) as refused:
        model.coerce(body)
    assert any(key.split(".")[0] == named for key in refused.value.details), refused.value.details
    answer = httpx.post(f"{sandbox.api_url}{path}", json=body, headers={"Authorization": f"Bearer {sandbox.api_key}"})
    assert answer.status_code == 400, answer.text
    assert any(key.split(".")[0] == named for key in answer.json()["error"]["details"]), answer.json()
    model.coerce(good)  # and the good body passes the client
