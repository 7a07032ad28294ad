"""Candidates (SPEC §7.2): add one, list and get, bulk resume upload, and batch status + candidates (A7).

Where SPEC.md marks a shape [not visible], the sandbox decides, and says so here:
- ``POST /candidates`` answers ``{"status": "success", "data": {"candidate": {...}, "alreadyExists": bool,
  "jobCandidateId": int | null}}`` (A10); the same email returns the existing candidate with
  ``alreadyExists: true`` (SPEC C1: "with a flag"). With ``jobId`` the candidate becomes a job candidate.
- A batch uploaded to a job (``jobId`` in the body, JC2/A11) reports ``jobId``; its candidates carry
  ``jobId`` and ``jobCandidateId``. Job candidates are scored a while after they exist: until then their AI
  fields are null and ``evaluationStatus`` is ``PENDING``; then ``APPROVED`` (score >= 75) or ``REJECTED``.
- ``GET /candidates`` answers ``{"status": "success", "data": {"candidates": [...], "pagination": {...}}}``
  (the batch endpoint's pagination shape), and ``GET /candidates/{id}`` ``{"status": "success", "data": {...}}``.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from airflow_provider_taptalent.sandbox import schemas
from airflow_provider_taptalent.sandbox.app import sandbox_of
from airflow_provider_taptalent.sandbox.errors import ApiError, invalid, json_response
from airflow_provider_taptalent.sandbox.store import SCORING_SHARE, Batch, iso, job_candidate
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
        urls, job_id, errors = schemas.bulk_resume_upload(body, sandbox.config.batch_limit)
        if errors:
            raise invalid(errors)
        if job_id is not None and job_id not in company.jobs:
            raise ApiError(404, "Job not found.", details={"jobId": "no such job in this company"})
        batch = Batch(
            id=sandbox.store.next_id("batch"),
            company_id=company.id,
            urls=urls,
            created=sandbox.store.clock.now(),
            duration=sandbox.config.batch_seconds,
            candidate_base=sandbox.store.reserve_ids("candidate", len(urls)),
            job_id=job_id,
            job_candidate_base=sandbox.store.reserve_ids("job_candidate", len(urls)) if job_id else 0,
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
    now = sandbox.store.clock.now()
    candidates, total = sandbox.store.batch_candidates(batch, now, (page - 1) * per_page, per_page)
    data = {
        "batchId": batch.id,
        "jobId": batch.job_id,
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
            found = company.candidates[existing]
            data = {"candidate": found, "alreadyExists": True, "jobCandidateId": found.get("jobCandidateId")}
            return {"status": "success", "data": data}
        if isinstance(clean.get("skills"), list):
            clean["skills"] = ", ".join(clean["skills"])  # C1: arrays are stored comma-joined
        now = sandbox.store.clock.now()
        candidate = {"id": sandbox.store.next_id("candidate"), **clean, "createdAt": iso(now), "updatedAt": iso(now)}
        company.candidates[candidate["id"]] = candidate
        company.candidates_by_email[email] = candidate["id"]
        if "jobId" in clean:
            job_candidate_id = sandbox.store.next_id("job_candidate")
            candidate["jobCandidateId"] = job_candidate_id
            scored_at = now + sandbox.config.batch_seconds * SCORING_SHARE
            company.job_candidates[job_candidate_id] = job_candidate(
                job_candidate_id, clean["jobId"], candidate, scored_at
            )
        data = {"candidate": candidate, "alreadyExists": False, "jobCandidateId": candidate.get("jobCandidateId")}
        return {"status": "success", "data": data}

    return sandbox.idempotent(request, company, raw, handle)


@router.get("/candidates")
async def list_candidates(request: Request) -> Response:
    sandbox = sandbox_of(request)
    company = sandbox.authenticate(request)
    query = dict(request.query_params)
    page, per_page, errors = schemas.paging({k: v for k, v in query.items() if k in ("pageNumber", "perPage")})
    if errors:
        raise invalid(errors)
    everyone = sandbox.store.all_candidates(company, sandbox.store.clock.now())
    if email := query.get("email"):
        everyone = [c for c in everyone if c.get("email", "").lower() == email.lower()]
    if batch_id := query.get("batchId"):
        everyone = [c for c in everyone if str(c.get("batchId")) == batch_id]
    if job_id := query.get("jobId"):
        everyone = [c for c in everyone if str(c.get("jobId")) == job_id]
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
        now = sandbox.store.clock.now()
        found = company.candidates.get(number) or sandbox.store.find_batch_candidate(company, number, now)
    if found is None:
        raise ApiError(404, "Candidate not found.")
    return json_response({"status": "success", "data": found})
