"""Records to jobs: impossible timestamps, ids, future and naive times.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from airflow_provider_taptalent.models import parse_timestamp
from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator
from tests.unit.syncing import source_records

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


# -- item 11 (timestamps) and 14 (ids, future and naive times) ---------------------------------------------


@pytest.mark.parametrize("value", [1e300, -1e300, float("nan"), float("inf"), "99999999999999999999"])
def test_item11_an_impossible_timestamp_is_a_value_error(value):
    with pytest.raises(ValueError, match=r"not a time|year"):
        parse_timestamp(value)


def test_item11_bad_records_fail_alone(sandbox_conn, sandbox, tmp_path):
    """Before: ``updated_at: 1e300`` ended the whole sync with OverflowError; a raising mapping did too."""

    def mapping(record):
        if record["external_id"] == "BAD-MAP":
            raise KeyError("department")
        return {k: v for k, v in record.items() if k in JOB}

    records = [*source_records("OK-1", "BAD-MAP"), {"external_id": "BAD-TIME", "updated_at": 1e300, **JOB}]
    pushed: dict = {}
    ti = SimpleNamespace(
        dag_id="d", task_id="s", run_id="r", map_index=-1, xcom_push=lambda key, value: pushed.update({key: value})
    )
    counts = TapTalentSyncJobsOperator(
        task_id="s", jobs=records, state_path=str(tmp_path / "s.json"), mapping=mapping
    ).execute({"ti": ti})
    assert (counts["created"], counts["failed"]) == (1, 2)
    failed = {f["external_id"]: f for f in pushed["report"]["failed"]}
    assert "KeyError" in failed["BAD-MAP"]["error"] and "mapping" in failed["BAD-MAP"]["details"]
    assert "updated_at" in failed["BAD-TIME"]["details"]


def test_item14_far_future_times_zero_ids_and_naive_times(sandbox_conn, sandbox, tmp_path):
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    records = [
        {"external_id": 0, "updated_at": soon, **JOB, "title": "Zero is an id"},
        {"external_id": "FUTURE", "updated_at": "2099-01-01T00:00:00Z", **JOB, "title": "From the future"},
        {"external_id": "NAIVE", "updated_at": "2026-01-01T09:00:00", **JOB, "title": "No time zone"},
    ]
    pushed: dict = {}
    ti = SimpleNamespace(
        dag_id="d", task_id="s", run_id="r", map_index=-1, xcom_push=lambda key, value: pushed.update({key: value})
    )
    counts = TapTalentSyncJobsOperator(task_id="s", jobs=records, state_path=str(tmp_path / "s.json")).execute(
        {"ti": ti}
    )
    assert (counts["created"], counts["failed"]) == (2, 1)
    failed = {f["external_id"]: f for f in pushed["report"]["failed"]}
    assert "in the future" in failed["FUTURE"]["error"] and "updated_at" in failed["FUTURE"]["details"]
    assert pushed["report"]["naive_timestamps"] == ["NAIVE"]
    state = json.loads((tmp_path / "s.json").read_text())
    assert set(state["jobs"]) == {"0", "NAIVE"}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("not a dict", "not an object"),
        ({"job_id": [1]}, "job_id"),
        ({"job_id": None}, "neither a job_id nor a pending"),
        ({"job_id": None, "pending": {"job": "x"}}, "pending create without its job"),
        ({"job_id": 1, "content_hash": 5}, "content_hash"),
    ],
)
def test_item11_a_state_entry_of_the_wrong_type_names_the_state_and_entry(tmp_path, entry, problem):
    from airflow_provider_taptalent._compat import ObjectStoragePath
    from airflow_provider_taptalent.exceptions import TapTalentInputError
    from airflow_provider_taptalent.utils.sync_state import SyncState

    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 1, "jobs": {"ATS-9": entry}}))
    with pytest.raises(TapTalentInputError) as raised:
        SyncState.load(ObjectStoragePath(str(path)))
    assert "ATS-9" in raised.value.details["state_path"] and problem in raised.value.details["state_path"]
