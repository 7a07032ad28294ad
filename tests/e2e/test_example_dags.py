"""The example DAGs, run as a new user runs them (dag.test against the sandbox)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.e2e.helpers import run_dag, task_states

pytestmark = [pytest.mark.e2e]
EXAMPLES = REPO / "example_dags"


def test_the_ats_sync_example_creates_every_job_once(airflow_db, sandbox_conn, sandbox, tmp_path):
    state = tmp_path / "state.json"
    first = run_dag("taptalent_ats_job_sync", {"state_path": str(state)})
    assert task_states(first) == {"sync_jobs": "success"}
    jobs = sandbox.state()["companies"]["1"]["jobs"]
    exported = json.loads((EXAMPLES / "data" / "ats_jobs.json").read_text())["jobs"]
    assert sorted(j["title"] for j in jobs) == sorted(j["title"] for j in exported)
    posts = [r for r in sandbox.requests() if r["method"] != "GET"]

    second = run_dag("taptalent_ats_job_sync", {"state_path": str(state)})
    assert task_states(second) == {"sync_jobs": "success"}
    assert len(sandbox.state()["companies"]["1"]["jobs"]) == len(exported)
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == posts  # the second run wrote nothing


def test_the_resume_pipeline_example_writes_every_parsed_candidate(airflow_db, sandbox_conn, sandbox, tmp_path):
    output = tmp_path / "candidates.jsonl"
    run = run_dag("taptalent_resume_pipeline", {"output_path": str(output)})
    assert set(task_states(run).values()) == {"success"}
    batches = sandbox.state()["companies"]["1"]["batches"]
    assert len(batches) == 3  # 300 URLs in batches of 100
    assert sum(b["failedCount"] for b in batches) == 12
    assert len(output.read_text().splitlines()) == sum(b["successCount"] for b in batches) == 288


def test_the_api_health_example_passes_and_fails_with_what_to_do(airflow_db, sandbox_conn, sandbox):
    healthy = run_dag("taptalent_api_health", {})
    assert task_states(healthy) == {"check_keys": "success"}
    sandbox.control.post("/keys", json={"key": sandbox.api_key, "companyId": 1, "active": False})
    inactive = run_dag("taptalent_api_health", {})
    assert task_states(inactive) == {"check_keys": "failed"}
