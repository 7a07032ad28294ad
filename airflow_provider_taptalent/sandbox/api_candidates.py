"""Candidates (SPEC §7.2): add one, list and get, bulk resume upload, and batch status + candidates (A7).

Where SPEC.md marks a shape [not visible], the sandbox decides, and says so here:
- ``POST /candidates`` answers ``{"status": "success", "data": {"candidate": {...}, "alreadyExists": bool}}``;
  the same email returns the existing candidate with ``alreadyExists: true`` (SPEC C1: "with a flag").
- ``GET /candidates`` answers ``{"status": "success", "data": {"candidates": [...], "pagination": {...}}}``
  (the batch endpoint's pagination shape), and ``GET /candidates/{id}`` ``{"status": "success", "data": {...}}``.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from airflow_provider_taptalent.sandbox import schemas
from airflow_provider_taptalent.sandbox.app import sandbox_of
from airflow_provider_taptalent.sandbox.errors import ApiError, invalid, json_response
from airflow_provider_taptalent.sandbox.store import Batch, Company, iso
from airflow_provider_taptalent.sandbox.validation import check_object

router = APIRouter()


def _pagination(page: int, per_page: int, total: int) -> dict[str, int]:
    return {
        "pageNumber": page,
        "perPage": per_page,
        "totalCandidates": total,
        "totalPages": math.ceil(total / per_page),
    }


@router.post("/candidates/bulk/resume")
async def bulk_upload_resumes(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, raw = await sandbox.read_json(request)

    def handle() -> dict[str, Any]:
        urls, errors = schemas.bulk_resume_upload(body, sandbox.config.batch_limit)
        if errors:
            raise invalid(errors)
        batch = Batch(
            id=sandbox.store.next_id("batch"),
            company_id=company.id,
            urls=urls,
            created=time.time(),
            duration=sandbox.config.batch_seconds,
            candidate_base=sandbox.store.reserve_ids("candidate", len(urls)),
        )
        company.batches[batch.id] = batch
        return {"success": True, "data": {"batchId": batch.id, "fileCount": len(urls)}}

    return sandbox.idempotent(request, company, raw, handle)


@router.get("/candidates/batch/{batch_id}")
async def get_batch(request: Request, batch_id: str) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    page, per_page, errors = schemas.paging(dict(request.query_params))
    if errors:
        raise invalid(errors)
    batch = company.batches.get(int(batch_id)) if batch_id.isdigit() else None
    if batch is None:
        raise ApiError(404, "Batch not found.")
    now = time.time()
    candidates, total = sandbox.store.batch_candidates(batch, now, (page - 1) * per_page, per_page)
    data = {
        "batchId": batch.id,
        "status": batch.status(now),
        **batch.counts(now),
        "failedFiles": batch.failed_files(now),
        "candidates": candidates,
        "pagination": _pagination(page, per_page, total),
    }
    return json_response({"success": True, "data": data})


@router.post("/candidates")
async def add_candidate(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    body, raw = await sandbox.read_json(request)

    def handle() -> dict[str, Any]:
        clean, errors = check_object(body, schemas.CANDIDATE_FIELDS)
        if errors:
            raise invalid(errors)
        if "jobId" in clean and clean["jobId"] not in company.jobs:
            raise ApiError(404, "Job not found.", details={"jobId": "no such job in this company"})
        email = clean["email"].lower()
        existing = company.candidates_by_email.get(email)
        if existing is not None:
            return {"status": "success", "data": {"candidate": company.candidates[existing], "alreadyExists": True}}
        if isinstance(clean.get("skills"), list):
            clean["skills"] = ", ".join(clean["skills"])  # C1: arrays are stored comma-joined
        candidate = {"id": sandbox.store.next_id("candidate"), **clean, "createdAt": iso(time.time())}
        company.candidates[candidate["id"]] = candidate
        company.candidates_by_email[email] = candidate["id"]
        if "jobId" in clean:
            _score_for_job(sandbox.store.next_id("job_candidate"), company, candidate)
        return {"status": "success", "data": {"candidate": candidate, "alreadyExists": False}}

    return sandbox.idempotent(request, company, raw, handle)


def _score_for_job(job_candidate_id: int, company: Company, candidate: dict[str, Any]) -> None:
    """A job candidate with a deterministic AI score (SPEC §7.3)."""
    digest = hashlib.sha256(f"{candidate['email']}:{candidate['jobId']}".encode()).digest()
    score = 40 + digest[0] % 60
    company.job_candidates[job_candidate_id] = {
        "id": job_candidate_id,
        "jobId": candidate["jobId"],
        "candidateId": candidate["id"],
        "profileMatchScore": score,
        "evaluationStatus": "PENDING",
        "criteriaMatches": {
            "skills": 40 + digest[1] % 60,
            "experience": 40 + digest[2] % 60,
            "education": 40 + digest[3] % 60,
        },
        "recommendToRecruitingFirm": score >= 75,
        "aiSummary": f"{candidate['firstName']} matches {score}% of the job's criteria.",
        "candidate_details": candidate,  # snake_case, as documented
    }


@router.get("/candidates")
async def list_candidates(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    query = dict(request.query_params)
    page, per_page, errors = schemas.paging({k: v for k, v in query.items() if k in ("pageNumber", "perPage")})
    if errors:
        raise invalid(errors)
    now = time.time()
    everyone: list[dict[str, Any]] = list(company.candidates.values())
    for batch in company.batches.values():
        everyone += sandbox.store.batch_candidates(batch, now, 0, len(batch.urls))[0]
    if email := query.get("email"):
        everyone = [c for c in everyone if c.get("email", "").lower() == email.lower()]
    if batch_id := query.get("batchId"):
        everyone = [c for c in everyone if str(c.get("batchId")) == batch_id]
    start = (page - 1) * per_page
    data = {"candidates": everyone[start : start + per_page], "pagination": _pagination(page, per_page, len(everyone))}
    return json_response({"status": "success", "data": data})


@router.get("/candidates/{candidate_id}")
async def get_candidate(request: Request, candidate_id: str) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    found = None
    if candidate_id.isdigit():
        number = int(candidate_id)
        found = company.candidates.get(number) or sandbox.store.find_batch_candidate(company, number, time.time())
    if found is None:
        raise ApiError(404, "Candidate not found.")
    return json_response({"status": "success", "data": found})
