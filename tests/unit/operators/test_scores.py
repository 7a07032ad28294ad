"""AI match scores end to end: resumes uploaded to a job, candidates fetched with their job candidates' scores."""

from __future__ import annotations

import json

import pytest
import respx

from airflow_provider_taptalent.exceptions import TapTalentNotFoundError, TapTalentTaskFailed
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentFetchCandidatesOperator,
)
from tests.conftest import FAKE_API
from tests.unit.operators.test_operators import context

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def test_resumes_uploaded_to_a_job_come_back_with_their_scores(sandbox_conn, sandbox, tmp_path):
    job = TapTalentHook().create_job(JOB)
    urls = [f"https://files.example/s{n}.pdf" for n in range(30)]
    batch_ids = TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=urls, job_id=str(job.id)).execute(
        context()
    )  # the job id as a template renders it: text
    sandbox.advance()
    output = tmp_path / "scored.jsonl"
    result = TapTalentFetchCandidatesOperator(
        task_id="fetch", batch_ids=batch_ids, output_path=str(output), per_page=10, include_match=True
    ).execute(context())
    assert result == {"path": str(output), "count": 30, "pending_scores": 0}
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert all(r["jobId"] == job.id and r["jobCandidateId"] for r in rows)
    assert all(0 <= r["profileMatchScore"] <= 100 and r["evaluationStatus"] in ("APPROVED", "REJECTED") for r in rows)
    assert {"criteriaMatches", "recommendToRecruitingFirm", "aiSummary"} <= set(rows[0])
    bulk = [r for r in sandbox.requests() if r["path"].endswith("/job-candidates/bulk-fetch")]
    assert len(bulk) == 3  # one per page of 10


def test_scores_still_pending_are_written_as_they_are_and_counted(fake_conn, tmp_path):
    candidate = {"id": 5, "firstName": "Ada", "batchId": 7, "jobId": 9, "jobCandidateId": 900001}
    page = {"batchId": 7, "status": "COMPLETED", "candidates": [candidate], "pagination": {"totalCandidates": 1}}
    with respx.mock() as mock:
        mock.get(f"{FAKE_API}/candidates/batch/7").respond(json={"success": True, "data": page})
        fetched = mock.post(f"{FAKE_API}/job-candidates/bulk-fetch").respond(
            json={
                "status": "success",
                "data": [{"id": 900001, "evaluationStatus": "PENDING", "profileMatchScore": None}],
            }
        )
        result = TapTalentFetchCandidatesOperator(
            task_id="f", batch_ids=7, output_path=str(tmp_path / "c.jsonl"), include_match=True
        ).execute(context())
    assert result["pending_scores"] == 1
    assert json.loads(fetched.calls.last.request.content) == {"jobCandidateIds": [900001]}
    row = json.loads((tmp_path / "c.jsonl").read_text())
    assert (row["evaluationStatus"], row["profileMatchScore"]) == ("PENDING", None)


def test_without_include_match_no_score_is_fetched(fake_conn, tmp_path):
    page = {
        "batchId": 7,
        "status": "COMPLETED",
        "candidates": [{"id": 5, "jobCandidateId": 1}],
        "pagination": {"totalCandidates": 1},
    }
    with respx.mock() as mock:
        mock.get(f"{FAKE_API}/candidates/batch/7").respond(json={"success": True, "data": page})
        result = TapTalentFetchCandidatesOperator(
            task_id="f", batch_ids=7, output_path=str(tmp_path / "c.jsonl")
        ).execute(context())
    assert result == {"path": str(tmp_path / "c.jsonl"), "count": 1}


@pytest.mark.parametrize("job_id", ["nine", -3, True, 1.5])
def test_a_bad_job_id_fails_before_any_upload(fake_conn, job_id):
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(f"{FAKE_API}/candidates/bulk/resume").respond(json={})
        with pytest.raises(TapTalentTaskFailed) as raised:
            TapTalentBulkUploadResumesOperator(
                task_id="up", resume_urls=["https://files.example/a.pdf"], job_id=job_id
            ).execute(context())
        assert not route.called
    assert "job_id" in raised.value.details


def test_an_unknown_job_is_a_404_from_the_sandbox(sandbox_conn, sandbox):
    with pytest.raises(TapTalentNotFoundError, match="Job not found"):
        TapTalentBulkUploadResumesOperator(
            task_id="up", resume_urls=["https://files.example/a.pdf"], job_id=999999
        ).execute(context())
