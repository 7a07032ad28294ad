"""Jobs (SPEC §7.1, A9) and job candidates (SPEC §7.3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from airflow_provider_taptalent.sandbox import schemas
from airflow_provider_taptalent.sandbox.app import sandbox_of
from airflow_provider_taptalent.sandbox.errors import ApiError, invalid, json_response
from airflow_provider_taptalent.sandbox.store import Company

router = APIRouter()

JOB_DEFAULTS = {"status": "DRAFT", "workMode": "ONSITE"}  # SPEC §7.1 J2


def _job_id(company: Company, raw: str) -> int:
    if raw.isdigit() and int(raw) in company.jobs:
        return int(raw)
    raise ApiError(404, "Job not found.")


@router.get("/jobs")
async def list_jobs(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    page, per_page, errors = schemas.paging(dict(request.query_params))
    if errors:
        raise invalid(errors)
    newest_first = sorted(company.jobs.values(), key=lambda j: (j["createdAt"], j["id"]), reverse=True)
    start = (page - 1) * per_page
    # J1's documented body is bare: no envelope.
    return json_response({"jobs": newest_first[start : start + per_page], "totalJobs": len(newest_first)})


@router.post("/jobs")
async def create_job(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, raw = await sandbox.read_json(request)

    def handle() -> dict[str, Any]:
        clean, errors = schemas.job_create(body)
        if errors:
            raise invalid(errors)
        now = int(sandbox.store.clock.now())
        pipeline = next(iter(company.pipelines.values()))
        job = {
            "id": sandbox.store.next_id("job"),
            **JOB_DEFAULTS,
            **clean,
            # J2: "if left out, TapTalent generates one".
            "description": clean.get("description") or f"We are hiring a {clean['title']} in {clean['city']}.",
            "pipelineId": pipeline["id"],
            "pipelineStage": [{"name": s["name"], "type": s["type"], "totalCandidate": 0} for s in pipeline["stages"]],
            "createdAt": now,
            "updatedAt": now,
            "runningRevenue": 0,
            "rejectedCandidateCount": 0,
        }
        company.jobs[job["id"]] = job
        return job

    return sandbox.idempotent(request, company, raw, handle)


@router.get("/jobs/{job_id}")
async def get_job(request: Request, job_id: str) -> Response:
    company = sandbox_of(request).authenticate(request)
    return json_response(company.jobs[_job_id(company, job_id)])


@router.patch("/jobs/{job_id}")
async def update_job(request: Request, job_id: str) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    found = _job_id(company, job_id)
    body, _ = await sandbox.read_json(request)
    clean, errors = schemas.job_update(body)
    if errors:
        raise invalid(errors)
    job = company.jobs[found]
    job.update(clean)
    job["updatedAt"] = int(sandbox.store.clock.now())
    return json_response(job)


@router.post("/job-candidates/bulk-fetch")
async def bulk_fetch_job_candidates(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, _ = await sandbox.read_json(request)
    ids, errors = schemas.bulk_fetch(body)
    if errors:
        raise invalid(errors)
    # Ids that are unknown, or another company's, are left out rather than failing the whole call.
    now = sandbox.store.clock.now()
    wanted = [int(i) for i in ids if str(i).isdigit()]
    found = [view for i in wanted if (view := sandbox.store.find_job_candidate(company, i, now)) is not None]
    return json_response({"status": "success", "data": found})
