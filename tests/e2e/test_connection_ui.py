"""The connection's Test button, through Airflow 3's own REST endpoint, as the 3.3 UI calls it (hardening 19,
review 2026-12-02 #29).

The row's Test posts the stored port (``0`` when there is none) and the key masked; Airflow reuses the
stored key only when the posted port equals the stored one. A connection without a port can never pass
(Airflow's check, not the provider's); one saved with its port (443 for TapTalent's API; the form shows the
field for this) passes.
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

    host, port = sandbox.url.rsplit(":", 1)
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.in_(["taptalent_ui", "taptalent_port"])).delete()
        # What the form saves: type, key and host; no port ...
        session.add(
            Connection(conn_id="taptalent_ui", conn_type="taptalent", password=sandbox.api_key, host=sandbox.url)
        )
        # ... or, with the Port field filled in, the port apart from the host.
        session.add(
            Connection(conn_id="taptalent_port", conn_type="taptalent", password=sandbox.api_key, host=host,
                       port=int(port))
        )  # fmt: skip
    with TestClient(create_app()) as client:
        yield client


def ui_test_body(conn_id: str, host: str, port: int, password: str) -> dict:
    # What the 3.3 UI's row Test posts: the stored port (0 for none), the key masked.
    return {"connection_id": conn_id, "conn_type": "taptalent", "host": host, "port": port, "password": password,
            "extra": "{}"}  # fmt: skip


def test_the_ui_test_of_a_connection_without_a_port_is_refused_by_airflow(api, sandbox):
    response = api.post("/api/v2/connections/test", json=ui_test_body("taptalent_ui", sandbox.url, 0, "***"))
    assert response.status_code == 400
    assert "host or port to test differs" in response.json()["detail"]


def test_the_ui_test_of_a_connection_saved_with_its_port_passes(api, sandbox):
    host, port = sandbox.url.rsplit(":", 1)
    response = api.post("/api/v2/connections/test", json=ui_test_body("taptalent_port", host, int(port), "***"))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] is True, result
    assert result["message"].startswith("Connected to the TapTalent sandbox API at ")
