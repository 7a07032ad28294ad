"""The request path: a :class:`~.calls.Call` built into an httpx request, sent, and its answer read,
by the same functions whichever client sends it.

:class:`Transport` holds what both share (options, building, reading, logging, reporting);
:class:`SyncTransport` and :class:`AsyncTransport` differ only in the I/O call. The httpx transport is
injectable (``httpx.MockTransport`` in tests); by default it is httpx's own, with each attempt's network
operations bounded by its deadline (:mod:`.deadline`). Retries are not here: see :func:`.steps.send`.
"""

from __future__ import annotations

import email.utils
import functools
import http.cookiejar
import json
import logging
import math
import platform
import ssl
import time
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

import httpx
import pydantic_core

from . import contract, deadline
from .calls import Call
from .errors import TapTalentConnectionError, TapTalentError, error_from_response
from .settings import ClientSettings
from .steps import Exchange, Observer

T = TypeVar("T")
log = logging.getLogger("airflow_provider_taptalent.client")
#: Idle connections are kept a minute: a wait polling every few seconds reuses its connection.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=60)


def user_agent(product: str = "") -> str:
    from .. import __version__

    extra = f"{product}; " if product else ""
    return (
        f"airflow-provider-taptalent/{__version__} ({extra}python/{platform.python_version()}; "
        f"httpx/{httpx.__version__})"
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~15 ms of CPU, once per client otherwise,
    which a triggerer running a thousand waits would pay a thousand times."""
    return httpx.create_ssl_context()


class _NoCookies(http.cookiejar.CookieJar):
    """The API authenticates by bearer token and sets no cookies: skip httpx's per-response cookie work."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


class Transport:
    """What the sync and async transports share.

    :param settings: the connection's settings (base URL, key, timeouts).
    :param observer: told of every attempt (metrics).
    :param transport: an httpx transport to send through instead of the network (tests).
    :param user_agent: the ``User-Agent`` header.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        observer: Observer | None = None,
        transport: Any = None,
        user_agent: str | None = None,
    ) -> None:
        self.settings = settings
        self.observer = observer or Observer()
        self._injected = transport
        self._user_agent = user_agent

    def client_options(self, *, asynchronous: bool) -> dict[str, Any]:
        """What both httpx clients are built with; the key only ever goes into the Authorization header."""
        build = deadline.async_transport if asynchronous else deadline.sync_transport
        settings = self.settings
        return {
            "transport": self._injected or build(verify=_tls_context(), limits=_LIMITS),
            "cookies": _NoCookies(),
            "base_url": settings.base_url,
            "headers": {
                "Authorization": f"Bearer {settings.api_key}",
                "Accept": "application/json",
                "User-Agent": self._user_agent or user_agent(),
            },
            "timeout": httpx.Timeout(settings.timeout, connect=min(settings.connect_timeout, settings.timeout)),
            "follow_redirects": False,
        }

    def attempt(self, client: httpx.Client | httpx.AsyncClient, step: Exchange[T]) -> _Attempt[T]:
        """Everything about one attempt but the I/O call: the request, the deadline, the error mapping.

        Used as ``with transport.attempt(client, step) as attempt:``, whose block sends ``attempt.request``
        and stores ``attempt.response``; ``attempt.result()`` then reads it. (A class, not a generator-based
        context manager: it runs for every request, and is cheaper so.)
        """
        return _Attempt(self, step, self.build_request(client, step.call, fallback=step.fallback))

    def build_request(
        self, client: httpx.Client | httpx.AsyncClient, call: Call[Any], *, fallback: bool = False
    ) -> httpx.Request:
        headers = {contract.IDEMPOTENCY_HEADER: call.idempotency_key} if call.idempotency_key else {}
        if fallback and self.settings.fallback_api_key:
            headers["Authorization"] = f"Bearer {self.settings.fallback_api_key}"
        # One absolute URL string: httpx parses it once, where a relative path plus params is merged and
        # re-parsed several times (a tenth of the client's own CPU per request).
        url = f"{self.settings.base_url}{call.path}"
        if call.params:
            url = f"{url}?{urlencode(call.params)}"
        return client.build_request(call.method, url, json=call.json, headers=headers or None)

    def read_response(self, step: Exchange[T], response: httpx.Response, started: float) -> T:
        """The parsed payload of a success, or the typed error of a failure; logs and reports the attempt."""
        call = step.call
        self._observe(step, str(response.status_code), started)
        body = _json_or_none(response)
        if response.is_success:
            if body is None:
                raise TapTalentError(
                    f"TapTalent answered {call.method} {call.path} with a body that is not JSON",
                    status_code=response.status_code,
                )
            return call.parse(contract.unwrap(body))
        raise error_from_response(
            response.status_code,
            body,
            retry_after=_retry_after(response.headers.get(contract.RETRY_AFTER_HEADER)),
            request_id=next((response.headers[h] for h in contract.REQUEST_ID_HEADERS if h in response.headers), None),
        )

    def transport_error(self, step: Exchange[Any], error: httpx.RequestError, started: float) -> TapTalentError:
        """A typed error for a request that got no usable response."""
        kind = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
        self._observe(step, type(error).__name__, started)
        call = step.call
        # str(error) is httpx's message (host, reason): it never holds request headers, so never the key.
        return TapTalentConnectionError(
            f"{call.method} {call.path} {kind}: {type(error).__name__}: {error}".rstrip(": ")
        )

    def _observe(self, step: Exchange[Any], status: str, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        call = step.call
        # Never the body (it may hold personal data) and never the headers (they hold the key). Each request
        # at DEBUG (a task makes thousands); every failed one at WARNING.
        level = logging.DEBUG if status.startswith(("2", "3")) else logging.WARNING
        if log.isEnabledFor(level):
            log.log(
                level, "TapTalent %s %s -> %s in %.0f ms (attempt %d)", call.method, call.path, status, elapsed_ms,
                step.attempt,
            )  # fmt: skip
        self.observer.request(call, status, elapsed_ms, step.attempt)


class _Attempt(Generic[T]):
    __slots__ = ("request", "response", "started", "step", "token", "transport")

    def __init__(self, transport: Transport, step: Exchange[T], request: httpx.Request) -> None:
        self.transport, self.step, self.request = transport, step, request
        self.started = time.perf_counter()
        self.response: httpx.Response | None = None
        self.token: Any = None

    def __enter__(self) -> _Attempt[T]:
        self.token = deadline.enter(self.step.deadline)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        deadline.leave(self.token)
        if isinstance(error, httpx.RequestError):
            raise self.transport.transport_error(self.step, error, self.started) from error

    def result(self) -> T:
        assert self.response is not None, "the attempt's block sends the request"
        return self.transport.read_response(self.step, self.response, self.started)


class SyncTransport(Transport):
    """Sends over one pooled ``httpx.Client``, created on first use."""

    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(**self.client_options(asynchronous=False))
        return self._client

    def exchange(self, step: Exchange[T]) -> T:
        with self.attempt(self.client, step) as attempt:
            attempt.response = self.client.send(attempt.request)
        return attempt.result()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class AsyncTransport(Transport):
    """Sends over one pooled ``httpx.AsyncClient``, created on first use (inside the running loop).

    Each wait keeps its own client rather than sharing one per loop: httpcore's pool does work in
    proportion to the requests queued on it, so a thousand waits queued on one pool cost far more CPU
    than a thousand small pools (measured: benchmarks/wait_at_scale.py).
    """

    _client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(**self.client_options(asynchronous=True))
        return self._client

    async def exchange(self, step: Exchange[T]) -> T:
        with self.attempt(self.client, step) as attempt:
            attempt.response = await self.client.send(attempt.request)
        return attempt.result()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _json_or_none(response: httpx.Response) -> Any:
    """The body as JSON (pydantic's parser: twice as fast as ``json.loads``), or ``None``.

    ``json.loads`` reads what pydantic's parser refuses and the standard library accepts (lone surrogates).
    """
    body = response.read()
    try:
        return pydantic_core.from_json(body)
    except ValueError:
        pass
    try:
        return json.loads(body)
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: whole seconds (A4) or, as HTTP also allows, a date; ``None`` otherwise."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
