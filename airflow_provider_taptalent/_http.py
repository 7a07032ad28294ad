"""The one request path and the one retry policy, for a sync and an async httpx client.

A :class:`~airflow_provider_taptalent._api.Call` is built into a request, sent, and its response read
by the same functions whichever client sends it; :class:`Transport` and :class:`AsyncTransport` differ
only in the I/O call (``send`` vs ``await send``) and in tenacity's ``Retrying`` vs ``AsyncRetrying``,
both configured by the same :class:`RetryPolicy`.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import http.cookiejar
import logging
import math
import platform
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import tenacity

from airflow_provider_taptalent import __version__, _api, _deadline
from airflow_provider_taptalent._compat import AIRFLOW_VERSION, Stats
from airflow_provider_taptalent._settings import ClientSettings
from airflow_provider_taptalent.exceptions import (
    TapTalentConnectionError,
    TapTalentError,
    TapTalentRateLimitError,
    TapTalentServerError,
    error_from_response,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

USER_AGENT = (
    f"airflow-provider-taptalent/{__version__} (airflow/{AIRFLOW_VERSION}; "
    f"python/{platform.python_version()}; httpx/{httpx.__version__})"
)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, how long to wait between attempts, and when to give up.

    Retried: errors whose class says ``retryable`` (5xx, 429, timeouts, dropped connections); never another
    4xx. Waits grow exponentially with full jitter (a random wait between 0 and the exponential step, so
    that many clients that failed together do not retry together), capped per wait by ``max_wait``; a 429's
    ``Retry-After`` is honoured instead, capped by ``max_retry_after``. ``max_total`` caps the time spent
    on one call, waits included.

    :param max_retries: retries after the first attempt (5: at most 6 attempts).
    :param initial_wait: the first exponential step, in seconds.
    :param max_wait: the largest exponential wait, in seconds.
    :param max_retry_after: the largest wait a 429 may ask for, in seconds.
    :param max_total: the most seconds one call may take across its attempts.
    """

    max_retries: int = 5
    initial_wait: float = 1.0
    max_wait: float = 60.0
    max_retry_after: float = 300.0
    max_total: float = 900.0

    @staticmethod
    def is_retryable(error: BaseException) -> bool:
        return isinstance(error, TapTalentError) and error.retryable

    def wait_seconds(self, attempt: int, error: BaseException | None) -> float:
        """How long to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = error.retry_after if isinstance(error, TapTalentRateLimitError) else None
        if retry_after is not None and math.isfinite(retry_after):
            return min(max(retry_after, 0.0), self.max_retry_after)
        step = min(self.max_wait, self.initial_wait * 2 ** (attempt - 1))
        return random.uniform(0, step)

    # The sleeps are methods so that tests can record waits instead of sleeping.
    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    async def asleep(seconds: float) -> None:
        await asyncio.sleep(seconds)

    def retrying_args(self, request: _api.ApiRequest) -> dict[str, Any]:
        """tenacity arguments shared by ``Retrying`` and ``AsyncRetrying``."""

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self.wait_seconds(state.attempt_number, error)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            log.info(
                "TapTalent %s %s failed (%s); retry %d of %d in %.1f s",
                request.method,
                request.path,
                error,
                state.attempt_number,
                self.max_retries,
                delay,
            )
            Stats.incr("taptalent.api.retry", tags={"endpoint": request.endpoint, "code": _code_of(error)})

        def stop(state: tenacity.RetryCallState) -> bool:
            # idle_for counts the waits asked for, so the budget holds even where sleeping is faked.
            spent = max(state.seconds_since_start or 0.0, state.idle_for)
            over_budget = spent + state.upcoming_sleep > self.max_total
            return state.attempt_number > self.max_retries or over_budget

        return {
            "stop": stop,
            "wait": wait,
            "retry": tenacity.retry_if_exception(self.is_retryable),
            "before_sleep": before_sleep,
            "reraise": True,
        }


def attempt_deadline(settings: ClientSettings, budget_end: float) -> float:
    """When an attempt must be over (``time.monotonic()``): its own deadline, or the call's budget."""
    return min(time.monotonic() + settings.request_deadline, budget_end)


def is_ambiguous(error: BaseException | None) -> bool:
    """Whether a failed request may have taken effect anyway (a 5xx, or no answer at all)."""
    return isinstance(error, (TapTalentServerError, TapTalentConnectionError))


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


#: Idle connections are kept a minute: a wait polling every few seconds reuses its connection.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=60)


def client_options(settings: ClientSettings, *, asynchronous: bool = False) -> dict[str, Any]:
    """What both httpx clients are built with; the key only ever goes into the Authorization header.

    The transport is httpx's own, its network operations bounded by each attempt's deadline
    (:mod:`~airflow_provider_taptalent._deadline`).
    """
    build = _deadline.async_transport if asynchronous else _deadline.sync_transport
    return {
        "transport": build(verify=_tls_context(), limits=_LIMITS),
        "cookies": _NoCookies(),
        "base_url": settings.base_url,
        "headers": {
            "Authorization": f"Bearer {settings.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
        "timeout": httpx.Timeout(settings.timeout, connect=min(settings.connect_timeout, settings.timeout)),
        "follow_redirects": False,
    }


def build_request(client: httpx.Client | httpx.AsyncClient, base_url: str, request: _api.ApiRequest) -> httpx.Request:
    headers = {_api.IDEMPOTENCY_HEADER: request.idempotency_key} if request.idempotency_key else None
    # One absolute URL string: httpx parses it once, where a relative path plus params is merged and
    # re-parsed several times (a tenth of the client's own CPU per request).
    url = f"{base_url}{request.path}"
    if request.params:
        url = f"{url}?{urlencode(request.params)}"
    return client.build_request(request.method, url, json=request.json, headers=headers)


def read_response(call: _api.Call[T], response: httpx.Response, started: float, attempt: int) -> T:
    """The parsed payload of a success, or the typed error of a failure; logs and measures the attempt."""
    _observe(call.request, str(response.status_code), started, attempt)
    body = _json_or_none(response)
    if response.is_success:
        if body is None:
            raise TapTalentError(
                f"TapTalent answered {call.request.method} {call.request.path} with a body that is not JSON",
                status_code=response.status_code,
            )
        return call.parse(_api.unwrap(body))
    error = error_from_response(
        response.status_code,
        body,
        retry_after=_retry_after(response.headers.get(_api.RETRY_AFTER_HEADER)),
        request_id=next((response.headers[h] for h in _api.REQUEST_ID_HEADERS if h in response.headers), None),
    )
    Stats.incr("taptalent.api.error", tags={"endpoint": call.request.endpoint, "code": _code_of(error)})
    raise error


def transport_error(call: _api.Call[Any], error: httpx.RequestError, started: float, attempt: int) -> TapTalentError:
    """A typed error for a request that got no usable response."""
    kind = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
    _observe(call.request, type(error).__name__, started, attempt)
    Stats.incr("taptalent.api.error", tags={"endpoint": call.request.endpoint, "code": "CONNECTION"})
    # str(error) is httpx's message (host, reason): it never holds request headers, so never the key.
    return TapTalentConnectionError(
        f"{call.request.method} {call.request.path} {kind}: {type(error).__name__}: {error}".rstrip(": ")
    )


class Transport:
    """Sends calls over one pooled ``httpx.Client``, created on first use."""

    def __init__(self, settings: ClientSettings, policy: RetryPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(**client_options(self.settings))
        return self._client

    def send(self, call: _api.Call[T], *, recover: Callable[[float], T | None] | None = None) -> T:
        """Send ``call``, retrying as the policy says.

        :param recover: for a call that must not take effect twice: after an ambiguous failure and before
            the next attempt, ``recover(started)`` looks for the effect of the earlier attempts (``started``
            is when the first attempt began, epoch seconds); what it finds is returned instead of retrying.
        """
        started, last_error = time.time(), None
        budget_end = time.monotonic() + self.policy.max_total
        for attempt in tenacity.Retrying(sleep=self.policy.sleep, **self.policy.retrying_args(call.request)):
            with attempt:
                if recover is not None and is_ambiguous(last_error):
                    found = recover(started)
                    if found is not None:
                        return found
                try:
                    with _deadline.deadline(attempt_deadline(self.settings, budget_end)):
                        return self._exchange(call, attempt.retry_state.attempt_number)
                except TapTalentError as error:
                    last_error = error
                    raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _exchange(self, call: _api.Call[T], attempt: int) -> T:
        request, started = build_request(self.client, self.settings.base_url, call.request), time.perf_counter()
        try:
            response = self.client.send(request)
        except httpx.RequestError as error:
            raise transport_error(call, error, started, attempt) from error
        return read_response(call, response, started, attempt)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class AsyncTransport:
    """Sends calls over one pooled ``httpx.AsyncClient``, created on first use (inside the running loop).

    Each wait keeps its own client rather than sharing one per loop: httpcore's pool does work in
    proportion to the requests queued on it, so a thousand waits queued on one pool cost far more CPU
    than a thousand small pools (measured: benchmarks/wait_at_scale.py).
    """

    def __init__(self, settings: ClientSettings, policy: RetryPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(**client_options(self.settings, asynchronous=True))
        return self._client

    async def send(self, call: _api.Call[T], *, recover: Callable[[float], Awaitable[T | None]] | None = None) -> T:
        """Send ``call``, retrying as the policy says; ``recover`` as in :meth:`Transport.send`, awaited."""
        started, last_error = time.time(), None
        budget_end = time.monotonic() + self.policy.max_total
        async for attempt in tenacity.AsyncRetrying(
            sleep=self.policy.asleep, **self.policy.retrying_args(call.request)
        ):
            with attempt:
                if recover is not None and is_ambiguous(last_error):
                    found = await recover(started)
                    if found is not None:
                        return found
                try:
                    async with _deadline.adeadline(attempt_deadline(self.settings, budget_end)):
                        return await self._exchange(call, attempt.retry_state.attempt_number)
                except TapTalentError as error:
                    last_error = error
                    raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _exchange(self, call: _api.Call[T], attempt: int) -> T:
        request, started = build_request(self.client, self.settings.base_url, call.request), time.perf_counter()
        try:
            response = await self.client.send(request)
        except httpx.RequestError as error:
            raise transport_error(call, error, started, attempt) from error
        return read_response(call, response, started, attempt)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _observe(request: _api.ApiRequest, status: str, started: float, attempt: int) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    # Never the body (it may hold personal data) and never the headers (they hold the key). Each request
    # at DEBUG (a task makes thousands); every failed one at WARNING.
    level = logging.DEBUG if status.startswith(("2", "3")) else logging.WARNING
    if log.isEnabledFor(level):
        log.log(
            level,
            "TapTalent %s %s -> %s in %.0f ms (attempt %d)",
            request.method,
            request.path,
            status,
            elapsed_ms,
            attempt,
        )
    Stats.timing("taptalent.api.request", elapsed_ms, tags={"endpoint": request.endpoint, "status": status})


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: whole seconds (A4) or, as HTTP also allows, a date."""
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


def _code_of(error: BaseException | None) -> str:
    if isinstance(error, TapTalentError):
        return error.code or (str(error.status_code) if error.status_code else "CONNECTION")
    return type(error).__name__
