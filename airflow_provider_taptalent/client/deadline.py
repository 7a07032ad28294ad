"""A hard deadline for each synchronous HTTP attempt, whatever the server does.

httpx's timeouts apply to each network operation: a read timeout of 30 s restarts with every chunk, so a
server that drips one byte every few seconds keeps a request alive for ever. The async client needs
nothing here (its attempt runs under ``anyio.fail_after``); a blocking call cannot be cancelled, so here
every socket operation of a sync attempt (connect, TLS, write, read) gets the smaller of its own timeout and
the time left before the attempt's deadline, and none starts once the deadline has passed. A connection is
made on a thread of its own and waited for as long: the name look-up in it takes no timeout.

The seam is one: :func:`bound` wraps the network backend of the connection pools an ``httpx.Client``
built (httpx has no public option for it). It reads two private attributes, ``Client._transport`` /
``Client._mounts`` and ``HTTPTransport._pool._network_backend``: ``pyproject.toml`` pins httpx and
httpcore below their next minor versions, and the deadline tests in ``tests/unit/client/test_transport.py``
fail if either moves.

The deadline travels in a context variable, so it follows the request through httpx and httpcore into
the network backend (each thread sees its own).
"""

from __future__ import annotations

import contextvars
import ssl
import threading
import time
import typing
from typing import Any

import httpcore
import httpx

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("taptalent_deadline", default=None)


def enter(at: float) -> contextvars.Token[float | None]:
    """The requests of this thread from here on (``time.monotonic()`` seconds) run under a deadline, until
    :func:`leave`."""
    return _DEADLINE.set(at)


def leave(token: contextvars.Token[float | None]) -> None:
    _DEADLINE.reset(token)


def bound(client: httpx.Client) -> httpx.Client:
    """``client``, each of its httpx transports' network operations bounded by the current deadline.

    Transports that are not httpx's own (a ``MockTransport``, say) are left as they are; a client bound
    twice is bound once.
    """
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        if isinstance(pool, httpcore.ConnectionPool) and not isinstance(pool._network_backend, _Backend):
            pool._network_backend = _Backend(pool._network_backend)  # type: ignore[arg-type]
    return client


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


def _within(seconds: float, connect: typing.Callable[[], httpcore.NetworkStream]) -> httpcore.NetworkStream:
    """``connect()``, given up after ``seconds``: a connection's name look-up (``getaddrinfo``) takes no
    timeout, so it runs on a thread of its own; a connection that arrives after its caller gave up is closed."""
    lock, finished = threading.Lock(), threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["stream"] = connect()
        except BaseException as error:  # handed to the caller
            outcome["error"] = error
        with lock:
            finished.set()
            late = outcome.get("abandoned", False)
        if late and "stream" in outcome:
            outcome["stream"].close()

    threading.Thread(target=run, name="taptalent-connect", daemon=True).start()
    finished.wait(seconds)
    with lock:
        if not finished.is_set():
            outcome["abandoned"] = True
            raise httpcore.ConnectTimeout(f"no connection (name look-up included) within {seconds:.3g} s")
    if "error" in outcome:
        raise outcome["error"]
    stream: httpcore.NetworkStream = outcome["stream"]
    return stream


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)

        def connect() -> httpcore.NetworkStream:
            return self._backend.connect_tcp(host, port, bounded, local_address, socket_options)

        return _Stream(connect() if bounded is None else _within(bounded, connect))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
