"""The webhook receiver against a real migrated metadata DB: Asset events, queued DAG runs, no duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent.webhooks.recorders import asset_uri

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="Asset events through the API-server plugin need Airflow 3"),
]
KEY = "whk_e2e_secret_123"
NOW = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
CONSUMER = "taptalent_on_batch_completed"
URI = asset_uri("taptalent_default")


def completed(batch_id: int) -> dict:
    return {
        "event": "resume.bulk_upload_parse.completed",
        "timestamp": NOW,
        "companyId": 1,
        "data": {
            "batchId": batch_id,
            "status": "COMPLETED",
            "fileCount": 2,
            "successCount": 2,
            "failedCount": 0,
            "jobId": None,
        },
    }


@pytest.fixture(scope="module")
def consumer_dag(airflow_db):
    """The example DAG scheduled on the asset, serialized into the DB and unpaused (as the dag processor would)."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    for command in (["dags", "reserialize"], ["dags", "unpause", CONSUMER]):
        subprocess.run([airflow, *command], check=True, capture_output=True, env=os.environ.copy())
    return CONSUMER


@pytest.fixture
def webhook_conn(monkeypatch, sandbox):
    monkeypatch.setenv(
        "AIRFLOW_CONN_TAPTALENT_DEFAULT",
        json.dumps(
            {
                "conn_type": "taptalent",
                "password": sandbox.api_key,
                "host": sandbox.url,
                "extra": {"webhook_secret": KEY},
            }
        ),
    )


def counts() -> tuple[int, int, list[dict]]:
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        asset_id = session.scalar(select(AssetModel.id).where(AssetModel.uri == URI))
        extras = list(session.scalars(select(AssetEvent.extra).where(AssetEvent.asset_id == asset_id)))
        queued = len(list(session.scalars(select(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == CONSUMER))))
        return len(extras), queued, extras


@pytest.fixture
def clean_events(consumer_dag):
    from airflow.models.asset import AssetDagRunQueue, AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))
        session.execute(delete(AssetEvent))


def test_a_valid_delivery_records_one_event_and_queues_the_dag(clean_events, webhook_conn):
    from fastapi.testclient import TestClient

    from airflow_provider_taptalent.webhooks import create_app

    headers = {"X-Webhook-Key": KEY, "X-Webhook-Event": "resume.bulk_upload_parse.completed"}
    with TestClient(create_app()) as client:
        assert client.post("/taptalent_default", content=json.dumps(completed(7)), headers=headers).status_code == 200
        events, queued, extras = counts()
        assert (events, queued) == (1, 1)
        assert extras == [completed(7)]
        # None of these creates anything:
        assert client.post("/taptalent_default", content=json.dumps(completed(7)), headers=headers).json()["duplicate"]
        assert (
            client.post(
                "/taptalent_default", content=json.dumps(completed(8)), headers={**headers, "X-Webhook-Key": "x"}
            ).status_code
            == 401
        )
        assert client.post("/taptalent_default", content=b"x" * (1024 * 1024 + 1), headers=headers).status_code == 413
        assert client.post("/taptalent_default", content=b"[1, 2]", headers=headers).status_code == 400
    assert counts()[:2] == (1, 1)


def test_the_plugin_mounts_the_receiver_in_the_api_server():
    from airflow import plugins_manager

    apps, _ = plugins_manager.get_fastapi_plugins()
    [ours] = [a for a in apps if a["url_prefix"] == "/taptalent/webhooks"]
    assert ours["name"] == "TapTalent webhooks"
    assert any(getattr(route, "path", "") == "/{conn_id}" for route in ours["app"].routes)


def test_sandbox_deliveries_with_duplicates_and_reordering_give_one_event_each(clean_events, webhook_conn, sandbox):
    import uvicorn
    from fastapi import FastAPI

    from airflow_provider_taptalent.webhooks import create_app

    root = FastAPI()
    root.mount("/taptalent/webhooks", create_app())
    server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        sandbox.set_webhooks(
            url=f"http://127.0.0.1:{port}/taptalent/webhooks/taptalent_default",
            key=KEY,
            duplicate_rate=1.0,
            reorder_seconds=0.5,
        )
        import httpx

        batches = []
        with httpx.Client(base_url=sandbox.api_url, headers={"Authorization": f"Bearer {sandbox.api_key}"}) as api:
            for n in range(4):
                urls = [f"https://f.example/{n}.pdf"] + (["https://f.example/corrupt.pdf"] if n == 3 else [])
                batches.append(api.post("/candidates/bulk/resume", json={"resumeURLs": urls}).json()["data"]["batchId"])
        deadline = time.monotonic() + 20
        while (
            len([d for d in sandbox.deliveries() if d["status"] == "Success"]) < 16
        ):  # 4 batches x 2 events x 2 copies
            assert time.monotonic() < deadline, sandbox.deliveries()
            time.sleep(0.1)
    finally:
        server.should_exit = True
        thread.join(10)
    events, _, extras = counts()
    keys = sorted((e["event"].rsplit(".", 1)[1], e["data"]["batchId"]) for e in extras)
    assert keys == sorted((kind, b) for b in batches for kind in ("started", "completed"))
    assert events == 8
