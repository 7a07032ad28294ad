"""The connection's Test button, through Airflow 3's own REST endpoint, as the 3.3 UI calls it (hardening 19).

The UI hides the form's ``port`` field and posts ``port: 0``; the stored connection has none, so Airflow
(not the provider) refuses to reuse the stored key: "The host or port to test differs from the stored
connection". The workaround the README gives, typing the key again before pressing Test, is checked here.
"""

from __future__ import annotations

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the React UI and /api/v2 arrived with Airflow 3"),
]


@pytest.fixture
def api(airflow_db, sandbox, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "a-secret-for-this-test-only")
    from airflow.api_fastapi.app import create_app
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from fastapi.testclient import TestClient

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == "taptalent_ui").delete()
        # What the form saves: type, key and host; no port.
        session.add(
            Connection(conn_id="taptalent_ui", conn_type="taptalent", password=sandbox.api_key, host=sandbox.url)
        )
    with TestClient(create_app()) as client:
        yield client


def ui_test_body(sandbox, password: str) -> dict:
    # What the 3.3 UI posts for a connection saved from the form: the hidden port as 0, the key masked.
    return {"connection_id": "taptalent_ui", "conn_type": "taptalent", "host": sandbox.url, "port": 0,
            "password": password, "extra": "{}"}  # fmt: skip


def test_the_ui_test_of_a_form_made_connection_is_refused_by_airflow(api, sandbox):
    response = api.post("/api/v2/connections/test", json=ui_test_body(sandbox, "***"))
    assert response.status_code == 400
    assert "host or port to test differs" in response.json()["detail"]


def test_the_documented_workaround_typing_the_key_again_passes(api, sandbox):
    response = api.post("/api/v2/connections/test", json=ui_test_body(sandbox, sandbox.api_key))
    assert response.status_code == 200
    result = response.json()
    assert result["status"] is True
    assert result["message"].startswith("Connected to the TapTalent sandbox API at ")
