"""TapTalentSyncJobsOperator against the sandbox: create, update, conflicts, drift, crashes, lost state."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pytest

from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator
from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed


class Crash(BaseException):
    """The process dies (a BaseException: nothing in the sync may swallow it)."""


def record(n, **changes):
    return {
        "external_id": f"ATS-{n}",
        "updated_at": "2026-01-01T00:00:00Z",
        "title": f"Engineer number {n}",
        "city": "Berlin",
        "state": "Berlin",
        "country": "Germany",
        **changes,
    }


def run(records, state_path, **kwargs):
    pushed = {}
    ti = SimpleNamespace(
        dag_id="d", task_id="sync", run_id="r", map_index=-1, xcom_push=lambda key, value: pushed.update({key: value})
    )
    counts = TapTalentSyncJobsOperator(task_id="sync", jobs=records, state_path=str(state_path), **kwargs).execute(
        {"ti": ti}
    )
    return counts, pushed.get("report")


def remote_jobs(sandbox):
    return sandbox.state()["companies"]["1"]["jobs"]


def patch_in_taptalent(sandbox, job_id, **fields):
    """A change made in TapTalent itself (the dashboard, another integration)."""
    response = httpx.patch(
        f"{sandbox.api_url}/jobs/{job_id}", json=fields, headers={"Authorization": f"Bearer {sandbox.api_key}"}
    )
    response.raise_for_status()


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state" / "taptalent-jobs.json"


def test_first_run_creates_and_the_second_changes_nothing(sandbox_conn, sandbox, state):
    records = [record(n) for n in range(5)]
    counts, _ = run(records, state)
    assert counts == {
        "created": 5,
        "adopted": 0,
        "updated": 0,
        "unchanged": 0,
        "conflicts": 0,
        "failed": 0,
        "drifted": 0,
    }
    requests_after_first = len(sandbox.requests())
    counts, _ = run(records, state)
    assert counts == {
        "created": 0,
        "adopted": 0,
        "updated": 0,
        "unchanged": 5,
        "conflicts": 0,
        "failed": 0,
        "drifted": 0,
    }
    assert len(remote_jobs(sandbox)) == 5
    assert {r["method"] for r in sandbox.requests()[requests_after_first:]} == {"GET"}
    saved = json.loads(state.read_text())
    assert saved["version"] == 1
    assert set(saved["jobs"]) == {f"ATS-{n}" for n in range(5)}
    assert all(isinstance(e["job_id"], int) and e["content_hash"] for e in saved["jobs"].values())
    assert not state.with_suffix(".json.tmp").exists()


def test_changed_records_are_updated(sandbox_conn, sandbox, state):
    run([record(1), record(2)], state)
    sandbox.pass_time(1)  # TapTalent's job times have whole-second resolution
    counts, _ = run([record(1, title="Staff Engineer", updated_at="2026-06-01T00:00:00Z"), record(2)], state)
    assert (counts["updated"], counts["unchanged"]) == (1, 1)
    assert sorted(j["title"] for j in remote_jobs(sandbox)) == ["Engineer number 2", "Staff Engineer"]


def test_a_record_older_than_a_change_in_taptalent_is_a_conflict_and_not_pushed(sandbox_conn, sandbox, state):
    run([record(1, updated_at="2026-01-01T00:00:00Z")], state)
    job_id = json.loads(state.read_text())["jobs"]["ATS-1"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, title="Edited in TapTalent")
    counts, report = run([record(1, title="Edited in the ATS", updated_at="2026-01-02T00:00:00Z")], state)
    assert (counts["conflicts"], counts["drifted"], counts["updated"]) == (1, 1, 0)
    assert report["conflicts"][0]["external_id"] == "ATS-1"
    assert remote_jobs(sandbox)[0]["title"] == "Edited in TapTalent"


def test_a_record_newer_than_the_change_in_taptalent_wins(sandbox_conn, sandbox, state):
    run([record(1)], state)
    job_id = json.loads(state.read_text())["jobs"]["ATS-1"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, title="Edited in TapTalent")
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    counts, _ = run([record(1, title="Edited later in the ATS", updated_at=later)], state)
    assert (counts["updated"], counts["drifted"], counts["conflicts"]) == (1, 1, 0)
    assert remote_jobs(sandbox)[0]["title"] == "Edited later in the ATS"


def test_drift_is_reported_when_only_taptalent_changed(sandbox_conn, sandbox, state):
    run([record(1), record(2)], state)
    job_id = json.loads(state.read_text())["jobs"]["ATS-2"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, status="ACTIVE")
    counts, report = run([record(1), record(2)], state)
    assert (counts["unchanged"], counts["drifted"]) == (2, 1)
    assert report["drifted"] == ["ATS-2"]


def test_invalid_records_are_reported_and_do_not_stop_the_others(sandbox_conn, sandbox, state):
    records = [
        record(1),
        record(2, title="ab"),
        {"title": "No id at all", "updated_at": "2026-01-01"},
        record(3, updated_at=None),
        record(4),
    ]
    counts, report = run(records, state)
    assert (counts["created"], counts["failed"]) == (2, 3)
    failed = {f["external_id"]: f["details"] for f in report["failed"]}
    assert failed == {
        "ATS-2": {"title": "String should have at least 3 characters"},
        "(record 2)": {"external_id": "required"},
        "ATS-3": {"updated_at": "required: the time the record last changed"},
    }


def test_duplicate_external_ids_keep_the_newest_record(sandbox_conn, sandbox, state):
    records = [
        record(1, title="Old title", updated_at="2026-01-01"),
        record(1, title="New title", updated_at="2026-02-01"),
    ]
    counts, report = run(records, state)
    assert (counts["created"], counts["failed"]) == (1, 1)
    assert remote_jobs(sandbox)[0]["title"] == "New title"
    assert "duplicate external id" in report["failed"][0]["error"]


@pytest.mark.parametrize("crash_after_sending", [True, False])
def test_a_crash_around_a_create_never_leads_to_a_duplicate(
    sandbox_conn, sandbox, state, monkeypatch, crash_after_sending
):
    records = [record(n) for n in range(4)]
    real_create = TapTalentHook.create_job
    calls = []

    def dying_create(self, job, *, idempotency_key=None, **kwargs):
        calls.append(idempotency_key)
        if len(calls) == 3:
            if crash_after_sending:
                real_create(self, job, idempotency_key=idempotency_key, **kwargs)
            raise Crash
        return real_create(self, job, idempotency_key=idempotency_key, **kwargs)

    monkeypatch.setattr(TapTalentHook, "create_job", dying_create)
    with pytest.raises(Crash):
        run(records, state)
    monkeypatch.setattr(TapTalentHook, "create_job", real_create)
    counts, _ = run(records, state)
    # The crash came before the chunk's results were written: this run records all four, creating only
    # what the first run had not (the write-ahead pending entries are found or re-sent with their keys).
    assert counts["created"] == 4
    titles = [j["title"] for j in remote_jobs(sandbox)]
    assert sorted(titles) == sorted(r["title"] for r in records)
    assert len(json.loads(state.read_text())["jobs"]) == 4
    counts, _ = run(records, state)
    assert counts["unchanged"] == 4


def test_the_retry_of_a_crashed_sync_lists_the_jobs_once_for_all_its_pending_creates(
    sandbox_conn, sandbox, state, monkeypatch
):
    """Review 2026-12-02 #2: the retry looked each pending create up with a listing of its own (one per
    record: 100 under the reliability run's faults), so one of them outlasting its retries left the entry
    pending in a green task. Now the jobs listed at the start of the run settle them all."""
    records = [record(n) for n in range(8)]
    real_create = TapTalentHook.create_job
    calls = []

    def dying_create(self, job, **kwargs):
        calls.append(1)
        created = real_create(self, job, **kwargs)
        if len(calls) == 5:
            raise Crash
        return created

    monkeypatch.setattr(TapTalentHook, "create_job", dying_create)
    with pytest.raises(Crash):
        run(records, state, max_concurrency=1)
    monkeypatch.setattr(TapTalentHook, "create_job", real_create)
    before = sandbox.state()["requestCount"]
    run(records, state, max_concurrency=1)
    requests = sandbox.control.get("/requests", params={"since": before}).json()["requests"]
    listings = [r for r in requests if r["method"] == "GET" and r["path"].endswith("/jobs")]
    posts = [r for r in requests if r["method"] == "POST"]
    assert len(listings) == 1, listings  # before: 1 + 8
    assert len(posts) == 3  # only the creates the crashed run never sent
    entries = json.loads(state.read_text())["jobs"]
    assert all("pending" not in e and e["job_id"] for e in entries.values()), entries
    assert sorted(j["title"] for j in remote_jobs(sandbox)) == sorted(r["title"] for r in records)


def test_a_record_an_outage_kept_from_syncing_fails_the_task_for_its_retry(sandbox_conn, sandbox, state, waits):
    """Review 2026-12-02 #2: a create whose 5xx outlasted every retry was reported as failed in a green task,
    its entry left pending. Now the others are saved and the task fails, retryably; the retry finishes it."""
    from airflow_provider_taptalent.exceptions import TapTalentError

    records = [record(n) for n in range(3)]
    run(records[:2], state)
    real = TapTalentHook.create_job

    def in_an_outage(self, job, **kwargs):
        # the create's first attempt, then the 6 attempts of the listing that looks for what it made
        sandbox.set_faults(next=["5xx_before"] * 7)
        return real(self, job, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TapTalentHook, "create_job", in_an_outage)
        with pytest.raises(TapTalentError, match="1 of 3 source records failed on errors a retry may fix") as failed:
            run(records, state)
    assert not isinstance(failed.value, TapTalentTaskFailed)  # Airflow retries it
    assert "ATS-2: 503" in str(failed.value)
    counts, _ = run(records, state)  # the retry
    assert (counts["created"], counts["unchanged"], counts["failed"]) == (1, 2, 0)
    assert len(remote_jobs(sandbox)) == 3


def test_a_lost_state_file_adopts_the_existing_jobs(sandbox_conn, sandbox, state):
    records = [record(n) for n in range(3)]
    run(records, state)
    state.unlink()
    counts, _ = run(records, state)
    assert (counts["created"], counts["adopted"]) == (0, 3)  # adopted, and counted apart from creates
    assert len(remote_jobs(sandbox)) == 3
    assert run(records, state)[0]["unchanged"] == 3


def test_two_records_with_the_same_title_and_place_get_two_jobs(sandbox_conn, sandbox, state):
    same = {"title": "Barista", "city": "Rome", "state": "Lazio", "country": "Italy"}
    run([record(1, **same), record(2, **same)], state)
    assert len(remote_jobs(sandbox)) == 2


def test_exports_as_csv_and_wrapped_json_with_a_mapping(sandbox_conn, sandbox, tmp_path, state):
    export = tmp_path / "jobs.csv"
    with export.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[
                "req_id",
                "modified",
                "job_title",
                "city",
                "state",
                "country",
                "salaryRangeFrom",
                "salaryRangeTo",
                "salaryCurrency",
            ],
        )
        writer.writeheader()
        writer.writerow(
            {
                "req_id": "R1",
                "modified": "2026-03-01T10:00:00Z",
                "job_title": "Analyst",
                "city": "Paris",
                "state": "IDF",
                "country": "France",
                "salaryRangeFrom": "50000",
                "salaryRangeTo": "60000",
                "salaryCurrency": "EUR",
            }
        )
        writer.writerow(
            {
                "req_id": "R2",
                "modified": "1767225600",
                "job_title": "Designer",
                "city": "Lyon",
                "state": "ARA",
                "country": "France",
                "salaryRangeFrom": "",
                "salaryRangeTo": "",
                "salaryCurrency": "",
            }
        )
    mapping = {"job_title": "title"}
    counts, _ = run(str(export), state, mapping=mapping, external_id_field="req_id", updated_at_field="modified")
    assert counts["created"] == 2
    analyst = next(j for j in remote_jobs(sandbox) if j["title"] == "Analyst")
    assert (analyst["salaryRangeFrom"], analyst["salaryCurrency"]) == (50000, "EUR")
    wrapped = tmp_path / "jobs.json"
    wrapped.write_text(json.dumps({"jobs": [record(9)]}))
    assert run(str(wrapped), tmp_path / "other-state.json")[0]["created"] == 1
    as_callable = run(
        [{"id": "X", "at": "2026-01-01", "name": "Recruiter role"}],
        tmp_path / "third.json",
        mapping=lambda r: {"title": r["name"], "city": "Oslo", "state": "Oslo", "country": "Norway"},
        external_id_field="id",
        updated_at_field="at",
    )
    assert as_callable[0]["created"] == 1


@pytest.mark.parametrize(
    ("jobs", "field"),
    [("/no/such/export.json", "jobs"), (42, "jobs"), ([1, 2], "jobs[0]")],
)
def test_unreadable_sources_fail_the_task_without_retry(sandbox_conn, state, jobs, field):
    with pytest.raises(TapTalentTaskFailed) as caught:
        run(jobs, state)
    assert field in caught.value.details


def test_a_corrupt_state_file_is_refused(sandbox_conn, state):
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    with pytest.raises(TapTalentTaskFailed, match="state_path"):
        run([record(1)], state)


# --- the way back: changes_path -------------------------------------------------------------------------


def changes(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_changes_in_taptalent_go_to_changes_path_once_with_taptalents_fields(sandbox_conn, sandbox, state, tmp_path):
    out = tmp_path / "changes.jsonl"
    run([record(1), record(2)], state, changes_path=str(out))
    assert changes(out) == []
    job_id = json.loads(state.read_text())["jobs"]["ATS-2"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, status="ACTIVE", title="Renamed in TapTalent")
    counts, _ = run([record(1), record(2)], state, changes_path=str(out))
    assert counts["changes"] == 1
    (change,) = changes(out)
    assert (change["external_id"], change["job_id"], change["change"], change["kept"]) == (
        "ATS-2",
        job_id,
        "drift",
        "taptalent",
    )
    assert change["job"]["title"] == "Renamed in TapTalent" and change["job"]["status"] == "ACTIVE"
    assert change["taptalent_updated_at"] and change["source_updated_at"].startswith("2026-01-01")
    run([record(1), record(2)], state, changes_path=str(out))
    assert changes(out) == []  # written once


def test_a_conflict_taptalent_kept_reaches_changes_path_with_both_times(sandbox_conn, sandbox, state, tmp_path):
    out = tmp_path / "changes.jsonl"
    run([record(1)], state)
    job_id = json.loads(state.read_text())["jobs"]["ATS-1"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, title="Edited in TapTalent")
    run([record(1, title="Edited in the ATS", updated_at="2026-01-02T00:00:00Z")], state, changes_path=str(out))
    (change,) = changes(out)
    assert (change["change"], change["kept"], change["job"]["title"]) == (
        "conflict",
        "taptalent",
        "Edited in TapTalent",
    )
    assert change["source_updated_at"].startswith("2026-01-02")


def test_a_change_whose_file_was_not_written_is_written_by_the_next_run(
    sandbox_conn, sandbox, state, tmp_path, monkeypatch
):
    from airflow_provider_taptalent.utils import outputs

    out = tmp_path / "changes.jsonl"
    run([record(1)], state)
    job_id = json.loads(state.read_text())["jobs"]["ATS-1"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, status="ACTIVE")

    class Broken(outputs._Writer):
        def write(self, rows):
            raise OSError("the bucket went away")

    with monkeypatch.context() as patched:
        patched.setattr(outputs, "_Writer", Broken)
        with pytest.raises(OSError, match="went away"):
            run([record(1)], state, changes_path=str(out))
    assert not out.exists()
    run([record(1)], state, changes_path=str(out))
    assert [c["external_id"] for c in changes(out)] == ["ATS-1"]


def test_a_conflict_the_source_won_reaches_changes_path_after_a_crash_before_the_file(
    sandbox_conn, sandbox, state, tmp_path, monkeypatch
):
    """Review 2026-12-02 #17: the task died after the state was written and before the changes file; the retry
    saw no conflict (the ATS's version was in TapTalent by then), and TapTalent's overwritten edit was
    recorded nowhere. Now it waits in the state until changes_path has it."""
    from airflow_provider_taptalent.utils import outputs

    out = tmp_path / "changes.jsonl"
    run([record(1)], state)
    job_id = json.loads(state.read_text())["jobs"]["ATS-1"]["job_id"]
    sandbox.pass_time(1)
    patch_in_taptalent(sandbox, job_id, title="Edited in TapTalent")
    later = (datetime.now(timezone.utc) + timedelta(seconds=30)).isoformat()  # after TapTalent's edit
    newer = [record(1, title="Edited in the ATS", updated_at=later)]

    class Dying(outputs._Writer):
        def write(self, rows):
            raise Crash  # the worker dies: the state is saved, the file not written

    with monkeypatch.context() as patched:
        patched.setattr(outputs, "_Writer", Dying)
        with pytest.raises(Crash):
            run(newer, state, changes_path=str(out))
    assert remote_jobs(sandbox)[0]["title"] == "Edited in the ATS"  # the source won, TapTalent's edit is gone
    run(newer, state, changes_path=str(out))  # the retry
    (change,) = changes(out)
    assert (change["change"], change["kept"], change["job"]["title"]) == ("conflict", "source", "Edited in TapTalent")
    assert "unwritten_change" not in json.loads(state.read_text())["jobs"]["ATS-1"]
    run(newer, state, changes_path=str(out))
    assert changes(out) == []  # written once


def test_a_bad_changes_path_fails_before_any_request(sandbox_conn, sandbox, state, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(TapTalentTaskFailed) as failure:
        run([record(1)], state, changes_path=str(folder))
    assert "changes_path" in failure.value.details
    assert sandbox.requests() == []


# --- distributed executors: the state must be where every worker sees it ---------------------------------


@pytest.mark.parametrize(
    "executor",
    [
        "CeleryExecutor",
        "airflow.providers.celery.executors.celery_executor.CeleryExecutor",
        "LocalExecutor,KubernetesExecutor",
    ],
)
def test_a_local_state_path_is_refused_under_a_distributed_executor(
    sandbox_conn, sandbox, state, monkeypatch, executor
):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    with pytest.raises(TapTalentTaskFailed) as failure:
        run([record(1)], state)
    message = failure.value.details["state_path"]
    assert "own disk" in message and "allow_local_state=True" in message and "s3://" in message
    assert sandbox.requests() == []  # refused before anything was sent


def test_shared_or_allowed_state_works_under_a_distributed_executor(sandbox_conn, sandbox, state, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    counts, _ = run([record(1)], state, allow_local_state=True)
    assert counts["created"] == 1
    counts, _ = run([record(1)], state.as_uri())  # file:///...: a volume every worker mounts
    assert counts["unchanged"] == 1


def test_a_local_state_path_is_fine_under_the_local_executor(sandbox_conn, sandbox, state, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    assert run([record(1)], state)[0]["created"] == 1


def test_a_sync_beside_another_never_adopts_the_job_that_one_is_creating(sandbox_conn, sandbox, tmp_path, monkeypatch):
    """Review 2026-12-02 #15, the interleaving forced: sync B runs while sync A's create is in flight (the job
    made, its result not yet back). Before, B adopted A's job, and both states mapped it; claims were written
    at the end of a run, without a lock."""
    shared = tmp_path / "shared"
    real_create = TapTalentHook.create_job
    b_ran: list[dict] = []

    def create_then_b_runs(self, job, **kwargs):
        made = real_create(self, job, **kwargs)
        if not b_ran:
            b_ran.append({})  # B's own create goes straight through
            b_ran[0] = run([record(1, external_id="HRIS-1")], shared / "b.json")[0]
        return made

    monkeypatch.setattr(TapTalentHook, "create_job", create_then_b_runs)
    counts, _ = run([record(1)], shared / "a.json")
    a = json.loads((shared / "a.json").read_text())["jobs"]["ATS-1"]["job_id"]
    b = json.loads((shared / "b.json").read_text())["jobs"]["HRIS-1"]["job_id"]
    assert (counts["created"], b_ran[0]["adopted"], b_ran[0]["created"]) == (1, 0, 1)
    assert a != b and len(remote_jobs(sandbox)) == 2
    owners = json.loads((shared / "taptalent-job-owners.json").read_text())
    assert owners["owners"] == {str(a): str(shared / "a.json"), str(b): str(shared / "b.json")}
    assert "pending" not in owners  # reservations end with their chunk


def test_the_ownership_ledger_loses_no_claim_to_concurrent_writers(tmp_path):
    """Review 2026-12-02 #15: read, change and write without a lock lost claims; now under the ledger's lock."""
    import threading

    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.utils.sync_state import OwnershipLedger

    path = ObjectStoragePath(f"file://{tmp_path / 'owners.json'}")

    def claims(owner: str) -> None:
        ledger = OwnershipLedger(path, owner)
        for n in range(40):
            ledger.add({f"{owner}-{n}"})

    threads = [threading.Thread(target=claims, args=(f"sync{k}",)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(json.loads((tmp_path / "owners.json").read_text())["owners"]) == 160


def test_a_file_that_is_not_a_jobs_export_is_named_with_the_first_error(sandbox_conn, sandbox, tmp_path):
    """Review 2026-12-02 #36: '301 of 301 failed' named neither the file nor what was wrong."""
    export = tmp_path / "candidates.json"
    export.write_text(json.dumps([{"name": f"person {n}"} for n in range(5)]))
    with pytest.raises(TapTalentTaskFailed) as failed:
        run(str(export), tmp_path / "state.json")
    message = str(failed.value)
    assert f"5 of 5 source records from {export} failed to sync" in message
    assert "the first, " in message and "external id" in message
    assert "is jobs an export of jobs" in message
    assert remote_jobs(sandbox) == []


def test_the_failed_sync_names_an_object_store_file_without_its_credentials(monkeypatch, tmp_path):
    """What the message names of a URI that carries a user:password: never the password."""
    from airflow_provider_taptalent.utils.sync_records import SyncReport

    operator = TapTalentSyncJobsOperator(task_id="s", jobs="s3://ats:hunter2@exports/jobs.json", state_path="/s.json")
    report = SyncReport()
    report.failed.append({"external_id": "ATS-1", "error": "no external id", "details": {}})
    with pytest.raises(TapTalentTaskFailed) as failed:
        operator._check_failures({"failed": 1}, 1, report)
    assert "from s3://exports/jobs.json failed" in str(failed.value) and "hunter2" not in str(failed.value)


def test_an_input_error_fails_the_task_with_one_traceback_not_two():
    """Review 2026-12-02 #36: the typed error's message is whole; chaining it only doubled the traceback."""
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.failures import fail_without_retry

    with pytest.raises(TapTalentTaskFailed) as failed, fail_without_retry():
        raise TapTalentInputError("Invalid jobs", details={"jobs": "not a file"})
    assert str(failed.value) == "Invalid jobs (jobs: not a file)" and failed.value.details == {"jobs": "not a file"}
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_a_templated_source_that_is_not_a_jobs_export_names_the_template(sandbox_conn, sandbox, tmp_path):
    """Review #36: the DAG's author wrote ``{{ params.jobs_export }}``; the message now says so."""
    import jinja2

    export = tmp_path / "candidates.json"
    export.write_text(json.dumps([{"name": f"person {n}"} for n in range(3)]))
    operator = TapTalentSyncJobsOperator(
        task_id="sync", jobs="{{ params.jobs_export }}", state_path=str(tmp_path / "state.json")
    )
    operator.render_template_fields({"params": {"jobs_export": str(export)}}, jinja2.Environment(autoescape=False))  # noqa: S701
    ti = SimpleNamespace(dag_id="d", task_id="sync", run_id="r", map_index=-1, xcom_push=lambda key, value: None)
    with pytest.raises(TapTalentTaskFailed) as failed:
        operator.execute({"ti": ti})
    assert f"from {export} (jobs, rendered from '{{{{ params.jobs_export }}}}')" in str(failed.value)
