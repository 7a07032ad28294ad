"""TapTalentBatchTrigger against the sandbox: one event per wait, deadlines that survive restarts."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import httpx
import pytest

from airflow_provider_taptalent.triggers import taptalent as trigger_module
from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger

CLASSPATH = "airflow_provider_taptalent.triggers.taptalent.TapTalentBatchTrigger"


def upload(sandbox, urls):
    import httpx

    response = httpx.post(
        f"{sandbox.api_url}/candidates/bulk/resume",
        json={"resumeURLs": urls},
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    )
    return response.json()["data"]["batchId"]


async def until(condition, timeout=10.0):
    """Until ``condition()`` holds (the sandbox's state, seen over HTTP: there is no event to wait on)."""

    async def holds():
        while not condition():  # noqa: ASYNC110 - see the docstring
            await asyncio.sleep(0.02)

    await asyncio.wait_for(holds(), timeout)


async def events(trigger):
    return [event async for event in trigger.run()]


def test_serialize_round_trips_with_primitives_only():
    trigger = TapTalentBatchTrigger([1, "b-2"], "tt", 5, 1_800_000_000.5)
    classpath, kwargs = trigger.serialize()
    assert classpath == CLASSPATH
    assert kwargs == {
        "batch_ids": [1, "b-2"],
        "taptalent_conn_id": "tt",
        "poll_interval": 5.0,
        "end_time": 1_800_000_000.5,
    }
    assert TapTalentBatchTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_kwargs_survive_airflow_serde_where_it_exists():
    serde = pytest.importorskip("airflow.sdk.serde")
    _, kwargs = TapTalentBatchTrigger([1, 2], "tt", 5, time.time() + 60).serialize()
    assert serde.deserialize(serde.serialize(kwargs)) == kwargs


async def test_success_when_every_batch_finishes(sandbox_conn, sandbox):
    ids = [
        upload(sandbox, ["https://f.example/a.pdf"]),
        upload(sandbox, ["https://f.example/b.pdf", "https://f.example/corrupt.pdf"]),
    ]
    [event] = await events(TapTalentBatchTrigger(ids, sandbox_conn, 0.1, time.time() + 30))
    assert event.payload["status"] == "success"
    assert [b["batch_id"] for b in event.payload["batches"]] == ids
    assert [(b["status"], b["success_count"], b["failed_count"]) for b in event.payload["batches"]] == [
        ("COMPLETED", 1, 0),
        ("COMPLETED", 1, 1),
    ]


async def test_a_failed_batch_is_still_a_finished_one(sandbox_conn, sandbox):
    batch = upload(sandbox, ["https://f.example/corrupt.pdf"])
    [event] = await events(TapTalentBatchTrigger([batch], sandbox_conn, 0.1, time.time() + 30))
    assert event.payload["status"] == "success"
    assert event.payload["batches"][0]["status"] == "FAILED"


async def test_timeout_at_the_absolute_deadline(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, ["https://f.example/a.pdf"])
    started = time.monotonic()
    [event] = await events(TapTalentBatchTrigger([batch], sandbox_conn, 0.1, time.time() + 0.5))
    assert event.payload["status"] == "timeout"
    assert str(batch) in event.payload["message"]
    assert 0.4 < time.monotonic() - started < 5


async def test_transient_5xx_and_429_do_not_end_the_wait(sandbox_conn, sandbox, waits):
    sandbox.control.patch("/config", json={"batchSeconds": 3600})
    batch = upload(sandbox, ["https://f.example/a.pdf"])
    sandbox.set_faults(rate_5xx=0.25, rate_429=0.15, seed=11)
    waiting = asyncio.create_task(events(TapTalentBatchTrigger([batch], sandbox_conn, 0.1, time.time() + 30)))
    await until(lambda: sum(sandbox.control.get("/faults").json()["counts"].values()) >= 3 or waiting.done())
    assert not waiting.done()  # three faults in, still waiting
    sandbox.advance()
    [event] = await asyncio.wait_for(waiting, 10)
    assert event.payload["status"] == "success"
    assert waits  # some retries happened, none ended the wait


async def test_an_error_becomes_one_error_event_with_the_ids(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_TT", '{"conn_type": "taptalent", "password": "not-a-key"}')
    [event] = await events(TapTalentBatchTrigger([7, 8], "tt", 0.1, time.time() + 30))
    assert event.payload["status"] == "error"
    assert event.payload["batch_ids"] == [7, 8]
    assert "not a TapTalent key" in event.payload["message"]


async def polled(sandbox, batch, times):
    """Until the sandbox has answered ``times`` polls of the batch (the trigger's own pace, no fixed wait)."""
    path = f"/v1/partner/candidates/batch/{batch}"
    await until(lambda: sum(entry["path"] == path for entry in sandbox.requests()) >= times)


async def test_still_waiting_while_batches_run(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, ["https://f.example/a.pdf"])
    task = asyncio.create_task(TapTalentBatchTrigger([batch], sandbox_conn, 0.1, time.time() + 60).run().__anext__())
    await polled(sandbox, batch, 3)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_triggerers_cancel_stops_the_wait_even_as_a_poll_ends(fake_conn, monkeypatch):
    """The triggerer cancels the trigger just as a poll answers. Before (asyncio.wait_for, Python < 3.12) the
    cancel was swallowed and the wait polled on for ever: seen as a flaky test under load on 3.10 and 3.11."""
    waiting: asyncio.Task | None = None
    polls = 0

    async def apoll(hook, pending):
        nonlocal polls
        polls += 1
        waiting.cancel()  # the triggerer stops this trigger, while the poll's answer is in
        return [{"batch_id": 7, "status": "PROCESSING", "file_count": 1, "processed_count": 0}]

    monkeypatch.setattr(trigger_module._batches, "apoll", apoll)
    waiting = asyncio.create_task(TapTalentBatchTrigger([7], fake_conn, 0.01, time.time() + 60).run().__anext__())
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(waiting), 5)
    assert polls == 1


async def test_a_restarted_trigger_keeps_the_original_deadline_and_fires_once(sandbox_conn, sandbox, monkeypatch):
    sandbox.control.patch("/config", json={"batchSeconds": 3600})
    batch = upload(sandbox, ["https://f.example/a.pdf"])
    deadline = time.time() + 60
    original = TapTalentBatchTrigger([batch], sandbox_conn, 0.1, deadline)
    first_run = asyncio.create_task(original.run().__anext__())
    await polled(sandbox, batch, 1)
    first_run.cancel()  # the triggerer stops: cleanup only, the batch keeps running
    with pytest.raises(asyncio.CancelledError):
        await first_run
    # The triggerer comes back 61 s later (its wall clock, as a new process would read it).
    later = time.time() + 61
    monkeypatch.setattr(trigger_module, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
    _classpath, kwargs = original.serialize()
    # Past the original deadline at once: a deadline restarted with the process would wait another minute.
    fired = await asyncio.wait_for(events(TapTalentBatchTrigger(**kwargs)), 10)
    assert [e.payload["status"] for e in fired] == ["timeout"]


def test_the_deadline_is_wall_clock_time():
    # A deadline measured with time.monotonic would reset with the triggerer process.
    names = trigger_module.TapTalentBatchTrigger._wait.__code__.co_names
    assert "time" in names and "end_time" in names
    assert "monotonic" not in names


def test_waits_poll_when_an_answer_can_have_changed():
    """Issue 15: from the processed count and its rate, sleep until the soonest estimated finish."""
    import random

    from airflow_provider_taptalent.utils.batches import MIN_POLL, next_poll

    rng = random.Random(1)
    seen: dict = {}

    def summary(processed, files=100, status="PROCESSING"):
        return {"batch_id": "b", "status": status, "processed_count": processed, "file_count": files}

    assert 27 <= next_poll(seen, [summary(0, status="PENDING")], 0.0, 30, rng=rng) <= 30  # no rate yet
    # the first progress: its rate would count the time in PENDING, so look again soon for one of its own
    assert next_poll(seen, [summary(10)], 5.0, 30, rng=rng) == 6.0
    # 10 files in 5 s: 2 files/s, 80 left: about 40 s, so at most the poll interval ...
    assert 27 <= next_poll(seen, [summary(20)], 10.0, 30, rng=rng) <= 30
    # ... and near the end, about the time it needs: 10 left at 2 files/s (since it started moving, at 5 s)
    wait = next_poll(seen, [summary(90)], 45.0, 30, rng=rng)
    assert 5.0 <= wait <= 5.5  # never before the estimated finish: a poll before it would be wasted
    assert next_poll(seen, [summary(99)], 49.5, 30, rng=rng) == MIN_POLL  # never faster than MIN_POLL
    assert next_poll({}, [summary(0)], 0.0, 0.1, rng=rng) <= 0.1  # nor slower than poll_interval
    assert seen == {"b": (5.0, 10)}  # the rate's baseline: the first poll that saw it moving


# -- item 21: calm progress lines with counts ------------------------------------------------------------------------


def test_item21_the_trigger_logs_progress_with_counts_at_a_calm_rate(api, caplog, monkeypatch):
    """Before: one INFO line per poll per batch (the request lines), and no counts in between."""
    from airflow_provider_taptalent.triggers import taptalent as trigger_module

    polls = {"n": 0}

    def batch(request):
        polls["n"] += 1
        done = polls["n"] >= 12
        body = {"batchId": "b", "status": "COMPLETED" if done else "PROCESSING", "fileCount": 10}
        body["processedCount"] = 10 if done else polls["n"] % 10
        return httpx.Response(200, json={"success": True, "data": body})

    api.get(url__regex=r"/candidates/batch/.*").mock(side_effect=batch)
    caplog.set_level("DEBUG", logger="airflow_provider_taptalent")
    trigger = trigger_module.TapTalentBatchTrigger(["b"], "taptalent_default", 0.001, time.time() + 60)

    async def first_event():
        async for event in trigger.run():
            return event.payload

    lines: list[str] = []
    monkeypatch.setattr(trigger.log, "info", lambda message, *args: lines.append(message % args))
    assert asyncio.run(first_event())["status"] == "success"
    assert lines == ["Waiting for TapTalent batches: 0/1 batches finished, 1/10 files processed"]  # then 30 s apart
    request_lines = [r for r in caplog.records if r.name.endswith(".client") and "->" in r.getMessage()]
    assert request_lines and all(r.levelname == "DEBUG" for r in request_lines)
