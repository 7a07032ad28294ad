"""The resume pipeline as users deploy it: separate scheduler, DAG processor, triggerer and API server.

The run is triggered through Airflow's REST API; the sensor defers to a real triggerer, which resolves
the connection and masks its secrets inside its own event loop (where other providers broke). The
triggerer is killed while the sensor waits and started again: the run must still succeed, once. The
API server also serves the webhook receiver plugin. Airflow 3 only (2.11 has another process model).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent.sandbox.cli import free_port
from tests.conftest import REPO
from tests.processes import AIRFLOW, Processes
from tests.reliability.conftest import LEDGER

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.deployment,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the separate-process deployment of Airflow 3"),
]
DAG_ID = "taptalent_e2e_resume_pipeline"
CONSUMER = "taptalent_on_batch_completed"  # the README's event-driven example, scheduled on the asset
WEBHOOK_KEY = "whk_deploy_secret_987"


class Deployment(Processes):
    """Airflow components as separate processes on loopback, sharing one SQLite database."""

    def __init__(self, home: Path, connection: dict) -> None:
        super().__init__(logs=home)
        self.home = home
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        dags = home / "dags"
        dags.mkdir(parents=True)
        (dags / f"{DAG_ID}.py").symlink_to(REPO / "tests" / "e2e" / "dags" / f"{DAG_ID}.py")
        (dags / f"{CONSUMER}.py").symlink_to(REPO / "example_dags" / f"{CONSUMER}.py")
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API_AUTH__JWT_SECRET": "deployment-test-jwt-secret",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "2",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            # a killed triggerer's triggers move to a live one once its heartbeat is this old
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5",
            "AIRFLOW_CONN_TAPTALENT_DEFAULT": json.dumps(connection),
        }

    def run(self, *args: str) -> None:
        subprocess.run([AIRFLOW, *args], env=self.env, check=True, capture_output=True)

    def start(self, name: str, *args: str) -> None:
        self.start_process(name, [AIRFLOW, *args], env=self.env)

    def call(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        return httpx.request(method, f"{self.api}{path}", timeout=15, **kwargs)

    def task_state(self, run_id: str, task_id: str) -> dict:
        return self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}").json()


@pytest.fixture
def deployment(tmp_path, sandbox):
    connection = {
        "conn_type": "taptalent",
        "password": sandbox.api_key,
        "host": sandbox.url,
        "extra": {"webhook_secret": WEBHOOK_KEY},
    }
    airflow = Deployment(tmp_path / "airflow", connection)
    airflow.run("db", "migrate")
    receipts = [sys.executable, "-m", "airflow_provider_taptalent.webhooks.receipts", "create"]
    subprocess.run(receipts, env=airflow.env, check=True, capture_output=True)
    try:
        for name, args in {
            "api-server": ("api-server", "--port", str(airflow.port)),
            "scheduler": ("scheduler",),
            "dag-processor": ("dag-processor",),
            "triggerer": ("triggerer",),
        }.items():
            airflow.start(name, *args)
        airflow.wait_for("the API server", lambda: airflow.call("GET", "/api/v2/monitor/health").status_code == 200)
        yield airflow
    finally:
        airflow.stop()


def test_the_pipeline_survives_a_triggerer_restart_under_real_processes(deployment, sandbox, tmp_path):
    sandbox.control.patch("/config", json={"batchSeconds": 12})
    urls = [f"https://files.example/d/{n}.pdf" for n in range(600)] + ["https://files.example/d/corrupt.pdf"]
    resume_file, output = tmp_path / "resumes.txt", tmp_path / "out" / "candidates.jsonl"
    resume_file.write_text("\n".join(urls))

    for dag_id in (DAG_ID, CONSUMER):
        deployment.wait_for(
            f"{dag_id} to be parsed", lambda d=dag_id: deployment.call("GET", f"/api/v2/dags/{d}").status_code == 200
        )
        assert deployment.call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False}).status_code == 200
    # As the README says: TapTalent's webhook URL points at the API server's receiver, with the key.
    sandbox.set_webhooks(url=f"{deployment.api}/taptalent/webhooks/taptalent_default", key=WEBHOOK_KEY, retry_base=0.5)
    created = deployment.call(
        "POST", f"/api/v2/dags/{DAG_ID}/dagRuns",
        json={"logical_date": None, "conf": {"resume_file": str(resume_file), "output_path": str(output)}},
    )  # fmt: skip
    assert created.status_code == 200, created.text
    run_id = created.json()["dag_run_id"]

    deployment.wait_for(
        "the sensor to defer", lambda: deployment.task_state(run_id, "wait_for_parsing").get("state") == "deferred"
    )

    def batch_polls() -> int:
        return sum(1 for r in sandbox.requests() if r["path"].startswith("/v1/partner/candidates/batch/"))

    polled_before = batch_polls()  # the sensor's own check, before it deferred
    deployment.wait_for("the triggerer to poll", lambda: batch_polls() > polled_before)
    deployment.kill("triggerer")  # mid-wait, with the trigger running in it
    time.sleep(3)
    deployment.start("triggerer", "triggerer")
    final = deployment.wait_for(
        "the run to finish",
        lambda: (
            (state := deployment.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"])
            in ("success", "failed")
            and state
        ),
        timeout=120,
    )
    assert final == "success"
    runs = deployment.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns").json()
    assert runs["total_entries"] == 1
    sensor = deployment.task_state(run_id, "wait_for_parsing")
    assert (sensor["state"], sensor["try_number"]) == ("success", 1)  # resumed, not retried
    # Each triggerer writes its own trigger log: the wait was started by the first one, again by the second.
    trigger_logs = list(deployment.home.rglob("task_id=wait_for_parsing/*.trigger.*.log"))
    assert len(trigger_logs) == 2
    assert all("starting" in log.read_text() for log in trigger_logs)

    state = sandbox.state()["companies"]["1"]
    assert len(state["jobs"]) == 1
    assert sorted(b["fileCount"] for b in state["batches"]) == [101, 500]
    assert len(output.read_text().splitlines()) == sum(b["successCount"] for b in state["batches"]) == 600

    # The batches' webhooks went through the API server's receiver: one Asset event each, and runs of the
    # event-driven example DAG, which fetched the candidates of the completed batches it was given.
    # (Airflow gives a run the events queued when it is created; one landing while that happens waits for
    # the next run, so the test does not insist that both completed batches were fetched already.)
    deliveries = sandbox.deliveries()
    assert [d["statusCode"] for d in deliveries] == [200] * 4  # started and completed, for each of two batches
    asset = deployment.call("GET", "/api/v2/assets", params={"uri_pattern": "taptalent://"}).json()["assets"][0]
    events = deployment.call("GET", "/api/v2/assets/events", params={"asset_id": asset["id"]}).json()["asset_events"]
    recorded = sorted((e["extra"]["event"].rsplit(".", 1)[1], e["extra"]["data"]["batchId"]) for e in events)
    assert recorded == sorted((kind, b["batchId"]) for b in state["batches"] for kind in ("started", "completed"))

    def consumer_output() -> int:
        return sum(len(f.read_text().splitlines()) for f in (deployment.home / "taptalent").glob("batch-*.jsonl"))

    success = {b["batchId"]: b["successCount"] for b in state["batches"]}
    deployment.wait_for("the webhook-driven DAG to fetch candidates", consumer_output, timeout=60)
    assert consumer_output() in {*success.values(), sum(success.values())}
    hook = "/taptalent/webhooks/taptalent_default"
    again = json.dumps(
        {
            "event": "resume.bulk_upload_parse.completed",
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "data": {"batchId": state["batches"][0]["batchId"]},
        }
    )
    assert deployment.call("POST", hook, content=again, headers={"X-Webhook-Key": "wrong"}).status_code == 401
    assert deployment.call("POST", hook, content=again, headers={"X-Webhook-Key": WEBHOOK_KEY}).json()["duplicate"]

    secrets = (sandbox.api_key, sandbox.api_key[8:], WEBHOOK_KEY)
    written = [p for p in deployment.home.rglob("*") if p.is_file() and p.suffix in (".log", ".out")]
    assert any(p.suffix == ".log" for p in written), "task logs were written"
    leaks = [(p.name, s[:12]) for p in written for s in secrets if s in p.read_text(errors="replace")]
    LEDGER["leaks"] += len(leaks)
    LEDGER["runs"] += 1
    assert leaks == []
