"""The fallback key (once, on 401 or 403 ACCOUNT_INACTIVE only), check_key for both keys, and the rotation
procedure of the README walked through against the sandbox without a failed task or a rejected delivery."""

from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest
import respx

from airflow_provider_taptalent.client.errors import (
    TapTalentAuthenticationError,
    TapTalentConfigurationError,
    TapTalentValidationError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator
from airflow_provider_taptalent.utils import metrics
from tests.conftest import FAKE_API, FAKE_HOST, TEST_KEY, set_connection

FALLBACK = "sk_test_FallbackFallbackFallba"
JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def auth_header(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def with_fallback(monkeypatch, waits):
    set_connection(monkeypatch, password=TEST_KEY, host=FAKE_HOST, extra={"fallback_api_key": FALLBACK})


@pytest.mark.parametrize(("status", "code"), [(401, "UNAUTHORIZED"), (403, "ACCOUNT_INACTIVE")])
def test_a_refused_primary_key_is_replaced_once_by_the_fallback(with_fallback, monkeypatch, caplog, status, code):
    counted = []
    monkeypatch.setenv("AIRFLOW__METRICS__OTEL_ON", "True")  # a backend that keeps tags: the plain names
    monkeypatch.setattr(metrics.Stats, "incr", lambda name, *a, tags=None, **k: counted.append(name))
    with respx.mock() as mock:
        route = mock.post(f"{FAKE_API}/jobs").mock(
            side_effect=lambda r: (
                httpx.Response(status, json={"error": {"code": code}})
                if auth_header(r) == TEST_KEY
                else httpx.Response(200, json={"id": 1, **JOB})
            )
        )
        later = mock.get(f"{FAKE_API}/jobs/1").respond(json={"id": 1})
        hook = TapTalentHook()
        assert hook.create_job(JOB, idempotency_key="same-key").id == 1
        hook.get_job(1)  # the next call goes straight to the fallback key
    keys = [auth_header(c.request) for c in route.calls]
    assert keys == [TEST_KEY, FALLBACK]
    assert {c.request.headers["Idempotency-Key"] for c in route.calls} == {"same-key"}
    assert [auth_header(c.request) for c in later.calls] == [FALLBACK]
    assert "taptalent.api.fallback_key" in counted
    assert "repeating it with the fallback key" in caplog.text and FALLBACK not in caplog.text


def test_other_errors_never_fall_back(with_fallback):
    with respx.mock() as mock:
        route = mock.post(f"{FAKE_API}/jobs").respond(400, json={"error": {"code": "INVALID_REQUEST"}})
        with pytest.raises(TapTalentValidationError):
            TapTalentHook().create_job(JOB)
    assert [auth_header(c.request) for c in route.calls] == [TEST_KEY]


def test_a_refused_fallback_key_is_raised_not_looped(with_fallback):
    with respx.mock() as mock:
        route = mock.get(f"{FAKE_API}/jobs/1").respond(401, json={"error": {"code": "UNAUTHORIZED"}})
        with pytest.raises(TapTalentAuthenticationError):
            TapTalentHook().get_job(1)
    assert [auth_header(c.request) for c in route.calls] == [TEST_KEY, FALLBACK]


def test_without_a_fallback_key_a_401_is_raised_at_once(fake_conn, waits):
    with respx.mock() as mock:
        route = mock.get(f"{FAKE_API}/jobs/1").respond(401, json={"error": {"code": "UNAUTHORIZED"}})
        with pytest.raises(TapTalentAuthenticationError):
            TapTalentHook().get_job(1)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("fallback", "says"),
    [
        ("not-a-key", "not a TapTalent key"),
        ("sk_live_FallbackFallbackFallba", "other environment"),
        (TEST_KEY, "is the API key itself"),
    ],
)
def test_the_fallback_key_is_checked_like_the_primary(monkeypatch, fallback, says):
    set_connection(monkeypatch, password=TEST_KEY, extra={"fallback_api_key": fallback})
    with pytest.raises(TapTalentConfigurationError, match=says) as raised:
        TapTalentHook().settings  # noqa: B018
    assert fallback not in str(raised.value) or fallback == "not-a-key"


def test_check_key_reports_both_keys(with_fallback):
    with respx.mock() as mock:
        mock.get(f"{FAKE_API}/jobs").mock(
            side_effect=lambda r: (
                httpx.Response(200, json={"jobs": [], "totalJobs": 0})
                if auth_header(r) == FALLBACK
                else httpx.Response(403, json={"error": {"code": "ACCOUNT_INACTIVE"}})
            )
        )
        status = TapTalentHook().check_key()
    assert (status.state, status.fallback_state) == ("inactive", "active")
    assert "renew it in TapTalent" in status.message


# -- the README's rotation procedure, against the sandbox ----------------------------------------------------------


def _sync(records, state):
    ti = SimpleNamespace(dag_id="d", task_id="s", run_id="r", map_index=-1, xcom_push=lambda key, value: None)
    return TapTalentSyncJobsOperator(task_id="s", jobs=records, state_path=str(state)).execute({"ti": ti})


def test_rotating_the_api_key_fails_no_task(sandbox, monkeypatch, tmp_path):
    old, new = sandbox.api_key, "sk_test_RotatedRotatedRotated1"

    def connection(primary, fallback=None):
        extra = {"fallback_api_key": fallback} if fallback else {}
        conn = {"conn_type": "taptalent", "password": primary, "host": sandbox.url, "extra": extra}
        monkeypatch.setenv("AIRFLOW_CONN_TAPTALENT_DEFAULT", json.dumps(conn))

    records = [
        {"external_id": f"R{n}", "updated_at": "2026-01-01T00:00:00Z", **JOB, "title": f"Role {n}"} for n in range(3)
    ]
    state = tmp_path / "state.json"
    connection(old)
    assert _sync(records[:1], state)["created"] == 1
    # 1. Add the new key in TapTalent, and as the connection's fallback key (deploy).
    sandbox.control.post("/keys", json={"key": new, "companyId": 1, "active": True})
    connection(old, fallback=new)
    assert _sync(records[:2], state)["created"] == 1
    # 2. The old key is deactivated in TapTalent: tasks carry on with the fallback key.
    sandbox.control.post("/keys", json={"key": old, "companyId": 1, "active": False})
    assert TapTalentHook().check_key().model_dump(include={"state", "fallback_state"}) == {
        "state": "inactive",
        "fallback_state": "active",
    }
    assert _sync(records, state)["created"] == 1
    # 3. Switch: the new key becomes the API key; 4. the old one is removed from the connection.
    connection(new)
    assert _sync(records, state)["unchanged"] == 3
    assert TapTalentHook().check_key().state == "active"
    assert len(sandbox.state()["companies"]["1"]["jobs"]) == 3


def test_rotating_the_webhook_secret_rejects_no_delivery():
    from fastapi.testclient import TestClient

    from airflow_provider_taptalent.webhooks import create_app

    secrets = {"current": ["old"]}
    recorded = []

    class Recorder:
        def record(self, conn_id, event):
            recorded.append(event.batch_id)
            return "recorded"

    import airflow_provider_taptalent.webhooks.app as app_module

    client = TestClient(create_app(recorder=Recorder(), key_lookup=lambda c: secrets["current"]))

    def deliver(batch_id: int, key: str) -> int:
        body = {"event": "resume.bulk_upload_parse.completed", "timestamp": _now(), "data": {"batchId": batch_id}}
        return client.post("/taptalent_default", content=json.dumps(body), headers={"X-Webhook-Key": key}).status_code

    assert deliver(1, "old") == 200
    # 1. Set the new secret in the connection, the old one as previous_webhook_secret (deploy).
    secrets["current"] = ["new", "old"]
    app_module.KEY_CACHE_SECONDS = 0.0  # the receiver re-reads the connection (30 s in production)
    try:
        assert deliver(2, "old") == 200  # 2. TapTalent still sends the old one ...
        assert deliver(3, "new") == 200  # 3. ... until it is switched in TapTalent's dashboard
        # 4. Remove previous_webhook_secret: only the new one is accepted.
        secrets["current"] = ["new"]
        assert deliver(4, "new") == 200
        assert deliver(5, "old") == 401
    finally:
        app_module.KEY_CACHE_SECONDS = 30.0
    assert recorded == [1, 2, 3, 4]


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()


# -- the cache of repeated reads -------------------------------------------------------------------------------------


def test_only_reference_data_is_cached_and_only_when_asked(fake_conn, waits):
    """Issue 25: the cache was on by default and held job listings, which the export and the sync had to
    switch off to stay correct. Now: off by default; with ``cache=True``, reference data only."""
    with respx.mock() as mock:
        listing = mock.get(f"{FAKE_API}/jobs").respond(json={"jobs": [], "totalJobs": 0})
        teams = mock.get(f"{FAKE_API}/teams").respond(json={"status": "success", "data": []})
        mock.post(f"{FAKE_API}/jobs").respond(json={"id": 1, **JOB})
        plain = TapTalentHook()
        plain.list_teams(), plain.list_teams()
        assert teams.call_count == 2  # off by default
        hook = TapTalentHook(cache=True)
        hook.list_jobs(), hook.list_jobs(), hook.list_teams(), hook.list_teams()
        assert (listing.call_count, teams.call_count) == (2, 3)  # jobs never; teams once
        hook.create_job(JOB)
        hook.list_teams()
        assert teams.call_count == 4  # any write empties it
        TapTalentHook(cache=True).list_teams()  # never shared across hooks (connections, keys)
        assert teams.call_count == 5


def test_create_recovery_never_reads_a_cached_listing(fake_conn, waits):
    import time

    with respx.mock() as mock:
        mine = {"id": 9, **JOB, "createdAt": int(time.time()) + 1}
        listing = mock.get(f"{FAKE_API}/jobs").mock(
            side_effect=[httpx.Response(200, json={"jobs": [], "totalJobs": 0}),
                         httpx.Response(200, json={"jobs": [mine], "totalJobs": 1})]
        )  # fmt: skip
        mock.post(f"{FAKE_API}/jobs").respond(503, json={"error": {"code": "INTERNAL_ERROR"}})
        hook = TapTalentHook()
        assert hook.list_jobs().total_jobs == 0  # cached ...
        assert hook.create_job(JOB).id == 9  # ... but recovery reads afresh and finds the job the 503 made
    assert listing.call_count == 2


def test_a_sync_of_many_records_lists_jobs_once(sandbox_conn, sandbox, tmp_path):
    records = [
        {"external_id": f"R{n}", "updated_at": "2026-01-01T00:00:00Z", **JOB, "title": f"Role {n}"} for n in range(30)
    ]
    _sync(records, tmp_path / "s.json")
    listings = [r for r in sandbox.requests() if r["method"] == "GET" and r["path"].endswith("/jobs")]
    assert len(listings) == 1


def test_a_read_in_flight_across_a_write_is_not_cached(fake_conn, waits):
    """Review 2026-12-02 #22: a read answered before a write landed was cached after it, for up to 60 s."""
    import threading

    teams: list[dict] = []
    reading, written = threading.Event(), threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            teams.append({"id": "t1", "name": "Recruiting"})  # a write that changes the teams (as any may)
            return httpx.Response(200, json={"id": 1, **JOB})
        body = {"status": "success", "data": list(teams)}  # read before the write ...
        if not reading.is_set():
            reading.set()
            written.wait(5)  # ... answered after it
        return httpx.Response(200, json=body)

    hook = TapTalentHook(cache=True)
    hook.transport = httpx.MockTransport(answer)
    reader = threading.Thread(target=hook.list_teams)
    reader.start()
    reading.wait(5)
    hook.create_job(JOB, idempotency_key="k")
    written.set()
    reader.join(5)
    assert len(hook.list_teams()) == 1  # before: 0, from the cache
