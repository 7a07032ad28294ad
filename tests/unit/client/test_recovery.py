"""Create recovery: an interrupted create is found, never confused with another job.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import httpx

from airflow_provider_taptalent.client import transport as _http
from airflow_provider_taptalent.client.retry import RetryPolicy
from airflow_provider_taptalent.exceptions import (
    TapTalentServerError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.operators.taptalent import TapTalentCreateJobOperator
from tests.unit.syncing import run_sync, source_records

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


# -- create recovery ------------------------------------------------------------------------------------


def _job(job_id: int, created: float, **fields: object) -> dict:
    return {"id": job_id, **JOB, **fields, "createdAt": int(created), "updatedAt": int(created)}


def test_item2_recovery_never_adopts_a_job_that_existed_before_the_create(api):
    """Before: after a 503, a job with the same fields made 4 minutes earlier was returned as the new one."""
    older = _job(10001, time.time() - 240)
    api.get("/jobs").respond(json={"jobs": [older], "totalJobs": 1})
    created = _job(10002, time.time())
    post = api.post("/jobs").mock(
        side_effect=[httpx.Response(503, json={"error": {"code": "INTERNAL_ERROR"}}), httpx.Response(200, json=created)]
    )
    job = TapTalentHook().create_job(JOB, idempotency_key="k1")
    assert job.id == 10002
    assert post.call_count == 2


def test_item2_recovery_skips_the_jobs_the_caller_knows(api):
    known = _job(10001, time.time())  # created a moment ago, by another record of the same sync
    api.get("/jobs").respond(json={"jobs": [known], "totalJobs": 1})
    post = api.post("/jobs").mock(
        side_effect=[httpx.Response(503, json={"error": {}}), httpx.Response(200, json=_job(10002, time.time()))]
    )
    job = TapTalentHook().create_job(JOB, idempotency_key="k2", known_job_ids=[10001])
    assert job.id == 10002 and post.call_count == 2


def test_item2_recovery_still_finds_the_job_its_own_attempt_made(api):
    mine = _job(10003, time.time())
    api.get("/jobs").respond(json={"jobs": [mine], "totalJobs": 1})
    post = api.post("/jobs").mock(side_effect=[httpx.Response(502, json={"error": {}})])
    assert TapTalentHook().create_job(JOB, idempotency_key="k3", known_job_ids=[10001]).id == 10003
    assert post.call_count == 1


def test_item2_create_job_operator_without_skip_does_not_return_a_pre_existing_job(api):
    api.get("/jobs").respond(json={"jobs": [_job(10001, time.time() - 120)], "totalJobs": 1})
    api.post("/jobs").mock(
        side_effect=[httpx.Response(503, json={"error": {}}), httpx.Response(200, json=_job(10002, time.time()))]
    )
    ti = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1, xcom_push=lambda key, value: None)
    assert TapTalentCreateJobOperator(task_id="t", job=JOB, skip_if_exists=False).execute({"ti": ti}) == 10002


def test_item2_two_identical_records_get_two_jobs_when_a_create_fails_ambiguously(
    sandbox_conn, sandbox, tmp_path, monkeypatch
):
    """Before: REQ-2's create hit a 503 before commit; recovery took REQ-1's job: {'REQ-1': 10001, 'REQ-2': 10001}."""
    real_exchange = _http.SyncTransport.exchange
    posts = []

    def exchange(self, step):
        if step.call.method == "POST" and step.call.path == "/jobs":
            posts.append(step.call.idempotency_key)
            if len(posts) == 2:  # REQ-2's first attempt: a 503 before TapTalent did anything
                raise TapTalentServerError("injected 503", status_code=503)
        return real_exchange(self, step)

    monkeypatch.setattr(_http.SyncTransport, "exchange", exchange)
    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(lambda seconds: None))
    state = tmp_path / "state.json"
    counts = run_sync(source_records("REQ-1", "REQ-2"), state, adopt_existing=False)
    assert counts["created"] == 2
    mapped = {k: v["job_id"] for k, v in json.loads(state.read_text())["jobs"].items()}
    assert len(set(mapped.values())) == 2, mapped
    assert len(sandbox.state()["companies"]["1"]["jobs"]) == 2
