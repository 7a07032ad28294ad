"""The webhook receiver: ``POST /{conn_id}`` checks a delivery and records it as an Asset event.

Answers: 200 recorded (or a duplicate, acknowledged and dropped), 202 for an event it does not handle or
an asset no DAG uses yet, 401 for a wrong key (the same body whatever was wrong), 404 for a path that is
not a connection id, 408 for a body that does not arrive in time, 413 over 1 MiB, 400 for a body that is
not a TapTalent event (or a replay outside the time window), 429 (with ``Retry-After``) for a caller or a
connection over its rate, 500 when recording failed (TapTalent then delivers it again).

Order of checks: the path's shape; the key from the ``X-Webhook-Key`` header (the secret is looked up at most
once per connection every 30 s, in a bounded cache; look-ups for ids never seen with a secret have a rate of
their own); then the connection's rate, and only then the body, read with a size and a time limit. Traffic
without the secret never spends what the authenticated sender may deliver: the connection's rate counts
authenticated deliveries only, the caller's rate counts refused keys only (behind a proxy every caller has
the proxy's address), and a connection that once had a secret is looked up whatever made-up ids cost.

Recording happens before the answer, in a worker thread: it takes milliseconds, well inside TapTalent's
5-second limit, and a delivery is never acknowledged before it is safely stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentWebhookError
from airflow_provider_taptalent.client.settings import webhook_secrets
from airflow_provider_taptalent.webhooks.recorders import EventRecorder, asset_uri
from airflow_provider_taptalent.webhooks.verify import MAX_BODY_BYTES, check_key, verify_delivery

log = logging.getLogger(__name__)
#: ``conn_id -> accepted secrets`` (the current one, and the previous one during a rotation)
KeyLookup = Callable[[str], "str | Sequence[str] | None"]
#: seconds a connection's webhook secret is cached: deliveries come in bursts, the secret rarely changes
KEY_CACHE_SECONDS = 30.0
#: connections whose secret is cached at once (a flood of made-up ids cannot grow it further)
KEY_CACHE_SIZE = 256
#: what an Airflow connection id may look like; any other path is refused before anything is looked up
CONN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,250}$")
#: seconds a delivery's body may take to arrive (TapTalent wants an answer within 5)
BODY_SECONDS = 4.0


class RateLimit:
    """Token buckets per key (a source address, a connection id), in a bounded table.

    :param rate: requests per second, sustained.
    :param burst: requests allowed at once.
    :param size: keys remembered (least recently seen forgotten first).
    """

    def __init__(self, rate: float, burst: float, *, size: int = 10_000) -> None:
        self.rate, self.burst, self.size = rate, burst, size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token for ``key``: 0 when allowed, else the seconds until one is free."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
            return wait


#: default limits: generous for TapTalent (one company, bursts of a few deliveries), tight for a flood
PER_SOURCE = (20.0, 60.0)
PER_CONNECTION = (50.0, 200.0)
#: secret look-ups for connections not in the cache, per second (made-up ids cost nothing after this)
KEY_MISSES = (2.0, 20.0)


def connection_webhook_secrets(conn_id: str) -> list[str]:
    """The webhook secrets of an Airflow connection (metadata DB or a secrets backend): current, previous."""
    from airflow_provider_taptalent._compat import connection_from_secrets, warn_legacy_fields
    from airflow_provider_taptalent.client.settings import legacy_fields

    try:
        conn = connection_from_secrets(conn_id)
    except Exception:  # an unknown connection is a wrong key to the caller, never a 500
        return []
    extra = conn.extra_dejson
    warn_legacy_fields(conn_id, legacy_fields(extra))
    return webhook_secrets(extra)


class _CachedKeys:
    def __init__(self, lookup: KeyLookup, misses: RateLimit) -> None:
        self._lookup = lookup
        self._misses = misses
        self._cache: OrderedDict[str, tuple[float, str | Sequence[str] | None]] = OrderedDict()
        #: connections a look-up found a secret for (bounded like the cache)
        self._known: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def limited(self, conn_id: str) -> bool:
        """Whether looking ``conn_id`` up spends the miss rate: not cached, and never found with a secret."""
        entry = self._cache.get(conn_id)
        fresh = entry is not None and time.monotonic() - entry[0] <= KEY_CACHE_SECONDS
        return not fresh and conn_id not in self._known

    def miss_wait(self) -> float:
        return self._misses.take("misses")

    def get(self, conn_id: str) -> str | Sequence[str] | None:
        with self._lock:
            entry = self._cache.get(conn_id)
            if entry is not None and time.monotonic() - entry[0] <= KEY_CACHE_SECONDS:
                self._cache.move_to_end(conn_id)
                return entry[1]
        value = self._lookup(conn_id)
        with self._lock:
            if value:
                self._known[conn_id] = None
                while len(self._known) > KEY_CACHE_SIZE:
                    self._known.popitem(last=False)
            self._cache[conn_id] = (time.monotonic(), value)
            self._cache.move_to_end(conn_id)
            while len(self._cache) > KEY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return value


def create_app(
    *,
    recorder: EventRecorder | None = None,
    key_lookup: KeyLookup | None = None,
    per_source: tuple[float, float] = PER_SOURCE,
    per_connection: tuple[float, float] = PER_CONNECTION,
) -> FastAPI:
    """The receiver app. Inside Airflow 3 the provider's plugin mounts it at ``/taptalent/webhooks``.

    :param recorder: where events go; default: Asset events in the metadata DB (Airflow 3 API server).
    :param key_lookup: ``conn_id -> webhook secret(s)``; default: the connection's ``webhook_secret`` and
        ``previous_webhook_secret`` extras.
    :param per_source: ``(requests per second, burst)`` of refused keys allowed from one source address.
    :param per_connection: ``(requests per second, burst)`` of authenticated deliveries for one connection id.
    """
    from airflow_provider_taptalent.webhooks.recorders import AssetEventRecorder

    sink = recorder or AssetEventRecorder()
    keys = _CachedKeys(key_lookup or connection_webhook_secrets, RateLimit(*KEY_MISSES))
    sources, connections = RateLimit(*per_source), RateLimit(*per_connection)
    app = FastAPI(title="TapTalent webhooks", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/{conn_id}")
    async def receive(conn_id: str, request: Request) -> JSONResponse:
        started = time.perf_counter()
        outcome, status = "refused", 500
        body: dict[str, Any] = {"error": "internal error"}
        headers: dict[str, str] = {}
        # Only what passed verification is logged: an unverified caller's path and headers stay out of the log.
        shown_conn, event_name, batch_id = "-", "-", None
        source = request.client.host if request.client else "-"
        try:
            if not CONN_ID_PATTERN.match(conn_id):
                raise TapTalentWebhookError("not a connection id", status_code=404)
            if keys.limited(conn_id):
                _limit(keys.miss_wait(), "unknown connections")
            key = await run_in_threadpool(keys.get, conn_id)
            try:
                check_key(request.headers, key)  # before a byte of the body is read
            except TapTalentWebhookError:
                _limit(sources.take(source), "this address")  # refused keys only
                raise
            shown_conn = conn_id
            _limit(connections.take(conn_id), "this connection")  # authenticated deliveries only
            try:
                raw = await asyncio.wait_for(_read_limited(request), timeout=BODY_SECONDS)
            except asyncio.TimeoutError:
                raise TapTalentWebhookError("webhook body did not arrive in time", status_code=408) from None
            event = verify_delivery(request.headers, raw, key)
            event_name, batch_id = event.event, event.batch_id
            if event.event not in _api.BATCH_EVENTS:
                outcome, status, body = "ignored", 202, {"received": True, "ignored": "event not handled"}
            else:
                outcome = await run_in_threadpool(sink.record, conn_id, event)
                status = 202 if outcome == "no_asset" else 200
                body = {"received": True, "duplicate": outcome == "duplicate"}
                if outcome == "no_asset":
                    body["ignored"] = f"no DAG is scheduled on {asset_uri(conn_id)}"
        except _RateLimited as limited:
            outcome, status, body = "rate_limited", 429, {"error": f"too many requests for {limited.what}"}
            headers = {_api.RETRY_AFTER_HEADER: str(limited.retry_after)}
        except TapTalentWebhookError as error:
            status = error.status_code or 400
            body = {"error": error.message, **({"details": error.details} if error.details else {})}
        except Exception:
            log.exception("Recording a TapTalent webhook for %s failed; TapTalent will deliver it again", shown_conn)
        _count(outcome if status != 401 else "unauthorized", status, shown_conn)
        # One line per delivery, never the key, the payload or an unverified caller's path.
        log.info(
            "TapTalent webhook %s %s batch %s: %s (%d) in %.0f ms",
            shown_conn, event_name, batch_id, outcome, status, (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return JSONResponse(body, status_code=status, headers=headers)

    return app


def _count(outcome: str, status: int, conn_id: str) -> None:
    try:
        from airflow_provider_taptalent.utils.metrics import webhook_delivery

        webhook_delivery(outcome, status, conn_id)
    except Exception:  # metrics never fail a delivery
        log.debug("TapTalent webhook metric not sent", exc_info=True)


class _RateLimited(Exception):
    def __init__(self, what: str, wait: float) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = max(1, int(wait + 0.999))


def _limit(wait: float, what: str) -> None:
    if wait > 0:
        raise _RateLimited(what, wait)


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TapTalentWebhookError(f"webhook body larger than {MAX_BODY_BYTES} bytes", status_code=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TapTalentWebhookError(f"webhook body larger than {MAX_BODY_BYTES} bytes", status_code=413)
        chunks.append(chunk)
    return b"".join(chunks)
