"""TapTalentEventTrigger as Airflow 3.3's triggerer runs it: an ack-mode shared stream, driven here by Airflow's
own SharedStreamManager, with the persistence confirmations the supervisor sends once it has stored the events
given by the test. The watermark is saved once the events it covers are stored: a triggerer killed after that
repeats nothing, however long the poll interval; one killed before, delivers them again (never loses them)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from airflow_provider_taptalent._compat import SHARED_STREAM_ACKS
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.triggers.events import STATE_KEY, TapTalentEventTrigger
from airflow_provider_taptalent.utils import metrics
from tests.conftest import set_connection
from tests.unit.triggers.test_events import JOB, StateStore, Watcher, _ids, _in_thread

pytestmark = pytest.mark.skipif(not SHARED_STREAM_ACKS, reason="ack-mode shared streams are Airflow 3.3's")


class Triggerer(Watcher):
    """One watcher in Airflow 3.3's triggerer: subscribed to its shared stream by the real SharedStreamManager,
    each event it fires bound to a persist confirmation, which :meth:`store_events` gives (the supervisor
    does once the events are in the metadata DB). Its sleeps between polls wait for the test."""

    def __init__(self, trigger: TapTalentEventTrigger, store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
        from airflow.triggers.shared_stream import SharedStreamManager

        trigger.asset_state_store = store
        self.manager, self.key = SharedStreamManager(), trigger.shared_stream_key()
        self.seqs: list[int | None] = []
        super().__init__(trigger, store, monkeypatch)

    async def _run(self) -> None:
        stream = self.manager.subscribe(trigger_id=1, trigger=self.trigger, key=self.key)
        async for event in self.trigger.filter_shared_stream(stream):
            self.seqs.append(self.manager.bind_pending_event(trigger_id=1, key=self.key))
            self.events.append(event.payload)

    async def poll(self, expect: int = 0) -> list[dict[str, Any]]:
        """One more poll; its events, once at least ``expect`` of them reached the trigger through the
        stream's fan-out (bounded: an event that never comes fails the test)."""
        before = len(self.events)
        await super().poll()
        for _ in range(1000):
            if len(self.events) - before >= expect:
                break
            await asyncio.sleep(0.01)
        await _settled()
        return self.events[before:]

    def store_events(self) -> None:
        """The supervisor has the events in the metadata DB: it confirms each one's seq."""
        assert self.seqs and None not in self.seqs, self.seqs  # ack mode: every event is bound
        self.manager.confirm_persisted([seq for seq in self.seqs if seq is not None])
        self.seqs.clear()

    async def kill(self) -> None:
        await super().kill()
        await self.manager.stop_all()


async def _settled() -> None:
    """Let the stream's tasks (fan-out, the advance pump) run to where they wait."""
    for _ in range(50):
        await asyncio.sleep(0)


async def _saved(store: StateStore, writes: int) -> Any:
    """The watermark once the store has more than ``writes`` writes (bounded: the advance runs at once)."""
    for _ in range(500):
        if store.writes > writes:
            return store.values[STATE_KEY]
        await asyncio.sleep(0.01)
    raise AssertionError(f"the watermark was not saved (writes: {store.writes})")


async def test_the_watermark_is_saved_once_the_events_are_stored_so_a_kill_then_repeats_nothing(history, monkeypatch):
    hook = TapTalentHook()
    jobs = sorted(job.id for job in await _in_thread(lambda: list(hook.iter_jobs())))
    store = StateStore()
    watcher = Triggerer(TapTalentEventTrigger("job_updated", poll_interval=600), store, monkeypatch)
    assert await watcher.poll() == []
    baseline = await _saved(store, 0)  # the starting point: nothing to store first
    for job_id in jobs[:3]:
        await _in_thread(lambda job_id=job_id: hook.update_job(job_id, {"status": "ACTIVE"}))
    fired = await watcher.poll(expect=3)
    assert sorted(_ids(fired)) == jobs[:3]
    assert (store.writes, store.values[STATE_KEY]) == (1, baseline)  # not saved before the events are stored
    watcher.store_events()
    covering = await _saved(store, 1)  # saved now, not a 600-s poll later
    assert covering != baseline
    await watcher.kill()  # within the poll interval, after the events were stored
    await _in_thread(lambda: hook.update_job(jobs[5], {"description": "Changed while the triggerer was down"}))
    again = Triggerer(TapTalentEventTrigger("job_updated", poll_interval=600), store, monkeypatch)
    assert _ids(await again.poll(expect=1)) == [jobs[5]]  # none repeated, none lost
    await again.kill()


async def test_events_the_triggerer_never_stored_are_delivered_again_never_lost(history, monkeypatch):
    hook = TapTalentHook()
    job_id = (await _in_thread(lambda: next(hook.iter_jobs()))).id
    store = StateStore()
    watcher = Triggerer(TapTalentEventTrigger("job_updated", poll_interval=600), store, monkeypatch)
    await watcher.poll()
    await _saved(store, 0)
    await _in_thread(lambda: hook.update_job(job_id, {"status": "ACTIVE"}))
    assert _ids(await watcher.poll(expect=1)) == [job_id]
    await watcher.kill()  # killed before the supervisor stored the event
    assert store.writes == 1
    again = Triggerer(TapTalentEventTrigger("job_updated", poll_interval=600), store, monkeypatch)
    assert _ids(await again.poll(expect=1)) == [job_id]  # fired again, with the same key a DAG can tell it by
    await again.kill()


def test_triggers_with_the_same_arguments_share_one_stream_others_do_not():
    first = TapTalentEventTrigger("job_updated", poll_interval=60)
    assert first.shared_stream_key() == TapTalentEventTrigger("job_updated", poll_interval=60).shared_stream_key()
    assert first.shared_stream_key() != TapTalentEventTrigger("job_created", poll_interval=60).shared_stream_key()


async def test_a_refused_key_is_loud_saves_nothing_and_the_stream_goes_on_once_the_connection_is_mended(
    monkeypatch, caplog, sandbox
):
    set_connection(monkeypatch, password="sk_test_" + "Z" * 22, host=sandbox.url)
    counted: list[str] = []
    monkeypatch.setattr(metrics, "incr", lambda name, tags, count=1: counted.append(name))
    store = StateStore()
    watcher = Triggerer(TapTalentEventTrigger("job_created", poll_interval=30), store, monkeypatch)
    with caplog.at_level(logging.ERROR):
        assert await watcher.poll() == []
    assert any("key was refused" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert counted.count("taptalent.watcher.error") == 1
    assert store.writes == 0
    set_connection(monkeypatch, password=sandbox.api_key, host=sandbox.url)
    assert await watcher.poll() == []  # starts at the newest job
    created = await _in_thread(lambda: TapTalentHook().create_job(JOB))
    assert _ids(await watcher.poll(expect=1)) == [created.id]
    await watcher.kill()
