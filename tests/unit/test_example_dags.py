"""The example DAGs parse cleanly, with no connection look-up and no network access at parse time."""

from __future__ import annotations

import socket

import pytest

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS, BaseHook
from tests.conftest import REPO

EXAMPLES = REPO / "example_dags"


def dagbag(folder):
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3.1+
    except ImportError:
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(folder))


@pytest.fixture
def no_io_at_parse_time(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("DAG files must not look up connections or reach the network when parsed")

    monkeypatch.setattr(BaseHook, "get_connection", classmethod(refuse))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_every_example_imports_without_errors_or_io(no_io_at_parse_time):
    bag = dagbag(EXAMPLES)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {
        "taptalent_ats_job_sync",
        "taptalent_resume_pipeline",
        "taptalent_on_batch_completed",
        "taptalent_api_health",
        "taptalent_daily_export",
        *(["taptalent_on_job_changed"] if AIRFLOW_V_3_0_PLUS else []),  # an AssetWatcher: Airflow 3 only
    }


@pytest.mark.parametrize(
    ("dag_id", "tasks"),
    [
        ("taptalent_ats_job_sync", {"sync_jobs"}),
        (
            "taptalent_resume_pipeline",
            {"create_job", "upload_resumes", "wait_for_parsing", "fetch_candidates", "report"},
        ),
        (
            "taptalent_daily_export",
            {
                "export_jobs",
                "export_candidates",
                "create_jobs_table",
                "create_candidates_table",
                "load_jobs",
                "load_candidates",
            },
        ),
    ],
)
def test_examples_are_documented_and_shaped_as_described(dag_id, tasks):
    dag = dagbag(EXAMPLES).dags[dag_id]
    assert dag.doc_md and len(dag.doc_md) > 200
    assert "taptalent" in dag.tags
    assert set(dag.task_ids) == tasks


def test_the_daily_export_has_day_long_intervals_and_catches_up():
    dag = dagbag(EXAMPLES).dags["taptalent_daily_export"]
    assert dag.catchup is True
    from datetime import datetime, timezone

    interval = dag.timetable.infer_manual_data_interval(run_after=datetime(2026, 11, 30, 5, tzinfo=timezone.utc))
    assert (interval.start.isoformat(), interval.end.isoformat()) == (
        "2026-11-29T00:00:00+00:00",
        "2026-11-30T00:00:00+00:00",
    )


def test_the_resume_pipeline_waits_in_the_triggerer():
    dag = dagbag(EXAMPLES).dags["taptalent_resume_pipeline"]
    assert dag.get_task("wait_for_parsing").deferrable is True


def test_the_resume_pipeline_writes_to_a_dated_file_by_default():
    """Hardening 17: the default output was literally ``candidates-{{ ds }}.jsonl`` (defaults are not rendered)."""
    dag = dagbag(EXAMPLES).dags["taptalent_resume_pipeline"]
    template = dag.get_task("fetch_candidates").output_path
    params = {name: dag.params[name] for name in dag.params}
    env = dag.get_template_env()
    rendered = env.from_string(template).render(params=params, ds="2026-12-01")
    assert rendered.endswith("/taptalent/candidates-2026-12-01.jsonl") and "{" not in rendered
    params["output_path"] = "/data/mine.jsonl"
    assert env.from_string(template).render(params=params, ds="2026-12-01") == "/data/mine.jsonl"


@pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="AssetWatcher is Airflow 3's")
def test_the_job_watcher_example_is_scheduled_on_a_watched_asset_and_reads_its_payloads():
    import importlib.util

    dag = dagbag(EXAMPLES).dags["taptalent_on_job_changed"]
    assert dag.doc_md and "taptalent" in dag.tags and set(dag.task_ids) == {"report_changed_jobs"}
    spec = importlib.util.spec_from_file_location("on_job_changed", EXAMPLES / "taptalent_on_job_changed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (watcher,) = module.JOBS_CHANGED.watchers
    assert watcher.trigger.serialize()[1]["kind"] == "job_updated"

    class Event:
        def __init__(self, payload):
            self.extra = {"from_trigger": True, "payload": payload}

    one = {"kind": "job_updated", "id": 7, "key": "job_updated:7:1", "at": "2026-12-03T10:00:00+00:00"}
    # keyed by the asset as Airflow gives them (3.0's Asset is not hashable: a name stands in here)
    events = {module.JOBS_CHANGED.name: [Event(one), Event(one), Event({"kind": "job_updated", "id": 8, "key": "k8"})]}
    assert [c["id"] for c in module.changed_jobs(events)] == [7, 8]  # each key once
