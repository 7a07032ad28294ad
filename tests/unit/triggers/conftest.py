"""The watcher tests' sandbox."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    """A sandbox whose jobs (30, or the test's ``jobs`` mark) were made and last changed yesterday, spread
    over the day (so each update now is a later second, and the listing is a real one)."""
    from airflow_provider_taptalent.sandbox.history import History
    from airflow_provider_taptalent.sandbox.testing import run_sandbox

    mark = request.node.get_closest_marker("jobs")
    jobs = mark.args[0] if mark else 30
    with run_sandbox(batch_seconds=0.5, history=History(days=1, jobs_per_day=jobs, candidates_per_day=0)) as server:
        for name, value in server.airflow_env().items():
            monkeypatch.setenv(name, value)
        yield server
