"""The webhook receiver: ``POST /{conn_id}`` checks a delivery and records it as an Asset event.

Answers: 200 recorded (or a duplicate, acknowledged and dropped), 202 for an event it does not handle or
an asset no DAG uses yet, 401 for a wrong key (the same body whatever was wrong), 413 over 1 MiB, 400 for
a body that is not a TapTalent event, 500 when recording failed (TapTalent then delivers it again).

Recording happens before the answer, in a worker thread: it takes milliseconds, well inside TapTalent's
5-second limit, and a delivery is never acknowledged before it is safely stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from airflow_provider_taptalent import _api
from airflow_provider_taptalent._settings import extra_value
from airflow_provider_taptalent.exceptions import TapTalentWebhookError
from airflow_provider_taptalent.webhooks.recorders import EventRecorder, asset_uri
from airflow_provider_taptalent.webhooks.verify import MAX_BODY_BYTES, verify_delivery

log = logging.getLogger(__name__)
KeyLookup = Callable[[str], "str | None"]
#: seconds a connection's webhook key is cached: deliveries come in bursts, the key rarely changes
KEY_CACHE_SECONDS = 30.0


def connection_webhook_key(conn_id: str) -> str | None:
    """The ``webhook_key`` extra of an Airflow connection, from the metadata DB or a secrets backend."""
    from airflow.models.connection import Connection

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except Exception:  # an unknown connection is a wrong key to the caller, never a 500
        return None
    key = extra_value(conn.extra_dejson, "webhook_key")
    return str(key) if key else None


class _CachedKeys:
    def __init__(self, lookup: KeyLookup) -> None:
        self._lookup = lookup
        self._cache: dict[str, tuple[float, str | None]] = {}

    def get(self, conn_id: str) -> str | None:
        cached = self._cache.get(conn_id)
        if cached is None or time.monotonic() - cached[0] > KEY_CACHE_SECONDS:
            cached = (time.monotonic(), self._lookup(conn_id))
            self._cache[conn_id] = cached
        return cached[1]


def create_app(*, recorder: EventRecorder | None = None, key_lookup: KeyLookup | None = None) -> FastAPI:
    """The receiver app. Inside Airflow 3 the provider's plugin mounts it at ``/taptalent/webhooks``.

    :param recorder: where events go; default: Asset events in the metadata DB (Airflow 3 API server).
    :param key_lookup: ``conn_id -> webhook key``; default: the connection's ``webhook_key`` extra.
    """
    from airflow_provider_taptalent.webhooks.recorders import AssetEventRecorder

    sink = recorder or AssetEventRecorder()
    keys = _CachedKeys(key_lookup or connection_webhook_key)
    app = FastAPI(title="TapTalent webhooks", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/{conn_id}")
    async def receive(conn_id: str, request: Request) -> JSONResponse:
        started = time.perf_counter()
        outcome: str = "refused"
        status = 500
        body: dict[str, Any] = {"error": "internal error"}
        # Only what passed verification is logged: an unverified caller's headers stay out of the log.
        event_name, batch_id = "-", None
        try:
            raw = await _read_limited(request)
            key = await run_in_threadpool(keys.get, conn_id)
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
        except TapTalentWebhookError as error:
            status = error.status_code or 400
            body = {"error": error.message, **({"details": error.details} if error.details else {})}
        except Exception:
            log.exception("Recording a TapTalent webhook for %s failed; TapTalent will deliver it again", conn_id)
        # One line per delivery, never the key or the payload.
        log.info(
            "TapTalent webhook %s %s batch %s: %s (%d) in %.0f ms",
            conn_id, event_name, batch_id, outcome, status, (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return JSONResponse(body, status_code=status)

    return app


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
