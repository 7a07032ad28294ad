"""The request path: a :class:`~.calls.Call` built into an httpx request, sent, and its answer read,
by the same functions whichever client sends it.

:class:`Transport` holds what both share (options, building, reading, logging, reporting);
:class:`SyncTransport` and :class:`AsyncTransport` differ only in the I/O call. The httpx transport is
injectable (``httpx.MockTransport`` in tests); by default it is httpx's own, through the environment's
proxy if it names one, with each attempt's network operations bounded by its deadline (:mod:`.deadline`).
Requests go to the transport itself, not through ``httpx.Client`` (see :meth:`Transport.build_request`).
Retries are not here: see :func:`.steps.send`.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import json
import logging
import math
import platform
import ssl
import threading
import time
import urllib.parse
import urllib.request
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

import httpx
import pydantic_core

from . import contract, deadline
from .calls import Call
from .clock import ServerClock
from .errors import TapTalentConfigurationError, TapTalentConnectionError, TapTalentError, error_from_response
from .settings import ClientSettings
from .steps import Exchange, Observer

T = TypeVar("T")
log = logging.getLogger("airflow_provider_taptalent.client")
#: Idle connections are kept a minute: a wait polling every few seconds reuses its connection.
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=60)
_OPENING = threading.Lock()


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


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``/``HTTP_PROXY``, ``ALL_PROXY``, minus
    ``NO_PROXY``), as httpx's own clients read it; ``None`` for a direct connection, which a loopback host
    (the sandbox) always gets: no proxy reaches this machine's own 127.0.0.1."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    host = parts.hostname or ""
    # proxy_bypass_environment: the standard library's NO_PROXY matching (requests uses it too; typeshed
    # does not list it)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not proxies or _loopback(host) or bypass(host, proxies):
        return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    return proxy if "://" in proxy else f"http://{proxy}"  # a bare host:port, as httpx and curl read it


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Transport:
    """What the sync and async transports share.

    :param settings: the connection's settings (base URL, key, timeouts).
    :param observer: told of every attempt (metrics).
    :param transport: an httpx transport to send through instead of the network (tests).
    :param user_agent: the ``User-Agent`` header.
    :param clock: told every answer's ``Date``.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        observer: Observer | None = None,
        transport: Any = None,
        user_agent: str | None = None,
        clock: ServerClock | None = None,
    ) -> None:
        self.settings = settings
        self.observer = observer or Observer()
        self.clock = clock or ServerClock()
        self._injected = transport
        self._user_agent = user_agent

    @functools.cached_property
    def _headers(self) -> dict[str, str]:
        """What every request carries, worked out once (the key only ever goes into this header)."""
        return {
            "Authorization": f"Bearer {self.settings.api_key}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "keep-alive",
            "User-Agent": self._user_agent or user_agent(),
        }

    @functools.cached_property
    def _extensions(self) -> dict[str, Any]:
        settings = self.settings
        timeout = httpx.Timeout(settings.timeout, connect=min(settings.connect_timeout, settings.timeout))
        return {"timeout": timeout.as_dict()}

    def _network(self, *, asynchronous: bool) -> Any:
        """The httpx transport: the injected one, or httpx's own with each attempt bounded by its deadline,
        through the environment's proxy for the base URL, if it names one."""
        if self._injected is not None:
            return self._injected
        build = deadline.async_transport if asynchronous else deadline.sync_transport
        proxy = environment_proxy(self.settings.base_url)
        try:
            return build(verify=_tls_context(), limits=_LIMITS, proxy=proxy)
        except (ValueError, ImportError) as error:
            if proxy is None:
                raise
            # httpx's message repeats the proxy URL, which may hold a password: it is not passed on
            scheme = urllib.parse.urlsplit(proxy).scheme
            reason = (
                f"a {scheme} proxy needs the socksio package (pip install 'httpx[socks]')"
                if isinstance(error, ImportError)
                else f"it must be an http://, https:// or socks5:// URL, not {scheme}://"
            )
            raise TapTalentConfigurationError(
                f"The proxy the environment names (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is unusable: {reason}"
            ) from None

    def attempt(self, step: Exchange[T]) -> _Attempt[T]:
        """Everything about one attempt but the I/O call: the request, the deadline, the error mapping.

        Used as ``with transport.attempt(step) as attempt:``, whose block sends ``attempt.request``, reads
        the answer whole and stores it in ``attempt.response``; ``attempt.result()`` then parses it. (A
        class, not a generator-based context manager: it runs for every request, and is cheaper so.)
        """
        return _Attempt(self, step, self.build_request(step.call, fallback=step.fallback))

    def build_request(self, call: Call[Any], *, fallback: bool = False) -> httpx.Request:
        """The request, whole: one absolute URL, the connection's headers and timeouts.

        It is handed to the httpx *transport* itself, not sent through ``httpx.Client``: the API takes no
        cookies, auth flows or redirects (a 3xx is an error), and the client's machinery for them was a
        third of the CPU per request (``benchmarks/client_cost.py``).
        """
        headers = self._headers
        if call.idempotency_key or fallback:
            headers = dict(headers)
            if call.idempotency_key:
                headers[contract.IDEMPOTENCY_HEADER] = call.idempotency_key
            if fallback and self.settings.fallback_api_key:
                headers["Authorization"] = f"Bearer {self.settings.fallback_api_key}"
        url = f"{self.settings.base_url}{call.path}"
        if call.params:
            url = f"{url}?{urlencode(call.params)}"
        return httpx.Request(call.method, url, json=call.json, headers=headers, extensions=self._extensions)

    def read_response(self, step: Exchange[T], response: httpx.Response, started: float, content: bytearray) -> T:
        """The parsed payload of a success, or the typed error of a failure; logs and reports the attempt."""
        call = step.call
        self._observe(step, str(response.status_code), started)
        body = _json_or_none(content)
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
        # Where it went is named (the environment and the API's origin, never a userinfo part): "Connection
        # refused" alone does not tell a sandbox that is not running from a wrong host.
        where = httpx.URL(self.settings.base_url).copy_with(username=None, password=None, path="/")
        return TapTalentConnectionError(
            f"{call.method} {call.path} {kind} (the {self.settings.environment} API at {str(where).rstrip('/')}): "
            f"{type(error).__name__}: {error}".rstrip(": ")
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
    __slots__ = ("content", "request", "response", "sent", "started", "step", "token", "transport")

    def __init__(self, transport: Transport, step: Exchange[T], request: httpx.Request) -> None:
        self.transport, self.step, self.request = transport, step, request
        self.started, self.sent = time.perf_counter(), time.monotonic()
        self.response: httpx.Response | None = None
        self.content = bytearray()
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
        self.transport.clock.observe(self.response.headers.get("date"), self.sent, time.monotonic())
        return self.transport.read_response(self.step, self.response, self.started, self.content)

    def take(self, chunk: bytes) -> None:
        """One decoded chunk of the answer: refused past :data:`.contract.MAX_RESPONSE_BYTES`."""
        self.content += chunk
        if len(self.content) > contract.MAX_RESPONSE_BYTES:
            call = self.step.call
            raise TapTalentError(
                f"TapTalent's answer to {call.method} {call.path} is over {contract.MAX_RESPONSE_BYTES // 2**20} MiB "
                "once decoded: refused (no answer of the API is that large)"
            )


class SyncTransport(Transport):
    """Sends through one pooled httpx transport, created on first use."""

    _http: httpx.BaseTransport | None = None

    def _open(self) -> httpx.BaseTransport:
        """The pool, made once: the threads of a fetch or an export make their first calls together."""
        with _OPENING:
            if self._http is None:
                self._http = self._network(asynchronous=False)
            return self._http

    def exchange(self, step: Exchange[T]) -> T:
        http = self._http or self._open()
        with self.attempt(step) as attempt:
            response = http.handle_request(attempt.request)
            try:
                for chunk in response.iter_bytes():
                    attempt.take(chunk)
            finally:
                response.close()
            attempt.response = response
        return attempt.result()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


class AsyncTransport(Transport):
    """Sends through one pooled httpx async transport, created on first use (inside the running loop).

    Each wait keeps its own pool rather than sharing one per loop: httpcore's pool does work in
    proportion to the requests queued on it, so a thousand waits queued on one pool cost far more CPU
    than a thousand small pools (measured: benchmarks/wait_at_scale.py).
    """

    _http: httpx.AsyncBaseTransport | None = None

    async def exchange(self, step: Exchange[T]) -> T:
        if self._http is None:
            self._http = self._network(asynchronous=True)
        with self.attempt(step) as attempt:
            response = await self._http.handle_async_request(attempt.request)
            try:
                async for chunk in response.aiter_bytes():
                    attempt.take(chunk)
            finally:
                await response.aclose()
            attempt.response = response
        return attempt.result()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _json_or_none(body: bytearray) -> Any:
    """The body as JSON (pydantic's parser: twice as fast as ``json.loads``), or ``None``.

    ``json.loads`` reads what pydantic's parser refuses and the standard library accepts (lone surrogates).
    """
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
