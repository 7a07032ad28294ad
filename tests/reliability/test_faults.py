"""Real DAGs under 5xx, 429, dropped connections and latency, and after crashes: nothing lost or duplicated.

Every invariant is read from the sandbox's own state, not from what the provider reports.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.e2e.helpers import run_dag, task_states
from tests.reliability.conftest import LEDGER, SIZES, record_run

pytestmark = [pytest.mark.e2e, pytest.mark.reliability]


def source_jobs(count: int) -> list[dict]:
    return [
        {
            "external_id": f"ATS-{n:04d}",
            "updated_at": "2026-11-01T00:00:00Z",
            "title": f"Reliability role {n:04d}",
            "city": "Berlin",
            "state": "Berlin",
            "country": "Germany",
        }
        for n in range(count)
    ]


def resume_urls(count: int) -> list[str]:
    return [f"https://files.example/r/{'corrupt-' if n % 50 == 0 else ''}{n:06d}.pdf" for n in range(count)]


def check_sync(sandbox, records, state_path) -> None:
    jobs = sandbox.state()["companies"]["1"]["jobs"]
    titles = Counter(job["title"] for job in jobs)
    duplicates = sum(n - 1 for n in titles.values())
    lost = len({r["title"] for r in records} - set(titles))
    LEDGER["duplicates"] += duplicates
    LEDGER["lost"] += lost
    assert (duplicates, lost) == (0, 0)
    assert len(jobs) == len(records)
    state = json.loads(state_path.read_text())["jobs"]
    by_id = {job["id"]: job for job in jobs}
    assert set(state) == {r["external_id"] for r in records}
    for external_id, entry in state.items():
        assert "pending" not in entry, external_id
        assert by_id[entry["job_id"]]["title"] == f"Reliability role {external_id[4:]}"


def check_resumes(sandbox, urls, output) -> None:
    batches = sandbox.state(urls=True)["companies"]["1"]["batches"]
    accepted = Counter(url for batch in batches for url in batch["urls"])
    duplicates = sum(n - 1 for n in accepted.values())
    lost = len(set(urls) - set(accepted))
    written = len(output.read_text().splitlines())
    parsed = sum(batch["successCount"] for batch in batches)
    LEDGER["duplicates"] += duplicates
    LEDGER["lost"] += lost + abs(parsed - written)
    assert (duplicates, lost) == (0, 0), "every URL in exactly one accepted batch"
    assert written == parsed == len(urls) - len([u for u in urls if "corrupt" in u])


def test_sync_under_faults(airflow_db, chaos, tmp_path):
    records = source_jobs(SIZES["jobs"])
    export, state = tmp_path / "jobs.json", tmp_path / "state.json"
    export.write_text(json.dumps(records))
    run = run_dag("taptalent_reliability_sync", {"jobs": str(export), "state_path": str(state)})
    record_run(run)
    assert task_states(run) == {"sync_jobs": "success"}
    check_sync(chaos, records, state)


def test_resume_pipeline_under_faults(airflow_db, chaos, tmp_path):
    urls = resume_urls(SIZES["urls"])
    source, output = tmp_path / "resumes.txt", tmp_path / "candidates.jsonl"
    source.write_text("\n".join(urls))
    run = run_dag("taptalent_reliability_resumes", {"resume_file": str(source), "output_path": str(output)})
    record_run(run)
    assert set(task_states(run).values()) == {"success"}
    check_resumes(chaos, urls, output)


def crash_once(monkeypatch, method: str, after_calls: int) -> list[int]:
    """The worker dies right after the n-th call of ``method`` took effect (once); Airflow retries the task."""
    real = getattr(TapTalentHook, method)
    calls = []

    def dying(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == after_calls:
            raise RuntimeError("worker killed (injected)")
        return result

    monkeypatch.setattr(TapTalentHook, method, dying)
    return calls


def test_a_sync_killed_between_two_creates_is_completed_by_its_retry(airflow_db, chaos, tmp_path, monkeypatch):
    records = source_jobs(max(SIZES["jobs"] // 3, 10))
    export, state = tmp_path / "jobs.json", tmp_path / "state.json"
    export.write_text(json.dumps(records))
    crash_once(monkeypatch, "create_job", after_calls=len(records) // 2)
    run = run_dag("taptalent_reliability_sync", {"jobs": str(export), "state_path": str(state)})
    record_run(run)
    assert task_states(run) == {"sync_jobs": "success"}
    assert next(ti for ti in run.get_task_instances()).try_number >= 2
    check_sync(chaos, records, state)


def test_an_upload_killed_between_two_batches_is_completed_by_its_retry(airflow_db, chaos, tmp_path, monkeypatch):
    urls = resume_urls(max(SIZES["urls"] // 2, 1500))
    source, output = tmp_path / "resumes.txt", tmp_path / "candidates.jsonl"
    source.write_text("\n".join(urls))
    crash_once(monkeypatch, "bulk_upload_resumes", after_calls=2)
    run = run_dag("taptalent_reliability_resumes", {"resume_file": str(source), "output_path": str(output)})
    record_run(run)
    assert set(task_states(run).values()) == {"success"}
    upload = next(ti for ti in run.get_task_instances() if ti.task_id == "upload_resumes")
    assert upload.try_number >= 2
    check_resumes(chaos, urls, output)


def test_a_new_sync_run_after_a_crash_duplicates_nothing(airflow_db, chaos, tmp_path, monkeypatch):
    """Not a retry but the next day's run: the state written ahead of each create is enough."""
    records = source_jobs(12)
    export, state = tmp_path / "jobs.json", tmp_path / "state.json"
    export.write_text(json.dumps(records))
    calls = crash_once(monkeypatch, "create_job", after_calls=5)
    from types import SimpleNamespace

    from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator

    ti = SimpleNamespace(dag_id="d", task_id="sync", run_id="day-1", map_index=-1, xcom_push=lambda **kw: None)
    with pytest.raises(RuntimeError, match="worker killed"):
        TapTalentSyncJobsOperator(task_id="sync", jobs=str(export), state_path=str(state), max_concurrency=1).execute(
            {"ti": ti}
        )
    assert len(calls) == 5
    run = run_dag("taptalent_reliability_sync", {"jobs": str(export), "state_path": str(state)})
    record_run(run)
    assert task_states(run) == {"sync_jobs": "success"}
    check_sync(chaos, records, state)
