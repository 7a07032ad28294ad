"""Helpers for tests that run the sync operator on plain records."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def run_sync(records: Any, state_path: Any, *, in_thread: bool = False, **kwargs: Any) -> Any:
    """The sync operator's counts for ``records``, run as a task would run it."""
    ti = SimpleNamespace(dag_id="d", task_id="sync", run_id="r", map_index=-1, xcom_push=lambda key, value: None)
    operator = TapTalentSyncJobsOperator(task_id="sync", jobs=records, state_path=str(state_path), **kwargs)
    # Airflow 2's guard against execute() outside a task runner keeps thread-local state: a thread goes
    # around it, as a second worker process would.
    execute = getattr(type(operator).execute, "__wrapped__", type(operator).execute) if in_thread else None
    return execute(operator, {"ti": ti}) if execute else operator.execute({"ti": ti})


def source_records(*ids: str, **fields: object) -> list[dict[str, Any]]:
    """Source records with these external ids, one timestamp, the same job fields."""
    return [{"external_id": i, "updated_at": "2026-01-01T00:00:00Z", **JOB, **fields} for i in ids]
