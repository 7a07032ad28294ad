"""The sandbox's ASGI app: authentication, rate limits, idempotency, error shapes, and the routes.

``create_app(config)`` returns a FastAPI app serving the Partner API under ``/v1/partner`` and the
control API under ``/__sandbox``. The routes live in ``api_*.py`` and ``control.py``; this module holds
what every route shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from airflow_provider_taptalent.sandbox import people
from airflow_provider_taptalent.sandbox.config import SandboxConfig
from airflow_provider_taptalent.sandbox.errors import ApiError, error_response, json_response
from airflow_provider_taptalent.sandbox.faults import FaultInjector
from airflow_provider_taptalent.sandbox.store import IDEMPOTENCY_TTL_SECONDS, Company, IdempotentResult, Store
from airflow_provider_taptalent.sandbox.webhooks import WebhookDispatcher

API_PREFIX = "/v1/partner"
TICK_SECONDS = 0.1
_IDEMPOTENCY_KEY_MAX = 255  # A5


class Sandbox:
    """A running sandbox's state: the store, the webhook dispatcher and the config they follow."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.seed, config.rate_limit, config.history)
        self.webhooks = WebhookDispatcher(config.webhooks, config.seed, self.store.clock)
        self.primary_key = people.api_key(config.seed, "company-1")
        self.secondary_key = people.api_key(config.seed, "company-2")
        self.store.add_key(self.primary_key, 1)
        self.store.add_key(self.secondary_key, 2)
        for key, company_id in config.api_keys.items():
            self.store.add_key(key, company_id)
        for key in config.inactive_keys:
            self.store.add_key(key, config.api_keys.get(key, 1), active=False)

    def authenticate(self, request: Request) -> Company:
        """The company behind the request's key (A1, A3), after its rate limit (A4)."""
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            raise ApiError(401, "API key missing: send 'Authorization: Bearer <API_KEY>'.")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "The Authorization header must be 'Bearer <API_KEY>'.")
        key = key.strip()
        if key in self.store.inactive_keys:
            raise ApiError(403, "This API key is deactivated or its subscription is inactive.", code="ACCOUNT_INACTIVE")
        company_id = self.store.keys.get(key)
        if company_id is None:
            raise ApiError(401, "Invalid API key.")
        company = self.store.company(company_id)
        if company.bucket is not None and (wait := company.bucket.take()):
            raise ApiError(429, "Rate limit exceeded.", headers={"Retry-After": str(max(1, math.ceil(wait)))})
        return company

    def idempotent(self, request: Request, company: Company, raw: bytes, handle: Callable[[], Any]) -> Response:
        """Run a POST once per Idempotency-Key (A5): the same key and body replay the first answer.

        ``handle`` is synchronous on purpose: nothing else runs on the loop between the look-up and the
        store, so two concurrent requests with one key cannot both take effect.
        """
        key = request.headers.get("idempotency-key")
        if key is None:
            return _answer(handle)
        if not key or len(key) > _IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
            raise ApiError(
                400, "Invalid Idempotency-Key.", details={"Idempotency-Key": "1 to 255 printable ASCII characters"}
            )
        fingerprint = hashlib.sha256(request.method.encode() + request.url.path.encode() + b"\0" + raw).hexdigest()
        now = self.store.clock.now()
        earlier = company.idempotency.get(key)
        if earlier is not None and now - earlier.stored < IDEMPOTENCY_TTL_SECONDS:
            if earlier.fingerprint != fingerprint:
                raise ApiError(
                    409, "This Idempotency-Key was used with a different request.", code="IDEMPOTENCY_CONFLICT"
                )
            return json_response(earlier.body, earlier.status, {"Idempotent-Replayed": "true"})
        try:
            body, status = handle(), 200
        except ApiError as error:
            if error.status >= 500:
                raise
            company.idempotency[key] = IdempotentResult(
                fingerprint, error.status, json.loads(bytes(error_response(error).body)), now
            )
            raise
        company.idempotency[key] = IdempotentResult(fingerprint, status, body, now)
        return json_response(body, status)

    async def read_json(self, request: Request) -> tuple[Any, bytes]:
        raw = await request.body()
        if len(raw) > self.config.max_body_bytes:
            raise ApiError(413, f"Request body larger than {self.config.max_body_bytes} bytes.")
        if not raw.strip():
            return None, raw
        try:
            return json.loads(raw), raw
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.", details={"body": "must be valid JSON"}) from None

    async def tick_forever(self) -> None:
        """Announce batch transitions as the clock passes them (no request needed)."""
        while True:
            now = self.store.clock.now()
            for batch in self.store.open_batches():
                self.webhooks.announce(self.store, batch, now)
            await asyncio.sleep(TICK_SECONDS)


def _answer(handle: Callable[[], Any]) -> Response:
    return json_response(handle())


def sandbox_of(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def create_app(config: SandboxConfig | None = None) -> FaultInjector:
    """A sandbox app. Serve it with uvicorn, or use ``airflow_provider_taptalent.sandbox.testing``.

    The fault layer wraps the FastAPI app from outside, so that it sees the server's own ``send`` (to
    drop connections) and every answer the app gives; ``.sandbox`` is the running state.
    """
    from airflow_provider_taptalent.sandbox import api_candidates, api_jobs, api_workspace, control

    sandbox = Sandbox(config or SandboxConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ticker = asyncio.create_task(sandbox.tick_forever())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await sandbox.webhooks.close()

    app = FastAPI(
        title="TapTalent Partner API sandbox",
        lifespan=lifespan,
        docs_url="/__sandbox/docs",
        redoc_url=None,
        openapi_url="/__sandbox/openapi.json",
    )
    app.state.sandbox = sandbox
    for module in (api_jobs, api_candidates, api_workspace):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(control.router, prefix="/__sandbox")

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> Response:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 405:
            return error_response(ApiError(405, f"{request.method} is not allowed on {request.url.path}."))
        if error.status_code == 404:
            return error_response(ApiError(404, f"No such endpoint: {request.method} {request.url.path}."))
        return error_response(ApiError(error.status_code, str(error.detail)))

    @app.exception_handler(Exception)
    async def _crash(request: Request, error: Exception) -> Response:
        return error_response(ApiError(500, "Internal error in the sandbox."))

    return FaultInjector(app, sandbox)
