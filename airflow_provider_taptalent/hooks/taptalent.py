"""TapTalentHook: an Airflow connection's credentials and settings, and every TapTalent API call.

The calls themselves (sync and ``a``-prefixed async) come from the client core
(:class:`~airflow_provider_taptalent.client.methods.ApiMethods`); this module is the Airflow side:
connection -> settings, secret masking, metrics, ``test_connection`` and the connection form.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from airflow_provider_taptalent import _form
from airflow_provider_taptalent._compat import (
    AIRFLOW_VERSION,
    BaseHook,
    Connection,
    amask_secret,
    get_async_connection,
    get_async_extra_dejson,
    mask_secret,
    warn_legacy_fields,
)
from airflow_provider_taptalent.client import contract, operations
from airflow_provider_taptalent.client.client import BaseClient
from airflow_provider_taptalent.client.retry import RetryPolicy
from airflow_provider_taptalent.client.settings import (
    CONN_TYPE,
    ClientSettings,
    legacy_fields,
    settings_from_connection,
)
from airflow_provider_taptalent.client.steps import CallContext, ResponseCache
from airflow_provider_taptalent.client.transport import user_agent
from airflow_provider_taptalent.utils.metrics import StatsObserver

# Seconds a connection test may take, retry included.
_TEST_CONNECTION_BUDGET = 20.0


class TapTalentHook(BaseHook, BaseClient):  # type: ignore[misc]
    """Talks to the TapTalent Partner API with the key and settings of an Airflow connection.

    The constructor only stores its arguments: the connection is looked up on first use and cached,
    by the sync methods (workers) and the ``a``-prefixed async ones (the triggerer) alike. Each hook
    keeps one pooled HTTP client per kind (and per event loop); close it with :meth:`close` /
    :meth:`aclose`, or use the hook as a (async) context manager.

    :param taptalent_conn_id: the Airflow connection to use (type ``taptalent``).
    :param timeout: read timeout in seconds; overrides the connection's ``timeout`` extra (default 30).
    :param max_retries: retries after the first attempt; overrides the connection's ``max_retries`` (default 5).
    :param transport: an ``httpx.BaseTransport`` to send sync requests through instead of the network (tests).
    :param async_transport: an ``httpx.AsyncBaseTransport`` for the async methods (tests).
    :param http_client: an ``httpx.Client`` of your own to send sync requests through (its proxy, TLS and
        event hooks; the connection's timeouts and each attempt's deadline still apply); you close it.
    :param async_http_client: an ``httpx.AsyncClient`` of your own, for the async methods.
    :param cache: keep the answers of reference-data reads (pipelines, teams, users, assessments and their
        flows) for a minute, emptied by any write (off by default: a job listing is never cached).
    """

    conn_name_attr = "taptalent_conn_id"
    default_conn_name = "taptalent_default"
    conn_type = CONN_TYPE
    hook_name = "TapTalent"

    def __init__(
        self,
        taptalent_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        transport: Any = None,
        async_transport: Any = None,
        http_client: Any = None,
        async_http_client: Any = None,
        cache: bool = False,
    ) -> None:
        super().__init__()
        self.cache = cache
        self.taptalent_conn_id = taptalent_conn_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.transport = transport
        self.async_transport = async_transport
        self.http_client = http_client
        self.async_http_client = async_http_client
        self.user_agent = user_agent(f"airflow/{AIRFLOW_VERSION}")

    # -- the connection form (Airflow < 3.2; 3.2+ reads get_provider_info) --------------------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        return _form.connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return _form.ui_field_behaviour()

    # -- settings: resolved once per hook, from whichever path asks first ----------------------------------

    @cached_property
    def settings(self) -> ClientSettings:
        """The connection's settings, checked (sync path: worker processes)."""
        conn = self.get_connection(self.taptalent_conn_id)
        settings = self._settings_of(conn, conn.extra_dejson)
        for secret in settings.secrets():
            mask_secret(secret)
        return settings

    async def asettings(self) -> ClientSettings:
        """The same settings, resolved without blocking the event loop (the triggerer).

        The sync look-up masks secrets with a synchronous call to the supervisor, which breaks inside a
        running event loop (apache/airflow#70398, #71891); this path awaits the async equivalents and
        stores its result in the same cache slot as :attr:`settings`.
        """
        if "settings" not in self.__dict__:
            conn = await get_async_connection(self.taptalent_conn_id, hook=self)
            settings = self._settings_of(conn, await get_async_extra_dejson(conn))
            for secret in settings.secrets():
                await amask_secret(secret)
            self.__dict__["settings"] = settings
        cached: ClientSettings = self.__dict__["settings"]
        return cached

    def _settings_of(self, conn: Connection, extra: Mapping[str, Any]) -> ClientSettings:
        warn_legacy_fields(self.taptalent_conn_id, legacy_fields(extra))
        return settings_from_connection(
            self.taptalent_conn_id,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=extra,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def _context_of(self, settings: ClientSettings) -> CallContext:
        return CallContext(
            settings,
            RetryPolicy(max_retries=settings.max_retries),
            StatsObserver(self.taptalent_conn_id),
            cache=ResponseCache() if self.cache else None,
        )

    def _context(self) -> CallContext:
        return self._context_of(self.settings)

    async def _acontext(self) -> CallContext:
        return self._context_of(await self.asettings())

    @property
    def max_batch_size(self) -> int:
        """The most resumes one bulk upload may hold, from the connection (A6)."""
        return self.settings.max_batch_size

    # -- connection test --------------------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with a cheap authenticated read (one page of jobs). Never raises.

        It retries once at most, and answers within 20 seconds: someone is waiting in the UI or the CLI.
        """
        try:
            driver = self._driver()  # the hook's own client, under a policy of its own
            context = driver.context.with_policy(RetryPolicy(max_retries=1, max_total=_TEST_CONNECTION_BUDGET))
            page = driver.run(operations.list_jobs(context, page_number=1, per_page=contract.PER_PAGE_CHOICES[0]))
        except Exception as error:  # a connection test reports every failure instead of raising
            return False, f"{type(error).__name__}: {error}"
        finally:
            self.close()  # the hook stays usable: its next call opens a new client
        settings = context.settings
        return True, (
            f"Connected to the TapTalent {settings.environment} API at {settings.base_url}: "
            f"{page.total_jobs} job(s) visible to this key."
        )
