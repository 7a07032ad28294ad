"""Where verified deliveries go: Asset events in Airflow's database, once per (event, batch).

- :class:`AssetEventRecorder`, inside Airflow 3's API server (the plugin): straight into the metadata DB
  through Airflow's asset manager, which also queues the DAGs scheduled on the asset.
- :class:`RestApiRecorder`, for the receiver run on its own next to Airflow 2.11: Dataset events through
  Airflow's REST API.

TapTalent sends no event id and retries deliveries (A8), so both look for an event with the same
``(event, batchId)`` before recording one.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol

import httpx

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


class AssetEventRecorder:
    """Records Asset events in the metadata DB (Airflow 3, inside the API server process).

    A lock makes look-up-then-record atomic within the process; several API-server processes can still
    race on the same delivery arriving twice at once, which the dedupe window then catches on later
    retries but not on that first pair (no unique key exists to enforce it in the database).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def record(self, conn_id: str, event: WebhookEvent) -> Outcome:
        from sqlalchemy import select

        from airflow_provider_taptalent._compat import asset_event_store

        asset_manager, AssetEvent, AssetModel, create_session = asset_event_store()

        uri = asset_uri(conn_id)
        with self._lock, create_session() as session:
            asset = session.scalar(select(AssetModel).where(AssetModel.uri == uri, AssetModel.name == uri))
            if asset is None:
                return "no_asset"
            since = datetime.now(timezone.utc) - DEDUPE_WINDOW
            recent = session.scalars(
                select(AssetEvent.extra).where(AssetEvent.asset_id == asset.id, AssetEvent.timestamp >= since)
            )
            if any(_same_delivery(extra, event) for extra in recent):
                return "duplicate"
            asset_manager.register_asset_change(asset=asset, extra=event_extra(event), session=session)
        return "recorded"


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
