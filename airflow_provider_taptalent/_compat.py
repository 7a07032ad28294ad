"""The only module that knows which Airflow is running (2.11, 3.0 ... 3.3).

Base classes and helpers come from ``airflow.providers.common.compat``, which maps each name to its
Airflow 3 home and falls back to the Airflow 2 one; what it does not cover is bridged here.
"""

from __future__ import annotations

from typing import Any

from airflow import __version__ as AIRFLOW_VERSION
from airflow.exceptions import AirflowProviderDeprecationWarning
from airflow.providers.common.compat.connection import get_async_connection
from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSensorTimeout,
    BaseHook,
    BaseOperator,
    BaseOperatorLink,
    BaseSensorOperator,
    Connection,
    Context,
    ObjectStoragePath,
    PokeReturnValue,
    Stats,
    XCom,
    conf,
)
from airflow.triggers.base import BaseTrigger, TriggerEvent

try:  # Airflow 3: triggers an AssetWatcher runs (event-driven scheduling)
    from airflow.triggers.base import BaseEventTrigger
except ImportError:  # Airflow 2 has none: TapTalentEventTrigger then refuses to be built, naming the version
    BaseEventTrigger = BaseTrigger  # type: ignore[misc,assignment]

try:  # Airflow 3.3: an event trigger's poll as a shared stream, told when its events are in the metadata DB
    from airflow.triggers.shared_stream import SharedStreamProducer
except ImportError:  # before 3.3: TapTalentEventTrigger saves its watermark a poll after its events instead

    class SharedStreamProducer:  # type: ignore[no-redef]
        """Stands in for Airflow 3.3's base class where there is none (never instantiated there)."""


# common-compat 1.20 is the newest that installs on Python 3.10; these two arrived after it (1.23).
try:
    from airflow.providers.common.compat.sdk import mask_secret
except ImportError:  # pragma: no cover (common-compat < 1.23)
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        from airflow.utils.log.secrets_masker import mask_secret  # type: ignore[no-redef]
try:
    from airflow.providers.common.compat.connection import get_async_extra_dejson
except ImportError:  # pragma: no cover (common-compat < 1.23)

    async def get_async_extra_dejson(conn: Any) -> dict[str, Any]:
        """``conn.extra_dejson`` without blocking the loop: it may call the supervisor synchronously."""
        if hasattr(conn, "aextra_dejson"):
            extra: dict[str, Any] = await conn.aextra_dejson()
            return extra
        from asgiref.sync import sync_to_async

        return await sync_to_async(lambda: dict(conn.extra_dejson))()


from packaging.version import Version

_BASE_VERSION = Version(Version(AIRFLOW_VERSION).base_version)
AIRFLOW_V_3_0_PLUS = Version("3.0.0") <= _BASE_VERSION
#: 3.1 redacts every password field a provider's form declares (before: only extras named like a secret)
AIRFLOW_V_3_1_PLUS = Version("3.1.0") <= _BASE_VERSION
#: 3.3's ack-mode shared streams: a producer whose ``advance`` runs once the events it gave are persisted
SHARED_STREAM_ACKS = hasattr(BaseEventTrigger, "create_shared_stream_producer")

__all__ = [
    "AIRFLOW_VERSION",
    "AIRFLOW_V_3_0_PLUS",
    "AIRFLOW_V_3_1_PLUS",
    "SHARED_STREAM_ACKS",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "BaseEventTrigger",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "BaseTrigger",
    "Connection",
    "Context",
    "ObjectStoragePath",
    "PokeReturnValue",
    "SharedStreamProducer",
    "Stats",
    "TriggerEvent",
    "XCom",
    "amask_secret",
    "asset",
    "asset_event_store",
    "conf",
    "connection_from_secrets",
    "default_deferrable",
    "distributed_executors",
    "get_async_connection",
    "get_async_extra_dejson",
    "mask_secret",
    "metrics_style",
    "openlineage",
    "plugin_base",
]


async def amask_secret(secret: Any) -> None:
    """Register ``secret`` with the masker from async code without blocking the event loop.

    Airflow 3.3 has an async ``amask_secret``; before it, the sync one may talk to the supervisor
    synchronously, which must not happen on the triggerer's loop, so it runs in a worker thread.
    """
    try:
        from airflow.sdk.log import amask_secret as native
    except ImportError:
        from asgiref.sync import sync_to_async

        await sync_to_async(mask_secret)(secret)
    else:
        await native(secret)


def connection_from_secrets(conn_id: str) -> Connection:
    """A connection from the metadata DB or a secrets backend, outside a task (the API server)."""
    from airflow.models.connection import Connection as ModelConnection

    return ModelConnection.get_connection_from_secrets(conn_id)


def asset_event_store() -> Any:
    """What recording an Asset event in the metadata DB takes (Airflow 3, inside the API server):
    ``(asset_manager, AssetEvent, AssetModel, create_session)``."""
    from airflow.assets.manager import asset_manager
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    return asset_manager, AssetEvent, AssetModel, create_session


def metadata_session() -> Any:
    """Airflow's ``create_session``: a session on the configured metadata database (Airflow 2 and 3)."""
    from airflow.utils.session import create_session

    return create_session


def asset(uri: str) -> Any:
    """An Asset (a Dataset on Airflow 2) for ``uri``."""
    from airflow.providers.common.compat.sdk import Asset

    return Asset(uri)


def plugin_base() -> type:
    """Airflow's plugin base class (imported only by the provider's plugin module)."""
    from airflow.providers.common.compat.sdk import AirflowPlugin

    return AirflowPlugin  # type: ignore[no-any-return]


def openlineage() -> tuple[Any, Any] | None:
    """``(Dataset, OperatorLineage)`` where the OpenLineage provider is installed, else ``None``."""
    try:
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage
    except ImportError:
        return None
    return Dataset, OperatorLineage


#: executors whose tasks run on several machines: a worker's local disk is not another worker's
DISTRIBUTED_EXECUTORS = frozenset(
    {"CeleryExecutor", "KubernetesExecutor", "CeleryKubernetesExecutor", "LocalKubernetesExecutor", "EdgeExecutor"}
)


def distributed_executors(task_executor: str | None = None) -> list[str]:
    """The distributed executors a task may run on: its own ``executor``, else ``[core] executor``
    (Airflow 3 allows several, comma-separated, each ``alias:module.Class``, ``module.Class`` or a name)."""
    configured = task_executor or str(conf.get("core", "executor", fallback="") or "")
    names = [part.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1] for part in configured.split(",") if part.strip()]
    return [name for name in names if name in DISTRIBUTED_EXECUTORS]


def metrics_style() -> str:
    """What Airflow's metrics backend keeps: ``"tags"`` (OpenTelemetry, or StatsD with Datadog or InfluxDB
    tags), ``"names"`` (plain StatsD: tags are dropped, dimensions must be in the name) or ``"off"``."""

    def on(name: str) -> bool:
        return bool(conf.getboolean("metrics", name, fallback=False))

    if on("otel_on") or (on("statsd_on") and (on("statsd_datadog_enabled") or on("statsd_influxdb_enabled"))):
        return "tags"
    return "names" if on("statsd_on") else "off"


def default_deferrable() -> bool:
    """``[operators] default_deferrable``, read when an operator is built (not at import)."""
    return bool(conf.getboolean("operators", "default_deferrable", fallback=False))


def warn_legacy_fields(conn_id: str, fields: list[str]) -> None:
    """Airflow's provider deprecation warning for extras under a pre-release name (``legacy_fields``)."""
    import warnings

    if fields:
        current = {"webhook_key": "webhook_secret"}  # the renamed one; a prefixed name loses its prefix
        plain = [name.rpartition("__")[2] for name in fields]
        renamed = ", ".join(f"{old!r} as {current.get(new, new)!r}" for old, new in zip(fields, plain, strict=True))
        warnings.warn(
            f"Connection {conn_id!r} sets extras under names this provider stops reading in 0.4: set {renamed}",
            AirflowProviderDeprecationWarning,
            stacklevel=3,
        )
