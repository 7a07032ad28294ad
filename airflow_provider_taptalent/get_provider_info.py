"""Provider metadata read by Airflow's provider discovery (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_taptalent import __version__
from airflow_provider_taptalent._form import CONN_FIELDS, UI_FIELD_BEHAVIOUR

_MODULE = "airflow_provider_taptalent"
#: the how-to guides (docs/howto/), as the repository shows them
_HOWTO = "https://github.com/taptalent/airflow-provider-taptalent/blob/main/docs/howto"
_HOWTO_PAGES = (
    "create-job",
    "sync-jobs",
    "upload-resumes",
    "sensor",
    "fetch-candidates",
    "export",
    "webhooks",
    "watchers",
)


def get_provider_info() -> dict[str, Any]:
    """The provider's description; validated by the tests against Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": "airflow-provider-taptalent",
        "name": "TapTalent",
        "description": "Hooks, operators, a deferrable sensor, webhooks and AssetWatchers for the TapTalent "
        "Partner API (AI recruiting), with a local sandbox of the API.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "TapTalent",
                "external-doc-url": "https://docs.taptalent.io/api-reference/overview",
                "how-to-guide": [f"{_HOWTO}/{page}.md" for page in _HOWTO_PAGES],
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": "TapTalent", "python-modules": [f"{_MODULE}.hooks.taptalent"]}],
        "operators": [{"integration-name": "TapTalent", "python-modules": [f"{_MODULE}.operators.taptalent"]}],
        "sensors": [{"integration-name": "TapTalent", "python-modules": [f"{_MODULE}.sensors.taptalent"]}],
        "triggers": [
            {
                "integration-name": "TapTalent",
                "python-modules": [f"{_MODULE}.triggers.taptalent", f"{_MODULE}.triggers.events"],
            }
        ],
        "extra-links": [f"{_MODULE}.operators.links.TapTalentJobLink"],
        "connection-types": [
            {
                "connection-type": "taptalent",
                "hook-class-name": f"{_MODULE}.hooks.taptalent.TapTalentHook",
                "hook-name": "TapTalent",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
    }
