"""The sandbox's history (``--history-days``): a past that is settled whenever the sandbox starts."""

from __future__ import annotations

import time

import pytest

from airflow_provider_taptalent.sandbox.history import History
from airflow_provider_taptalent.sandbox.store import Store

DAY = 86_400


@pytest.mark.parametrize("after_midnight", [60, 1_800, 3_599, 43_200])
def test_every_history_candidate_is_scored_when_the_sandbox_starts(monkeypatch, after_midnight):
    """Started in the first hour of a UTC day, yesterday's last candidates were still PENDING (scored an hour
    after they applied), so a day-1 export with scores came out with nulls: seen in a clean-clone run at
    00:43 UTC."""
    now = (time.time() // DAY) * DAY + after_midnight
    monkeypatch.setattr(time, "time", lambda: now)
    store = Store(seed=7, history=History(days=2, jobs_per_day=4, candidates_per_day=48))
    company = store._new_company(1)
    scored = [jc["_scoredAt"] for jc in company.job_candidates.values()]
    assert scored and max(scored) <= now
