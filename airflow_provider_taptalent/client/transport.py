"""The request path: a :class:`~.calls.Call` built into an httpx request, sent, and its answer read,
by the same functions whichever client sends it.

:class:`Transport` holds what both share (options, building, reading, logging, reporting);
:class:`SyncTransport` and :class:`AsyncTransport` differ only in the I/O call. Each sends through one
``httpx.Client`` / ``httpx.AsyncClient`` (``trust_env``: the environment's proxy and ``NO_PROXY`` as httpx
reads them; the connection's ``proxy``, ``verify`` and ``ca_bundle`` extras; a TLS context loaded once per
CA bundle), or through the one the caller brings. Each attempt has a hard deadline: ``anyio.fail_after``
for async, :mod:`.deadline` for sync. Retries are not here: see :func:`.steps.send`.
"""

from __future__ import annotations

import contextvars
import email.utils
import functools
import http.cookiejar
import json
import logging
import math
import platform
import ssl
import threading
import time
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

import anyio
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
#: A sandbox on this machine is reached directly, whatever proxy the environment names (one set for package
#: registries, say): no proxy reaches this machine's own loopback.
_DIRECT = {f"all://{host}": None for host in ("127.0.0.1", "localhost", "[::1]")}
_OPENING = threading.Lock()
#: set while this client sends: httpx's own line per request ("HTTP Request: ..." at INFO) is dropped then,
#: since ours (DEBUG, WARNING for failures) says the same without flooding a task log at INFO. Airflow 3 keeps
#: the httpx logger at WARNING anyway; Airflow 2 and plain Python do not.
_SENDING: contextvars.ContextVar[bool] = contextvars.ContextVar("taptalent_sending", default=False)


class _WithoutOurRequests(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _SENDING.get()


logging.getLogger("httpx").addFilter(_WithoutOurRequests())


class _NoCookies(http.cookiejar.CookieJar):
    """The API sets and reads no cookies: none is kept (a client keeps what it is sent, and a proxy or a
    load balancer in between may send some)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def user_agent(product: str = "") -> str:
    from .. import __version__

    extra = f"{product}; " if product else ""
    return (
        f"airflow-provider-taptalent/{__version__} ({extra}python/{platform.python_version()}; "
        f"httpx/{httpx.__version__})"
    )


@functools.cache
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """One TLS context per process and CA bundle: loading a bundle is costly, and a triggerer running a
    thousand waits would otherwise load it a thousand times (``benchmarks/wait_at_scale.py``). (A rotated
    ``SSL_CERT_FILE`` or bundle file is read by the next process.)"""
    if ca_bundle is None:
        return httpx.create_ssl_context()  # certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR
    return ssl.create_default_context(cafile=ca_bundle)


def client_options(settings: ClientSettings) -> dict[str, Any]:
    """The options of the httpx client a connection's requests go through.

    :raises TapTalentConfigurationError: for a ``ca_bundle`` that cannot be read.
    """
    verify: ssl.SSLContext | bool = False
    if settings.verify:
        try:
            verify = _tls_context(settings.ca_bundle)
        except (OSError, ssl.SSLError) as error:
            raise TapTalentConfigurationError(
                f"Connection {settings.conn_id!r}: ca_bundle {settings.ca_bundle!r} is not a readable PEM file "
                f"of CA certificates: {getattr(error, 'strerror', None) or error}."
            ) from None
    return {
        "verify": verify,
        "limits": _LIMITS,
        "proxy": settings.proxy,
        "trust_env": True,
        "mounts": _DIRECT,
        "cookies": _NoCookies(),
    }


def _open_client(kind: type[T], settings: ClientSettings, transport: Any) -> T:
    """A new ``httpx.Client`` or ``AsyncClient`` for ``settings``; an unusable proxy is a typed error that
    never repeats the proxy's URL (it may hold a password)."""
    options = client_options(settings)
    try:
        return kind(transport=transport, **options)  # type: ignore[call-arg]
    except (ValueError, ImportError) as error:
        where = (
            "its proxy extra"
            if settings.proxy
            else "the proxy the environment names (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY)"
        )
        reason = (
            "a socks5 proxy needs the socksio package (pip install 'httpx[socks]')"
            if isinstance(error, ImportError)
            else "it must be an http://, https:// or socks5:// URL"
        )
        raise TapTalentConfigurationError(f"Connection {settings.conn_id!r}: {where} is unusable: {reason}") from None


class Transport:
    """What the sync and async transports share.

    :param settings: the connection's settings (base URL, key, timeouts).
    :param observer: told of every attempt (metrics).
    :param transport: an httpx transport for the client to send through instead of the network (tests).
    :param http_client: an ``httpx.Client`` (sync) or ``httpx.AsyncClient`` (async) to send through instead
        of one of our own: its transport, proxy, TLS and event hooks, and its headers under ours, are used;
        the connection's timeouts and the attempt's deadline still apply; its owner closes it.
    :param user_agent: the ``User-Agent`` header.
    :param clock: told every answer's ``Date``.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        observer: Observer | None = None,
        transport: Any = None,
        http_client: Any = None,
        user_agent: str | None = None,
        clock: ServerClock | None = None,
    ) -> None:
        self.settings = settings
        self.observer = observer or Observer()
        self.clock = clock or ServerClock()
        self._injected = transport
        self._given = http_client
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

    def attempt(self, step: Exchange[T]) -> _Attempt[T]:
        """Everything about one attempt but the I/O call: the request, the error mapping.

        Used as ``with transport.attempt(step) as attempt:``, whose block sends ``attempt.request``, reads
        the answer whole and stores it in ``attempt.response``; ``attempt.result()`` then parses it. (A
        class, not a generator-based context manager: it runs for every request, and is cheaper so.)
        """
        return _Attempt(self, step, self.build_request(step.call, fallback=step.fallback))

    def build_request(self, call: Call[Any], *, fallback: bool = False) -> httpx.Request:
        """The request, whole: one absolute URL, the connection's headers and timeouts (built here, not
        by our ``httpx.Client``, which would merge its empty defaults into each; a client the caller brought
        merges its own)."""
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
        if self._given is not None:
            return self._given.build_request(  # type: ignore[no-any-return]
                call.method, url, json=call.json, headers=headers, extensions=self._extensions
            )
        return httpx.Request(call.method, url, json=call.json, headers=headers, extensions=self._extensions)

    def read_response(self, step: Exchange[T], response: httpx.Response, started: float, content: bytearray) -> T:
        """The parsed payload of a success, or the typed error of a failure; logs and reports the attempt."""
        call = step.call
        self._observe(step, str(response.status_code), started)
        if response.is_success and call.endpoint.response is None:
            return None  # type: ignore[return-value]  # an answer without a body (204), as declared
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
    __slots__ = ("content", "request", "response", "sent", "started", "step", "transport")

    def __init__(self, transport: Transport, step: Exchange[T], request: httpx.Request) -> None:
        self.transport, self.step, self.request = transport, step, request
        self.started, self.sent = time.perf_counter(), time.monotonic()
        self.response: httpx.Response | None = None
        self.content = bytearray()

    def __enter__(self) -> _Attempt[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
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
    """Sends through one ``httpx.Client``, opened on first use, its pools bounded by :mod:`.deadline`."""

    _http: httpx.Client | None = None

    def _open(self) -> httpx.Client:
        """The client, opened once: the threads of a fetch or an export make their first calls together."""
        with _OPENING:
            if self._http is None:
                client = self._given or _open_client(httpx.Client, self.settings, self._injected)
                self._http = deadline.bound(client)
            return self._http

    def exchange(self, step: Exchange[T]) -> T:
        http = self._http or self._open()
        token, sending = deadline.enter(step.deadline), _SENDING.set(True)
        try:
            with self.attempt(step) as attempt:
                response = http.send(attempt.request, stream=True)
                try:
                    for chunk in response.iter_bytes():
                        attempt.take(chunk)
                finally:
                    response.close()
                attempt.response = response
        finally:
            deadline.leave(token)
            _SENDING.reset(sending)
        return attempt.result()

    def close(self) -> None:
        if self._http is not None and self._given is None:
            self._http.close()
        self._http = None


class AsyncTransport(Transport):
    """Sends through one ``httpx.AsyncClient``, opened on first use (inside the running loop); each attempt
    runs under ``anyio.fail_after`` until its deadline.

    Each wait keeps its own client rather than sharing one per loop: httpcore's pool does work in
    proportion to the requests queued on it, so a thousand waits queued on one pool cost far more CPU
    than a thousand small pools (``benchmarks/wait_at_scale.py``).
    """

    _http: httpx.AsyncClient | None = None

    async def exchange(self, step: Exchange[T]) -> T:
        if self._http is None:
            self._http = self._given or _open_client(httpx.AsyncClient, self.settings, self._injected)
        sending = _SENDING.set(True)
        with self.attempt(step) as attempt:
            try:
                with anyio.fail_after(max(step.deadline - time.monotonic(), 0.0)):
                    response = await self._http.send(attempt.request, stream=True)
                    try:
                        async for chunk in response.aiter_bytes():
                            attempt.take(chunk)
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise httpx.TimeoutException("the request's deadline passed", request=attempt.request) from None
            finally:
                _SENDING.reset(sending)
            attempt.response = response
        return attempt.result()

    async def aclose(self) -> None:
        if self._http is not None and self._given is None:
            await self._http.aclose()
        self._http = None


def _json_or_none(body: bytearray) -> Any:
    """The body as JSON (pydantic's parser, the faster one), or ``None``.

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
