"""The TapTalent client: every API method, sync and async, over lazily built drivers. No Airflow here.

:class:`BaseClient` owns the drivers (one sync, one async per event loop) and leaves to a subclass where
the :class:`~.steps.CallContext` comes from: :class:`TapTalentClient` is given its settings; the Airflow hook
reads them from a connection.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import httpx

from .drivers import AsyncDriver, SyncDriver
from .methods import ApiMethods
from .retry import RetryPolicy
from .settings import ClientSettings
from .steps import CallContext, Observer, ResponseCache
from .transport import AsyncTransport, SyncTransport

_BUILDING = threading.Lock()


class BaseClient(ApiMethods):
    """Builds the drivers on first use and closes them.

    An async connection pool belongs to the loop it first ran on, so the async drivers are kept per event
    loop (weakly: a loop gone takes its entry): a host used under one ``asyncio.run()`` and then another, or
    by two threads' loops at once, gets a pool per loop, and ``aclose`` closes the running loop's.
    Concurrent first calls share one driver: threads by a lock, coroutines by repeating the check after
    the only ``await``.

    :param transport: an ``httpx.BaseTransport`` to send sync requests through (tests: ``MockTransport``).
    :param async_transport: an ``httpx.AsyncBaseTransport`` for the async ones.
    :param http_client: an ``httpx.Client`` to send sync requests through instead of our own (its owner
        closes it).
    :param async_http_client: an ``httpx.AsyncClient`` for the async ones (used on one event loop only).
    """

    observer: Observer | None = None
    transport: Any = None
    async_transport: Any = None
    http_client: Any = None
    async_http_client: Any = None
    user_agent: str | None = None

    def _context(self) -> CallContext:
        raise NotImplementedError

    async def _acontext(self) -> CallContext:
        return self._context()

    def _driver(self) -> SyncDriver:
        driver: SyncDriver | None = self.__dict__.get("_sync_driver")
        if driver is None:
            with _BUILDING:  # the threads of a fetch or an export make their first calls together
                driver = self.__dict__.get("_sync_driver")
                if driver is None:
                    context = self._context()
                    transport = SyncTransport(
                        context.settings,
                        observer=context.observer,
                        transport=self.transport,
                        http_client=self.http_client,
                        user_agent=self.user_agent,
                        clock=context.clock,
                    )
                    driver = self.__dict__["_sync_driver"] = SyncDriver(context, transport)
        return driver

    async def _adriver(self) -> AsyncDriver:
        loop = asyncio.get_running_loop()
        drivers = self.__dict__.get("_async_drivers")
        if drivers is None:
            with _BUILDING:
                drivers = self.__dict__.setdefault("_async_drivers", weakref.WeakKeyDictionary())
        driver: AsyncDriver | None = drivers.get(loop)
        if driver is None:
            context = await self._acontext()
            driver = drivers.get(loop)  # another coroutine of this loop may have built it meanwhile
            if driver is None:
                transport = AsyncTransport(
                    context.settings,
                    observer=context.observer,
                    transport=self.async_transport,
                    http_client=self.async_http_client,
                    user_agent=self.user_agent,
                    clock=context.clock,
                )
                driver = drivers[loop] = AsyncDriver(context, transport)
        return driver

    def server_time(self) -> float:
        """The current second of TapTalent's clock (epoch), as its answers' ``Date`` headers show it (this
        machine's clock, less a margin, before the first answer): what :meth:`find_created_job` compares."""
        return self._driver().context.clock.now()

    def close(self) -> None:
        """Close the pooled sync client (the host stays usable: a new client is opened on the next call)."""
        driver: SyncDriver | None = self.__dict__.pop("_sync_driver", None)
        if driver is not None:
            driver.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop (other loops' clients stay theirs to close)."""
        drivers = self.__dict__.get("_async_drivers")
        driver = drivers.pop(asyncio.get_running_loop(), None) if drivers is not None else None
        if driver is not None:
            await driver.aclose()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class TapTalentClient(BaseClient):
    """The TapTalent Partner API from any Python program (no Airflow needed).

    .. code-block:: python

        settings = settings_from_connection("mine", password="sk_test_...", host=None, port=None, extra={})
        with TapTalentClient(settings) as client:
            for job in client.iter_jobs():
                ...

    :param settings: where and how to connect (:func:`~.settings.settings_from_connection` checks them).
    :param policy: the retry policy; default: ``settings.max_retries`` retries.
    :param observer: told of every attempt and retry (metrics).
    :param transport: an ``httpx.BaseTransport`` to send through instead of the network.
    :param async_transport: an ``httpx.AsyncBaseTransport`` for the async methods.
    :param http_client: an ``httpx.Client`` of your own to send through (proxies, TLS, event hooks as you set
        them; the connection's timeouts and each attempt's hard deadline still apply); you close it.
    :param async_http_client: an ``httpx.AsyncClient`` of your own, for the async methods.
    :param cache: keep the answers of reference-data reads a minute (any write empties the cache); off by default.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        policy: RetryPolicy | None = None,
        observer: Observer | None = None,
        transport: Any = None,
        async_transport: Any = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        cache: bool = False,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.policy = policy
        self.observer = observer
        self.transport = transport
        self.async_transport = async_transport
        self.http_client = http_client
        self.async_http_client = async_http_client

    def _context(self) -> CallContext:
        policy = self.policy or RetryPolicy(max_retries=self.settings.max_retries)
        return CallContext(
            self.settings, policy, self.observer or Observer(), cache=ResponseCache() if self.cache else None
        )
