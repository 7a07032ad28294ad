"""TapTalentEventTrigger: an AssetWatcher's trigger (Airflow 3) that watches TapTalent through its API.

For deployments that cannot receive webhooks (no inbound HTTPS): the triggerer polls TapTalent and turns
each change into an Asset event, and so a DAG run. What a change is, per kind, and what each poll costs:
:mod:`airflow_provider_taptalent.utils.watching`.

Where the watermark lives (one decision, here): ``watermark_path`` when given (a JSON file on storage every
triggerer reaches: object storage, or a shared disk); else the watched asset's state store, which the
triggerer gives event triggers from Airflow 3.3; else the trigger refuses to start, naming
``watermark_path``.

When it is saved: on Airflow 3.3 the polls run as an ack-mode shared stream (:class:`WatchProducer`): the
triggerer tells the producer once the events of a poll are in the metadata database, and the watermark that
covers them is saved then, a second or two after they fired. A triggerer killed between the two repeats them
(never loses them), and that window is the time between the events' commit and the watermark's. Before 3.3
the triggerer says nothing of the kind: the watermark is saved one poll after its events were handed on
(the triggerer writes them within a second or so), so a triggerer killed within that poll interval may
deliver them again. Each event carries a ``key`` (kind, id, time) a DAG can tell a repeat by.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Hashable, Sequence
from typing import Any

from airflow_provider_taptalent._compat import (
    AIRFLOW_V_3_0_PLUS,
    AIRFLOW_VERSION,
    SHARED_STREAM_ACKS,
    BaseEventTrigger,
    ObjectStoragePath,
    SharedStreamProducer,
    TriggerEvent,
)
from airflow_provider_taptalent.client.errors import (
    TapTalentAccountInactiveError,
    TapTalentAuthenticationError,
    TapTalentConfigurationError,
    TapTalentError,
    TapTalentPermissionError,
)
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.utils import metrics
from airflow_provider_taptalent.utils import watching as _watching

log = logging.getLogger(__name__)
#: the state-store key (Airflow 3.3+) a watcher keeps its watermark under
STATE_KEY = "taptalent_watermark"
#: the shortest poll interval: every poll of a job_updated watcher reads the whole job listing
MIN_POLL_INTERVAL = 5.0
#: the longest wait after failed polls (an outage: the waits double up to this)
MAX_BACKOFF = 600.0
_REFUSED = (TapTalentAuthenticationError, TapTalentAccountInactiveError, TapTalentPermissionError)
#: what only a mended connection ends (a refused key; a connection that cannot work, as a key that is not a
#: TapTalent key): logged at ERROR, and the connection read again. An outage past the client's retries: WARNING.
_UNTIL_MENDED = (*_REFUSED, TapTalentConfigurationError)


class TapTalentEventTrigger(BaseEventTrigger):  # type: ignore[misc]
    """Fires one event per TapTalent change of one kind, for as long as it runs (an AssetWatcher's trigger).

    .. code-block:: python

        # Asset and AssetWatcher come from airflow.sdk
        jobs_changed = Asset(
            "taptalent://taptalent_default/job_updated",
            watchers=[AssetWatcher(name="taptalent_jobs", trigger=TapTalentEventTrigger("job_updated"))],
        )

    Each event's payload: ``kind``, ``id``, ``key``, ``taptalent_conn_id`` and, by kind, ``at`` (the change's
    time), or ``job_id``, ``score`` and ``evaluation``, or (a batch) ``status``, ``file_count``,
    ``success_count`` and ``failed_count``; never a secret. A DAG reads them from ``triggering_asset_events``
    (``event.extra["payload"]``).

    :param kind: ``job_created``, ``job_updated``, ``candidate_created``, ``job_candidate_scored`` or
        ``batch_finished``.
    :param taptalent_conn_id: the TapTalent connection.
    :param poll_interval: seconds between polls (at least 5).
    :param job_id: the job whose candidates' scores are watched (``job_candidate_scored`` only, required there).
    :param watermark_path: a JSON file (local path or object-storage URI every triggerer reaches) to keep the
        watermark in; required before Airflow 3.3, optional after (the asset's state store is used).
    """

    def __init__(
        self,
        kind: str,
        taptalent_conn_id: str = TapTalentHook.default_conn_name,
        poll_interval: float = 60.0,
        job_id: int | None = None,
        watermark_path: str | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.taptalent_conn_id = taptalent_conn_id
        self.poll_interval = poll_interval
        self.job_id = job_id
        self.watermark_path = watermark_path
        _check(self)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "kind": self.kind,
                "taptalent_conn_id": self.taptalent_conn_id,
                "poll_interval": self.poll_interval,
                "job_id": self.job_id,
                "watermark_path": self.watermark_path,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Before Airflow 3.3 (and outside a triggerer's shared streams): the watermark a poll after its events."""
        load, save = _watermark_store(self)
        async for events, changed in self._polls(load):
            for event in events:
                yield TriggerEvent(event)
            await _pause(self.poll_interval)
            if changed is not None:  # one poll after its events were handed on: see the module
                await save(changed)

    def shared_stream_key(self) -> Hashable | None:
        """Airflow 3.3+: the polls run as an ack-mode shared stream (:class:`WatchProducer`), whose watermark
        is saved once the triggerer has the events it covers in the metadata database."""
        if not SHARED_STREAM_ACKS:
            return None
        key = _stream_key(self.serialize()[1])
        _STORES[key] = self.asset_state_store  # the producer is built from the arguments alone: see there
        return key

    @classmethod
    def create_shared_stream_producer(cls, kwargs: dict[str, Any]) -> WatchProducer:
        return WatchProducer(kwargs)

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        async for event in shared_stream:
            if event is not None:  # None ends a poll: it carries the watermark to the producer's advance
                yield TriggerEvent(event)

    async def _polls(self, load: Any) -> AsyncIterator[tuple[list[dict[str, Any]], Any]]:
        """Each poll's events and the watermark after them (JSON; ``None`` when it did not move since the last
        poll's, or, at first, since the one ``load()`` gives), for as long as it runs.

        A failed poll is logged, counted and tried again after a doubling wait (up to MAX_BACKOFF): an outage
        that outlasted the client's retries at WARNING; a refused key or a connection that cannot work at
        ERROR, and the connection is read again for the next try, so the watcher goes on by itself once it is
        mended (a trigger that failed instead would be started again by the triggerer within a second, and
        sent the refused key every second)."""
        watermark, failures = _watching.Watermark.from_json(await load()), 0
        last = watermark.to_json()
        hook = TapTalentHook(self.taptalent_conn_id)
        try:
            while True:
                try:
                    events, watermark = await _watching.changes(
                        hook, self.kind, watermark, conn_id=self.taptalent_conn_id, job_id=self.job_id
                    )
                except TapTalentError as error:
                    failures += 1
                    wait = min(self.poll_interval * 2**failures, MAX_BACKOFF)
                    until_mended = isinstance(error, _UNTIL_MENDED)
                    why = ("the key was refused" if isinstance(error, _REFUSED)
                           else "the connection cannot work" if until_mended else "the poll failed")  # fmt: skip
                    log.log(logging.ERROR if until_mended else logging.WARNING, "TapTalent watcher %s (%s): %s (%s); "
                            "next try in %.0f s", self.kind, self.taptalent_conn_id, why, error, wait)  # fmt: skip
                    metrics.incr("taptalent.watcher.error", {"kind": self.kind, "conn_id": self.taptalent_conn_id})
                    await _pause(wait)
                    if until_mended:  # the next try reads the connection again: mended, the watcher goes on
                        await hook.aclose()
                        hook = TapTalentHook(self.taptalent_conn_id)
                    continue
                failures = 0
                moved = watermark.to_json()
                yield events, (moved if moved != last else None)
                last = moved
        finally:
            await hook.aclose()


class WatchProducer(SharedStreamProducer):  # type: ignore[misc]
    """A watcher's polls as an ack-mode shared stream (Airflow 3.3+): each poll's events, then ``None`` with
    the watermark after them; :meth:`advance` saves that watermark once the triggerer has persisted every
    event before it (and nothing failed: else the group ends, and the watcher polls again from the
    watermark saved before, repeating rather than losing).

    The triggerer builds it from the trigger's arguments only; the asset state store (given to the trigger
    instance) is found by the shared stream's key, where :meth:`TapTalentEventTrigger.shared_stream_key`
    left it.

    :param kwargs: the trigger's serialized arguments.
    """

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs

    async def open_stream(self) -> AsyncIterator[tuple[Any, Any]]:
        trigger = TapTalentEventTrigger(**self.kwargs)
        trigger.asset_state_store = _STORES.get(_stream_key(self.kwargs))
        load, self._save = _watermark_store(trigger)
        async for events, changed in trigger._polls(load):
            for event in events:
                yield event, None
            if changed is not None:
                yield None, changed
            await _pause(trigger.poll_interval)

    async def advance(self, batch: Sequence[Any]) -> None:
        if not all(item.outcome.is_clean for item in batch):
            raise TapTalentError(
                f"TapTalent watcher {self.kwargs.get('kind')}: an event was not confirmed stored; polling again "
                "from the last saved watermark (events since may repeat, none is lost)"
            )
        watermarks = [item.broker_payload for item in batch if item.broker_payload is not None]
        if watermarks:
            await self._save(watermarks[-1])


#: the asset state store of each shared stream's trigger (the producer gets only the trigger's arguments)
_STORES: dict[Hashable, Any] = {}


def _stream_key(kwargs: dict[str, Any]) -> Hashable:
    """One poll per trigger: a watcher's stream is shared only by triggers with the same arguments."""
    return (TapTalentEventTrigger.__name__, *sorted((name, repr(value)) for name, value in kwargs.items()))


async def _pause(seconds: float) -> None:
    """The wait between polls (one place, which the tests drive)."""
    await asyncio.sleep(seconds)


def _check(trigger: TapTalentEventTrigger) -> None:
    """Bad arguments are refused when the DAG is parsed, each named."""
    if not AIRFLOW_V_3_0_PLUS:
        raise TapTalentConfigurationError(
            f"TapTalentEventTrigger needs Airflow 3.0 or later (AssetWatcher); this is Airflow {AIRFLOW_VERSION}: "
            "use the webhook receiver or TapTalentBatchSensor instead"
        )
    if trigger.kind not in _watching.KINDS:
        raise TapTalentConfigurationError(f"kind must be one of {', '.join(_watching.KINDS)}, not {trigger.kind!r}")
    interval = trigger.poll_interval
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval >= MIN_POLL_INTERVAL:
        raise TapTalentConfigurationError(
            f"poll_interval must be {MIN_POLL_INTERVAL:g} seconds or more, not {interval!r}"
        )
    if (trigger.kind == "job_candidate_scored") != (trigger.job_id is not None):
        raise TapTalentConfigurationError(
            "job_id is required for kind job_candidate_scored, and only there"
            if trigger.job_id is None
            else f"job_id is only for kind job_candidate_scored, not {trigger.kind}"
        )


def _watermark_store(trigger: TapTalentEventTrigger) -> tuple[Any, Any]:
    """``(load, save)`` of the trigger's watermark: see the module for where it lives."""
    if trigger.watermark_path:
        path = ObjectStoragePath(trigger.watermark_path)

        def read() -> Any:
            return json.loads(path.read_text()) if path.exists() else None

        def write(value: Any) -> None:
            path.write_text(json.dumps(value))

        async def load() -> Any:
            return await asyncio.to_thread(read)

        async def save(value: Any) -> None:
            await asyncio.to_thread(write, value)

        return load, save
    store = getattr(trigger, "asset_state_store", None)
    if store is None:
        raise TapTalentConfigurationError(
            f"A TapTalent watcher keeps its watermark in watermark_path before Airflow 3.3 (this is {AIRFLOW_VERSION}) "
            "and outside an AssetWatcher: set watermark_path to a file every triggerer reaches"
        )
    return (lambda: store.aget(STATE_KEY)), (lambda value: store.aset(STATE_KEY, value))
