"""Two syncs on one state, and state writes proportional to changes.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import json
import threading

import pytest

from airflow_provider_taptalent.client import transport as _http
from airflow_provider_taptalent.client.retry import RetryPolicy
from airflow_provider_taptalent.exceptions import TapTalentServerError
from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator
from tests.unit.syncing import run_sync, source_records

# -- two syncs on one state file --------------------------------------------------------------------------


def test_item3_two_concurrent_syncs_on_one_state_create_each_job_once(sandbox_conn, sandbox, tmp_path):
    """Before: both runs crashed on the shared ``.tmp`` name and left duplicate jobs."""
    state = tmp_path / "shared" / "state.json"
    records = source_records(*(f"ATS-{n}" for n in range(20)))
    for n, r in enumerate(records):
        r["title"] = f"Engineer {n}"
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def one_run() -> None:
        try:
            barrier.wait()
            run_sync(records, state, in_thread=True)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    titles = [job["title"] for job in sandbox.state()["companies"]["1"]["jobs"]]
    assert sorted(titles) == sorted(r["title"] for r in records)  # each once
    assert not list(state.parent.glob("*.tmp"))


def test_item3_the_sync_operator_runs_one_instance_at_a_time_by_default():
    operator = TapTalentSyncJobsOperator(task_id="s", jobs=[], state_path="/tmp/s.json")
    assert operator.max_active_tis_per_dag == 1
    assert (
        TapTalentSyncJobsOperator(
            task_id="t", jobs=[], state_path="/x", max_active_tis_per_dag=3
        ).max_active_tis_per_dag
        == 3
    )


def test_item3_a_state_on_object_storage_changed_by_another_run_stops_the_sync(tmp_path):
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.utils.sync_state import SyncState

    try:
        path = ObjectStoragePath("memory://taptalent-test/state.json")
        path.write_text(json.dumps({"version": 1, "jobs": {}}))
    except ValueError:
        pytest.skip("this Airflow's object storage has no memory:// filesystem")
    state = SyncState.load(path)
    path.write_text(json.dumps({"version": 1, "jobs": {"X": {"job_id": 1}}}))  # another run saved meanwhile
    state.jobs["Y"] = {"job_id": 2}
    with pytest.raises(Exception, match="changed by another run"):
        state.save()
    assert "Y" not in path.read_text()


# -- item 5: state writes proportional to changes ---------------------------------------------------------


def test_item5_state_writes_grow_with_chunks_not_records(sandbox_conn, sandbox, tmp_path, monkeypatch):
    from airflow_provider_taptalent.utils import job_sync as sync_module

    saves = []
    real_save = sync_module.SyncState.save
    monkeypatch.setattr(sync_module.SyncState, "save", lambda self: (saves.append(1), real_save(self))[1])
    records = source_records(*(f"ATS-{n}" for n in range(120)))
    for n, r in enumerate(records):
        r["title"] = f"Engineer {n}"
    state = tmp_path / "state.json"
    assert run_sync(records, state)["created"] == 120
    assert len(saves) <= 2 * (-(-120 // sync_module.CHUNK))  # before: 240 (two full rewrites per create)
    saves.clear()
    assert run_sync(records, state)["unchanged"] == 120
    assert saves == []  # a run that changes nothing writes nothing


def test_item5_a_parallel_sync_creates_identical_jobs_one_at_a_time_and_each_once(
    sandbox_conn, sandbox, tmp_path, monkeypatch
):
    """max_concurrency sends a chunk's writes at once; two identical jobs still never race (item 2 under load)."""
    real_exchange = _http.SyncTransport.exchange
    failed_once: set[str] = set()

    def exchange(self, step):
        key = step.call.idempotency_key
        if step.call.method == "POST" and key and key not in failed_once and len(failed_once) < 4:
            failed_once.add(key)  # every create's first attempt: a 503 before TapTalent did anything
            raise TapTalentServerError("injected 503", status_code=503)
        return real_exchange(self, step)

    monkeypatch.setattr(_http.SyncTransport, "exchange", exchange)
    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(lambda seconds: None))
    records = source_records(*(f"SAME-{n}" for n in range(4))) + [
        {**r, "title": f"Other {n}"} for n, r in enumerate(source_records(*(f"OTHER-{n}" for n in range(8))))
    ]
    counts = run_sync(records, tmp_path / "state.json", max_concurrency=8, adopt_existing=False)
    assert counts["created"] == 12
    mapped = [v["job_id"] for v in json.loads((tmp_path / "state.json").read_text())["jobs"].values()]
    assert len(set(mapped)) == 12
    assert len(sandbox.state()["companies"]["1"]["jobs"]) == 12
