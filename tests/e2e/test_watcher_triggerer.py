"""The AssetWatcher on a real triggerer of every Airflow 3 version the matrix runs, its watermark in
``watermark_path`` (the file a deployment before Airflow 3.3 must name; on 3.3 the same file, saved once the
events are stored): Airflow's own DAG processor and triggerer as processes, on SQLite, against the sandbox.

Airflow 3.3's default (the asset state store) on real processes: tests/deployment (the ``make airflow`` UI) and
tests/distributed (the triggerer killed on CeleryExecutor and PostgreSQL)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from tests.conftest import REPO
from tests.processes import AIRFLOW, Processes

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.watcher,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="AssetWatchers are Airflow 3's"),
]
DAG_ID, URI, POLL = "taptalent_on_job_changed", "taptalent://taptalent_default/job_updated", 5


@pytest.fixture
def triggerer_home(tmp_path: Path, sandbox: Any) -> Iterator[tuple[Processes, dict[str, str], Path]]:
    """A fresh AIRFLOW_HOME (SQLite) with only the watcher example, its DAG processor and triggerer started."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / f"{DAG_ID}.py").symlink_to(REPO / "example_dags" / f"{DAG_ID}.py")
    env = {
        **os.environ,
        **sandbox.airflow_env(),
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path / "dags"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # a paused DAG's asset has no watcher running
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "TAPTALENT_WATCH_SECONDS": str(POLL),
        "TAPTALENT_WATERMARK_PATH": str(tmp_path / "watermark.json"),
    }
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
    processes = Processes(tmp_path)
    processes.start_process("dag-processor", [AIRFLOW, "dag-processor"], env=env)
    processes.start_process("triggerer", [AIRFLOW, "triggerer"], env=env)
    try:
        yield processes, env, tmp_path
    finally:
        processes.stop()


def test_a_triggerer_killed_between_changes_loses_and_repeats_nothing_with_watermark_path(
    triggerer_home: tuple[Processes, dict[str, str], Path], sandbox: Any
):
    """Issue 23 on a real triggerer: a change is one event; 10 in a burst are 10; the triggerer SIGKILLed once
    the watermark file covers them, a change made while it is down, started again: that change is reported,
    and every change exactly once."""
    from airflow_provider_taptalent.client import TapTalentClient, settings_from_connection

    processes, env, home = triggerer_home
    client = TapTalentClient(
        settings_from_connection("sandbox", password=sandbox.api_key, host=sandbox.url, port=None, extra={})
    )
    job = {"title": "Watched", "city": "Berlin", "state": "Berlin", "country": "Germany", "workMode": "HYBRID"}
    jobs = [client.create_job({**job, "title": f"Watched {n}"}).id for n in range(13)]
    probe, first, burst, last = jobs[0], jobs[1], jobs[2:12], jobs[12]

    def reported() -> list[Any]:
        with sqlite3.connect(home / "airflow.db") as db:
            rows = db.execute(
                "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = ? ORDER BY e.id",
                (URI,),
            ).fetchall()
        extras = [json.loads(extra) for (extra,) in rows]
        return [x["payload"]["id"] for x in extras if x.get("from_trigger")]

    def watermark_at() -> float:
        path = home / "watermark.json"
        return float(json.loads(path.read_text()).get("at") or 0) if path.exists() else 0.0

    # The watcher reports what changes after its first poll: a probe job is changed until it is reported.
    started = time.monotonic()
    while probe not in reported():
        if time.monotonic() - started > 180:
            processes.wait_for("the watcher to report the probe job", lambda: False, 0)  # fails, with the logs
        client.update_job(probe, {"description": f"probe {time.time()}"})
        time.sleep(POLL)
    client.update_job(first, {"status": "ACTIVE"})
    processes.wait_for("the first change's event", lambda: first in reported(), 60)
    for job_id in burst:
        client.update_job(job_id, {"status": "ACTIVE"})
    processes.wait_for("the burst's events", lambda: set(burst) <= set(reported()), 60)
    newest = max(client.get_job(job_id).updated_at.timestamp() for job_id in burst)
    processes.wait_for("the watermark file to cover the burst", lambda: watermark_at() >= newest, 60)
    processes.kill("triggerer")
    client.update_job(last, {"status": "ACTIVE"})  # changed while no triggerer runs
    processes.start_process("triggerer", [AIRFLOW, "triggerer"], env=env)
    processes.wait_for("the change made while the triggerer was down", lambda: last in reported(), 120)
    time.sleep(2 * POLL)  # a repeat would come within a poll or two
    counts = Counter(job_id for job_id in reported() if job_id != probe)
    assert counts == Counter([first, *burst, last]), counts  # each once: none lost, none twice
    saved = json.loads((home / "watermark.json").read_text())
    assert saved["at"] >= client.get_job(last).updated_at.timestamp()
    assert sandbox.api_key not in (home / "watermark.json").read_text()
    client.close()
    print(f"Airflow triggerer, Python {sys.version_info[0]}.{sys.version_info[1]}:", dict(counts),
          datetime.fromtimestamp(saved["at"], timezone.utc).isoformat())  # fmt: skip
