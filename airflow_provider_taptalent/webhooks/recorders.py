"""Where verified deliveries go: Asset events in Airflow's database, once per (event, batch).

- :class:`AssetEventRecorder`, inside Airflow 3's API server (the plugin): straight into the metadata DB
  through Airflow's asset manager, which also queues the DAGs scheduled on the asset.
- :class:`RestApiRecorder`, for the receiver run on its own next to Airflow 2.11: Dataset events through
  Airflow's REST API.

TapTalent sends no event id and retries deliveries (A8), so both record each ``(event, batchId)`` once.
Inside Airflow the database enforces it: a receipt row keyed by ``(connection, event, batchId)`` is
inserted in the same transaction as the Asset event, so two API-server processes receiving the same
delivery at the same instant record it once (the second insert waits for the first and fails).

The receipts table lives in Airflow's metadata database but outside Airflow's migrations: it is created by
an explicit, idempotent step (``python -m airflow_provider_taptalent.webhooks.receipts create``,
:mod:`.receipts`); until then deliveries are answered 503 (TapTalent delivers them again). Receipts older
than :data:`DEDUPE_WINDOW` are deleted as deliveries arrive (and by ``... receipts prune``).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol

import httpx

from airflow_provider_taptalent.client import contract as _api
from airflow_provider_taptalent.client.errors import TapTalentWebhookError
from airflow_provider_taptalent.client.models import WebhookEvent

log = logging.getLogger(__name__)
Outcome = Literal["recorded", "duplicate", "no_asset"]
#: how far back a delivery is looked for when deduplicating (TapTalent's retries span hours, not weeks)
DEDUPE_WINDOW = timedelta(days=7)
ASSET_URI_TEMPLATE = "taptalent://{conn_id}/batches"


def asset_uri(conn_id: str) -> str:
    """The Asset every delivery for ``conn_id`` is recorded on."""
    return ASSET_URI_TEMPLATE.format(conn_id=conn_id)


def event_extra(event: WebhookEvent) -> dict[str, Any]:
    """The Asset event's ``extra``: the delivery as TapTalent sent it (DAGs filter on ``extra["event"]``)."""
    return event.model_dump(mode="json", by_alias=True)


def _same_delivery(extra: Any, event: WebhookEvent) -> bool:
    if not isinstance(extra, dict):
        return False
    data = extra.get("data")
    batch_id = data.get("batchId") if isinstance(data, dict) else None
    return (extra.get("event"), str(batch_id)) == event.dedupe_key


class EventRecorder(Protocol):
    def record(self, conn_id: str, event: WebhookEvent) -> Outcome: ...


RECEIPTS_TABLE = "taptalent_webhook_receipts"
#: receipts older than the dedupe window are deleted once per this many recorded deliveries (per process)
PRUNE_EVERY = 500
CREATE_COMMAND = "python -m airflow_provider_taptalent.webhooks.receipts create"


def create_receipts_table(bind: Any) -> bool:
    """Create the receipts table unless it exists (another process may create it at the same moment);
    ``True`` when this call created it."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError

    if inspect(bind).has_table(RECEIPTS_TABLE):
        return False
    try:
        receipts_table().create(bind=bind, checkfirst=True)
    except DBAPIError:  # created by another process between the check and the create
        if not inspect(bind).has_table(RECEIPTS_TABLE):
            raise
        return False
    return True


def prune_receipts(bind: Any, older_than: timedelta = DEDUPE_WINDOW) -> int:
    """Delete the receipts older than ``older_than``; the number deleted."""
    from sqlalchemy import delete

    table = receipts_table()
    with bind.begin() as connection:
        cutoff = datetime.now(timezone.utc) - older_than
        return int(connection.execute(delete(table).where(table.c.received_at < cutoff)).rowcount)


def receipts_table() -> Any:
    """The receipts table: its primary key is what makes a delivery count once across processes."""
    from sqlalchemy import Column, DateTime, MetaData, String, Table

    return Table(
        RECEIPTS_TABLE,
        MetaData(),
        Column("conn_id", String(250), primary_key=True),
        Column("event", String(100), primary_key=True),
        Column("batch_id", String(_api.WEBHOOK_BATCH_ID_MAX_LENGTH), primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )


class AssetEventRecorder:
    """Records Asset events in the metadata DB (Airflow 3, inside the API server process), each delivery once.

    The receipt and the event are written in one transaction; a receipt already there (another process,
    or an earlier retry) makes the delivery a duplicate. Without the receipts table (:data:`CREATE_COMMAND`
    not run yet) a delivery is refused with 503, and TapTalent delivers it again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table: Any = None
        self._recorded = 0

    def _receipts_table(self, session: Any) -> Any:
        if self._table is None:
            from sqlalchemy import inspect

            if not inspect(session.get_bind()).has_table(RECEIPTS_TABLE):
                log.error("The TapTalent webhook receipts table is missing: run %s once", CREATE_COMMAND)
                raise TapTalentWebhookError(
                    f"the receiver is not set up yet (its receipts table is missing: run {CREATE_COMMAND})",
                    status_code=503,
                )
            self._table = receipts_table()
        return self._table

    def record(self, conn_id: str, event: WebhookEvent) -> Outcome:
        from sqlalchemy import delete, insert, select
        from sqlalchemy.exc import IntegrityError

        from airflow_provider_taptalent._compat import asset_event_store

        asset_manager, AssetEvent, AssetModel, create_session = asset_event_store()

        uri = asset_uri(conn_id)
        with self._lock:
            with create_session() as session:
                receipts = self._receipts_table(session)
            with create_session() as session:
                asset = session.scalar(select(AssetModel).where(AssetModel.uri == uri, AssetModel.name == uri))
                if asset is None:
                    return "no_asset"
                name, batch_id = event.dedupe_key
                now = datetime.now(timezone.utc)
                try:
                    with session.begin_nested():
                        session.execute(
                            insert(receipts).values(conn_id=conn_id, event=name, batch_id=batch_id, received_at=now)
                        )
                except IntegrityError:
                    return "duplicate"
                if self._was_recorded(session, AssetEvent, asset, event):
                    return "duplicate"  # recorded before receipts were kept
                asset_manager.register_asset_change(asset=asset, extra=event_extra(event), session=session)
                self._recorded += 1
                if self._recorded % PRUNE_EVERY == 0:
                    session.execute(delete(receipts).where(receipts.c.received_at < now - DEDUPE_WINDOW))
        return "recorded"

    @staticmethod
    def _was_recorded(session: Any, AssetEvent: Any, asset: Any, event: WebhookEvent) -> bool:
        from sqlalchemy import select

        since = datetime.now(timezone.utc) - DEDUPE_WINDOW
        recent = session.scalars(
            select(AssetEvent.extra).where(AssetEvent.asset_id == asset.id, AssetEvent.timestamp >= since)
        )
        return any(_same_delivery(extra, event) for extra in recent)


class RestApiRecorder:
    """Records Dataset events through Airflow 2.11's REST API (``POST /api/v1/datasets/events``).

    :param airflow_url: the Airflow webserver, e.g. ``http://localhost:8080``.
    :param auth: ``(user, password)`` for the basic-auth API backend, or a bearer token.
    """

    def __init__(self, airflow_url: str, auth: tuple[str, str] | str, *, timeout: float = 3.0) -> None:
        headers = {"Authorization": f"Bearer {auth}"} if isinstance(auth, str) else {}
        basic = auth if isinstance(auth, tuple) else None
        self._client = httpx.Client(
            base_url=f"{airflow_url.rstrip('/')}/api/v1", headers=headers, auth=basic, timeout=timeout
        )
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, conn_id: str, event: WebhookEvent) -> Outcome:
        key = (conn_id, *event.dedupe_key)
        uri = asset_uri(conn_id)
        with self._lock:
            if key in self._seen or self._recorded_before(uri, event):
                return "duplicate"
            response = self._client.post("/datasets/events", json={"dataset_uri": uri, "extra": event_extra(event)})
            if response.status_code == 404:
                return "no_asset"
            response.raise_for_status()
            self._seen[key] = None
            while len(self._seen) > 10_000:
                self._seen.popitem(last=False)
        return "recorded"

    def _recorded_before(self, uri: str, event: WebhookEvent) -> bool:
        found = self._client.get("/datasets", params={"uri_pattern": uri})
        datasets = [d for d in found.json().get("datasets", []) if d.get("uri") == uri] if found.is_success else []
        if not datasets:
            return False
        events = self._client.get(
            "/datasets/events", params={"dataset_id": datasets[0]["id"], "order_by": "-timestamp", "limit": 1000}
        )
        events.raise_for_status()
        return any(_same_delivery(e.get("extra"), event) for e in events.json().get("dataset_events", []))
