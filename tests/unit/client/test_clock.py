"""A create's recovery reads TapTalent's clock (its ``Date`` headers), never this worker's (review 2026-12-02 #3).

The worker's clock is off by minutes in both directions: TapTalent's answers carry a ``Date`` that far
from ``time.time()``. Only a job created in the second of the first attempt, or later, is the create's own.
"""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
import respx

from airflow_provider_taptalent.client.clock import ServerClock
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from tests.conftest import FAKE_API

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}
SKEWS = [pytest.param(-300, id="worker 5 min ahead"), pytest.param(300, id="worker 5 min behind")]


@pytest.fixture
def api(fake_conn, waits):
    with respx.mock(base_url=FAKE_API, assert_all_called=False) as mock:
        yield mock


def _date(epoch: float) -> dict[str, str]:
    return {"Date": email.utils.formatdate(epoch, usegmt=True)}


def _job(job_id: int, created: int) -> dict:
    return {"id": job_id, **JOB, "createdAt": created, "updatedAt": created}


@pytest.mark.parametrize("skew", SKEWS)
def test_a_same_body_job_made_a_second_before_the_create_is_never_adopted(api, skew):
    """Before: with TapTalent 5 minutes ahead, the older job came back as the new one (a 2 s local window)."""
    server_now = int(time.time()) + skew
    older = _job(10001, server_now - 1)
    api.get("/jobs").respond(json={"jobs": [older], "totalJobs": 1}, headers=_date(server_now))
    post = api.post("/jobs").mock(
        side_effect=[
            httpx.Response(503, json={"error": {"code": "INTERNAL_ERROR"}}, headers=_date(server_now)),
            httpx.Response(200, json=_job(10002, server_now), headers=_date(server_now)),
        ]
    )
    assert TapTalentHook().create_job(JOB, idempotency_key="k-older").id == 10002
    assert post.call_count == 2


@pytest.mark.parametrize("skew", SKEWS)
def test_the_job_the_failed_attempt_made_is_found_whatever_the_worker_clock(api, skew):
    """Before: with TapTalent 5 minutes behind, the create's own job looked too old and was sent again."""
    server_now = int(time.time()) + skew
    mine = _job(10003, server_now)
    api.get("/jobs").respond(
        json={"jobs": [mine, _job(10001, server_now - 1)], "totalJobs": 2}, headers=_date(server_now)
    )
    post = api.post("/jobs").mock(side_effect=[httpx.Response(502, json={"error": {}}, headers=_date(server_now))])
    assert TapTalentHook().create_job(JOB, idempotency_key="k-mine").id == 10003
    assert post.call_count == 1


@pytest.mark.parametrize("skew", SKEWS)
def test_an_attempt_without_an_answer_is_placed_by_the_answer_before_it(api, skew):
    """A dropped connection has no ``Date``: the last answer's, plus the time since, places the attempt."""
    server_now = int(time.time()) + skew
    api.get("/jobs/7").respond(json={"id": 7, **JOB}, headers=_date(server_now))
    api.get("/jobs").respond(
        json={"jobs": [_job(10004, server_now), _job(10001, server_now - 2)], "totalJobs": 2}, headers=_date(server_now)
    )
    post = api.post("/jobs").mock(side_effect=[httpx.ConnectError("dropped")])
    hook = TapTalentHook()
    hook.get_job(7)
    assert hook.create_job(JOB, idempotency_key="k-drop").id == 10004
    assert post.call_count == 1
    assert abs(hook.server_time() - server_now) <= 1


def test_the_clock_rules():
    clock = ServerClock()
    assert abs(clock.now() - (time.time() - 2)) <= 1  # nothing seen: the local clock, less the margin
    clock.observe("Sun, 01 Nov 2026 12:00:00 GMT", sent=100.0, received=100.2)
    # an answer to a request sent at or after the moment: its second, less the whole seconds since
    assert clock.second_of(100.0) == 1793534400
    assert clock.second_of(98.5) == 1793534400 - 1
    # a moment after the answer: its second plus the time since, rounded down
    assert clock.second_of(100.7) == 1793534400
    assert clock.second_of(101.3) == 1793534401
    for bad in (None, "", "yesterday", "Sun, 01 Nov 2026 12:00:00"):  # no zone: not a Date
        ServerClock().observe(bad, 0.0, 0.0)
    clock.observe("not a date", sent=200.0, received=200.0)
    assert clock.second_of(100.0) == 1793534400  # a bad header changes nothing
