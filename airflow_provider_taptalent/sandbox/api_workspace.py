"""Pipelines, teams, workspace users and assessments (SPEC §7.4-7.7).

Sandbox decisions where SPEC.md is [not visible]:
- ``POST /pipelines/stages`` takes ``{"pipelineId", "name", "type", "order"?, "stageId"?}``: with ``stageId``
  it updates that stage (and renumbers the others around its new ``order``), without it adds a stage.
- ``GET/POST /assessment-flows`` as ASSUMPTIONS A12 says: a new flow is ``ACTIVE`` with no candidates.
- ``GET /users`` answers ``{"status": "success", "data": {"users": [...], "pagination": {"page", "perPage",
  "total", "totalPages"}}}``; ``GET /users/{id}`` ``{"status": "success", "data": {...}}``, 404 when unknown.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from airflow_provider_taptalent.sandbox import schemas
from airflow_provider_taptalent.sandbox.app import sandbox_of
from airflow_provider_taptalent.sandbox.errors import ApiError, invalid, json_response
from airflow_provider_taptalent.sandbox.store import DEFAULT_STAGES, Company, iso, new_pipeline
from airflow_provider_taptalent.sandbox.validation import Rule, check_object

router = APIRouter()
STAGE_TYPES = (*DEFAULT_STAGES, "INTERVIEW", "OFFER", "REJECTED")
_STAGE_FIELDS = {
    "pipelineId": Rule("integer", required=True),
    "stageId": Rule("integer"),
    "name": Rule("string", required=True, min=1, max=200),
    "type": Rule("string", required=True, enum=STAGE_TYPES),
    "order": Rule("integer", min=1),
}


def _ok(data: Any) -> Response:
    return json_response({"status": "success", "data": data})


def _pipeline(company: Company, raw: str | int) -> dict[str, Any]:
    found = company.pipelines.get(int(raw)) if str(raw).isdigit() else None
    if found is None:
        raise ApiError(404, "Pipeline not found.")
    return found


def _pipeline_name(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("name"), str):
        body = {**body, "name": body["name"].strip()}  # "non-empty after trimming"
    clean, errors = check_object(body, schemas.PIPELINE_FIELDS)
    if errors:
        raise invalid(errors)
    return str(clean["name"])


@router.get("/pipelines")
async def list_pipelines(request: Request) -> Response:
    company = sandbox_of(request).authenticate(request)
    return _ok(list(company.pipelines.values()))


@router.get("/pipelines/{pipeline_id}")
async def get_pipeline(request: Request, pipeline_id: str) -> Response:
    company = sandbox_of(request).authenticate(request)
    return _ok(_pipeline(company, pipeline_id))


@router.post("/pipelines")
async def create_pipeline(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, raw = await sandbox.read_json(request)

    def handle() -> dict[str, Any]:
        pipeline = new_pipeline(sandbox.store, _pipeline_name(body), sandbox.store.clock.now())
        company.pipelines[pipeline["id"]] = pipeline
        return {"status": "success", "data": pipeline}

    return sandbox.idempotent(request, company, raw, handle)


@router.put("/pipelines/{pipeline_id}")
async def rename_pipeline(request: Request, pipeline_id: str) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    pipeline = _pipeline(company, pipeline_id)
    body, _ = await sandbox.read_json(request)
    pipeline.update(name=_pipeline_name(body), updatedAt=iso(sandbox.store.clock.now()))
    return _ok(pipeline)


@router.post("/pipelines/stages")
async def upsert_stage(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, _ = await sandbox.read_json(request)
    clean, errors = check_object(body, _STAGE_FIELDS)
    if errors:
        raise invalid(errors)
    pipeline = _pipeline(company, clean["pipelineId"])
    stages: list[dict[str, Any]] = pipeline["stages"]
    stamp = iso(sandbox.store.clock.now())
    if "stageId" in clean:
        stage = next((s for s in stages if s["id"] == clean["stageId"]), None)
        if stage is None:
            raise ApiError(404, "Stage not found.")
        stages.remove(stage)
        stage.update(name=clean["name"], type=clean["type"], updatedAt=stamp)
    else:
        stage = {
            "id": sandbox.store.next_id("stage"),
            "name": clean["name"],
            "type": clean["type"],
            "createdAt": stamp,
            "updatedAt": stamp,
        }
    position = min(clean.get("order", len(stages) + 1), len(stages) + 1) - 1
    stages.insert(position, stage)
    for order, each in enumerate(stages, start=1):
        each["order"] = order
    pipeline["updatedAt"] = stamp
    return _ok(pipeline)


@router.get("/teams")
async def list_teams(request: Request) -> Response:
    company = sandbox_of(request).authenticate(request)
    return _ok(company.teams)


@router.get("/teams/{team_id}")
async def get_team(request: Request, team_id: str) -> Response:
    company = sandbox_of(request).authenticate(request)
    team = next((t for t in company.teams if t["id"] == team_id), None)
    if team is None:
        raise ApiError(404, "Team not found.")
    return _ok(team)


@router.get("/users")
async def list_users(request: Request) -> Response:
    company = sandbox_of(request).authenticate(request)
    query = dict(request.query_params)
    page, per_page, errors = schemas.users_paging(query)
    users = company.users
    if statuses := query.get("status"):
        wanted = {s.strip().upper() for s in statuses.split(",")}
        if unknown := wanted - {"ACTIVE", "INVITED", "EXPIRED"}:
            errors["status"] = f'"status" contains unknown values [{", ".join(sorted(unknown))}]'
        users = [u for u in users if u["status"] in wanted]
    if role := query.get("role"):
        label = {"SUPER_ADMIN": "Super Admin", "ADMIN": "Admin"}.get(role.upper(), role)
        users = [u for u in users if (u["role"] or "").lower() == label.lower()]
    if (admin := query.get("isCompanyAdmin")) is not None:
        users = [u for u in users if u["isCompanyAdmin"] == (admin.lower() == "true")]
    if search := query.get("search", "").lower():
        users = [u for u in users if any(search in u[f].lower() for f in ("email", "firstName", "lastName"))]
    if errors:
        raise invalid(errors)
    start = (page - 1) * per_page
    pagination = {
        "page": page,
        "perPage": per_page,
        "total": len(users),
        "totalPages": math.ceil(len(users) / per_page),
    }
    return _ok({"users": users[start : start + per_page], "pagination": pagination})


@router.get("/users/{user_id}")
async def get_user(request: Request, user_id: str) -> Response:
    company = sandbox_of(request).authenticate(request)
    user = next((u for u in company.users if u["id"] == user_id), None)
    if user is None:
        raise ApiError(404, "User not found.")
    return _ok(user)


@router.get("/assessment")
async def list_assessments(request: Request) -> Response:
    company = sandbox_of(request).authenticate(request)
    page, per_page, errors = schemas.paging(dict(request.query_params))
    if errors:
        raise invalid(errors)
    start = (page - 1) * per_page
    items = company.assessments[start : start + per_page]
    return _ok(
        {"assessments": items, "pagination": {"page": page, "limit": per_page, "total": len(company.assessments)}}
    )


@router.get("/assessment-flows")
async def list_assessment_flows(request: Request) -> Response:
    company = sandbox_of(request).authenticate(request)
    return _ok(company.assessment_flows)


@router.post("/assessment-flows")
async def create_assessment_flow(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, raw = await sandbox.read_json(request)

    def handle() -> dict[str, Any]:
        clean, errors = check_object(body, schemas.ASSESSMENT_FLOW_FIELDS)
        if errors:
            raise invalid(errors)
        flow = {
            "id": sandbox.store.next_id("assessment_flow"),
            "companyId": str(company.id),
            "flowName": clean["flowName"],
            "description": clean.get("description"),
            "status": "ACTIVE",
            "candidateCount": 0,
            "steps": clean["steps"],
        }
        company.assessment_flows.append(flow)
        return {"status": "success", "data": flow}

    return sandbox.idempotent(request, company, raw, handle)
