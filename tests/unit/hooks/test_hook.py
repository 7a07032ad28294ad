"""TapTalentHook over respx: the request path, the retry policy, idempotent creates, pagination."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import re
import zlib

import httpx
import pytest
import respx

from airflow_provider_taptalent.client import transport as _http
from airflow_provider_taptalent.client.drivers import SyncDriver
from airflow_provider_taptalent.client.retry import RetryPolicy
from airflow_provider_taptalent.client.steps import CallContext
from airflow_provider_taptalent.exceptions import (
    TapTalentAccountInactiveError,
    TapTalentAuthenticationError,
    TapTalentConfigurationError,
    TapTalentConflictError,
    TapTalentConnectionError,
    TapTalentError,
    TapTalentInputError,
    TapTalentNotFoundError,
    TapTalentPermissionError,
    TapTalentRateLimitError,
    TapTalentServerError,
    TapTalentValidationError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.utils import metrics
from tests.conftest import FAKE_API, TEST_KEY, set_connection

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def error(status: int, code: str, details: dict | None = None, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "type": "t", "message": f"{code} happened", "details": details or {}}}
    return httpx.Response(status, json=body, headers=headers)


def jobs_page(*jobs: dict, total: int | None = None) -> httpx.Response:
    return httpx.Response(200, json={"jobs": list(jobs), "totalJobs": len(jobs) if total is None else total})


@pytest.fixture
def api(fake_conn):
    with respx.mock(base_url=FAKE_API, assert_all_called=False) as mock:
        yield mock


def test_the_constructor_does_no_io():
    hook = TapTalentHook("no_such_connection", timeout=3, max_retries=1)
    assert (hook.taptalent_conn_id, hook.timeout, hook.max_retries) == ("no_such_connection", 3, 1)


def test_requests_carry_key_user_agent_and_json_headers(api):
    route = api.get("/jobs/7").respond(json={"id": 7, "title": "Data Engineer"})
    job = TapTalentHook().get_job(7)
    assert job.id == 7
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert request.headers["Accept"] == "application/json"
    assert re.fullmatch(
        r"airflow-provider-taptalent/\S+ \(airflow/\S+; python/\S+; httpx/\S+\)", request.headers["User-Agent"]
    )
    assert "Idempotency-Key" not in request.headers


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_is_asked_for_and_read(api, encoding):
    """The hook builds its own headers (no httpx.Client defaults): it still offers and decodes compression."""
    body = json.dumps({"success": True, "data": {"id": 5, "title": "Compressed"}}).encode()
    route = api.get("/jobs/5").respond(
        content=gzip.compress(body) if encoding == "gzip" else zlib.compress(body),
        headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
    )
    assert TapTalentHook().get_job(5).title == "Compressed"
    assert encoding in route.calls.last.request.headers["Accept-Encoding"]


def test_timeouts_default_to_30_s_read_and_10_s_connect(api, monkeypatch):
    route = api.get("/jobs/7").respond(json={"success": True, "data": {"id": 7, "title": "Nurse"}})

    def timeout_sent(hook: TapTalentHook) -> dict[str, float]:
        hook.get_job(7)
        return route.calls.last.request.extensions["timeout"]  # what httpcore bounds each operation with

    assert timeout_sent(TapTalentHook()) == httpx.Timeout(30, connect=10).as_dict()
    set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.test", extra={"timeout": 5})
    assert timeout_sent(TapTalentHook()) == httpx.Timeout(5, connect=5).as_dict()
    assert timeout_sent(TapTalentHook(timeout=12)) == httpx.Timeout(12, connect=10).as_dict()


@pytest.mark.parametrize(
    "failure",
    [
        error(500, "INTERNAL_ERROR"),
        error(502, "INTERNAL_ERROR"),
        error(503, "INTERNAL_ERROR"),
        error(504, "INTERNAL_ERROR"),
        httpx.Response(502, text="<html>Bad gateway</html>"),
        error(429, "RATE_LIMITED", **{"Retry-After": "1"}),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_transient_failures_are_retried_until_success(api, waits, failure):
    route = api.get("/jobs").mock(side_effect=[failure, failure, jobs_page({"id": 1})])
    page = TapTalentHook().list_jobs()
    assert [job.id for job in page.jobs] == [1]
    assert route.call_count == 3
    assert len(waits) == 2


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [
        (400, "INVALID_REQUEST", TapTalentValidationError),
        (401, "UNAUTHORIZED", TapTalentAuthenticationError),
        (403, "FORBIDDEN", TapTalentPermissionError),
        (403, "ACCOUNT_INACTIVE", TapTalentAccountInactiveError),
        (404, "NOT_FOUND", TapTalentNotFoundError),
        (409, "IDEMPOTENCY_CONFLICT", TapTalentConflictError),
    ],
)
def test_client_errors_are_never_retried(api, waits, status, code, raised):
    route = api.get("/jobs/1").mock(return_value=error(status, code, {"jobId": "bad"}))
    with pytest.raises(raised) as caught:
        TapTalentHook().get_job(1)
    assert route.call_count == 1
    assert waits == []
    assert caught.value.details == {"jobId": "bad"}


def test_retry_after_is_honoured_and_capped(api, waits):
    api.get("/jobs").mock(
        side_effect=[
            error(429, "RATE_LIMITED", **{"Retry-After": "7"}),
            error(429, "RATE_LIMITED", **{"Retry-After": "100000"}),
            jobs_page(),
        ]
    )
    TapTalentHook().list_jobs()
    assert waits == [7.0, 300.0]


def test_gives_up_after_max_retries_with_the_last_error(api, waits, monkeypatch):
    route = api.get("/jobs").mock(return_value=error(503, "INTERNAL_ERROR"))
    with pytest.raises(TapTalentServerError):
        TapTalentHook().list_jobs()
    assert route.call_count == 6  # the first attempt and max_retries=5 retries

    set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.test", extra={"max_retries": 2})
    route.reset()
    with pytest.raises(TapTalentServerError):
        TapTalentHook().list_jobs()
    assert route.call_count == 3
    with pytest.raises(TapTalentServerError):
        TapTalentHook(max_retries=0).list_jobs()
    assert route.call_count == 4


def test_a_rate_limit_that_never_lifts_ends_as_a_rate_limit_error(api, waits):
    api.get("/jobs").mock(return_value=error(429, "RATE_LIMITED", **{"Retry-After": "2"}))
    with pytest.raises(TapTalentRateLimitError) as caught:
        TapTalentHook(max_retries=1).list_jobs()
    assert caught.value.retry_after == 2.0


def test_network_errors_become_connection_errors_with_the_cause(api, waits):
    api.get("/jobs").mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(TapTalentConnectionError, match=r"GET /jobs failed \(the \w+ API at http") as caught:
        TapTalentHook(max_retries=0).list_jobs()
    assert str(caught.value).endswith("): ConnectError: connection refused")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_a_connection_failure_names_the_environment_and_the_api_origin():
    """Review 2026-12-02 #30: before, "GET /jobs failed: ConnectError: [Errno 111] Connection refused" named
    neither where it went nor which environment."""
    from airflow_provider_taptalent.client import TapTalentClient, settings_from_connection
    from airflow_provider_taptalent.client.retry import RetryPolicy
    from tests.conftest import TEST_KEY

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    settings = settings_from_connection("c", password=TEST_KEY, host="http://127.0.0.1", port=8765, extra={})
    client = TapTalentClient(settings, transport=httpx.MockTransport(refuse), policy=RetryPolicy(max_retries=0))
    with client, pytest.raises(TapTalentConnectionError) as caught:
        client.list_jobs()
    assert str(caught.value).startswith("GET /jobs failed (the sandbox API at http://127.0.0.1:8765): ConnectError")
    assert TEST_KEY not in str(caught.value)


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_is_exponential_with_full_jitter_and_a_cap(attempt):
    policy = RetryPolicy()
    ceiling = min(60.0, 2 ** (attempt - 1))
    samples = [policy.wait_seconds(attempt, None) for _ in range(200)]
    assert all(0 <= s <= ceiling for s in samples)
    assert max(samples) > ceiling / 2  # jittered over the whole range, not pinned to 0


def test_retries_stop_when_the_total_budget_would_be_exceeded(api, waits):
    api.get("/jobs").mock(return_value=error(429, "RATE_LIMITED", **{"Retry-After": "250"}))
    hook = TapTalentHook()
    context = CallContext(hook.settings, RetryPolicy(max_retries=5, max_total=600))
    hook.__dict__["_sync_driver"] = SyncDriver(context, _http.SyncTransport(hook.settings))
    with pytest.raises(TapTalentRateLimitError):
        hook.list_jobs()
    assert waits == [250.0, 250.0]  # a third wait would pass the 600 s budget


def test_posts_keep_one_idempotency_key_across_retries(api, waits):
    route = api.post("/candidates/bulk/resume").mock(
        side_effect=[
            error(503, "INTERNAL_ERROR"),
            httpx.Response(200, json={"success": True, "data": {"batchId": 9, "fileCount": 1}}),
        ]
    )
    upload = TapTalentHook().bulk_upload_resumes(["https://files.example/a.pdf"], idempotency_key="batch-0-abc")
    assert (upload.batch_id, upload.file_count) == (9, 1)
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert keys == {"batch-0-abc"}
    assert route.calls.last.request.read() == b'{"resumeURLs":["https://files.example/a.pdf"]}'


def test_a_post_without_a_key_gets_a_fresh_one_reused_by_its_retries(api, waits):
    route = api.post("/jobs").mock(side_effect=[error(429, "RATE_LIMITED"), httpx.Response(200, json={"id": 5, **JOB})])
    TapTalentHook().create_job(JOB)
    first, second = (call.request.headers["Idempotency-Key"] for call in route.calls)
    assert first == second and len(first) == 32


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_bad_idempotency_keys_are_refused_before_sending(api, key):
    route = api.post("/jobs")
    with pytest.raises(TapTalentInputError, match="idempotency"):
        TapTalentHook().create_job(JOB, idempotency_key=key)
    assert route.call_count == 0


def test_an_invalid_job_is_refused_before_any_request(api):
    route = api.post("/jobs")
    with pytest.raises(TapTalentInputError) as caught:
        TapTalentHook().create_job({"title": "ab", "city": "Berlin"})
    assert set(caught.value.details) == {"title", "state", "country"}
    assert route.call_count == 0


@pytest.mark.parametrize(
    "ambiguous",
    [error(502, "INTERNAL_ERROR"), httpx.RemoteProtocolError("Server disconnected"), httpx.ReadTimeout("timed out")],
)
def test_an_ambiguous_create_finds_the_job_instead_of_creating_another(api, waits, ambiguous):
    create = api.post("/jobs").mock(side_effect=[ambiguous, httpx.Response(200, json={"id": 99, **JOB})])
    created = {"id": 41, **JOB, "city": "berlin ", "createdAt": 4102444800}  # stored slightly tidied, far future
    listing = api.get("/jobs").mock(
        return_value=jobs_page(created, {"id": 40, "title": "Other", "createdAt": 4102444700})
    )
    job = TapTalentHook().create_job(JOB)
    assert job.id == 41
    assert create.call_count == 1
    assert listing.call_count == 1


def test_an_ambiguous_create_that_made_nothing_is_sent_again_with_the_same_key(api, waits):
    create = api.post("/jobs").mock(
        side_effect=[error(503, "INTERNAL_ERROR"), httpx.Response(200, json={"id": 99, **JOB})]
    )
    api.get("/jobs").mock(return_value=jobs_page({"id": 40, "title": "Other", "createdAt": 1}))
    assert TapTalentHook().create_job(JOB).id == 99
    assert create.call_count == 2
    assert len({c.request.headers["Idempotency-Key"] for c in create.calls}) == 1


def test_a_rate_limited_create_is_retried_without_searching(api, waits):
    create = api.post("/jobs").mock(
        side_effect=[error(429, "RATE_LIMITED"), httpx.Response(200, json={"id": 99, **JOB})]
    )
    listing = api.get("/jobs")
    assert TapTalentHook().create_job(JOB).id == 99
    assert (create.call_count, listing.call_count) == (2, 0)


def test_iter_jobs_walks_every_page(api):
    jobs = [{"id": n, "title": f"Job {n}"} for n in range(250)]
    api.get("/jobs", params={"pageNumber": 1}).respond(json={"jobs": jobs[:100], "totalJobs": 250})
    api.get("/jobs", params={"pageNumber": 2}).respond(json={"jobs": jobs[100:200], "totalJobs": 250})
    last = api.get("/jobs", params={"pageNumber": 3}).respond(json={"jobs": jobs[200:], "totalJobs": 250})
    assert [job.id for job in TapTalentHook().iter_jobs()] == list(range(250))
    assert last.calls.last.request.url.params["perPage"] == "100"


@pytest.mark.parametrize("per_page", [0, 15, 101])
def test_page_sizes_outside_the_documented_set_are_refused(api, per_page):
    with pytest.raises(ValueError, match="per_page must be one of 10, 20, 40, 80, 100"):
        TapTalentHook().list_jobs(per_page=per_page)


def test_iter_batch_candidates_walks_every_page(api):
    def page(number: int, ids: list[int]) -> dict:
        return {
            "success": True,
            "data": {
                "batchId": 3,
                "status": "COMPLETED",
                "candidates": [{"id": i} for i in ids],
                "pagination": {"pageNumber": number, "perPage": 100, "totalCandidates": 150, "totalPages": 2},
            },
        }

    api.get("/candidates/batch/3", params={"pageNumber": 1}).respond(json=page(1, list(range(100))))
    api.get("/candidates/batch/3", params={"pageNumber": 2}).respond(json=page(2, list(range(100, 150))))
    assert [c.id for c in TapTalentHook().iter_batch_candidates(3)] == list(range(150))


def test_an_upload_larger_than_the_connections_batch_size_is_refused_before_sending(api, monkeypatch):
    set_connection(monkeypatch, password=TEST_KEY, host="http://taptalent.test", extra={"max_batch_size": 2})
    route = api.post("/candidates/bulk/resume")
    urls = [f"https://files.example/{n}.pdf" for n in range(3)]
    with pytest.raises(TapTalentInputError, match="3 resumes do not fit one batch") as caught:
        TapTalentHook().bulk_upload_resumes(urls)
    assert "at most 2 per batch" in caught.value.details["resumeURLs"]
    with pytest.raises(TapTalentInputError, match="must be a list"):
        TapTalentHook().bulk_upload_resumes("https://files.example/1.pdf")
    assert route.call_count == 0


def test_ids_are_quoted_into_paths(api):
    route = api.get("/candidates/batch/a%2Fb").respond(
        json={"success": True, "data": {"batchId": "a/b", "status": "PENDING"}}
    )
    assert TapTalentHook().get_batch("a/b").status == "PENDING"
    assert route.call_count == 1


def test_update_job_sends_only_the_changes(api):
    route = api.patch("/jobs/5").respond(json={"id": 5, **JOB, "title": "Staff Data Engineer", "updatedAt": 1700000000})
    job = TapTalentHook().update_job(5, {"title": "Staff Data Engineer"})
    assert job.title == "Staff Data Engineer" and job.updated_at is not None
    assert route.calls.last.request.read() == b'{"title":"Staff Data Engineer"}'


def test_a_successful_request_writes_nothing_to_the_task_log_at_info(api, caplog, monkeypatch):
    """A sync makes thousands of requests: at INFO the task log gets no line for them (ours are at DEBUG).
    httpx.Client logs each request at INFO; Airflow 3 keeps that logger at WARNING, Airflow 2 and plain
    Python do not (as here): the hook's own requests are left out of it, and only those."""
    monkeypatch.setattr(logging.getLogger("httpx"), "level", logging.INFO)
    api.get("/jobs/3").respond(json={"success": True, "data": {"id": 3}})
    hook = TapTalentHook()
    hook.get_job(3)  # the connection is looked up (Airflow 2 logs that at INFO, once per hook)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            hook.get_job(3)
        asyncio.run(hook.aget_job(3))
    assert [(r.name, r.getMessage()) for r in caplog.records] == []
    with caplog.at_level(logging.INFO), httpx.Client() as other:
        other.get(f"{FAKE_API}/jobs/3")  # anyone else's request keeps httpx's line
    assert [r.name for r in caplog.records] == ["httpx"]


@pytest.mark.parametrize("backend", ["plain StatsD", "tags"])
def test_each_attempt_is_logged_and_measured(api, waits, caplog, monkeypatch, backend):
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "True")  # a metrics backend is configured
    if backend == "tags":
        monkeypatch.setenv("AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED", "True")
    timings, counters = [], []
    monkeypatch.setattr(metrics.Stats, "timing", lambda name, ms, tags=None: timings.append((name, tags)))
    monkeypatch.setattr(metrics.Stats, "incr", lambda name, *a, tags=None, **k: counters.append((name, tags)))
    api.get("/jobs/3").mock(side_effect=[error(503, "INTERNAL_ERROR"), httpx.Response(200, json={"id": 3})])
    with caplog.at_level(logging.DEBUG, logger="airflow_provider_taptalent"):
        TapTalentHook().get_job(3)
    lines = [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if r.name == "airflow_provider_taptalent.client" and "->" in r.getMessage()
    ]
    # Hardening 21: every request at DEBUG, every failed one at WARNING.
    assert lines[0][0] == "WARNING"
    assert re.fullmatch(r"TapTalent GET /jobs/3 -> 503 in \d+ ms \(attempt 1\)", lines[0][1])
    assert lines[-1][0] == "DEBUG"
    assert re.fullmatch(r"TapTalent GET /jobs/3 -> 200 in \d+ ms \(attempt 2\)", lines[-1][1])
    tags = {"endpoint": "jobs_get", "method": "GET", "conn_id": "taptalent_default"}
    # One timing per attempt, in the form the backend keeps: tagged (OTel, Datadog, InfluxDB StatsD), or
    # dotted with its dimensions (plain StatsD, which drops tags).
    if backend == "tags":
        assert timings == [
            ("taptalent.api.request", {**tags, "status": "503"}),
            ("taptalent.api.request", {**tags, "status": "200"}),
        ]
        success = [("taptalent.api.call", {**tags, "outcome": "success", "code": "OK"})]
    else:
        assert timings == [
            ("taptalent.api.request.jobs_get.GET.503.taptalent_default", None),
            ("taptalent.api.request.jobs_get.GET.200.taptalent_default", None),
        ]
        success = [("taptalent.api.call.jobs_get.GET.success.OK.taptalent_default", None)]
    # A failed attempt that is retried counts as a retry, the call's outcome as one success: each in the
    # backend's one form too (both forms counted twice, or lost one to a mapping: review 2026-12-02 #39).
    retry = (
        ("taptalent.api.retry", {**tags, "code": "INTERNAL_ERROR"})
        if backend == "tags"
        else ("taptalent.api.retry.jobs_get.GET.INTERNAL_ERROR.taptalent_default", None)
    )
    assert counters == [retry, *success]


def test_test_connection_reports_environment_and_url(api):
    api.get("/jobs").respond(json={"jobs": [], "totalJobs": 45})
    ok, message = TapTalentHook().test_connection()
    assert ok
    assert (
        message
        == "Connected to the TapTalent sandbox API at http://taptalent.test/v1/partner: 45 job(s) visible to this key."
    )


def test_test_connection_never_raises(api, monkeypatch, waits):
    api.get("/jobs").mock(return_value=error(401, "UNAUTHORIZED"))
    assert TapTalentHook().test_connection() == (
        False,
        "TapTalentAuthenticationError: 401 UNAUTHORIZED: UNAUTHORIZED happened",
    )
    set_connection(monkeypatch, password="not-a-key")
    ok, message = TapTalentHook().test_connection()
    assert not ok and "not a TapTalent key" in message
    ok, message = TapTalentHook("missing_connection").test_connection()
    assert not ok and "missing_connection" in message


def test_a_misconfigured_connection_fails_before_any_request(api, monkeypatch):
    set_connection(monkeypatch, password=TEST_KEY, extra={"environment": "production"})
    with pytest.raises(TapTalentConfigurationError, match="Use an sk_live_ key"):
        TapTalentHook().list_jobs()
    assert not api.calls


async def test_async_methods_run_inside_the_event_loop(api, waits):
    api.get("/jobs/1").mock(side_effect=[error(503, "INTERNAL_ERROR"), httpx.Response(200, json={"id": 1})])
    api.get("/candidates/batch/8").respond(json={"success": True, "data": {"batchId": 8, "status": "PROCESSING"}})
    async with TapTalentHook() as hook:
        job, batch = await asyncio.gather(hook.aget_job(1), hook.aget_batch(8))
        driver = await hook._adriver()
        assert driver is await hook._adriver()  # one client per hook
    assert (job.id, batch.status) == (1, "PROCESSING")
    assert len(waits) == 1


async def test_async_create_recovers_like_the_sync_one(api, waits):
    create = api.post("/jobs").mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, json={"id": 99, **JOB})]
    )
    api.get("/jobs").mock(return_value=jobs_page({"id": 41, **JOB, "createdAt": 4102444800}))
    async with TapTalentHook() as hook:
        assert (await hook.acreate_job(JOB)).id == 41
    assert create.call_count == 1


async def test_async_pagination(api):
    api.get("/jobs", params={"pageNumber": 1}).respond(json={"jobs": [{"id": n} for n in range(100)], "totalJobs": 120})
    api.get("/jobs", params={"pageNumber": 2}).respond(
        json={"jobs": [{"id": n} for n in range(100, 120)], "totalJobs": 120}
    )
    async with TapTalentHook() as hook:
        assert [job.id async for job in hook.aiter_jobs()] == list(range(120))


def test_test_connection_retries_at_most_once(api, waits):
    route = api.get("/jobs").mock(return_value=error(503, "INTERNAL_ERROR"))
    ok, message = TapTalentHook().test_connection()
    assert not ok and "503" in message
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (b'{"id": 5, "title": "Data \\u00e9ngineer"}', "Data \u00e9ngineer"),
        (b'{"id": 5, "title": "half a pair \\ud800"}', "half a pair \ud800"),  # pydantic's parser refuses it
    ],
)
def test_bodies_are_read_as_the_standard_json_parser_reads_them(api, body, title):
    api.get("/jobs/5").respond(200, content=body, headers={"Content-Type": "application/json"})
    assert TapTalentHook().get_job(5).title == title


def test_a_body_that_is_not_json_is_an_error_naming_the_call(api):
    api.get("/jobs/5").respond(200, content=b"<html>oops</html>")
    with pytest.raises(TapTalentError, match="GET /jobs/5 with a body that is not JSON"):
        TapTalentHook().get_job(5)


def test_without_a_metrics_backend_no_metric_is_worked_out(api, waits, monkeypatch):
    """Stats drops everything when no backend is on: the metrics are not worked out at all."""
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "False")
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_ON", "False")
    sent = []
    monkeypatch.setattr(metrics.Stats, "timing", lambda name, ms, tags=None: sent.append(name))
    monkeypatch.setattr(metrics.Stats, "incr", lambda name, *a, tags=None, **k: sent.append(name))
    api.get("/jobs/3").mock(side_effect=[error(503, "INTERNAL_ERROR"), httpx.Response(200, json={"id": 3})])
    TapTalentHook().get_job(3)
    assert sent == []
