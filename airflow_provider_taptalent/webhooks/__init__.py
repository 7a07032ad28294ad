"""Receiving TapTalent webhooks: verification for your own receiver, or the ready-made one.

- :func:`verify_delivery` checks ``X-Webhook-Key`` (constant time) and parses a delivery.
- :func:`create_app` is the receiver the provider's Airflow 3 plugin serves at
  ``/taptalent/webhooks/<conn_id>``: it records an Asset event on :func:`batch_asset` per delivery.
- ``python -m airflow_provider_taptalent.webhooks`` runs it on its own next to Airflow 2.11.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_taptalent.webhooks.recorders import asset_uri
from airflow_provider_taptalent.webhooks.verify import MAX_BODY_BYTES, verify_delivery

__all__ = ["MAX_BODY_BYTES", "asset_uri", "batch_asset", "create_app", "verify_delivery"]


def create_app(**kwargs: Any) -> Any:
    """The receiver's FastAPI app (see :func:`airflow_provider_taptalent.webhooks.app.create_app`)."""
    from airflow_provider_taptalent.webhooks.app import create_app as build

    return build(**kwargs)


def batch_asset(conn_id: str = "taptalent_default") -> Any:
    """The Asset (a Dataset on Airflow 2) that deliveries for ``conn_id`` are recorded on: schedule on it."""
    from airflow_provider_taptalent._compat import asset

    return asset(asset_uri(conn_id))
