"""Webhook verification and the receiver app (with an in-memory recorder; the DB path is in tests/e2e)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from airflow_provider_taptalent.exceptions import TapTalentWebhookError
from airflow_provider_taptalent.models import WebhookEvent
from airflow_provider_taptalent.webhooks import create_app, verify_delivery
from airflow_provider_taptalent.webhooks import verify as verify_module
from airflow_provider_taptalent.webhooks.recorders import RestApiRecorder, asset_uri

KEY = "whk_live_secret_value_42"
NOW = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
COMPLETED = {
    "event": "resume.bulk_upload_parse.completed",
    "timestamp": NOW,
    "companyId": 12345,
    "data": {"batchId": 7, "status": "COMPLETED", "fileCount": 25, "successCount": 23, "failedCount": 2, "jobId": None},
}


def headers(key=KEY, event="resume.bulk_upload_parse.completed"):
    return {
        "X-Webhook-Key": key,
        "X-Webhook-Event": event,
        "X-Webhook-Timestamp": NOW,
        "Content-Type": "application/json",
    }


# -- verify_delivery ----------------------------------------------------------------------------------


def test_a_good_delivery_parses():
    event = verify_delivery(headers(), json.dumps(COMPLETED), KEY)
    assert (event.event, event.batch_id, event.company_id) == ("resume.bulk_upload_parse.completed", 7, 12345)
    assert event.data["successCount"] == 23


def test_header_names_are_case_insensitive():
    lowered = {k.lower(): v for k, v in headers().items()}
    assert verify_delivery(lowered, json.dumps(COMPLETED).encode(), KEY).batch_id == 7


@pytest.mark.parametrize(
    ("sent", "configured"), [("wrong", KEY), ("", KEY), (KEY[:-1], KEY), (KEY, None), (KEY, ""), ("", "")]
)
def test_every_key_failure_is_the_same_401_and_never_echoes_a_key(sent, configured):
    with pytest.raises(TapTalentWebhookError) as caught:
        verify_delivery(headers(key=sent), json.dumps(COMPLETED), configured)
    assert caught.value.status_code == 401
    assert str(caught.value) == "401: invalid webhook key"
    assert KEY not in repr(caught.value) and (not sent or sent not in str(caught.value))


def test_the_key_is_compared_in_constant_time(monkeypatch):
    calls = []
    monkeypatch.setattr(verify_module.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or a == b)
    verify_delivery(headers(), json.dumps(COMPLETED), KEY)
    assert calls == [(KEY.encode(), KEY.encode())]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"x" * (1024 * 1024 + 1), 413, "larger than"),
        (b"{not json", 400, "not JSON"),
        (json.dumps({"data": {}}), 400, "not a TapTalent event"),
        (json.dumps({**COMPLETED, "data": {"status": "COMPLETED"}}), 400, "without data.batchId"),
        (json.dumps({**COMPLETED, "event": "resume.bulk_upload_parse.failed"}), 400, "does not match"),
    ],
    ids=["too large", "not json", "no event", "no batch id", "event mismatch"],  # bodies carry a time: no ids
)
def test_bad_bodies(body, status, says):
    with pytest.raises(TapTalentWebhookError, match=says) as caught:
        verify_delivery(headers(), body, KEY)
    assert caught.value.status_code == status


# -- the receiver app ---------------------------------------------------------------------------------


class MemoryRecorder:
    def __init__(self, *, known_assets=("taptalent_default",), fail=False):
        self.events: list[tuple[str, WebhookEvent]] = []
        self.known_assets = known_assets
        self.fail = fail

    def record(self, conn_id, event):
        if self.fail:
            raise RuntimeError("database is down")
        if conn_id not in self.known_assets:
            return "no_asset"
        if any((c, e.dedupe_key) == (conn_id, event.dedupe_key) for c, e in self.events):
            return "duplicate"
        self.events.append((conn_id, event))
        return "recorded"


@pytest.fixture
def recorder():
    return MemoryRecorder()


@pytest.fixture
def client(recorder):
    app = create_app(
        recorder=recorder, key_lookup=lambda conn_id: {"taptalent_default": KEY, "other": KEY}.get(conn_id)
    )
    with TestClient(app) as test_client:
        yield test_client


def post(client, body=COMPLETED, conn_id="taptalent_default", **kwargs):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/{conn_id}", content=content, headers={**headers(**kwargs)})


def test_a_delivery_is_recorded_once_and_repeats_are_acknowledged(client, recorder):
    first, again = post(client), post(client)
    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    assert [(c, e.batch_id) for c, e in recorder.events] == [("taptalent_default", 7)]


def test_unknown_events_are_acknowledged_and_ignored(client, recorder):
    response = post(client, {**COMPLETED, "event": "candidate.updated"}, event="candidate.updated")
    assert (response.status_code, response.json()["ignored"]) == (202, "event not handled")
    assert recorder.events == []


def test_an_asset_no_dag_uses_is_acknowledged_with_the_reason(client):
    response = post(client, conn_id="other")
    assert response.status_code == 202
    assert response.json()["ignored"] == f"no DAG is scheduled on {asset_uri('other')}"


@pytest.mark.parametrize("case", ["wrong key", "no key", "unknown connection"])
def test_refusals_look_the_same_whatever_was_wrong(client, recorder, case):
    kwargs = {"wrong key": {"key": "nope"}, "no key": {"key": ""}, "unknown connection": {"conn_id": "nobody"}}[case]
    response = post(client, **kwargs)
    assert (response.status_code, response.json()) == (401, {"error": "invalid webhook key"})
    assert recorder.events == []


def test_oversize_bodies_are_refused_declared_or_streamed(client, recorder):
    big = b"x" * (1024 * 1024 + 10)
    assert post(client, big).status_code == 413

    def chunks():
        for _ in range(11):
            yield b"x" * (100 * 1024)

    streamed = client.post("/taptalent_default", content=chunks(), headers=headers())
    assert streamed.status_code == 413
    assert recorder.events == []


def test_malformed_bodies_are_400(client, recorder):
    response = post(client, b"{nope")
    assert (response.status_code, response.json()) == (400, {"error": "webhook body is not JSON"})
    assert recorder.events == []


def test_a_recording_failure_is_a_500_so_that_taptalent_delivers_again(caplog):
    app = create_app(recorder=MemoryRecorder(fail=True), key_lookup=lambda c: KEY)
    with TestClient(app) as test_client:
        response = post(test_client)
    assert response.status_code == 500


def test_one_log_line_per_delivery_without_the_key(client, caplog):
    caplog.set_level(logging.INFO, logger="airflow_provider_taptalent.webhooks.app")
    post(client)
    post(client, key="wrong-key-value")
    lines = [r.getMessage() for r in caplog.records if r.name == "airflow_provider_taptalent.webhooks.app"]
    assert lines[0].startswith(
        "TapTalent webhook taptalent_default resume.bulk_upload_parse.completed batch 7: recorded (200) in "
    )
    assert "refused (401)" in lines[1]
    assert KEY not in caplog.text and "wrong-key-value" not in caplog.text


def test_the_key_is_looked_up_once_per_burst():
    lookups = []
    app = create_app(recorder=MemoryRecorder(), key_lookup=lambda c: lookups.append(c) or KEY)
    with TestClient(app) as test_client:
        for _ in range(5):
            post(test_client)
    assert lookups == ["taptalent_default"]


# -- the REST recorder (Airflow 2.11, receiver run on its own) -----------------------------------------


def test_the_rest_recorder_posts_a_dataset_event_and_dedupes():
    event = WebhookEvent.from_wire(COMPLETED)
    with respx.mock(base_url="http://airflow.test/api/v1") as api:
        api.get("/datasets").respond(json={"datasets": [{"id": 3, "uri": asset_uri("taptalent_default")}]})
        api.get("/datasets/events").respond(json={"dataset_events": []})
        created = api.post("/datasets/events").respond(json={"id": 1})
        recorder = RestApiRecorder("http://airflow.test", ("admin", "pw"))
        assert recorder.record("taptalent_default", event) == "recorded"
        assert recorder.record("taptalent_default", event) == "duplicate"
    sent = json.loads(created.calls.last.request.read())
    assert sent == {"dataset_uri": "taptalent://taptalent_default/batches", "extra": COMPLETED}
    assert created.calls.last.request.headers["Authorization"].startswith("Basic ")


def test_the_rest_recorder_finds_deliveries_recorded_before_a_restart():
    event = WebhookEvent.from_wire(COMPLETED)
    with respx.mock(base_url="http://airflow.test/api/v1", assert_all_called=False) as api:
        api.get("/datasets").respond(json={"datasets": [{"id": 3, "uri": asset_uri("taptalent_default")}]})
        api.get("/datasets/events").respond(json={"dataset_events": [{"extra": COMPLETED}]})
        created = api.post("/datasets/events")
        assert RestApiRecorder("http://airflow.test", "token").record("taptalent_default", event) == "duplicate"
    assert created.call_count == 0


def test_the_rest_recorder_reports_a_missing_dataset():
    with respx.mock(base_url="http://airflow.test/api/v1") as api:
        api.get("/datasets").respond(json={"datasets": []})
        api.post("/datasets/events").mock(return_value=httpx.Response(404, json={"title": "Dataset not found"}))
        assert (
            RestApiRecorder("http://airflow.test", "token").record("x", WebhookEvent.from_wire(COMPLETED)) == "no_asset"
        )


def test_the_example_dag_picks_only_completed_batches():
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("on_batch", REPO / "example_dags" / "taptalent_on_batch_completed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Event:
        def __init__(self, extra):
            self.extra = extra

    started = {**COMPLETED, "event": "resume.bulk_upload_parse.started", "data": {"batchId": 9}}
    events = {
        "asset": [Event(started), Event(COMPLETED), Event(COMPLETED), Event({**COMPLETED, "data": {"batchId": 8}})]
    }
    assert module.completed_batch_ids(events) == [7, 8]
    assert module.completed_batch_ids({"asset": [Event(started)]}) == []


def test_without_the_receipts_table_a_delivery_is_refused_with_503_naming_the_command(monkeypatch, caplog):
    """Before: the table was created at run time, by the API server's database user; now it is an explicit
    step, and a receiver not set up says so (TapTalent delivers again: nothing is lost)."""
    import contextlib

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from airflow_provider_taptalent import _compat
    from airflow_provider_taptalent.client.models import WebhookEvent
    from airflow_provider_taptalent.webhooks import recorders

    engine = create_engine("sqlite://")

    @contextlib.contextmanager
    def create_session():
        with Session(engine) as session:
            yield session

    monkeypatch.setattr(_compat, "asset_event_store", lambda: (None, None, None, create_session))
    event = WebhookEvent.model_validate(
        {"event": "resume.bulk_upload_parse.completed", "timestamp": "2026-12-03T10:00:00Z", "data": {"batchId": 7}}
    )
    with pytest.raises(recorders.TapTalentWebhookError, match="receipts create") as refused:
        recorders.AssetEventRecorder().record("taptalent_default", event)
    assert refused.value.status_code == 503
    assert recorders.create_receipts_table(engine) is True
    assert recorders.create_receipts_table(engine) is False
