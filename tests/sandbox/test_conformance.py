"""The sandbox against SPEC.md and ASSUMPTIONS.md, endpoint by endpoint, with a plain HTTP client."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import httpx
import pytest

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}
SANDBOX_DIR = Path(__file__).resolve().parents[2] / "airflow_provider_taptalent" / "sandbox"


def details(response: httpx.Response) -> dict:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["type"], error["message"]) == (
        "INVALID_REQUEST",
        "validation_error",
        "One or more fields are invalid.",
    )
    return error["details"]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- jobs ------------------------------------------------------------------------------------------


def test_create_returns_the_bare_job_with_documented_defaults(api):
    response = api.post("/jobs", json=JOB)
    assert response.status_code == 200  # SPEC §3: creates answer 200 too
    job = response.json()
    assert isinstance(job["id"], int)
    assert (job["status"], job["workMode"]) == ("DRAFT", "ONSITE")
    assert job["description"]  # generated when left out (J2)
    assert isinstance(job["createdAt"], int) and job["updatedAt"] == job["createdAt"]  # epoch seconds (A9)
    assert {"pipelineId", "pipelineStage", "runningRevenue", "rejectedCandidateCount"} <= set(job)
    assert api.get(f"/jobs/{job['id']}").json() == job


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "ab"}, "title", '"title" length must be at least 3 characters long'),
        ({"title": "x" * 501}, "title", '"title" length must be less than or equal to 500 characters long'),
        ({"title": 5}, "title", '"title" must be a string'),
        (
            {"description": "x" * 10_001},
            "description",
            '"description" length must be less than or equal to 10000 characters long',
        ),
        ({"city": ""}, "city", '"city" is not allowed to be empty'),
        ({"state": "x" * 201}, "state", '"state" length must be less than or equal to 200 characters long'),
        ({"status": "CLOSED"}, "status", '"status" must be one of [DRAFT, ACTIVE]'),
        ({"workMode": "OFFICE"}, "workMode", '"workMode" must be one of [ONSITE, REMOTE, HYBRID]'),
        (
            {"screeningQuestion": [{"type": "text", "question": "q"}] * 6},
            "screeningQuestion",
            '"screeningQuestion" must contain less than or equal to 5 items',
        ),
        (
            {"screeningQuestion": [{"type": "text"}]},
            "screeningQuestion[0].question",
            '"screeningQuestion[0].question" is required',
        ),
        (
            {"screeningQuestion": [{"type": "text", "question": "x" * 3001}]},
            "screeningQuestion[0].question",
            '"screeningQuestion[0].question" length must be less than or equal to 3000 characters long',
        ),
        (
            {"contractType": "Gig"},
            "contractType",
            '"contractType" must be one of '
            "[Permanent, Freelance / Consultant, Fixed term contract, Internship, Student]",
        ),
        (
            {"degreeLevel": "PhD"},
            "degreeLevel",
            "\"degreeLevel\" must be one of [Bachelor's, High School, M.B.A., Master's, Other, Ph.D.]",
        ),
        (
            {"salaryRangeFrom": -1, "salaryRangeTo": 2, "salaryCurrency": "USD"},
            "salaryRangeFrom",
            '"salaryRangeFrom" must be greater than or equal to 0',
        ),
        (
            {"salaryRangeFrom": 1, "salaryRangeTo": 10_000_000_000, "salaryCurrency": "USD"},
            "salaryRangeTo",
            '"salaryRangeTo" must be less than or equal to 9999999999',
        ),
        ({"salaryRangeFrom": 1, "salaryRangeTo": 2, "salaryCurrency": "XXX"}, "salaryCurrency", None),
        (
            {"salaryRangeFrom": 1},
            "salaryRangeTo",
            '"value" contains [salaryRangeFrom] without its required peers [salaryRangeTo, salaryCurrency]',
        ),
        ({"potentialAmount": 1}, "potentialAmountCurrency", '"potentialAmountCurrency" is required'),
        (
            {"potentialAmount": -1, "potentialAmountCurrency": "USD"},
            "potentialAmount",
            '"potentialAmount" must be greater than or equal to 0',
        ),
        ({"potentialAmount": 1, "potentialAmountCurrency": "usd"}, "potentialAmountCurrency", None),
        ({"potentialHiresCount": 0}, "potentialHiresCount", '"potentialHiresCount" must be greater than or equal to 1'),
        ({"yearOfExperience": 51}, "yearOfExperience", '"yearOfExperience" must be less than or equal to 50'),
        ({"yearOfExperience": "many"}, "yearOfExperience", '"yearOfExperience" must be a number'),
        ({"work_mode": "REMOTE"}, "work_mode", '"work_mode" is not allowed'),
    ],
)
def test_each_create_rule_answers_joi_style_details(api, change, field, message):
    found = details(api.post("/jobs", json={**JOB, **change}))
    assert field in found
    if message:
        assert found[field] == message


def test_every_problem_is_reported_at_once(api):
    assert set(details(api.post("/jobs", json={"title": "ab"}))) == {"title", "city", "state", "country"}


@pytest.mark.parametrize("body", [[], "job", 5, None])
def test_a_body_that_is_not_an_object_is_refused(api, body):
    assert "value" in details(api.post("/jobs", json=body))


def test_list_is_bare_newest_first_and_paged(api):
    ids = [api.post("/jobs", json={**JOB, "title": f"Job number {n}"}).json()["id"] for n in range(25)]
    first = api.get("/jobs", params={"perPage": 10}).json()
    assert set(first) == {"jobs", "totalJobs"}
    assert first["totalJobs"] == 25
    assert [j["id"] for j in first["jobs"]] == ids[::-1][:10]
    third = api.get("/jobs", params={"perPage": 10, "pageNumber": 3}).json()
    assert [j["id"] for j in third["jobs"]] == ids[::-1][20:]
    assert len(api.get("/jobs").json()["jobs"]) == 10  # default perPage


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"perPage": 15}, "perPage", '"perPage" must be one of [10, 20, 40, 80, 100]'),
        ({"perPage": "ten"}, "perPage", '"perPage" must be a number'),
        ({"pageNumber": 0}, "pageNumber", '"pageNumber" must be greater than or equal to 1'),
    ],
)
def test_page_parameters_are_checked(api, params, field, message):
    assert details(api.get("/jobs", params=params))[field] == message


def test_patch_changes_some_fields_under_the_same_rules(api):
    job = api.post("/jobs", json=JOB).json()
    time.sleep(1.01)  # job times are epoch seconds
    updated = api.patch(f"/jobs/{job['id']}", json={"title": "Staff Data Engineer", "status": "ACTIVE"}).json()
    assert (updated["title"], updated["status"], updated["city"]) == ("Staff Data Engineer", "ACTIVE", "Berlin")
    assert updated["updatedAt"] > job["updatedAt"]
    assert "title" in details(api.patch(f"/jobs/{job['id']}", json={"title": "ab"}))
    assert "value" in details(api.patch(f"/jobs/{job['id']}", json={}))
    assert api.patch("/jobs/999999", json={"title": "abc"}).status_code == 404


def test_unknown_job_is_404_not_found(api):
    response = api.get("/jobs/424242")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert api.get("/jobs/not-a-number").status_code == 404


# -- auth, companies, errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "UNAUTHORIZED"),
        ({"Authorization": "Basic abc"}, 401, "UNAUTHORIZED"),
        ({"Authorization": "Bearer sk_test_AbCdEfGhIjKlMnOpQrStUv"}, 401, "UNAUTHORIZED"),
        ({"Authorization": "Bearer sk_live_AbCdEfGhIjKlMnOpQrStUv"}, 401, "UNAUTHORIZED"),
    ],
)
def test_requests_without_a_known_key_are_refused(sandbox, headers, status, code):
    response = httpx.get(f"{sandbox.api_url}/jobs", headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["type"] == "authentication_error"


def test_an_inactive_key_is_403_account_inactive(sandbox):
    key = "sk_test_InactiveKeyInactiveKey"
    sandbox.control.post("/keys", json={"key": key, "companyId": 1, "active": False})
    response = httpx.get(f"{sandbox.api_url}/jobs", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "ACCOUNT_INACTIVE",
        "type": "permission_error",
        "message": "This API key is deactivated or its subscription is inactive.",
        "details": {},
    }


def test_companies_never_see_each_others_data(sandbox, api):
    job = api.post("/jobs", json=JOB).json()
    batch = api.post("/candidates/bulk/resume", json={"resumeURLs": ["https://files.example/a.pdf"]}).json()["data"]
    with httpx.Client(base_url=sandbox.api_url, headers={"Authorization": f"Bearer {sandbox.other_api_key}"}) as other:
        assert other.get(f"/jobs/{job['id']}").status_code == 404
        assert other.get(f"/candidates/batch/{batch['batchId']}").status_code == 404
        assert other.get("/jobs").json()["totalJobs"] == 0


def test_bad_requests_get_the_api_error_shape(api):
    invalid_json = api.post("/jobs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert invalid_json.status_code == 400
    assert invalid_json.json()["error"] == {
        "code": "INVALID_REQUEST",
        "type": "validation_error",
        "message": "The request body is not valid JSON.",
        "details": {"body": "must be valid JSON"},
    }
    unknown = api.get("/no/such/route")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    wrong_method = api.delete("/jobs")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
    too_big = api.post("/jobs", content=b"x" * (10 * 1024 * 1024 + 1))
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")


# -- idempotency (A5) -------------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_answer(sandbox, api):
    first = api.post("/jobs", json=JOB, headers={"Idempotency-Key": "sync-1"})
    again = api.post("/jobs", json=JOB, headers={"Idempotency-Key": "sync-1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.get("/jobs").json()["totalJobs"] == 1
    conflict = api.post("/jobs", json={**JOB, "title": "Other title"}, headers={"Idempotency-Key": "sync-1"})
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    with httpx.Client(base_url=sandbox.api_url, headers={"Authorization": f"Bearer {sandbox.other_api_key}"}) as other:
        assert other.post("/jobs", json=JOB, headers={"Idempotency-Key": "sync-1"}).json()["id"] != first.json()["id"]


def test_a_refused_request_is_replayed_as_refused(api):
    first = api.post("/jobs", json={"title": "ab"}, headers={"Idempotency-Key": "bad-1"})
    again = api.post("/jobs", json={"title": "ab"}, headers={"Idempotency-Key": "bad-1"})
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def test_idempotency_keys_are_checked(api):
    response = api.post("/jobs", json=JOB, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"Idempotency-Key": "1 to 255 printable ASCII characters"}


# -- bulk upload and batches (C2, C3, A6, A7) --------------------------------------------------------


def test_upload_answers_the_documented_envelope(api):
    response = api.post(
        "/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/a.pdf", "https://f.example/b.docx"]}
    )
    body = response.json()
    assert body["success"] is True
    assert body["data"]["fileCount"] == 2
    assert isinstance(body["data"]["batchId"], int)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, '"resumeURLs" is required'),
        ({"resumeURLs": []}, '"resumeURLs" must contain at least 1 items'),
        ({"resumeURLs": "https://f.example/a.pdf"}, '"resumeURLs" must be an array'),
        (
            {"resumeURLs": [f"https://f.example/{n}.pdf" for n in range(5001)]},
            '"resumeURLs" must contain less than or equal to 5000 items',
        ),
    ],
)
def test_upload_rules(api, body, message):
    assert details(api.post("/candidates/bulk/resume", json=body))["resumeURLs"] == message


def test_upload_items_must_be_non_empty_strings(api):
    found = details(api.post("/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/a.pdf", "", 5]}))
    assert found == {
        "resumeURLs[1]": '"resumeURLs[1]" is not allowed to be empty',
        "resumeURLs[2]": '"resumeURLs[2]" must be a string',
    }


def test_a_batch_moves_through_its_life_cycle_on_its_own(sandbox, api):
    sandbox.control.patch("/config", json={"batchSeconds": 2})
    urls = [f"https://f.example/{n}.pdf" for n in range(40)] + [
        "https://f.example/corrupt-1.pdf",
        "https://f.example/x/CORRUPT.docx",
    ]
    batch_id = api.post("/candidates/bulk/resume", json={"resumeURLs": urls}).json()["data"]["batchId"]
    seen = []
    while not seen or seen[-1]["status"] not in ("COMPLETED", "FAILED"):
        seen.append(api.get(f"/candidates/batch/{batch_id}", params={"perPage": 100}).json()["data"])
        time.sleep(0.1)
    statuses = [page["status"] for page in seen]
    assert statuses[0] == "PENDING"
    assert "PROCESSING" in statuses
    assert statuses[-1] == "COMPLETED"
    processed = [page["processedCount"] for page in seen]
    assert processed == sorted(processed)  # progress never goes back
    final = seen[-1]
    assert (final["fileCount"], final["processedCount"], final["successCount"], final["failedCount"]) == (42, 42, 40, 2)
    assert {f["url"] for f in final["failedFiles"]} == set(urls[40:])
    assert {f["reason"] for f in final["failedFiles"]} == {"UNREADABLE_FILE"}
    assert final["pagination"] == {"pageNumber": 1, "perPage": 100, "totalCandidates": 40, "totalPages": 1}
    assert [c["resume"] for c in final["candidates"]] == urls[:40]
    assert {c["batchId"] for c in final["candidates"]} == {batch_id}


def test_a_batch_where_every_file_fails_ends_failed(sandbox, api):
    batch_id = api.post("/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/corrupt.pdf"]}).json()[
        "data"
    ]["batchId"]
    sandbox.advance([batch_id])
    data = api.get(f"/candidates/batch/{batch_id}").json()["data"]
    assert (data["status"], data["successCount"], data["failedCount"], data["candidates"]) == ("FAILED", 0, 1, [])


def test_candidates_are_paged_and_the_same_url_parses_into_the_same_person(sandbox, api):
    urls = [f"https://f.example/person-{n}.pdf" for n in range(45)]
    batch_id = api.post("/candidates/bulk/resume", json={"resumeURLs": urls}).json()["data"]["batchId"]
    sandbox.advance()
    pages = [
        api.get(f"/candidates/batch/{batch_id}", params={"pageNumber": n, "perPage": 20}).json()["data"]
        for n in (1, 2, 3, 4)
    ]
    assert [len(p["candidates"]) for p in pages] == [20, 20, 5, 0]
    assert pages[0]["pagination"]["totalPages"] == 3
    people = [c for p in pages for c in p["candidates"]]
    assert len({c["id"] for c in people}) == 45
    for candidate in people:
        assert {
            "id",
            "firstName",
            "lastName",
            "email",
            "phone",
            "currentJobTitle",
            "currentCompany",
            "city",
            "country",
            "skills",
            "resume",
            "batchId",
            "createdAt",
        } <= set(candidate)
        assert isinstance(candidate["skills"], str)
    again = api.post("/candidates/bulk/resume", json={"resumeURLs": urls[:1]}).json()["data"]["batchId"]
    sandbox.advance()
    twin = api.get(f"/candidates/batch/{again}").json()["data"]["candidates"][0]
    times = ("id", "batchId", "createdAt", "updatedAt")
    assert {k: v for k, v in twin.items() if k not in times} == {k: v for k, v in people[0].items() if k not in times}


def test_an_unknown_batch_is_404(api):
    assert api.get("/candidates/batch/1").json()["error"]["code"] == "NOT_FOUND"
    assert api.get("/candidates/batch/batch-uuid").status_code == 404


# -- candidates, job candidates, workspace -----------------------------------------------------------


def test_adding_a_candidate_twice_returns_the_existing_one(api):
    job_id = api.post("/jobs", json=JOB).json()["id"]
    person = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "skills": ["Python", "Math"],
        "jobId": job_id,
    }
    first = api.post("/candidates", json=person).json()["data"]
    again = api.post("/candidates", json={**person, "email": "ADA@example.com"}).json()["data"]
    assert (first["alreadyExists"], again["alreadyExists"]) == (False, True)
    assert again["candidate"]["id"] == first["candidate"]["id"]
    assert first["candidate"]["skills"] == "Python, Math"
    assert "email" in details(api.post("/candidates", json={**person, "email": "not-an-email"}))
    assert api.post("/candidates", json={**person, "email": "b@example.com", "jobId": 1}).status_code == 404
    assert api.get(f"/candidates/{first['candidate']['id']}").json()["data"]["email"] == "ada@example.com"


def test_job_candidates_bulk_fetch(api, sandbox):
    job_id = api.post("/jobs", json=JOB).json()["id"]
    api.post("/candidates", json={"firstName": "Ada", "lastName": "L", "email": "ada@example.com", "jobId": job_id})
    fetched = api.post("/job-candidates/bulk-fetch", json={"jobCandidateIds": [900001, "900001", 5]}).json()
    assert fetched["status"] == "success"
    assert [jc["id"] for jc in fetched["data"]] == [900001, 900001]
    # A11: while the AI scores it, its fields are null and the evaluation PENDING
    assert fetched["data"][0]["evaluationStatus"] == "PENDING" and fetched["data"][0]["profileMatchScore"] is None
    sandbox.advance()  # scoring done
    fetched = api.post("/job-candidates/bulk-fetch", json={"jobCandidateIds": [900001]}).json()
    assert fetched["data"][0]["evaluationStatus"] in ("APPROVED", "REJECTED")
    assert 0 <= fetched["data"][0]["profileMatchScore"] <= 100
    assert "candidate_details" in fetched["data"][0]
    too_many = details(api.post("/job-candidates/bulk-fetch", json={"jobCandidateIds": list(range(101))}))
    assert too_many["jobCandidateIds"] == '"jobCandidateIds" must contain less than or equal to 100 items'


def test_pipelines(api):
    listed = api.get("/pipelines").json()
    assert listed["status"] == "success"
    created = api.post("/pipelines", json={"name": "  Engineering  "}).json()["data"]
    assert created["name"] == "Engineering"
    assert [s["type"] for s in created["stages"]] == [
        "SOURCED",
        "APPLIED",
        "ASSESSMENT",
        "SCREEN",
        "SHORTLISTED",
        "HIRED",
    ]
    assert "name" in details(api.post("/pipelines", json={"name": "   "}))
    renamed = api.put(f"/pipelines/{created['id']}", json={"name": "Eng"}).json()["data"]
    assert renamed["name"] == "Eng"
    assert api.get("/pipelines/999").json()["error"]["message"] == "Pipeline not found."
    staged = api.post(
        "/pipelines/stages",
        json={"pipelineId": created["id"], "name": "Tech interview", "type": "INTERVIEW", "order": 2},
    ).json()["data"]
    assert [s["type"] for s in staged["stages"]][:3] == ["SOURCED", "INTERVIEW", "APPLIED"]
    assert [s["order"] for s in staged["stages"]] == list(range(1, 8))


def test_teams_users_and_assessments(api):
    teams = api.get("/teams").json()["data"]
    assert api.get(f"/teams/{teams[0]['id']}").json()["data"] == teams[0]
    assert api.get("/teams/nope").status_code == 404
    users = api.get("/users", params={"perPage": 5, "status": "INVITED,EXPIRED"}).json()["data"]
    assert users["pagination"]["perPage"] == 5
    assert {u["status"] for u in users["users"]} <= {"INVITED", "EXPIRED"}
    assert all(not u["isCompanyAdmin"] for u in users["users"])
    admins = api.get("/users", params={"isCompanyAdmin": "true"}).json()["data"]["users"]
    assert admins and all(u["isCompanyAdmin"] for u in admins)
    assert api.get(f"/users/{admins[0]['id']}").json()["data"]["id"] == admins[0]["id"]
    assert "perPage" in details(api.get("/users", params={"perPage": 101}))
    assessments = api.get("/assessment").json()["data"]
    assert set(assessments) == {"assessments", "pagination"}


# -- webhooks (A8) -----------------------------------------------------------------------------------


def test_batch_events_are_delivered_with_the_documented_headers(sandbox, api, receiver):
    sandbox.set_webhooks(url=receiver.url, key="whk_test_secret")
    batch_id = api.post(
        "/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/a.pdf", "https://f.example/corrupt.pdf"]}
    ).json()["data"]["batchId"]
    wait_until(lambda: len(receiver.deliveries) == 2)
    started, completed = receiver.deliveries
    assert started["body"]["event"] == "resume.bulk_upload_parse.started"
    assert started["body"]["data"] == {"batchId": batch_id, "fileCount": 2, "jobId": None}
    assert completed["body"]["data"] == {
        "batchId": batch_id,
        "status": "COMPLETED",
        "fileCount": 2,
        "successCount": 1,
        "failedCount": 1,
        "jobId": None,
    }
    assert completed["body"]["companyId"] == 1
    headers = completed["headers"]
    assert headers["X-Webhook-Event"] == "resume.bulk_upload_parse.completed"
    assert headers["X-Webhook-Key"] == "whk_test_secret"
    assert headers["X-Webhook-Timestamp"] == completed["body"]["timestamp"]
    assert headers["Content-Type"] == "application/json"


def test_a_failed_batch_sends_the_failed_event(sandbox, api, receiver):
    sandbox.set_webhooks(url=receiver.url, key="k")
    api.post("/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/corrupt.pdf"]})
    wait_until(lambda: len(receiver.deliveries) == 2)
    failed = receiver.deliveries[1]["body"]
    assert failed["event"] == "resume.bulk_upload_parse.failed"
    assert failed["data"]["status"] == "FAILED"
    assert failed["data"]["reason"]


def test_failed_deliveries_are_retried_until_acknowledged(sandbox, api, receiver):
    sandbox.set_webhooks(url=receiver.url, key="k", retry_base=0.05)
    receiver.statuses = [500, 503]
    api.post("/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/a.pdf"]})
    wait_until(lambda: len(receiver.deliveries) >= 4)
    log = sandbox.deliveries()
    started = [d for d in log if d["event"].endswith("started")]
    assert [d["status"] for d in started] == ["Retrying", "Retrying", "Success"]
    assert [d["attempt"] for d in started] == [1, 2, 3]


def test_duplicates_and_reordering_can_be_switched_on(sandbox, api, receiver):
    sandbox.set_webhooks(url=receiver.url, key="k", duplicate_rate=1.0, reorder_seconds=0.3)
    for n in range(3):
        api.post("/candidates/bulk/resume", json={"resumeURLs": [f"https://f.example/{n}.pdf"]})
    wait_until(lambda: len(receiver.deliveries) == 12)
    events = receiver.events()
    assert len(set(events)) == 6  # every (event, batch) twice
    assert all(events.count(e) == 2 for e in set(events))


# -- faults (for testing clients) ---------------------------------------------------------------------


def test_injected_faults_are_seeded_and_replayable(sandbox, api):
    def run() -> list[int]:
        sandbox.set_faults(rate_5xx=0.3, rate_429=0.2, seed=7)
        return [api.get("/jobs").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {429, 200} <= set(first) and ({502, 503} & set(first))


def test_a_429_fault_says_when_to_retry(sandbox, api):
    sandbox.set_faults(rate_429=1.0, retry_after=3)
    response = api.get("/jobs")
    assert (response.status_code, response.headers["Retry-After"], response.json()["error"]["code"]) == (
        429,
        "3",
        "RATE_LIMITED",
    )


def test_a_dropped_connection_still_takes_effect(sandbox, api):
    sandbox.set_faults(rate_drop=1.0)
    with pytest.raises(httpx.TransportError):
        api.post("/jobs", json=JOB)
    sandbox.set_faults(rate_drop=0.0)
    assert api.get("/jobs").json()["totalJobs"] == 1


def test_latency_is_added(sandbox, api):
    sandbox.set_faults(latency_ms=200)
    started = time.perf_counter()
    api.get("/jobs")
    assert time.perf_counter() - started >= 0.2


def test_the_rate_limit_answers_429_with_retry_after():
    from airflow_provider_taptalent.sandbox.testing import run_sandbox

    # One a second, a burst of one: the second of two requests is limited unless they are a second apart (at 5
    # a second, 8 requests took longer than the bucket's refill on a loaded machine, and none was limited).
    with run_sandbox(rate_limit=1) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.api_key}"}
        statuses = [httpx.get(f"{sandbox.api_url}/jobs", headers=headers) for _ in range(4)]
    assert statuses[0].status_code == 200
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["type"] == "rate_limit_error"


def test_control_calls_are_never_faulted(sandbox):
    sandbox.set_faults(rate_5xx=1.0)
    assert sandbox.state()["companies"]["1"]["jobs"] == []


def test_the_request_log_records_idempotency_keys(sandbox, api):
    api.post("/jobs", json=JOB, headers={"Idempotency-Key": "abc"})
    [entry] = sandbox.requests()
    assert (entry["method"], entry["path"], entry["idempotencyKey"]) == ("POST", "/v1/partner/jobs", "abc")


def test_the_sandbox_imports_nothing_from_the_client_side():
    for path in SANDBOX_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("airflow_provider_taptalent")
            ):
                parts = node.module.split(".")
                assert parts[1:2] == ["sandbox"], f"{path.name} imports {node.module}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.startswith("airflow.") or n == "airflow" for n in names), (
                    f"{path.name} imports Airflow"
                )


def test_the_command_line_prints_what_to_paste_and_serves(tmp_path):
    import subprocess
    import sys

    from airflow_provider_taptalent.sandbox.cli import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_taptalent.sandbox", "--port", str(port), "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = [process.stdout.readline() for _ in range(7)]
        text = "".join(banner)
        assert f"TapTalent sandbox on http://127.0.0.1:{port}" in text
        key = next(line.split()[-1] for line in banner if "API key" in line)
        assert key.startswith("sk_test_") and len(key) == 30
        assert "export AIRFLOW_CONN_TAPTALENT_DEFAULT='" in text and key in text
        wait_until(lambda: _responds(f"http://127.0.0.1:{port}/__sandbox/health"))
        assert httpx.get(
            f"http://127.0.0.1:{port}/v1/partner/jobs", headers={"Authorization": f"Bearer {key}"}
        ).json() == {"jobs": [], "totalJobs": 0}
    finally:
        process.terminate()
        process.wait(10)


def _responds(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.parametrize(
    "argv",
    [
        ["--inactive-key", "sk_test_" + "a" * 24],  # review 2026-12-02 #47: 24 characters, the format has 22
        ["--inactive-key", "sk_live_" + "a" * 22],  # the sandbox serves test keys only
        ["--api-key", "sk_test_" + "a" * 21 + ":2"],
        ["--api-key", "sk_test_" + "a" * 22 + ":two"],
    ],
)
def test_the_sandbox_refuses_keys_the_provider_would_refuse(argv, capsys):
    from airflow_provider_taptalent.sandbox.cli import parser

    with pytest.raises(SystemExit):
        parser().parse_args(argv)
    err = capsys.readouterr().err
    assert "22 letters or digits" in err or "must be a number" in err


def test_the_sandbox_takes_well_formed_keys():
    from airflow_provider_taptalent.sandbox.cli import config_from, parser

    config = config_from(
        parser().parse_args(["--inactive-key", "sk_test_" + "b" * 22, "--api-key", "sk_test_" + "c" * 22 + ":2"])
    )
    assert config.inactive_keys == ["sk_test_" + "b" * 22] and config.api_keys == {"sk_test_" + "c" * 22: 2}


def test_every_answer_carries_one_exact_date(api, sandbox):
    """The clock a create's recovery reads (client/clock.py): one ``Date``, to the second, faults included."""
    import email.utils

    sandbox.set_faults(next=["5xx_before"])
    for response in (api.get("/jobs"), api.get("/jobs"), api.get("/__sandbox/config")):
        dates = response.headers.get_list("date")
        assert len(dates) == 1, dates
        assert abs(email.utils.parsedate_to_datetime(dates[0]).timestamp() - time.time()) < 1.5
    assert sandbox.control.get("/faults").json()["counts"] == {"5xx_before": 1}
    refused = sandbox.control.patch("/faults", json={"next": ["explode"]})
    assert refused.status_code == 400 and "next: each one of 429" in refused.text
