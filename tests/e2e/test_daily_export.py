"""The daily export example, end to end: two consecutive days into files and a SQLite warehouse, and a re-run."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_taptalent.client.models._base import parse_timestamp
from airflow_provider_taptalent.sandbox.history import History
from airflow_provider_taptalent.sandbox.testing import run_sandbox
from tests.e2e.helpers import load_dag, task_states

pytestmark = [pytest.mark.e2e]
TODAY = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def world(airflow_db, monkeypatch, tmp_path):
    """A sandbox with three days of history, a lake folder and a warehouse connection."""
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.db"
    monkeypatch.setenv("TAPTALENT_LAKE", lake.as_uri())
    monkeypatch.setenv("AIRFLOW_CONN_TAPTALENT_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(warehouse)}))
    with run_sandbox(history=History(days=3, jobs_per_day=6, candidates_per_day=40)) as server:
        for name, value in server.airflow_env().items():
            monkeypatch.setenv(name, value)
        yield server, lake, warehouse


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def table(warehouse, name):
    with sqlite3.connect(warehouse) as db:
        return db.execute(f"SELECT * FROM {name} ORDER BY id").fetchall()  # noqa: S608 (our table names)


def test_two_days_land_disjoint_and_complete_and_a_re_run_changes_nothing(world):
    sandbox, lake, warehouse = world
    dag = load_dag("taptalent_daily_export")
    state = sandbox.state(candidates=True)["companies"]["1"]
    records = {"jobs": state["jobs"], "candidates": state["candidateRecords"]}
    exported: dict[str, set] = {"jobs": set(), "candidates": set()}
    for back in (1, 0):  # the day before yesterday, then yesterday
        run = dag.test(logical_date=TODAY - timedelta(days=back))
        assert set(task_states(run).values()) == {"success"}, task_states(run)
        since, before = run.data_interval_start, run.data_interval_end
        assert before - since == timedelta(days=1)
        for resource in exported:
            day = rows(lake / resource / f"{since.date().isoformat()}.jsonl")
            ids = {r["id"] for r in day}
            wanted = {r["id"] for r in records[resource] if since <= parse_timestamp(r["updatedAt"]) < before}
            assert ids == wanted and len(ids) == len(day) and wanted  # complete, each once
            assert not ids & exported[resource]  # disjoint from the other day
            exported[resource] |= ids
    assert {int(r[0]) for r in table(warehouse, "taptalent_jobs")} == exported["jobs"]
    candidates = table(warehouse, "taptalent_candidates")
    assert {int(r[0]) for r in candidates} == exported["candidates"]
    with sqlite3.connect(warehouse) as db:
        scored = db.execute(
            "SELECT COUNT(*) FROM taptalent_candidates WHERE profile_match_score IS NOT NULL"
        ).fetchone()[0]
    assert scored > 0  # the match scores came along

    before_rerun = {name: table(warehouse, name) for name in ("taptalent_jobs", "taptalent_candidates")}
    files = {p: p.read_bytes() for p in lake.rglob("*.jsonl")}
    rerun = dag.test(logical_date=TODAY - timedelta(days=1))
    assert set(task_states(rerun).values()) == {"success"}
    assert {name: table(warehouse, name) for name in before_rerun} == before_rerun
    assert {p: p.read_bytes() for p in lake.rglob("*.jsonl")} == files


def test_each_export_is_an_asset_downstream_dags_can_schedule_on(world):
    _, lake, _ = world
    dag = load_dag("taptalent_daily_export")
    outlets = {t.task_id: [getattr(o, "uri", None) for o in t.outlets] for t in dag.tasks if t.outlets}
    assert outlets == {
        "export_jobs": [f"{lake.as_uri()}/jobs"],
        "export_candidates": [f"{lake.as_uri()}/candidates"],
    }
