"""Every TapTalentHook call of PUBLIC_API.md against the sandbox: two readings of the contract meet."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_taptalent.exceptions import (
    TapTalentAccountInactiveError,
    TapTalentAuthenticationError,
    TapTalentConflictError,
    TapTalentNotFoundError,
    TapTalentRateLimitError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.models import JobCreate
from tests.conftest import set_connection

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany", "workMode": "HYBRID"}


def test_connection_test_passes(sandbox_conn, sandbox):
    ok, message = TapTalentHook().test_connection()
    assert ok, message
    assert sandbox.api_url in message


def test_job_calls(sandbox_conn):
    with TapTalentHook() as hook:
        created = hook.create_job(JobCreate.coerce(JOB), idempotency_key="job-1")
        assert (created.title, created.work_mode, created.status) == ("Data Engineer", "HYBRID", "DRAFT")
        assert created.created_at is not None and created.created_at.tzinfo is not None
        assert hook.create_job(JOB, idempotency_key="job-1").id == created.id  # replayed, not created again
        assert hook.get_job(created.id) == created
        updated = hook.update_job(
            created.id, {"status": "ACTIVE", "salary_range_from": 1, "salary_range_to": 2, "salary_currency": "EUR"}
        )
        assert (updated.status, updated.salary_currency) == ("ACTIVE", "EUR")
        for n in range(130):
            hook.create_job({**JOB, "title": f"Role number {n}"})
        assert hook.list_jobs(per_page=10).total_jobs == 131
        titles = [job.title for job in hook.iter_jobs()]
        assert len(titles) == 131
        assert titles[0] == "Role number 129"  # newest first


def test_bulk_upload_and_batch_calls(sandbox_conn, sandbox):
    urls = [f"https://files.example/r{n}.pdf" for n in range(150)] + ["https://files.example/corrupt.pdf"]
    with TapTalentHook() as hook:
        upload = hook.bulk_upload_resumes(urls, idempotency_key="upload-1")
        assert upload.file_count == 151
        assert hook.bulk_upload_resumes(urls, idempotency_key="upload-1").batch_id == upload.batch_id
        assert hook.get_batch(upload.batch_id).status in ("PENDING", "PROCESSING")
        sandbox.advance([upload.batch_id])
        page = hook.get_batch(upload.batch_id, per_page=10)
        assert (page.status, page.success_count, page.failed_count) == ("COMPLETED", 150, 1)
        assert page.failed_files[0].url == urls[-1]
        candidates = list(hook.iter_batch_candidates(upload.batch_id))
        assert [c.resume for c in candidates] == urls[:150]
        assert len({c.id for c in candidates}) == 150


def test_async_calls(sandbox_conn, sandbox):
    async def scenario():
        async with TapTalentHook() as hook:
            job = await hook.acreate_job(JOB)
            assert (await hook.aget_job(job.id)).id == job.id
            assert (await hook.aupdate_job(job.id, {"title": "Platform Engineer"})).title == "Platform Engineer"
            assert (await hook.alist_jobs()).total_jobs == 1
            upload = await hook.abulk_upload_resumes(["https://files.example/a.pdf", "https://files.example/b.pdf"])
            sandbox.advance()
            batch = await hook.aget_batch(upload.batch_id)
            people = [c async for c in hook.aiter_batch_candidates(upload.batch_id)]
            return batch, people, [j async for j in hook.aiter_jobs()]

    batch, people, jobs = asyncio.run(scenario())
    assert batch.status == "COMPLETED"
    assert len(people) == 2
    assert len(jobs) == 1


def test_api_errors_arrive_typed(sandbox_conn, sandbox, monkeypatch, waits):
    hook = TapTalentHook()
    with pytest.raises(TapTalentNotFoundError):
        hook.get_job(123456)
    hook.create_job(JOB, idempotency_key="same")
    with pytest.raises(TapTalentConflictError):
        hook.create_job({**JOB, "title": "Something else"}, idempotency_key="same")
    sandbox.set_faults(rate_429=1.0, retry_after=2)
    with pytest.raises(TapTalentRateLimitError) as caught:
        TapTalentHook(max_retries=1).list_jobs()
    assert caught.value.retry_after == 2.0
    assert waits[-1] == 2.0


def test_unknown_and_inactive_keys(monkeypatch, sandbox):
    set_connection(monkeypatch, password="sk_test_NotAKnownKeyNotAKnownK", host=sandbox.url)
    with pytest.raises(TapTalentAuthenticationError):
        TapTalentHook().list_jobs()
    inactive = "sk_test_InactiveKeyInactiveKey"
    sandbox.control.post("/keys", json={"key": inactive, "active": False})
    set_connection(monkeypatch, password=inactive, host=sandbox.url)
    with pytest.raises(TapTalentAccountInactiveError):
        TapTalentHook().list_jobs()


def test_creates_under_dropped_connections_and_5xx_never_duplicate(sandbox_conn, sandbox, waits):
    sandbox.set_faults(rate_drop=0.3, rate_5xx=0.3, seed=3)
    hook = TapTalentHook(max_retries=10)
    created = [hook.create_job({**JOB, "title": f"Unique role {n}"}).id for n in range(30)]
    sandbox.set_faults(rate_drop=0, rate_5xx=0)
    jobs = sandbox.state()["companies"]["1"]["jobs"]
    assert sorted(j["id"] for j in jobs) == sorted(created)
    assert len({j["title"] for j in jobs}) == 30
    faults = sandbox.control.get("/faults").json()["counts"]
    assert faults.get("drop", 0) > 0 and faults.get("5xx_after", 0) > 0


@pytest.mark.parametrize("fault", ["5xx_before", "5xx_after"])
def test_a_create_that_fails_once_never_takes_an_older_same_body_job(sandbox_conn, sandbox, fault):
    """Review 2026-12-02 #3, as reproduced: a same-body job made 1.1 s before, then POST /jobs answers 5xx once.

    Before: the older job's id came back (5xx_before: no job made for this create at all).
    """
    import time

    with TapTalentHook() as hook:
        older = hook.create_job(JOB, idempotency_key="someone-else")
    time.sleep(1.1)  # the reproduction's own wait: the older job is from an earlier second of the sandbox's clock
    sandbox.set_faults(next=[fault])
    with TapTalentHook() as hook:  # a fresh client: its first answer is the failed one
        mine = hook.create_job(JOB, idempotency_key="mine")
    jobs = sandbox.state()["companies"]["1"]["jobs"]
    assert mine.id != older.id
    assert sorted(job["id"] for job in jobs) == sorted([older.id, mine.id])  # and never created twice
    assert sandbox.control.get("/faults").json()["counts"] == {fault: 1}
