"""The change detection behind the watchers, on a stand-in hook (the sandbox runs it in tests/unit/triggers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from airflow_provider_taptalent.client.errors import TapTalentNotFoundError
from airflow_provider_taptalent.utils import watching
from airflow_provider_taptalent.utils.watching import Watermark


class Hook:
    """New candidates naming batch ``gone`` (404) and batch ``7`` (completed)."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    async def _candidates(self) -> AsyncIterator[Any]:
        at = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc)
        for n, batch in enumerate(["gone", "7"]):
            yield SimpleNamespace(id=n, batch_id=batch, created_at=at)

    def aiter_candidates(self, per_page: int) -> AsyncIterator[Any]:
        return self._candidates()

    async def aget_batch(self, batch_id: str, per_page: int) -> Any:
        self.reads.append(batch_id)
        if batch_id == "gone":
            raise TapTalentNotFoundError("404 NOT_FOUND: Batch not found.")
        return SimpleNamespace(batch_id=7, status="COMPLETED", file_count=2, success_count=2, failed_count=0)


def test_a_batch_that_is_not_found_is_dropped_not_a_poll_that_fails_for_ever():
    hook = Hook()
    started = Watermark(at=datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc).timestamp())
    events, after = asyncio.run(watching.changes(hook, "batch_finished", started, conn_id="c"))
    assert [e["id"] for e in events] == [7]
    assert after.pending == [] and after.finished == ["7"]
    assert hook.reads == ["gone", "7"]
