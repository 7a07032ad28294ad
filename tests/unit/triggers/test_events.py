"""TapTalentEventTrigger against the sandbox: each change once, across restarts; bad arguments named; a
refused key loud. The trigger's sleeps are gates the test opens (no real sleeps)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent.exceptions import TapTalentConfigurationError
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.triggers import events as _events
from airflow_provider_taptalent.triggers.events import STATE_KEY, TapTalentEventTrigger
from airflow_provider_taptalent.utils import metrics
from airflow_provider_taptalent.utils.watching import Watermark
from tests.conftest import set_connection

#: the trigger exists on Airflow 3 only (AssetWatcher); its refusal on Airflow 2 is tested below
airflow_3 = pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="AssetWatchers are Airflow 3's")


JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


class StateStore:
    """The asset state store Airflow 3.3's triggerer gives an event trigger (its async half)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value
        self.writes += 1


class Watcher:
    """Runs one trigger as the triggerer does, one poll per :meth:`poll`: its sleeps wait for the test."""

    def __init__(self, trigger: TapTalentEventTrigger, store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
        trigger.asset_state_store = store
        self.trigger, self.events, self.sleeps = trigger, [], []
        self.gate: asyncio.Queue[None] = asyncio.Queue()
        self.asleep, self.woken = asyncio.Event(), asyncio.Event()

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.asleep.set()
            await self.gate.get()
            self.asleep.clear()
            self.woken.set()

        monkeypatch.setattr(_events, "_pause", sleep)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self.trigger.run():
            self.events.append(event.payload)

    async def poll(self) -> list[dict[str, Any]]:
        """Let the trigger finish its sleep (saving its watermark) and make one more poll; its events."""
        before = len(self.events)
        if self.asleep.is_set():
            self.woken.clear()
            self.gate.put_nowait(None)
            await self.woken.wait()  # the loop may take more than one turn to run the sleeper (a shared stream's)
        while not self.asleep.is_set() and not self.task.done():
            await asyncio.to_thread(lambda: None)  # the sandbox answers in its own thread
        if self.task.done():
            self.task.result()  # raises what the trigger raised
        return self.events[before:]

    async def kill(self) -> None:
        """The triggerer dies: the trigger is cancelled wherever it is."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def _ids(events: list[dict[str, Any]]) -> list[Any]:
    return [e["id"] for e in events]


async def _in_thread(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call)


@airflow_3
async def test_each_job_update_fires_once_across_a_triggerer_restart(history, monkeypatch):
    hook = TapTalentHook()
    jobs = sorted(job.id for job in await _in_thread(lambda: list(hook.iter_jobs())))
    assert len(jobs) == 30
    store = StateStore()
    watcher = Watcher(TapTalentEventTrigger("job_updated", poll_interval=30), store, monkeypatch)
    assert await watcher.poll() == []  # a watcher that starts reports what comes after it
    await _in_thread(lambda: hook.update_job(jobs[0], {"status": "ACTIVE"}))
    first = await watcher.poll()
    assert _ids(first) == [jobs[0]] and first[0]["kind"] == "job_updated"
    assert "sk_test_" not in repr(first)  # never a key in an event
    for job_id in jobs[1:21]:  # a burst: 20 jobs changed at once
        await _in_thread(lambda job_id=job_id: hook.update_job(job_id, {"status": "ACTIVE"}))
    burst = await watcher.poll()
    assert sorted(_ids(burst)) == jobs[1:21]
    assert await watcher.poll() == []  # nothing changed: nothing fires (and the burst's watermark is saved)
    saved = store.values[STATE_KEY]
    await watcher.kill()  # the triggerer is killed between two changes
    await _in_thread(lambda: hook.update_job(jobs[25], {"description": "Changed after the restart"}))
    again = Watcher(TapTalentEventTrigger("job_updated", poll_interval=30), store, monkeypatch)
    assert store.values[STATE_KEY] == saved
    assert _ids(await again.poll()) == [jobs[25]]  # none lost, none repeated
    await again.kill()


@airflow_3
async def test_events_not_yet_saved_are_delivered_again_never_lost(history, monkeypatch):
    """Killed within the poll interval after its events, before the watermark is saved: at least once."""
    hook = TapTalentHook()
    job_id = (await _in_thread(lambda: next(hook.iter_jobs()))).id
    store = StateStore()
    watcher = Watcher(TapTalentEventTrigger("job_updated", poll_interval=30), store, monkeypatch)
    await watcher.poll()
    await _in_thread(lambda: hook.update_job(job_id, {"status": "ACTIVE"}))
    assert _ids(await watcher.poll()) == [job_id]
    await watcher.kill()  # before the next poll: the watermark is not saved yet
    again = Watcher(TapTalentEventTrigger("job_updated", poll_interval=30), store, monkeypatch)
    repeated = await again.poll()
    assert _ids(repeated) == [job_id]  # delivered again, with the same key a DAG can tell it by
    await again.kill()


@airflow_3
@pytest.mark.jobs(150)  # more than a page
async def test_created_jobs_and_candidates_cost_one_request_a_poll_while_nothing_changes(history, monkeypatch):
    hook = TapTalentHook()
    sandbox = history
    store = StateStore()
    watcher = Watcher(TapTalentEventTrigger("job_created", poll_interval=30), store, monkeypatch)
    await watcher.poll()
    start = len(await _in_thread(sandbox.requests))
    assert await watcher.poll() == []
    assert await watcher.poll() == []
    listing = [r for r in (await _in_thread(sandbox.requests))[start:] if r["path"].endswith("/jobs")]
    assert len(listing) == 2  # one page a poll, not the 2 pages of the listing
    made = (await _in_thread(lambda: hook.create_job({**JOB, "title": "New one"}))).id
    assert _ids(await watcher.poll()) == [made]
    await watcher.kill()
    watcher = Watcher(TapTalentEventTrigger("candidate_created", poll_interval=30), StateStore(), monkeypatch)
    await watcher.poll()
    added = await _in_thread(
        lambda: hook.add_candidate({"first_name": "Ada", "last_name": "L", "email": "ada@example.com"})
    )
    assert _ids(await watcher.poll()) == [added.candidate.id]
    await watcher.kill()


@airflow_3
async def test_candidates_of_batches_parsed_side_by_side_are_each_reported_once(monkeypatch):
    """Two batches uploaded seconds apart and parsed at the same time, the watcher polling while they are:
    a candidate parsed after a newer one of the other batch is still new (its time is when it was parsed)."""
    from airflow_provider_taptalent.sandbox.testing import run_sandbox

    with run_sandbox(batch_seconds=20) as sandbox:
        for name, value in sandbox.airflow_env().items():
            monkeypatch.setenv(name, value)
        hook = TapTalentHook()
        watcher = Watcher(TapTalentEventTrigger("candidate_created", poll_interval=30), StateStore(), monkeypatch)
        assert await watcher.poll() == []
        urls = [f"https://files.example/side-by-side/{n}.pdf" for n in range(20)]
        first = await _in_thread(lambda: hook.bulk_upload_resumes(urls[:10]))
        await _in_thread(lambda: sandbox.pass_time(3))
        second = await _in_thread(lambda: hook.bulk_upload_resumes(urls[10:]))
        reported: list[Any] = []
        for _ in range(12):  # both batches parse over the next ~20 s; a poll every 2 s of the sandbox's time
            await _in_thread(lambda: sandbox.pass_time(2))
            reported += _ids(await watcher.poll())
        parsed = [c.id for batch in (first, second) for c in hook.iter_batch_candidates(batch.batch_id)]
        assert len(parsed) == 20
        assert sorted(reported) == sorted(parsed)  # each once, none lost
        await watcher.kill()


@airflow_3
async def test_batches_are_reported_once_each_when_they_end_found_through_their_candidates(monkeypatch):
    """batch_finished: a batch that ends is one event with its counts, across a triggerer restart; a poll
    while nothing parses costs one request; a batch none of whose files parsed is nowhere to be seen."""
    from airflow_provider_taptalent.sandbox.testing import run_sandbox

    with run_sandbox(batch_seconds=20) as sandbox:
        for name, value in sandbox.airflow_env().items():
            monkeypatch.setenv(name, value)
        hook, store = TapTalentHook(), StateStore()
        watcher = Watcher(TapTalentEventTrigger("batch_finished", poll_interval=30), store, monkeypatch)
        assert await watcher.poll() == []
        start = len(await _in_thread(sandbox.requests))
        assert await watcher.poll() == []
        assert len((await _in_thread(sandbox.requests))[start:]) == 1  # one listing request while nothing parses
        urls = [f"https://files.example/batches/{n}.pdf" for n in range(8)]
        mixed = await _in_thread(lambda: hook.bulk_upload_resumes([*urls[:6], "https://files.example/corrupt-1.pdf"]))
        small = await _in_thread(lambda: hook.bulk_upload_resumes(urls[6:]))
        await _in_thread(lambda: hook.bulk_upload_resumes(["https://files.example/corrupt-2.pdf"]))  # never seen
        events: list[dict[str, Any]] = []
        for _ in range(5):
            await _in_thread(lambda: sandbox.pass_time(3))
            events += await watcher.poll()
        assert events == []  # parsing: both batches are known, neither has ended
        assert len(Watermark.from_json(store.values[STATE_KEY]).pending) == 2
        await watcher.kill()  # the triggerer is restarted while they parse
        watcher = Watcher(TapTalentEventTrigger("batch_finished", poll_interval=30), store, monkeypatch)
        for _ in range(4):
            await _in_thread(lambda: sandbox.pass_time(3))
            events += await watcher.poll()
        assert {e["id"]: (e["status"], e["file_count"], e["success_count"], e["failed_count"]) for e in events} == {
            mixed.batch_id: ("COMPLETED", 7, 6, 1),
            small.batch_id: ("COMPLETED", 2, 2, 0),
        }
        assert len(events) == 2 and {e["key"] for e in events} == {
            f"batch_finished:{b.batch_id}" for b in (mixed, small)
        }
        await _in_thread(lambda: sandbox.pass_time(60))
        assert await watcher.poll() == []  # once each
        assert "sk_test_" not in repr(events)
        await watcher.kill()


@airflow_3
async def test_scores_that_become_available_fire_once_per_job_candidate(sandbox_conn, sandbox, monkeypatch):
    hook = TapTalentHook()
    job_id = (await _in_thread(lambda: hook.create_job(JOB))).id
    watcher = Watcher(TapTalentEventTrigger("job_candidate_scored", poll_interval=30, job_id=job_id), StateStore(),
                      monkeypatch)  # fmt: skip
    await watcher.poll()
    added = [
        await _in_thread(
            lambda n=n: hook.add_candidate(
                {"first_name": f"C{n}", "last_name": "L", "email": f"c{n}@example.com", "job_id": job_id}
            )
        )
        for n in range(3)
    ]
    assert await watcher.poll() == []  # still PENDING
    await _in_thread(sandbox.advance)  # scoring done
    scored = await watcher.poll()
    assert sorted(_ids(scored)) == sorted(a.job_candidate_id for a in added)
    assert all(e["score"] is not None and e["job_id"] == job_id for e in scored)
    assert await watcher.poll() == []  # once each
    await watcher.kill()


@airflow_3
@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("sk_test_" + "Z" * 22, "the key was refused"),
        # not a TapTalent key at all: was a WARNING, as an outage is
        ("not-a-taptalent-key", "the connection cannot work"),
    ],
)
async def test_a_refused_or_malformed_key_is_loud_slow_and_mended_by_the_connection(
    monkeypatch, caplog, sandbox, key, said
):
    """ERROR and the metric at each try, tries that wait longer each time (a failed trigger would be started
    again by the triggerer within a second: the refused key sent every second), the connection read again for
    each: once it is mended, the watcher goes on by itself."""
    set_connection(monkeypatch, password=key, host=sandbox.url)
    counted: list[str] = []
    monkeypatch.setattr(metrics, "incr", lambda name, tags, count=1: counted.append(name))
    watcher = Watcher(TapTalentEventTrigger("job_created", poll_interval=30), StateStore(), monkeypatch)
    with caplog.at_level(logging.WARNING):
        assert await watcher.poll() == []
        assert await watcher.poll() == []
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(said in message for message in errors), errors
    assert all(key not in r.getMessage() for r in caplog.records)
    assert counted.count("taptalent.watcher.error") == 2
    assert watcher.sleeps == [60, 120]  # doubling from twice the poll interval, as after an outage
    set_connection(monkeypatch, password=sandbox.api_key, host=sandbox.url)  # mended in the connection
    assert await watcher.poll() == []  # the watcher starts at the newest job
    created = await _in_thread(lambda: TapTalentHook().create_job(JOB))
    assert _ids(await watcher.poll()) == [created.id]
    assert not watcher.task.done()
    await watcher.kill()


@airflow_3
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "batch_started"}, "kind"),
        ({"kind": "job_created", "poll_interval": 1}, "poll_interval"),
        ({"kind": "job_created", "poll_interval": "60"}, "poll_interval"),
        ({"kind": "job_candidate_scored"}, "job_id"),
        ({"kind": "job_created", "job_id": 7}, "job_id"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed_naming_the_field(kwargs, field):
    with pytest.raises(TapTalentConfigurationError, match=field):
        TapTalentEventTrigger(**kwargs)


def test_on_airflow_2_the_trigger_names_the_version_and_the_alternatives(monkeypatch):
    monkeypatch.setattr(_events, "AIRFLOW_V_3_0_PLUS", False)
    with pytest.raises(TapTalentConfigurationError, match=r"needs Airflow 3\.0 or later.*webhook receiver"):
        TapTalentEventTrigger("job_created")


@airflow_3
def test_the_trigger_serializes_to_json_primitives_and_back():
    trigger = TapTalentEventTrigger("job_candidate_scored", "tt", 45.0, job_id=7, watermark_path="/tmp/w.json")
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_taptalent.triggers.events.TapTalentEventTrigger"
    assert TapTalentEventTrigger(**kwargs).serialize() == (path, kwargs)


@airflow_3
async def test_without_a_state_store_the_watermark_lives_in_watermark_path(history, monkeypatch, tmp_path):
    hook = TapTalentHook()
    job_id = (await _in_thread(lambda: next(hook.iter_jobs()))).id
    path = tmp_path / "watermark.json"
    trigger = TapTalentEventTrigger("job_updated", poll_interval=30, watermark_path=str(path))
    watcher = Watcher(trigger, None, monkeypatch)  # type: ignore[arg-type]
    await watcher.poll()
    await watcher.poll()  # the watermark is saved a poll after it moved
    assert path.exists()
    await watcher.kill()
    await _in_thread(lambda: hook.update_job(job_id, {"status": "ACTIVE"}))
    watcher = Watcher(TapTalentEventTrigger("job_updated", poll_interval=30, watermark_path=str(path)), None,
                      monkeypatch)  # type: ignore[arg-type]  # fmt: skip
    assert _ids(await watcher.poll()) == [job_id]
    await watcher.kill()
    with pytest.raises(TapTalentConfigurationError, match="watermark_path"):
        await Watcher(TapTalentEventTrigger("job_updated"), None, monkeypatch).poll()  # type: ignore[arg-type]


def test_an_events_time_is_utc_whatever_the_triggerers_zone():
    """Before: the time was written in the triggerer's local zone (+05:30 here)."""
    import os
    import time

    from airflow_provider_taptalent.utils import watching

    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        event = watching._event("job_updated", 7, 1796300000.0, "taptalent_default")
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert event["at"] == "2026-12-03T12:13:20+00:00" and event["key"] == "job_updated:7:1796300000"
