"""The AssetWatcher on a real triggerer (Airflow 3.3, and the legs the Makefile's WATCHER_LEGS names), its
watermark in ``watermark_path`` (the file a deployment before Airflow 3.3 must name; on 3.3 the same file, saved
once the events are stored): Airflow's own DAG processor and triggerer as processes, on SQLite, with the sandbox.

Airflow 3.3's default (the asset state store) on real processes: tests/deployment (the ``make airflow`` UI) and
tests/distributed (the triggerer killed on CeleryExecutor and PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from tests.conftest import REPO
from tests.processes import AIRFLOW, Processes
from tests.watching import changes_across_a_triggerer_kill

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.watcher,
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="AssetWatchers are Airflow 3's"),
]
DAG_ID, URI, POLL = "taptalent_on_job_changed", "taptalent://taptalent_default/job_updated", 5


class Deployment:
    """A fresh AIRFLOW_HOME (SQLite) with only the watcher example; its DAG processor and triggerer, started
    by :meth:`start` with the environment ``env`` (5 s polls, ``watermark_path``)."""

    def __init__(self, home: Path) -> None:
        from airflow_provider_taptalent.sandbox.cli import free_port

        self.home, self.processes = home, Processes(home)
        (home / "dags").mkdir()
        (home / "dags" / f"{DAG_ID}.py").symlink_to(REPO / "example_dags" / f"{DAG_ID}.py")
        self.env = {
            **os.environ,  # no taptalent_default here: start() puts it in the metadata DB
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # a paused DAG's asset has no watcher running
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),  # other tests' triggerers run beside
            # a killed triggerer's watchers go to the next one once it is this late (s; 30 by default)
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "15",
            "TAPTALENT_WATCH_SECONDS": str(POLL),
            "TAPTALENT_WATERMARK_PATH": str(home / "watermark.json"),
        }

    def start(self, connection: dict[str, Any]) -> None:
        """Migrate the DB, add ``taptalent_default`` to it, start the DAG processor and the triggerer."""
        subprocess.run([AIRFLOW, "db", "migrate"], env=self.env, check=True, capture_output=True)
        self.connection(connection, replace=False)
        self.processes.start_process("dag-processor", [AIRFLOW, "dag-processor"], env=self.env)
        self.start_triggerer()

    def connection(self, fields: dict[str, Any], *, replace: bool = True) -> None:
        """``taptalent_default`` in the metadata DB, replaced with ``fields`` (the CLI, as an operator would)."""
        add = ["add", "taptalent_default", "--conn-json", json.dumps(fields)]
        for command in [["delete", "taptalent_default"], add] if replace else [add]:
            done = subprocess.run([AIRFLOW, "connections", *command], env=self.env, capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr

    def start_triggerer(self) -> None:
        self.processes.start_process("triggerer", [AIRFLOW, "triggerer"], env=self.env)

    def reported(self) -> list[Any]:
        """The job ids of the watcher's asset events, in the order they were stored."""
        with sqlite3.connect(self.home / "airflow.db") as db:
            rows = db.execute(
                "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = ? ORDER BY e.id",
                (URI,),
            ).fetchall()
        extras = [json.loads(extra) for (extra,) in rows]
        return [x["payload"]["id"] for x in extras if x.get("from_trigger")]

    def saved_watermark(self) -> Any:
        path = self.home / "watermark.json"
        return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    made = Deployment(tmp_path)
    try:
        yield made
    finally:
        made.processes.stop()


def test_a_watcher_on_a_real_triggerer_is_loud_on_a_refused_key_and_loses_and_repeats_nothing(
    deployment: Deployment, sandbox: Any
):
    """Issue 23 on a real triggerer. The connection, in the metadata DB, holds a key TapTalent refuses: an ERROR
    line and the taptalent.watcher.error metric (StatsD, as the triggerer sends it), and no try before twice
    the poll interval (a trigger that failed would be started again within a second: the key sent every
    second); mended with the CLI, the watcher goes on by itself. Then a change is one event; 10 in a burst
    are 10; the triggerer SIGKILLed once the watermark file covers them, a change made while it is down,
    started again: that change is reported, and every change exactly once."""
    from airflow_provider_taptalent.client import TapTalentClient, settings_from_connection

    processes, reported = deployment.processes, deployment.reported
    client = TapTalentClient(
        settings_from_connection("sandbox", password=sandbox.api_key, host=sandbox.url, port=None, extra={})
    )
    job = {"title": "Watched", "city": "Berlin", "state": "Berlin", "country": "Germany", "workMode": "HYBRID"}
    # made before the watcher can first read the listing (it reports what changes after that, creations too)
    jobs = [client.create_job({**job, "title": f"Watched {n}"}).id for n in range(13)]
    statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    statsd.bind(("127.0.0.1", 0))
    statsd.setblocking(False)
    connection = json.loads(sandbox.airflow_env()["AIRFLOW_CONN_TAPTALENT_DEFAULT"])
    refused = "sk_test_" + "Refused" * 3 + "0"
    deployment.env.update(
        {
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(statsd.getsockname()[1]),
        }
    )
    deployment.start(connection={**connection, "password": refused})
    metrics: list[str] = []

    def counted() -> bool:
        with contextlib.suppress(BlockingIOError):
            while True:  # every datagram waiting (the DAG processor sends its own)
                metrics.extend(statsd.recv(65536).decode().splitlines())
        return any("taptalent.watcher.error" in m for m in metrics)

    processes.wait_for("the taptalent.watcher.error metric", counted, 120)
    said = re.compile(r"\[error +\] TapTalent watcher job_updated \(taptalent_default\): the key was refused")

    def logged() -> str:
        """The triggerer's log once it holds the ERROR line (the trigger's lines can reach it after the metric)."""
        log = (deployment.home / "triggerer.out").read_text()
        return log if said.search(log) else ""

    assert refused not in processes.wait_for("the ERROR line", logged, 30)
    deployment.connection(connection)  # mended, as in the UI

    def listing_reads() -> list[float]:
        requests = sandbox.control.get("/requests").json()["requests"]
        return [r["at"] for r in requests if r["method"] == "GET" and r["path"].endswith("/jobs")]

    first_try = listing_reads()[0]
    time.sleep(max(0.0, first_try + 2 * POLL - 0.5 - time.time()))
    tries = [at - first_try for at in listing_reads()]
    assert [at for at in tries if at < 2 * POLL - 0.5] == [0], tries  # a restarted trigger: one a second
    counts, changed = changes_across_a_triggerer_kill(
        client,
        jobs,
        poll=POLL,
        reported=reported,
        saved_watermark=deployment.saved_watermark,
        wait_for=processes.wait_for,
        kill=lambda: processes.kill("triggerer"),
        restart=deployment.start_triggerer,
    )
    assert counts == Counter(changed), counts  # each once: none lost, none twice
    last_at = client.get_job(changed[-1]).updated_at.timestamp()
    processes.wait_for(
        "the watermark file to cover the last change", lambda: deployment.saved_watermark()["at"] >= last_at, 30
    )
    saved = (deployment.home / "watermark.json").read_text()
    assert sandbox.api_key not in saved and refused not in saved
    client.close()
