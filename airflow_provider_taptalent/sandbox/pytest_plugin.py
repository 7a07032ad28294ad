"""A pytest fixture for DAG authors: ``pytest_plugins = ["airflow_provider_taptalent.sandbox.pytest_plugin"]``.

``taptalent_sandbox`` starts a sandbox (batches finish in 1 s), points ``AIRFLOW_CONN_TAPTALENT_DEFAULT``
at it for the test, and yields the :class:`~airflow_provider_taptalent.sandbox.testing.SandboxServer`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_taptalent.sandbox.testing import SandboxServer, run_sandbox


@pytest.fixture
def taptalent_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with run_sandbox(batch_seconds=1.0) as sandbox:
        for name, value in sandbox.airflow_env().items():
            monkeypatch.setenv(name, value)
        yield sandbox
