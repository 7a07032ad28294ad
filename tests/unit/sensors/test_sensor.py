"""TapTalentBatchSensor: deferral, fail-closed resumption, and the same outcome in every mode."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from airflow.providers.common.compat.sdk import AirflowSkipException

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS, AirflowFailException, AirflowSensorTimeout
from airflow_provider_taptalent.exceptions import TapTalentError
from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor
from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger
from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed
from tests.unit.deferral import TaskDeferred, run_deferrable, upload

CONTEXT = {"ti": SimpleNamespace(dag_id="d", task_id="wait", run_id="r", map_index=-1)}


def finished(batch_id=1, status="COMPLETED", files=10, failed=0):
    return {
        "batch_id": batch_id,
        "status": status,
        "file_count": files,
        "processed_count": files,
        "success_count": files - failed,
        "failed_count": failed,
        "failed_files": [
            {"url": f"https://f.example/corrupt-{n}.pdf", "reason": "UNREADABLE_FILE"} for n in range(failed)
        ],
    }


def sensor(**kwargs):
    return TapTalentBatchSensor(task_id="wait", **{"batch_ids": [1], **kwargs})


def test_defers_with_primitives_and_an_absolute_deadline(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, 3)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor(batch_ids=batch, deferrable=True, poke_interval=7, timeout=600).execute(CONTEXT)
    trigger = deferred.value.trigger
    assert isinstance(trigger, TapTalentBatchTrigger)
    assert (trigger.batch_ids, trigger.poll_interval, trigger.taptalent_conn_id) == ([batch], 7.0, "taptalent_default")
    assert before + 600 <= trigger.end_time <= time.time() + 600
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout is None


def test_does_not_defer_when_the_batches_are_already_done(sandbox_conn, sandbox):
    batch = upload(sandbox, 3, corrupt=1)
    sandbox.advance()
    result = sensor(batch_ids=[batch], deferrable=True).execute(CONTEXT)
    assert [(r["batch_id"], r["status"], r["success_count"], r["failed_count"]) for r in result] == [
        (batch, "COMPLETED", 3, 1)
    ]


def test_the_whole_deferred_round_trip(sandbox_conn, sandbox):
    batches = [upload(sandbox, 5), upload(sandbox, 2)]
    result = run_deferrable(sensor(batch_ids=batches, deferrable=True, poke_interval=0.1), CONTEXT)
    assert [r["batch_id"] for r in result] == batches


@pytest.mark.parametrize(
    "event", [None, {}, {"status": "weird"}, "success", {"status": "success", "batches": [{"status": "PROCESSING"}]}]
)
def test_execute_complete_fails_closed(event):
    with pytest.raises(TapTalentError):
        sensor().execute_complete(CONTEXT, event)


def test_execute_complete_statuses():
    assert sensor().execute_complete(CONTEXT, {"status": "success", "batches": [finished()]}) == [finished()]
    with pytest.raises(AirflowSensorTimeout, match="still running"):
        sensor().execute_complete(CONTEXT, {"status": "timeout", "message": "batches 1 still running at the deadline"})
    with pytest.raises(TapTalentError, match="401 UNAUTHORIZED"):
        sensor().execute_complete(CONTEXT, {"status": "error", "message": "401 UNAUTHORIZED: bad key"})


def test_failed_batches_fail_the_task_without_retry_naming_them():
    event = {"status": "success", "batches": [finished(1), finished(2, "FAILED", files=3, failed=3)]}
    with pytest.raises(TapTalentTaskFailed, match=r"1 of 2 batches FAILED: batch 2: 3 UNREADABLE_FILE") as caught:
        sensor().execute_complete(CONTEXT, event)
    assert isinstance(caught.value, AirflowFailException)
    assert caught.value.details == {"2": "3 UNREADABLE_FILE"}


def test_max_failed_ratio():
    event = {"status": "success", "batches": [finished(1, files=10, failed=2), finished(2, files=10, failed=1)]}
    assert len(sensor(max_failed_ratio=0.2).execute_complete(CONTEXT, event)) == 2
    with pytest.raises(TapTalentTaskFailed, match=r"3 of 20 resumes failed \(15.0%\), over max_failed_ratio 10.0%"):
        sensor(max_failed_ratio=0.1).execute_complete(CONTEXT, event)


@pytest.mark.parametrize("ratio", [-0.1, 1.5, True])
def test_a_ratio_outside_0_to_1_is_refused_when_the_dag_is_parsed(ratio):
    with pytest.raises(ValueError, match="max_failed_ratio must be a share between 0 and 1"):
        sensor(max_failed_ratio=ratio)


@pytest.mark.parametrize("batch_ids", [None, [], [None], [True], {"nothing": 1}, "[1,"])
def test_unusable_batch_ids_fail_without_retry(sandbox_conn, batch_ids):
    with pytest.raises(TapTalentTaskFailed, match="batch_ids"):
        sensor(batch_ids=batch_ids, deferrable=True).execute(CONTEXT)


def test_batch_ids_in_every_form(sandbox_conn, sandbox):
    batch = upload(sandbox, 1)
    sandbox.advance()
    for given in (batch, str(batch), [batch], f"[{batch}]", [{"batch_id": batch, "status": "COMPLETED"}]):
        assert sensor(batch_ids=given, deferrable=True).execute(CONTEXT)[0]["batch_id"] == batch


# -- soft_fail parity: poke and deferrable end the same way ---------------------------------------------


def poke_mode(batch, **kwargs):
    return sensor(batch_ids=[batch], deferrable=False, poke_interval=0.05, **kwargs)


def deferrable_resume(event, **kwargs):
    task = sensor(deferrable=True, **kwargs)
    return task.resume_execution("execute_complete", {"event": event}, CONTEXT)


def test_a_timeout_fails_in_both_modes(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, 1)
    with pytest.raises(AirflowSensorTimeout):
        poke_mode(batch, timeout=0.2).execute(CONTEXT)
    with pytest.raises(AirflowSensorTimeout):
        deferrable_resume({"status": "timeout", "message": "late"})


def test_a_timeout_skips_under_soft_fail_in_both_modes(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, 1)
    with pytest.raises(AirflowSkipException):
        poke_mode(batch, timeout=0.2, soft_fail=True).execute(CONTEXT)
    with pytest.raises(AirflowSkipException):
        deferrable_resume({"status": "timeout", "message": "late"}, soft_fail=True)


def test_a_failed_batch_fails_in_both_modes_and_skips_under_soft_fail(sandbox_conn, sandbox):
    batch = upload(sandbox, 0, corrupt=2)
    sandbox.advance()
    failed_event = {"status": "success", "batches": [finished(batch, "FAILED", files=2, failed=2)]}
    with pytest.raises(TapTalentTaskFailed):
        poke_mode(batch).execute(CONTEXT)
    with pytest.raises(TapTalentTaskFailed):
        deferrable_resume(failed_event)
    with pytest.raises(AirflowSkipException):
        poke_mode(batch, soft_fail=True).execute(CONTEXT)
    with pytest.raises(AirflowSkipException):
        deferrable_resume(failed_event, soft_fail=True)


def test_an_api_error_fails_in_both_modes_even_under_soft_fail(monkeypatch, sandbox):
    monkeypatch.setenv(
        "AIRFLOW_CONN_TAPTALENT_DEFAULT",
        f'{{"conn_type": "taptalent", "password": "sk_test_NotAKnownKeyNotAKnownK", "host": "{sandbox.url}"}}',
    )
    with pytest.raises(TapTalentError, match="401"):
        poke_mode(1, soft_fail=True).execute(CONTEXT)
    with pytest.raises(TapTalentError, match="401"):
        deferrable_resume({"status": "error", "message": "401 UNAUTHORIZED: Invalid API key."}, soft_fail=True)


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="Airflow 2's reschedule mode reads the metadata DB itself")
def test_reschedule_mode_frees_the_slot_between_checks(sandbox_conn, sandbox):
    try:
        from airflow.sdk.exceptions import AirflowRescheduleException
    except ImportError:  # Airflow 2
        from airflow.exceptions import AirflowRescheduleException

    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, 1)
    task = sensor(batch_ids=[batch], deferrable=False, mode="reschedule", poke_interval=30)
    ti = SimpleNamespace(
        dag_id="d", task_id="wait", run_id="r", map_index=-1, try_number=1, max_tries=0,
        get_first_reschedule_date=lambda context: None,
    )  # fmt: skip
    with pytest.raises(AirflowRescheduleException):
        task.execute({"ti": ti})
