"""Shared test set-up: a throwaway AIRFLOW_HOME, connections from env vars, no real sleeping, the sandbox.

The environment is set at import time, before anything imports Airflow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_taptalent.sandbox.cli import keep_loopback_off_proxies

REPO = Path(__file__).resolve().parent.parent
_HOME = Path(tempfile.mkdtemp(prefix="taptalent-airflow-home-"))
# One DAG folder holds the test DAGs and the shipped examples (linked, not copied, with their data):
# Airflow 3's dag.test() only runs DAGs it finds in the configured DAG folder.
E2E_DAGS = _HOME / "dags"
E2E_DAGS.mkdir()
for _source in [*(REPO / "tests" / "e2e" / "dags").glob("*.py"), *(REPO / "example_dags").iterdir()]:
    if _source.name != "__pycache__":
        (E2E_DAGS / _source.name).symlink_to(_source)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(E2E_DAGS),
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
)
# Every server a test starts is on loopback. The hook goes direct to loopback by itself (tested with
# NO_PROXY unset); this covers the tests' own httpx calls, the components they start and their children.
keep_loopback_off_proxies(os.environ)

#: a well-formed test key, for unit tests that never reach a server
TEST_KEY = "sk_test_AbCdEfGhIjKlMnOpQrStUv"
LIVE_KEY = "sk_live_ZyXwVuTsRqPoNmLkJiHgFe"
FAKE_HOST = "http://taptalent.test"
FAKE_API = f"{FAKE_HOST}/v1/partner"


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str = "taptalent_default", **fields: object) -> None:
    """Define an Airflow connection through its env var (works on 2.11 and 3.x, no DB)."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "taptalent", **fields}))


@pytest.fixture
def fake_conn(monkeypatch: pytest.MonkeyPatch) -> str:
    """``taptalent_default`` pointing at a host that only respx answers."""
    set_connection(monkeypatch, password=TEST_KEY, host=FAKE_HOST)
    return "taptalent_default"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the retry policy's waits instead of sleeping them."""
    from airflow_provider_taptalent.client.retry import RetryPolicy

    recorded: list[float] = []

    async def asleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(RetryPolicy, "sleep", staticmethod(recorded.append))
    monkeypatch.setattr(RetryPolicy, "asleep", staticmethod(asleep))
    return recorded


@pytest.fixture
def sandbox() -> Iterator[object]:
    """A fresh sandbox (batches finish in 0.5 s) on a free port."""
    from airflow_provider_taptalent.sandbox.testing import run_sandbox

    with run_sandbox(batch_seconds=0.5) as server:
        yield server


@pytest.fixture
def sandbox_conn(monkeypatch: pytest.MonkeyPatch, sandbox: object) -> str:
    """``taptalent_default`` pointing at the sandbox."""
    for name, value in sandbox.airflow_env().items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    return "taptalent_default"


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB in the throwaway AIRFLOW_HOME (end-to-end tests only)."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())
    receipts = [sys.executable, "-m", "airflow_provider_taptalent.webhooks.receipts", "create"]
    subprocess.run(receipts, check=True, capture_output=True, env=os.environ.copy())
    return _HOME
