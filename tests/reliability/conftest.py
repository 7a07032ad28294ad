"""Reliability runs: scale, the ledger behind `make reliability`'s table, and a sandbox full of faults.

TAPTALENT_RELIABILITY_SCALE=full (what `make reliability` sets) runs the sizes of the issue: 300 source
jobs and 20,000 resume URLs; the default ("ci") runs a size that fits `make test`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_taptalent.utils import metrics as _metrics

SCALE = os.environ.get("TAPTALENT_RELIABILITY_SCALE", "ci")
SIZES = {"ci": {"jobs": 60, "urls": 2_000}, "full": {"jobs": 300, "urls": 20_000}}[SCALE]
FAULTS = {"rate_5xx": 0.2, "rate_429": 0.1, "retry_after": 1, "rate_drop": 0.05, "latency_ms": 5, "jitter_ms": 5}

LEDGER: dict[str, Any] = {
    "faults": Counter(),
    "retries": 0,
    "tasks_retried": 0,
    "duplicates": 0,
    "lost": 0,
    "leaks": 0,
    "runs": 0,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: fault-injection runs")


@pytest.fixture
def count_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count the HTTP retries the provider makes (what its retry metric reports) into the ledger."""
    real = _metrics.StatsObserver.retry

    def retry(self: Any, *args: Any, **kwargs: Any) -> Any:
        LEDGER["retries"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_metrics.StatsObserver, "retry", retry)


@pytest.fixture
def chaos(sandbox: Any, sandbox_conn: str, count_retries: None) -> Iterator[Any]:
    """The sandbox with the issue's faults on; what it injected goes to the ledger afterwards."""
    sandbox.set_faults(seed=2026, **FAULTS)
    yield sandbox
    LEDGER["faults"].update(sandbox.control.get("/faults").json()["counts"])
    sandbox.set_faults(rate_5xx=0, rate_429=0, rate_drop=0, latency_ms=0, jitter_ms=0)


def record_run(run: Any) -> None:
    """Tasks Airflow had to retry in a DAG run (try_number counts from 1)."""
    LEDGER["runs"] += 1
    LEDGER["tasks_retried"] += sum(max(int(ti.try_number) - 1, 0) for ti in run.get_task_instances())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not LEDGER["runs"] and not LEDGER["leaks"]:
        return
    faults = LEDGER["faults"]
    rows = [
        ("scale", f"{SCALE}: {SIZES['jobs']} source jobs, {SIZES['urls']:,} resume URLs"),
        ("DAG runs", LEDGER["runs"]),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in sorted(faults.items())) or "none"),
        (
            "  of which",
            f"5xx {faults['5xx_before'] + faults['5xx_after']}, 429 {faults['429']}, dropped {faults['drop']}",
        ),
        ("HTTP retries made", LEDGER["retries"]),
        ("tasks retried", LEDGER["tasks_retried"]),
        ("duplicates", LEDGER["duplicates"]),
        ("lost", LEDGER["lost"]),
        ("secret leaks", LEDGER["leaks"]),
    ]
    terminalreporter.write_sep("=", "TapTalent reliability report")
    for name, value in rows:
        terminalreporter.write_line(f"{name:<18} {value}")
