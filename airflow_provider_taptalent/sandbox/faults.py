"""The outermost ASGI layer of the API: request log, latency, body limit and injected faults.

Faults never touch ``/__sandbox/`` (the control API) so that tests can always steer the sandbox.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airflow_provider_taptalent.sandbox.errors import error_body

if TYPE_CHECKING:
    from airflow_provider_taptalent.sandbox.app import Sandbox
    from airflow_provider_taptalent.sandbox.store import Clock

CONTROL_PREFIX = "/__sandbox"


class FaultInjector:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.store = sandbox.store
        self.config = sandbox.config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _dated(send, self.store.clock)
        if scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self._log(scope, headers)
        length = headers.get("content-length", "0")
        if length.isdigit() and int(length) > self.config.max_body_bytes:
            await _send_error(send, 413, f"Request body larger than {self.config.max_body_bytes} bytes.")
            return
        faults = self.config.faults
        delay = faults.delay()
        if delay:
            await asyncio.sleep(delay)
        fault = faults.draw()
        if fault == "429":
            retry = {"retry-after": str(faults.retry_after)}
            await _send_error(send, 429, "Too many requests: slow down.", retry)
        elif fault == "5xx_before":
            await _send_error(send, 503, "The service is temporarily unavailable.")
        elif fault in ("5xx_after", "drop"):
            # Let the request take effect, then lose its answer: the case clients must not duplicate.
            await self.app(scope, receive, _discard)
            if fault == "drop":
                await _drop_connection(send)
            else:
                await _send_error(send, 502, "Bad gateway.")
        else:
            await self.app(scope, receive, send)

    def _log(self, scope: Scope, headers: dict[str, str]) -> None:
        self.store.request_count += 1
        self.store.request_log.append(
            {
                "n": self.store.request_count,
                "at": self.store.clock.now(),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "idempotencyKey": headers.get("idempotency-key"),
                "userAgent": headers.get("user-agent"),
            }
        )


def _dated(send: Send, clock: Clock) -> Send:
    """Every answer's ``Date`` is the sandbox's clock when it is sent, as TapTalent's edge would give it
    (uvicorn's own, switched off, is refreshed once a second and may lag by up to a second)."""

    async def dated(message: Message) -> None:
        if message["type"] == "http.response.start":
            date = email.utils.formatdate(clock.now(), usegmt=True).encode()
            message = {**message, "headers": [*message.get("headers", []), (b"date", date)]}
        await send(message)

    return dated


async def _discard(message: Message) -> None:
    return None


async def _send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(status, message)).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _drop_connection(send: Send) -> None:
    """Close the connection without a byte of answer.

    uvicorn's ``send`` is a method of the request cycle that owns the socket transport; aborting it is
    exactly a dropped connection. Other servers get a truncated answer instead, which clients see the same
    way (a protocol error, no usable response).
    """
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # let the server notice the disconnect before this request returns
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise ConnectionAbortedError("sandbox fault: connection dropped")
