"""`make airflow` as a new user meets it (review 2026-12-02 #28, #29, #32): the script itself, with real
`airflow standalone` and the sandbox, driven through Airflow's REST API as the UI drives it.

Every example DAG is unpaused and triggered as the UI's dialog does ("Unpause on trigger"): each must end
green, the daily export's catch-up is three days with data in the lake and the warehouse, the resume
pipeline's batches come back as webhook deliveries that start the event-driven example, and the row's
Test (what the 3.3 UI posts: the key masked, port 0) succeeds.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent.sandbox.cli import free_port
from tests.conftest import REPO
from tests.processes import Processes

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the Airflow 3 UI and REST API"),
]
EXAMPLES = sorted(p.stem for p in (REPO / "example_dags").glob("taptalent_*.py"))


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow-local")
    port, sandbox_port = free_port(), free_port()
    processes = Processes(logs=home)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env.update(
        {
            "TAPTALENT_LOCAL_HOME": str(home),
            "PORT": str(port),
            "SANDBOX_PORT": str(sandbox_port),
            # the REST calls below act as the logged-in admin does in the UI
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        }
    )
    env.pop("AIRFLOW_HOME", None)
    processes.start_process("make-airflow", [sys.executable, str(REPO / "scripts" / "standalone.py")], env=env)
    processes.home, processes.api = home, f"http://localhost:{port}"  # type: ignore[attr-defined]
    try:
        processes.wait_for(
            "airflow standalone", lambda: _get(processes, "/api/v2/monitor/health").status_code == 200, timeout=240
        )
        yield processes
    finally:
        processes.stop()


def _get(local, path, **kwargs):
    import httpx

    return httpx.get(f"{local.api}{path}", timeout=15, **kwargs)


def _call(local, method, path, **kwargs):
    import httpx

    return httpx.request(method, f"{local.api}{path}", timeout=30, **kwargs)


@pytest.mark.timeout(900)
def test_every_example_dag_runs_green_from_make_airflow(local):
    for dag_id in EXAMPLES:
        local.wait_for(f"{dag_id} parsed", lambda d=dag_id: _get(local, f"/api/v2/dags/{d}").status_code == 200, 180)
    now = datetime.now(timezone.utc).isoformat()
    for dag_id in EXAMPLES:  # the trigger dialog: unpause, then a manual run (the event-driven one waits)
        assert _call(local, "PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False}).status_code == 200
        if dag_id != "taptalent_on_batch_completed":
            # the dialog's logical date defaults to now; the resume pipeline also runs without one
            body = {"logical_date": None if dag_id == "taptalent_resume_pipeline" else now}
            made = _call(local, "POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)
            assert made.status_code == 200, made.text

    def runs(dag_id):
        return _get(local, f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 50}).json()["dag_runs"]

    def settled():
        states = {d: [r["state"] for r in runs(d)] for d in EXAMPLES}
        done = all(s and all(x in ("success", "failed") for x in s) for s in states.values())
        return states if done and len(states["taptalent_daily_export"]) >= 4 else None

    states = local.wait_for("every example DAG's runs to finish", settled, timeout=420)
    assert all(state == "success" for s in states.values() for state in s), states
    # The catch-up: the three days before the first start, and the manual run; nothing from a month ago.
    export_runs = runs("taptalent_daily_export")
    assert len(export_runs) == 4, [r["run_id"] for r in export_runs]
    lake = local.home / "taptalent-lake"
    files = sorted(lake.rglob("*.jsonl"))
    assert files and sum(len(f.read_text().splitlines()) for f in files) > 0, files
    with sqlite3.connect(local.home / "warehouse.db") as db:
        tables = [name for (name,) in db.execute("select name from sqlite_master where type='table'")]
        counts = [db.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables]  # noqa: S608 (its own names)
        assert tables and sum(counts) > 0, dict(zip(tables, counts, strict=True))
    # The resume pipeline's batches were delivered to the receiver and started the event-driven example.
    consumer = runs("taptalent_on_batch_completed")
    assert consumer and all(r["run_type"] == "asset_triggered" for r in consumer), consumer


def test_the_row_test_button_succeeds_for_the_sandbox_connection(local):
    """What the 3.3 UI's row Test posts (review 2026-12-02 #29): the key masked, the hidden port as 0."""
    host, port = _sandbox_url(local).rsplit(":", 1)
    body = {"connection_id": "taptalent_default", "conn_type": "taptalent", "host": host, "port": int(port),
            "password": "***", "extra": "{}"}  # fmt: skip
    answer = _call(local, "POST", "/api/v2/connections/test", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] is True, answer.json()


def _sandbox_url(local) -> str:
    """The sandbox's URL, as the script printed it."""
    out = Path(local.logs / "make-airflow.out").read_text()
    return next(line.split()[3] for line in out.splitlines() if line.startswith("TapTalent sandbox at"))
