"""The distributed deployment test's ledger, printed as a table at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

LEDGER: dict[str, Any] = {
    "runs": 0,
    "workers killed": 0,
    "triggerers killed": 0,
    "tasks retried": 0,
    "duplicates": 0,
    "lost": 0,
    "duplicate asset events": 0,
    "workers used": set(),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "distributed: a CeleryExecutor deployment on PostgreSQL and Redis")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not LEDGER["runs"]:
        return
    terminalreporter.section("distributed deployment (CeleryExecutor, PostgreSQL, Redis, 2 workers)")
    for name, value in LEDGER.items():
        shown = ", ".join(sorted(value)) if isinstance(value, set) else value
        terminalreporter.write_line(f"{name:<24} {shown}")
