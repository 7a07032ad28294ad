"""The webhook receiver under attack: rate limits, hostile bodies, rotation.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

# -- item 10: the webhook receiver under attack ------------------------------------------------------------------


WEBHOOK_SECRET = "whsec_hardening_test"


def _delivery(**changes: object) -> dict:
    body = {
        "event": "resume.bulk_upload_parse.completed",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "companyId": 1,
        "data": {"batchId": 7, "status": "COMPLETED", "fileCount": 1, "successCount": 1, "failedCount": 0},
    }
    body.update(changes)
    return body


class _Recorder:
    def __init__(self) -> None:
        self.events: list = []

    def record(self, conn_id, event):
        self.events.append((conn_id, event.dedupe_key))
        return "recorded"


def _client(lookup=None, **limits):
    from fastapi.testclient import TestClient

    from airflow_provider_taptalent.webhooks import create_app

    recorder = _Recorder()
    app = create_app(recorder=recorder, key_lookup=lookup or (lambda conn_id: WEBHOOK_SECRET), **limits)
    return TestClient(app), recorder


def _post(client, conn_id="taptalent_default", body=None, key=WEBHOOK_SECRET, raw=None):
    content = raw if raw is not None else json.dumps(body or _delivery()).encode()
    return client.post(f"/{conn_id}", content=content, headers={"X-Webhook-Key": key})


def test_item10_an_unverified_callers_path_never_reaches_the_log(caplog):
    client, _ = _client()
    caplog.set_level("INFO", logger="airflow_provider_taptalent.webhooks.app")
    injected = "taptalent_default%0A2026-12-01 INFO forged line"
    assert _post(client, conn_id=injected, key="wrong").status_code == 404
    assert _post(client, conn_id="made_up_conn", key="wrong").status_code == 401
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("airflow_provider_taptalent"))
    assert "forged" not in ours and "made_up_conn" not in ours  # (the test client's own request log aside)


def test_item10_a_flood_of_unauthenticated_posts_is_rate_limited_and_spends_few_lookups(monkeypatch):
    """Before: 3,000 posts in 9 s, every one a secrets look-up and a cache entry that never shrank."""

    from airflow_provider_taptalent.webhooks import app as app_module

    # the receiver's clock stands still: the buckets never refill, however slowly a loaded machine posts
    monkeypatch.setattr(app_module, "time", SimpleNamespace(monotonic=lambda: 1000.0, perf_counter=time.perf_counter))
    lookups = []
    client, recorder = _client(lookup=lambda conn_id: lookups.append(conn_id) or None)
    answers = [_post(client, conn_id=f"conn_{n}", key="guess").status_code for n in range(300)]
    assert answers.count(429) > 200 and set(answers) <= {401, 429}
    assert len(lookups) <= 25  # the cache-miss burst; made-up ids cost nothing after it
    limited = _post(client, conn_id="conn_x", key="guess")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert recorder.events == []


def test_item10_the_per_connection_limit_answers_429_with_retry_after():
    client, recorder = _client(per_source=(1000, 1000), per_connection=(1, 3))
    codes = [_post(client, body=_delivery(data={"batchId": n, "status": "COMPLETED"})).status_code for n in range(6)]
    assert codes[:3] == [200, 200, 200] and set(codes[3:]) == {429}
    assert len(recorder.events) == 3


def test_posts_without_the_secret_never_spend_what_the_real_sender_may_deliver(monkeypatch):
    """Review 2026-12-02 #12: before, one address posting to made-up ids used up the source's and the
    'unknown connections' buckets, and wrong keys the connection's: 4 of 5 real deliveries got 429.
    Behind a proxy every caller has one address, as the test client's requests do here."""
    from airflow_provider_taptalent.webhooks import app as app_module

    client, recorder = _client(per_connection=(1, 5))
    assert _post(client, body=_delivery(data={"batchId": 0, "status": "COMPLETED"})).status_code == 200
    monkeypatch.setattr(app_module, "KEY_CACHE_SECONDS", 0)  # every real delivery a fresh look-up too
    flood = [_post(client, conn_id=f"made_up_{n}", key="guess").status_code for n in range(300)]
    flood += [_post(client, key="wrong").status_code for _ in range(50)]
    assert 429 in flood  # the flood itself is limited ...
    real = [_post(client, body=_delivery(data={"batchId": n, "status": "COMPLETED"})).status_code for n in range(1, 5)]
    assert real == [200, 200, 200, 200]  # ... but never at the real sender's expense
    assert len(recorder.events) == 5


def test_item10_the_key_cache_is_bounded():
    from airflow_provider_taptalent.webhooks import app as app_module

    keys = app_module._CachedKeys(lambda conn_id: None, app_module.RateLimit(1e9, 1e9))
    for n in range(app_module.KEY_CACHE_SIZE * 3):
        keys.get(f"c{n}")
    assert len(keys._cache) == app_module.KEY_CACHE_SIZE


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (json.dumps(_delivery(timestamp=1e300)).encode(), "not a TapTalent event"),
        (b'{"event": "x", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
        (json.dumps(_delivery(timestamp="2019-05-01T00:00:00Z")).encode(), "time window"),
        (json.dumps(_delivery(timestamp=None)).encode(), "no timestamp"),
        # review 2026-12-02 #23: PostgreSQL's receipts column is 250 characters: a DataError, 500, redelivered
        (json.dumps(_delivery(data={"batchId": "9" * 251, "status": "COMPLETED"})).encode(), "batch id too long"),
    ],
    ids=lambda value: value if isinstance(value, str) else "body",  # bodies carry the time: named by what is said
)
def test_item10_hostile_bodies_with_a_valid_key_are_400_not_500(raw, says):
    """Before: ``timestamp: 1e300`` and deep nesting answered 500 for ever (redelivered); 2019 was recorded."""
    client, recorder = _client()
    response = _post(client, raw=raw)
    assert response.status_code == 400, response.text
    assert says in response.json()["error"]
    assert recorder.events == []


def test_item10_the_key_is_checked_before_the_body_is_read():
    """Before: a slow body held a connection 21 s before the key was even looked at."""
    client, _ = _client()
    read = []

    def body():
        read.append(1)
        yield json.dumps(_delivery()).encode()

    response = client.post("/taptalent_default", content=body(), headers={"X-Webhook-Key": "wrong"})
    assert response.status_code == 401
    assert read == []


def test_item10_a_body_that_does_not_arrive_in_time_is_408(monkeypatch):
    from airflow_provider_taptalent.webhooks import app as app_module

    async def never(request):
        await asyncio.sleep(3600)

    monkeypatch.setattr(app_module, "BODY_SECONDS", 0.05)
    monkeypatch.setattr(app_module, "_read_limited", never)
    client, _ = _client()
    assert _post(client).status_code == 408


def test_item10_rotation_accepts_the_current_and_the_previous_secret():
    client, recorder = _client(lookup=lambda conn_id: ["new-secret", "old-secret"])
    assert _post(client, key="old-secret").status_code == 200
    assert (
        _post(client, key="new-secret", body=_delivery(data={"batchId": 8, "status": "COMPLETED"})).status_code == 200
    )
    assert _post(client, key="older-secret").status_code == 401
    assert len(recorder.events) == 2
