"""The control API under ``/__sandbox``: inspect and steer a running sandbox (no key needed: it is local).

GET  /health                 liveness
GET  /config                 keys, batch clock, limits, faults, webhooks
PATCH /config                {"batchSeconds", "batchLimit"}
POST /reset                  forget every job, candidate, batch and logged request
POST /batches/advance        {"batchIds": [...]} (default: every batch): finish them now, scoring included
POST /clock/advance          {"seconds": N}: move the sandbox's clock forward (times, batches, Date), never back
GET  /requests?since=N       the request log (method, path, query, Idempotency-Key, User-Agent)
GET  /state?urls=true        every company's jobs, batches (with their URLs) and counts
GET/PATCH /faults            {"rate_5xx", "rate_429", "rate_drop", "latency_ms", "jitter_ms", "retry_after", "seed",
                             "next"}
GET/PATCH /webhooks          {"url", "key", "duplicate_rate", "reorder_seconds", "retry_base", "max_attempts",
                             "timeout"}
GET  /webhooks/deliveries    every delivery attempt
POST /keys                   {"key", "companyId", "active"}: add or (de)activate a key

Changes (POST, PATCH) must come from no browser page but the sandbox's own: a request with another
``Origin`` is refused (403), and a body must be ``application/json`` (415), which no cross-origin page can
send without a preflight the sandbox never grants.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from airflow_provider_taptalent.sandbox.app import sandbox_of
from airflow_provider_taptalent.sandbox.errors import ApiError, json_response
from airflow_provider_taptalent.sandbox.store import SCORING_SHARE, iso


async def _not_from_another_site(request: Request) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise ApiError(403, "The control API takes no requests from other sites.")
    has_body = request.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in request.headers
    if has_body and not request.headers.get("content-type", "").startswith("application/json"):
        raise ApiError(415, "The control API takes application/json bodies only.")


router = APIRouter(dependencies=[Depends(_not_from_another_site)])


async def _body(request: Request) -> dict[str, Any]:
    body, _ = await sandbox_of(request).read_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object.")
    return body


@router.get("/health")
async def health() -> Response:
    return json_response({"status": "ok"})


@router.get("/config")
async def get_config(request: Request) -> Response:
    sandbox = sandbox_of(request)
    return json_response(
        {
            "apiKey": sandbox.primary_key,
            "otherCompanyApiKey": sandbox.secondary_key,
            "keys": {key: company for key, company in sandbox.store.keys.items()},
            "inactiveKeys": sorted(sandbox.store.inactive_keys),
            "batchSeconds": sandbox.config.batch_seconds,
            "batchLimit": sandbox.config.batch_limit,
            "seed": sandbox.config.seed,
            "faults": sandbox.config.faults.as_dict(),
            "webhooks": sandbox.config.webhooks.as_dict(),
        }
    )


@router.patch("/config")
async def patch_config(request: Request) -> Response:
    sandbox = sandbox_of(request)
    body = await _body(request)
    if "batchSeconds" in body:
        sandbox.config.batch_seconds = float(body["batchSeconds"])
    if "batchLimit" in body:
        sandbox.config.batch_limit = int(body["batchLimit"])
    return await get_config(request)


@router.post("/reset")
async def reset(request: Request) -> Response:
    sandbox_of(request).store.reset()
    return json_response({"status": "reset"})


@router.post("/batches/advance")
async def advance_batches(request: Request) -> Response:
    sandbox = sandbox_of(request)
    wanted = (await _body(request)).get("batchIds")
    now = sandbox.store.clock.now()
    advanced = []
    for company in sandbox.store.companies.values():
        for batch in company.batches.values():
            if (wanted is None or batch.id in wanted or str(batch.id) in map(str, wanted)) and batch.end > now:
                batch.done_at = now - batch.duration * SCORING_SHARE  # parsed, and its job candidates scored
                batch.advanced_at = now  # the files not parsed yet are parsed now
                advanced.append(batch.id)
        if wanted is None:
            for scoring in company.job_candidates.values():
                scoring["_scoredAt"] = min(scoring["_scoredAt"], now)
    return json_response({"advanced": advanced})


@router.post("/clock/advance")
async def advance_clock(request: Request) -> Response:
    clock = sandbox_of(request).store.clock
    seconds = (await _body(request)).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:  # NaN too
        raise ApiError(400, "Invalid clock advance.", details={"seconds": "a number of seconds, 0 or more"})
    clock.advance(seconds)
    return json_response({"now": iso(clock.now())})


@router.get("/requests")
async def request_log(request: Request) -> Response:
    since = int(request.query_params.get("since", "0"))
    log = [entry for entry in sandbox_of(request).store.request_log if entry["n"] > since]
    return json_response({"requests": log})


@router.get("/state")
async def state(request: Request) -> Response:
    sandbox = sandbox_of(request)
    with_urls = request.query_params.get("urls", "").lower() == "true"
    with_candidates = request.query_params.get("candidates", "").lower() == "true"
    now = sandbox.store.clock.now()
    companies = {}
    for company in sandbox.store.companies.values():
        batches = []
        for batch in company.batches.values():
            entry: dict[str, Any] = {"batchId": batch.id, "status": batch.status(now), **batch.counts(now)}
            if with_urls:
                entry["urls"] = batch.urls
            batches.append(entry)
        companies[str(company.id)] = {
            "jobs": list(company.jobs.values()),
            **({"candidateRecords": sandbox.store.all_candidates(company, now)} if with_candidates else {}),
            "batches": batches,
            "candidates": len(company.candidates),
            "idempotencyKeys": len(company.idempotency),
        }
    return json_response({"companies": companies, "requestCount": sandbox.store.request_count})


@router.get("/faults")
async def get_faults(request: Request) -> Response:
    return json_response(sandbox_of(request).config.faults.as_dict())


@router.patch("/faults")
async def patch_faults(request: Request) -> Response:
    faults = sandbox_of(request).config.faults
    try:
        faults.update(await _body(request))
    except (KeyError, TypeError, ValueError) as error:
        raise ApiError(400, f"Unknown or invalid fault setting: {error}") from None
    return json_response(faults.as_dict())


@router.get("/webhooks")
async def get_webhooks(request: Request) -> Response:
    return json_response(sandbox_of(request).config.webhooks.as_dict())


@router.patch("/webhooks")
async def patch_webhooks(request: Request) -> Response:
    settings = sandbox_of(request).config.webhooks
    try:
        settings.update(await _body(request))
    except (KeyError, TypeError, ValueError) as error:
        raise ApiError(400, f"Unknown or invalid webhook setting: {error}") from None
    return json_response(settings.as_dict())


@router.get("/webhooks/deliveries")
async def deliveries(request: Request) -> Response:
    dispatcher = sandbox_of(request).webhooks
    return json_response({"deliveries": dispatcher.deliveries, "pending": dispatcher.pending()})


@router.post("/keys")
async def add_key(request: Request) -> Response:
    body = await _body(request)
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise ApiError(400, "key is required", details={"key": "required"})
    sandbox_of(request).store.add_key(key, int(body.get("companyId", 1)), active=bool(body.get("active", True)))
    return json_response(
        {"key": key, "companyId": int(body.get("companyId", 1)), "active": bool(body.get("active", True))}
    )
