from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_provider_taptalent.exceptions import TapTalentError, TapTalentInputError
from airflow_provider_taptalent.models import (
    BatchPage,
    BulkUpload,
    Job,
    JobCreate,
    JobPage,
    JobUpdate,
    ResumeUpload,
    WebhookEvent,
    parse_timestamp,
)

VALID = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def problems(value, model=JobCreate):
    with pytest.raises(TapTalentInputError) as caught:
        model.coerce(value, what="job")
    return caught.value.details


def test_a_minimal_job_goes_out_in_camel_case_without_empty_fields():
    job = JobCreate.coerce(
        {**VALID, "work_mode": "REMOTE", "salaryRangeFrom": 1, "salary_range_to": 2, "salaryCurrency": "EUR"}
    )
    assert job.to_wire() == {
        **VALID,
        "workMode": "REMOTE",
        "salaryRangeFrom": 1.0,
        "salaryRangeTo": 2.0,
        "salaryCurrency": "EUR",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": 123}, "title"),
        ({"city": ""}, "city"),
        ({"city": "x" * 201}, "city"),
        ({"state": None}, "state"),
        ({"description": "x" * 10_001}, "description"),
        ({"status": "CLOSED"}, "status"),
        ({"workMode": "OFFICE"}, "workMode"),
        ({"contractType": "Gig"}, "contractType"),
        ({"degreeLevel": "PhD"}, "degreeLevel"),
        ({"screeningQuestion": [{"question": "q"}] * 6}, "screeningQuestion"),
        ({"screeningQuestion": [{"type": "text", "question": ""}]}, "screeningQuestion.0.question"),
        ({"screeningQuestion": [{"type": "choice", "question": "q"}]}, "screeningQuestion.0.type"),
        ({"salaryRangeFrom": -1, "salaryRangeTo": 1, "salaryCurrency": "USD"}, "salaryRangeFrom"),
        ({"salaryRangeFrom": 1, "salaryRangeTo": 10_000_000_000, "salaryCurrency": "USD"}, "salaryRangeTo"),
        ({"salaryRangeFrom": 1, "salaryRangeTo": 2, "salaryCurrency": "XYZ"}, "salaryCurrency"),
        ({"salaryRangeFrom": 1}, "salaryRangeTo"),
        ({"salaryRangeFrom": 5, "salaryRangeTo": 2, "salaryCurrency": "USD"}, "salaryRangeFrom"),
        ({"potentialAmount": 5}, "potentialAmountCurrency"),
        ({"potentialAmount": 5, "potentialAmountCurrency": "usd"}, "potentialAmountCurrency"),
        ({"potentialAmount": -5, "potentialAmountCurrency": "USD"}, "potentialAmount"),
        ({"potentialHiresCount": 0}, "potentialHiresCount"),
        ({"yearOfExperience": 51}, "yearOfExperience"),
        ({"teamid": "x"}, "teamid"),
    ],
)
def test_every_create_rule_names_its_field(change, field):
    details = problems({**VALID, **change})
    assert field in details, details


def test_missing_required_fields_are_all_named_at_once():
    assert set(problems({"title": "Data Engineer"})) == {"city", "state", "country"}


def test_a_job_that_is_not_a_mapping_is_refused():
    assert problems(["not", "a", "job"])


def test_an_update_takes_any_subset_but_not_nothing():
    assert JobUpdate.coerce({"title": "Staff Engineer"}).to_wire() == {"title": "Staff Engineer"}
    assert "(body)" in problems({}, JobUpdate)
    assert "title" in problems({"title": "ab"}, JobUpdate)


def test_the_error_message_lists_the_fields():
    with pytest.raises(TapTalentInputError, match=r"Invalid job \(title: String should have at least 3 characters"):
        JobCreate.coerce({**VALID, "title": "ab"}, what="job")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234567890, datetime(2009, 2, 13, 23, 31, 30, tzinfo=timezone.utc)),
        (1640000000000, datetime(2021, 12, 20, 11, 33, 20, tzinfo=timezone.utc)),
        ("1234567890", datetime(2009, 2, 13, 23, 31, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:00:00.000Z", datetime(2024, 1, 15, 10, tzinfo=timezone.utc)),
        ("2024-01-20T14:45:00Z", datetime(2024, 1, 20, 14, 45, tzinfo=timezone.utc)),
        ("2024-01-20T14:45:00+02:00", datetime(2024, 1, 20, 12, 45, tzinfo=timezone.utc)),
        ("2024-01-20T14:45:00", datetime(2024, 1, 20, 14, 45, tzinfo=timezone.utc)),
        (None, None),
        ("", None),
    ],
)
def test_timestamps_in_every_documented_form_become_aware_datetimes(value, expected):
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


def test_responses_keep_unknown_fields_and_enum_values():
    job = Job.from_wire({"id": 1, "status": "ARCHIVED", "criterionDetails": {"mustHave": []}, "createdAt": 1234567890})
    assert job.status == "ARCHIVED"
    assert job.model_extra == {"criterionDetails": {"mustHave": []}}
    assert job.created_at == datetime(2009, 2, 13, 23, 31, 30, tzinfo=timezone.utc)


def test_ids_keep_their_type():
    assert Job.from_wire({"id": "job-uuid"}).id == "job-uuid"
    assert Job.from_wire({"id": 12}).id == 12
    assert BulkUpload.from_wire({"batchId": "batch-uuid-here", "fileCount": 2}).batch_id == "batch-uuid-here"


def test_a_response_of_the_wrong_shape_is_an_api_error():
    with pytest.raises(TapTalentError, match="TapTalent sent a JobPage this provider cannot read") as caught:
        JobPage.from_wire({"jobs": "nope"})
    assert "jobs" in caught.value.details


def test_the_batch_page_of_a7_parses():
    page = BatchPage.from_wire(
        {
            "batchId": 7,
            "status": "COMPLETED",
            "fileCount": 3,
            "processedCount": 3,
            "successCount": 2,
            "failedCount": 1,
            "failedFiles": [{"url": "https://x/corrupt.pdf", "reason": "UNREADABLE_FILE"}],
            "candidates": [{"id": 1, "firstName": "Ada", "createdAt": "2024-01-15T10:00:00.000Z"}],
            "pagination": {"pageNumber": 1, "perPage": 10, "totalCandidates": 2, "totalPages": 1},
        }
    )
    assert (page.success_count, page.failed_files[0].reason, page.candidates[0].first_name) == (
        2,
        "UNREADABLE_FILE",
        "Ada",
    )
    assert page.pagination.total_candidates == 2


def test_resume_urls_must_be_http_urls_and_are_trimmed():
    assert ResumeUpload.coerce({"resumeURLs": [" https://a.example/x.pdf "]}).to_wire() == {
        "resumeURLs": ["https://a.example/x.pdf"]
    }
    details = problems({"resumeURLs": ["ftp://a/x.pdf", "", "https://ok.example/y.pdf"]}, ResumeUpload)
    assert set(details) == {"resumeURLs.0", "resumeURLs.1"}
    assert "resumeURLs" in problems({"resumeURLs": []}, ResumeUpload)


def test_job_matching_ignores_case_and_spacing():
    job = Job.from_wire({"id": 1, "title": "Data  Engineer", "city": "berlin", "salaryRangeFrom": 10})
    assert job.matches({"title": "data engineer", "city": "Berlin ", "salaryRangeFrom": 10.0})
    assert not job.matches({"title": "Data Engineer", "state": "Bavaria"})


def test_webhook_events_dedupe_on_event_and_batch():
    event = WebhookEvent.from_wire(
        {"event": "resume.bulk_upload_parse.completed", "timestamp": "2024-01-20T14:45:00Z", "data": {"batchId": 5}}
    )
    assert event.dedupe_key == ("resume.bulk_upload_parse.completed", "5")
    assert event.company_id is None
