"""The operators against the sandbox: no duplicates on retry, bad input refused before any request."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
import respx

from airflow_provider_taptalent._compat import AirflowFailException
from airflow_provider_taptalent.exceptions import TapTalentError, TapTalentTimeoutError
from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentCreateJobOperator,
    TapTalentFetchCandidatesOperator,
)
from airflow_provider_taptalent.triggers.taptalent import TapTalentBatchTrigger
from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed
from tests.conftest import set_connection
from tests.unit.deferral import TaskDeferred, run_deferrable, upload

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def context(run_id="run-1", task_id="task", map_index=-1):
    """A task's context, as far as the operators read it; ``context["ti"].pushed`` holds the XComs pushed."""
    pushed: dict = {}
    ti = SimpleNamespace(
        dag_id="dag",
        task_id=task_id,
        run_id=run_id,
        map_index=map_index,
        pushed=pushed,
        xcom_push=lambda key, value: pushed.update({key: value}),
    )
    return {"ti": ti}


def api_calls(sandbox, method=None):
    return [r for r in sandbox.requests() if method is None or r["method"] == method]


def jobs(sandbox):
    return sandbox.state()["companies"]["1"]["jobs"]


def batches(sandbox):
    return sandbox.state(urls=True)["companies"]["1"]["batches"]


# -- TapTalentCreateJobOperator ---------------------------------------------------------------------


def test_a_bad_job_fails_at_once_without_retry_and_without_a_request(sandbox_conn, sandbox):
    task = TapTalentCreateJobOperator(task_id="create", job={"title": "ab", "city": "Berlin"})
    with pytest.raises(TapTalentTaskFailed) as caught:
        task.execute(context())
    assert isinstance(caught.value, AirflowFailException)
    assert set(caught.value.details) == {"title", "state", "country"}
    assert "title: String should have at least 3 characters" in str(caught.value)
    assert api_calls(sandbox) == []


def test_creates_a_job_and_returns_its_id(sandbox_conn, sandbox):
    job_id = TapTalentCreateJobOperator(task_id="create", job=JOB).execute(context())
    assert [j["id"] for j in jobs(sandbox)] == [job_id]


def test_an_existing_job_with_the_same_match_fields_is_returned_instead(sandbox_conn, sandbox):
    first = TapTalentCreateJobOperator(task_id="create", job=JOB).execute(context())
    again = TapTalentCreateJobOperator(
        task_id="other", job={**JOB, "title": "data  ENGINEER", "description": "new text"}
    ).execute(context(run_id="run-2"))
    assert again == first
    assert len(jobs(sandbox)) == 1
    different = TapTalentCreateJobOperator(task_id="create", job={**JOB, "city": "Munich"}).execute(context())
    assert different != first


def test_a_retried_task_never_creates_a_second_job(sandbox_conn, sandbox):
    task = TapTalentCreateJobOperator(task_id="create", job=JOB, skip_if_exists=False)
    first = task.execute(context())
    assert task.execute(context()) == first  # the same task instance again: the same idempotency key
    assert len(jobs(sandbox)) == 1
    keys = {r["idempotencyKey"] for r in api_calls(sandbox, "POST")}
    assert len(keys) == 1
    assert keys.pop().startswith("taptalent-job-")
    assert task.execute(context(run_id="run-2")) != first  # another run, deliberately without matching
    assert len(jobs(sandbox)) == 2


def test_a_given_idempotency_key_is_used(sandbox_conn, sandbox):
    TapTalentCreateJobOperator(task_id="create", job=JOB, skip_if_exists=False, idempotency_key="ats-123").execute(
        context()
    )
    assert [r["idempotencyKey"] for r in api_calls(sandbox, "POST")] == ["ats-123"]


def test_match_fields_the_job_does_not_have_are_refused(sandbox_conn, sandbox):
    task = TapTalentCreateJobOperator(task_id="create", job=JOB, match_fields=("title", "team_id"))
    with pytest.raises(TapTalentTaskFailed, match="match_fields: the job has no team_id"):
        task.execute(context())
    assert api_calls(sandbox) == []


def test_a_misconfigured_connection_fails_without_retry(monkeypatch, sandbox):
    set_connection(monkeypatch, password="sk_live_ZyXwVuTsRqPoNmLkJiHgFe", host=sandbox.url)
    with pytest.raises(TapTalentTaskFailed, match="https"):
        TapTalentCreateJobOperator(task_id="create", job=JOB).execute(context())


# -- TapTalentBulkUploadResumesOperator ---------------------------------------------------------------


def urls(n, prefix="r"):
    return [f"https://files.example/{prefix}{i}.pdf" for i in range(n)]


def logged(capsys, caplog) -> str:
    """Task loggers print through Airflow's own handlers (stdout) rather than propagating to caplog."""
    return capsys.readouterr().out + caplog.text


def test_urls_are_split_into_batches_and_submitted_concurrently(sandbox_conn, sandbox, capsys, caplog):
    ids = TapTalentBulkUploadResumesOperator(
        task_id="up", resume_urls=urls(7), batch_size=3, max_concurrency=2
    ).execute(context())
    stored = {b["batchId"]: b["urls"] for b in batches(sandbox)}
    assert [stored[i] for i in ids] == [urls(7)[0:3], urls(7)[3:6], urls(7)[6:]]
    assert "Batch 3/3 accepted: 1 files, id" in logged(capsys, caplog)


def test_a_retried_upload_gets_the_same_batches_back(sandbox_conn, sandbox):
    task = TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=urls(5), batch_size=2)
    first = task.execute(context())
    assert task.execute(context()) == first
    assert len(batches(sandbox)) == 3
    assert len({r["idempotencyKey"] for r in api_calls(sandbox, "POST")}) == 3


def test_duplicates_are_dropped_with_a_warning(sandbox_conn, sandbox, capsys, caplog):
    caplog.set_level(logging.WARNING)
    TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=urls(3) + urls(2)).execute(context())
    assert batches(sandbox)[0]["urls"] == urls(3)
    assert "Dropped 2 duplicate resume URL(s); 3 unique remain" in logged(capsys, caplog)


def test_bad_urls_are_listed_by_position_before_any_request(sandbox_conn, sandbox):
    task = TapTalentBulkUploadResumesOperator(
        task_id="up", resume_urls=["https://ok.example/a.pdf", "ftp://x/y.pdf", "", 5]
    )
    with pytest.raises(TapTalentTaskFailed) as caught:
        task.execute(context())
    assert set(caught.value.details) == {"resume_urls[1]", "resume_urls[2]", "resume_urls[3]"}
    assert api_calls(sandbox) == []


def test_urls_from_a_text_file_or_a_json_file(sandbox_conn, sandbox, tmp_path):
    text = tmp_path / "resumes.txt"
    text.write_text("# exported 2026-11-27\nhttps://files.example/a.pdf\n\nhttps://files.example/b.pdf\n")
    listed = tmp_path / "resumes.json"
    listed.write_text(json.dumps(urls(2, "j")))
    TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=str(text)).execute(context())
    TapTalentBulkUploadResumesOperator(task_id="up2", resume_urls=f"file://{listed}").execute(context())
    assert [b["urls"] for b in batches(sandbox)] == [
        ["https://files.example/a.pdf", "https://files.example/b.pdf"],
        urls(2, "j"),
    ]


@pytest.mark.parametrize(
    ("resume_urls", "field", "says"),
    [
        ("https://files.example/a.pdf", "resume_urls", "a single URL was given"),
        ("/no/such/file.txt", "resume_urls", "no file at"),
        ([], "resume_urls", "no resume URLs given"),
        (42, "resume_urls", "expected a list or a file"),
    ],
)
def test_unusable_sources_name_the_field(sandbox_conn, sandbox, resume_urls, field, says):
    with pytest.raises(TapTalentTaskFailed) as caught:
        TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=resume_urls).execute(context())
    assert says in caught.value.details[field]


def test_a_bad_line_in_a_file_is_named_by_its_line_number(sandbox_conn, sandbox, tmp_path):
    source = tmp_path / "resumes.txt"
    source.write_text("https://files.example/a.pdf\nnot a url\n")
    with pytest.raises(TapTalentTaskFailed) as caught:
        TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=str(source)).execute(context())
    assert list(caught.value.details) == ["resume_urls line 2"]


def test_a_batch_size_over_the_connections_limit_is_refused(monkeypatch, sandbox):
    set_connection(monkeypatch, password=sandbox.api_key, host=sandbox.url, extra={"max_batch_size": 200})
    with pytest.raises(TapTalentTaskFailed, match="batch_size: 500 is over the connection's max_batch_size 200"):
        TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=urls(3), batch_size=500).execute(context())
    ids = TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=urls(450)).execute(context())
    assert len(ids) == 3  # the connection's limit is the default batch size


@pytest.mark.parametrize(
    ("kwargs", "says"), [({"batch_size": 0}, "batch_size"), ({"max_concurrency": 0}, "max_concurrency")]
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(kwargs, says):
    with pytest.raises(ValueError, match=says):
        TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=[], **kwargs)


def test_waiting_in_the_worker_returns_summaries(sandbox_conn, sandbox):
    task = TapTalentBulkUploadResumesOperator(
        task_id="up",
        resume_urls=[*urls(4), "https://files.example/corrupt.pdf"],
        batch_size=3,
        wait_for_completion=True,
        deferrable=False,
        poll_interval=0.1,
    )
    summaries = task.execute(context())
    assert [(s["status"], s["success_count"], s["failed_count"]) for s in summaries] == [
        ("COMPLETED", 3, 0),
        ("COMPLETED", 1, 1),
    ]


def test_waiting_in_the_worker_times_out(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    task = TapTalentBulkUploadResumesOperator(
        task_id="up", resume_urls=urls(1), wait_for_completion=True, deferrable=False, poll_interval=0.05, timeout=0.3
    )
    with pytest.raises(TapTalentTimeoutError, match="0/1 batches finished"):
        task.execute(context())


def test_waiting_deferred_hands_the_batches_to_the_trigger(sandbox_conn, sandbox):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    task = TapTalentBulkUploadResumesOperator(
        task_id="up", resume_urls=urls(3), batch_size=2, wait_for_completion=True, deferrable=True, poll_interval=5
    )
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(context())
    assert isinstance(deferred.value.trigger, TapTalentBatchTrigger)
    assert sorted(deferred.value.trigger.batch_ids) == [b["batchId"] for b in batches(sandbox)]
    assert deferred.value.timeout is None


def test_the_deferred_round_trip_returns_summaries(sandbox_conn, sandbox):
    task = TapTalentBulkUploadResumesOperator(
        task_id="up", resume_urls=urls(3), batch_size=2, wait_for_completion=True, deferrable=True, poll_interval=0.1
    )
    summaries = run_deferrable(task, context())
    assert [s["success_count"] for s in summaries] == [2, 1]


def test_the_upload_operator_resumes_fail_closed_too():
    task = TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=[], wait_for_completion=True)
    with pytest.raises(TapTalentError):
        task.execute_complete(context(), None)
    with pytest.raises(TapTalentTimeoutError):
        task.execute_complete(context(), {"status": "timeout", "message": "late"})


# -- TapTalentFetchCandidatesOperator -----------------------------------------------------------------


def test_writes_every_candidate_as_json_lines(sandbox_conn, sandbox, tmp_path):
    first, second = upload(sandbox, 150, corrupt=3, prefix="a"), upload(sandbox, 30, prefix="b")
    sandbox.advance()
    output = tmp_path / "deep" / "candidates.jsonl"
    result = TapTalentFetchCandidatesOperator(
        task_id="fetch", batch_ids=[first, second], output_path=str(output), per_page=20
    ).execute(context())
    assert result == {"path": str(output), "count": 180}
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["batchId"] for r in rows] == [first] * 150 + [second] * 30
    assert [r["resume"] for r in rows[:3]] == [f"https://f.example/a{n}.pdf" for n in range(3)]
    assert {"firstName", "lastName", "email", "skills"} <= set(rows[0])
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["candidates.jsonl"]  # no temporary file left


def test_returns_small_results_through_xcom_and_refuses_big_ones(sandbox_conn, sandbox):
    small, big = upload(sandbox, 5, prefix="s"), upload(sandbox, 1001, prefix="b")
    sandbox.advance()
    rows = TapTalentFetchCandidatesOperator(task_id="fetch", batch_ids=small).execute(context())
    assert len(rows) == 5
    before = len(api_calls(sandbox))
    with pytest.raises(TapTalentTaskFailed, match="1,001 candidates are too many to return through XCom") as caught:
        TapTalentFetchCandidatesOperator(task_id="fetch", batch_ids=big).execute(context())
    assert "output_path" in caught.value.details
    assert len(api_calls(sandbox)) == before + 1  # only the first page, to count


def test_refuses_a_batch_that_is_still_running(sandbox_conn, sandbox, tmp_path):
    sandbox.control.patch("/config", json={"batchSeconds": 60})
    batch = upload(sandbox, 3)
    with pytest.raises(TapTalentError, match=f"Batch {batch} is still PENDING: wait for it"):
        TapTalentFetchCandidatesOperator(
            task_id="fetch", batch_ids=batch, output_path=str(tmp_path / "x.jsonl")
        ).execute(context())
    assert not (tmp_path / "x.jsonl").exists()


def test_a_failure_half_way_leaves_no_half_written_file(sandbox_conn, sandbox, tmp_path, waits):
    batch = upload(sandbox, 300)
    sandbox.advance()
    output = tmp_path / "candidates.jsonl"
    output.write_text("yesterday's file\n")
    task = TapTalentFetchCandidatesOperator(task_id="fetch", batch_ids=batch, output_path=str(output), per_page=10)
    task.hook.max_retries = 0
    original = task.hook.get_batch

    def flaky(batch_id, *, page_number=1, per_page=100):
        if page_number == 20:
            raise TapTalentError("boom")
        return original(batch_id, page_number=page_number, per_page=per_page)

    task.hook.get_batch = flaky
    with pytest.raises(TapTalentError, match="boom"):
        task.execute(context())
    assert output.read_text() == "yesterday's file\n"
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    ("kwargs", "says"), [({"per_page": 15}, "per_page"), ({"max_concurrency": 0}, "max_concurrency")]
)
def test_fetch_arguments_are_checked_when_the_dag_is_parsed(kwargs, says):
    with pytest.raises(ValueError, match=says):
        TapTalentFetchCandidatesOperator(task_id="fetch", batch_ids=[1], **kwargs)


def test_constructors_only_store_their_arguments(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_TAPTALENT_DEFAULT", raising=False)
    for task in (
        TapTalentCreateJobOperator(task_id="a", job={"title": "{{ params.title }}"}, taptalent_conn_id="missing"),
        TapTalentBulkUploadResumesOperator(task_id="b", resume_urls="{{ params.file }}", taptalent_conn_id="missing"),
        TapTalentFetchCandidatesOperator(task_id="c", batch_ids="{{ ti.xcom_pull('b') }}", taptalent_conn_id="missing"),
    ):
        assert "hook" not in task.__dict__


def test_a_bad_rendered_argument_names_the_template_it_came_from(fake_conn, tmp_path):
    """Review 2026-12-02 #36: ``Invalid resume_urls`` named the operator argument only; the DAG's author wrote
    the param ``resume_list``. Now the message says what the argument was rendered from."""
    import jinja2

    from airflow_provider_taptalent.exceptions import TapTalentTaskFailed

    listing = tmp_path / "resumes.txt"
    listing.write_text("https://files.example/a.pdf\nhttp://127.0.0.1/private.pdf\n")
    operator = TapTalentBulkUploadResumesOperator(task_id="upload", resume_urls="{{ params.resume_list }}")
    operator.render_template_fields({"params": {"resume_list": str(listing)}}, jinja2.Environment(autoescape=False))  # noqa: S701
    with respx.mock(assert_all_called=False) as mock, pytest.raises(TapTalentTaskFailed) as failed:
        operator.execute(context())
    assert "resume_urls from '{{ params.resume_list }}'" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__  # one traceback, not three
    assert not mock.calls
