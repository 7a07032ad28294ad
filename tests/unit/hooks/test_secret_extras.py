"""Secret extras under names Airflow redacts; the deprecated names warn.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import TEST_KEY, set_connection

# -- item 4: secret extras under names Airflow redacts -----------------------------------------------------------


def test_item4_the_webhook_secret_is_redacted_by_airflows_own_connection_api():
    """Before: ``webhook_key`` came back in clear from GET /api/v2/connections and the UI's editor."""
    datamodels = pytest.importorskip("airflow.api_fastapi.core_api.datamodels.connections")
    extra = json.dumps({"webhook_secret": "whsec-1", "previous_webhook_secret": "whsec-0", "timeout": 30})
    response = datamodels.ConnectionResponse(
        connection_id="taptalent_default",
        conn_type="taptalent",
        password="sk_test_x",
        extra=extra,
        **dict.fromkeys(("description", "host", "login", "schema", "port", "team_name")),
    )
    shown = json.loads(response.extra)
    assert shown == {"webhook_secret": "***", "previous_webhook_secret": "***", "timeout": 30}
    from airflow_provider_taptalent._compat import AIRFLOW_V_3_1_PLUS
    from airflow_provider_taptalent._form import CONN_FIELDS

    secret_fields = [name for name, spec in CONN_FIELDS.items() if spec["schema"].get("format") == "password"]
    assert secret_fields  # every secret field of the form is one Airflow redacts
    shown = json.loads(
        datamodels.ConnectionResponse.model_validate(
            {**response.model_dump(by_alias=True), "extra": json.dumps(dict.fromkeys(secret_fields, "s"))}
        ).extra
    )
    # Before 3.1 Airflow redacts only extras named like a secret: `proxy` is not (documented in
    # docs/connection.md: add it to [core] sensitive_var_conn_names there)
    exempt = set() if AIRFLOW_V_3_1_PLUS else {"proxy"}
    assert {name for name, value in shown.items() if value != "***"} == exempt


def test_item4_the_old_extra_name_is_still_read_with_airflows_deprecation_warning(monkeypatch):
    """Issue 25: the pre-release names were read silently; now with Airflow's provider deprecation warning."""
    from airflow.exceptions import AirflowProviderDeprecationWarning

    from airflow_provider_taptalent._form import CONN_FIELDS
    from airflow_provider_taptalent.webhooks.app import connection_webhook_secrets

    set_connection(monkeypatch, password=TEST_KEY, extra={"webhook_key": "old-name"})
    with pytest.warns(AirflowProviderDeprecationWarning, match="set 'webhook_key' as 'webhook_secret'"):
        assert TapTalentHook().settings.webhook_key == "old-name"
    with pytest.warns(AirflowProviderDeprecationWarning, match="webhook_key"):
        assert connection_webhook_secrets("taptalent_default") == ["old-name"]
    set_connection(monkeypatch, password=TEST_KEY, extra={"webhook_key": "old", "webhook_secret": "new"})
    with pytest.warns(AirflowProviderDeprecationWarning):
        assert TapTalentHook().settings.webhook_key == "new"
    set_connection(monkeypatch, password=TEST_KEY, extra={"extra__taptalent__timeout": 9})
    with pytest.warns(AirflowProviderDeprecationWarning, match="set 'extra__taptalent__timeout' as 'timeout'"):
        assert TapTalentHook().settings.timeout == 9
    assert "webhook_secret" in CONN_FIELDS and "webhook_key" not in CONN_FIELDS


def test_current_extra_names_warn_nothing(monkeypatch, recwarn):
    set_connection(monkeypatch, password=TEST_KEY, extra={"webhook_secret": "new", "timeout": 9})
    assert TapTalentHook().settings.timeout == 9
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "extras" in str(w.message)]
