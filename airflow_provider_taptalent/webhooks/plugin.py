"""The Airflow plugin that serves the webhook receiver from Airflow 3's API server, at /taptalent/webhooks.

Registered as an ``airflow.plugins`` entry point, so installing the provider is enough (plugins listed in
provider info load only when lazy provider discovery is off). The app is built the first time Airflow
asks for it: components that never serve it never import FastAPI.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_taptalent._compat import plugin_base

AirflowPlugin = plugin_base()

URL_PREFIX = "/taptalent/webhooks"


class _ReceiverApps:
    """``fastapi_apps``, built on first read."""

    def __get__(self, instance: object, owner: type) -> list[dict[str, Any]]:
        apps: list[dict[str, Any]] | None = owner.__dict__.get("_built")
        if apps is None:
            from airflow_provider_taptalent.webhooks.app import create_app

            apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "TapTalent webhooks"}]
            type.__setattr__(owner, "_built", apps)
        return apps


class TapTalentWebhooksPlugin(AirflowPlugin):  # type: ignore[misc,valid-type]
    """Receives TapTalent webhooks and turns them into Asset events (``taptalent://<conn_id>/batches``)."""

    name = "taptalent_webhooks"
    fastapi_apps = _ReceiverApps()
