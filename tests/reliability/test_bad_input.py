"""Every bad input a user can give, in one table: a clear error naming the field, before any request.

Each row also names the line of the docs' troubleshooting table (docs/troubleshooting.md) that explains
it, so the docs cannot drift away from the errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_taptalent.exceptions import TapTalentTaskFailed
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentCreateJobOperator,
    TapTalentFetchCandidatesOperator,
    TapTalentSyncJobsOperator,
)
from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor
from tests.conftest import LIVE_KEY, REPO, TEST_KEY

pytestmark = [pytest.mark.reliability]
JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}
CONTEXT = {"ti": SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1, xcom_push=lambda **kw: None)}
TROUBLESHOOTING = REPO.joinpath("docs", "troubleshooting.md").read_text()


@dataclass
class Case:
    name: str
    run: Callable[[Any, Any], Any]  # (sandbox, tmp_path) -> anything that raises
    says: str  # the field (or words) the error must contain
    readme: str  # what README's troubleshooting table says about it
    connection: dict[str, Any] | None = None  # None: a good connection to the sandbox


def upload(urls: Any, **kwargs: Any) -> Callable[[Any, Any], Any]:
    return lambda sandbox, tmp: TapTalentBulkUploadResumesOperator(task_id="u", resume_urls=urls, **kwargs).execute(
        CONTEXT
    )


def upload_file(text: str, name: str = "r.txt") -> Callable[[Any, Any], Any]:
    def run(sandbox: Any, tmp: Any) -> Any:
        (tmp / name).write_text(text)
        return TapTalentBulkUploadResumesOperator(task_id="u", resume_urls=str(tmp / name)).execute(CONTEXT)

    return run


def sync(jobs: Any, state_text: str | None = None) -> Callable[[Any, Any], Any]:
    def run(sandbox: Any, tmp: Any) -> Any:
        if state_text is not None:
            (tmp / "state.json").write_text(state_text)
        return TapTalentSyncJobsOperator(task_id="s", jobs=jobs, state_path=str(tmp / "state.json")).execute(CONTEXT)

    return run


def list_jobs(sandbox: Any, tmp: Any) -> Any:
    return TapTalentHook().list_jobs()


CASES = [
    # the connection
    Case("no key", list_jobs, "has no API key", "has no API key", {"password": ""}),
    Case(
        "malformed key",
        list_jobs,
        "not a TapTalent key",
        "the API key is not a TapTalent key",
        {"password": "sk_test_123"},
    ),
    Case(
        "live key, sandbox",
        list_jobs,
        "Use an sk_test_ key",
        "Use an sk_test_ key for sandbox",
        {"password": LIVE_KEY, "extra": {"environment": "sandbox"}},
    ),
    Case(
        "live key over http",
        list_jobs,
        "https",
        "a production key must be sent over https",
        {"password": LIVE_KEY, "host": "http://127.0.0.1:1"},
    ),
    Case(
        "timeout",
        list_jobs,
        "timeout must be a number",
        "timeout must be a number",
        {"password": TEST_KEY, "extra": {"timeout": "soon"}},
    ),
    Case(
        "max_retries",
        list_jobs,
        "max_retries must be",
        "`timeout must be a number` (or `max_retries`, `max_batch_size`",
        {"password": TEST_KEY, "extra": {"max_retries": -1}},
    ),
    Case(
        "max_batch_size",
        list_jobs,
        "max_batch_size must be",
        "`timeout must be a number` (or `max_retries`, `max_batch_size`",
        {"password": TEST_KEY, "extra": {"max_batch_size": 9000}},
    ),
    Case(
        "environment",
        list_jobs,
        "environment must be",
        "`environment must be 'production' or 'sandbox'`",
        {"password": TEST_KEY, "extra": {"environment": "staging"}},
    ),
    # TapTalentCreateJobOperator
    Case(
        "short title",
        lambda s, t: TapTalentCreateJobOperator(task_id="c", job={**JOB, "title": "ab"}).execute(CONTEXT),
        "title",
        "Invalid job (title:",
    ),
    Case(
        "job without place",
        lambda s, t: TapTalentCreateJobOperator(task_id="c", job={"title": "Data Engineer"}).execute(CONTEXT),
        "city",
        "Invalid job (title:",
    ),
    Case(
        "job enum",
        lambda s, t: TapTalentCreateJobOperator(task_id="c", job={**JOB, "workMode": "OFFICE"}).execute(CONTEXT),
        "workMode",
        "Invalid job (title:",
    ),
    Case(
        "salary alone",
        lambda s, t: TapTalentCreateJobOperator(task_id="c", job={**JOB, "salaryRangeFrom": 10}).execute(CONTEXT),
        "salaryRangeTo",
        "Invalid job (title:",
    ),
    Case(
        "match_fields",
        lambda s, t: TapTalentCreateJobOperator(task_id="c", job=JOB, match_fields=["team_id"]).execute(CONTEXT),
        "match_fields",
        "match_fields: the job has no team_id",
    ),
    Case(
        "idempotency key",
        lambda s, t: TapTalentHook().create_job(JOB, idempotency_key="x" * 300),
        "idempotency_key",
        "idempotency_key: 1 to 255 printable ASCII characters",
    ),
    # TapTalentBulkUploadResumesOperator and resume files
    Case(
        "bad URL in a list",
        upload(["https://ok.example/a.pdf", "ftp://x/y.pdf"]),
        "resume_urls[1]",
        "resume_urls[3]: must be a public http:// or https:// URL",
    ),
    Case("empty URL", upload(["https://ok.example/a.pdf", ""]), "resume_urls[1]", "resume_urls[3]: must be a public"),
    Case(
        "bad line in a file",
        upload_file("https://ok.example/a.pdf\nnot a url\n"),
        "resume_urls line 2",
        "resume_urls line 4: ...",
    ),
    Case(
        "JSON file not a list",
        upload_file('{"urls": []}', "r.json"),
        "must hold a list",
        "the JSON file must hold a list of URLs",
    ),
    Case(
        "one URL string",
        upload("https://ok.example/a.pdf"),
        "a single URL was given",
        "resume_urls: a single URL was given",
    ),
    Case("missing file", upload("/no/such/resumes.txt"), "no file at", "resume_urls: no file at"),
    Case(
        "batch over the limit",
        upload(["https://ok.example/a.pdf"], batch_size=6000),
        "batch_size",
        "is over the connection's max_batch_size",
    ),
    # TapTalentBatchSensor and TapTalentFetchCandidatesOperator
    Case(
        "no batch ids",
        lambda s, t: TapTalentBatchSensor(task_id="w", batch_ids=[], deferrable=True).execute(CONTEXT),
        "batch_ids",
        "batch_ids: no batch ids given",
    ),
    Case(
        "batch id of the wrong type",
        lambda s, t: TapTalentFetchCandidatesOperator(task_id="f", batch_ids=[True]).execute(CONTEXT),
        "batch_ids",
        "not a batch id: True",
    ),
    Case(
        "output path",
        lambda s, t: TapTalentFetchCandidatesOperator(task_id="f", batch_ids=[1], output_path="   ").execute(CONTEXT),
        "output_path",
        "output_path: must be a path or an object-storage URI",
    ),
    # TapTalentSyncJobsOperator and source exports
    Case("export missing", sync("/no/such/export.json"), "jobs", "jobs: no file at"),
    Case("export not records", sync([1, 2]), "jobs[0]", "jobs[0]: must be an object"),
    Case("state file corrupt", sync([], state_text="{not json"), "state_path", "state_path: not a sync state file"),
    Case(
        "state file of another kind",
        sync([], state_text='{"version": 9}'),
        "state_path",
        "state_path: not a sync state file",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_names_the_field_before_any_request(case, sandbox, monkeypatch, tmp_path):
    connection = {"password": sandbox.api_key, "host": sandbox.url} if case.connection is None else case.connection
    monkeypatch.setenv("AIRFLOW_CONN_TAPTALENT_DEFAULT", json.dumps({"conn_type": "taptalent", **connection}))
    with pytest.raises(Exception) as caught:  # noqa: PT011 (the type differs by case; the message is the point)
        case.run(sandbox, tmp_path)
    message = f"{caught.value} {getattr(caught.value, 'details', '')}"
    assert case.says in message, message
    assert isinstance(caught.value, ValueError) or type(caught.value).__name__ == "TapTalentTaskFailed", type(
        caught.value
    )
    assert sandbox.requests() == [], "a request was sent"
    assert case.readme in TROUBLESHOOTING, f"README troubleshooting does not cover: {case.readme}"


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: TapTalentBulkUploadResumesOperator(task_id="u", resume_urls=[], batch_size=0), "batch_size"),
        (lambda: TapTalentBulkUploadResumesOperator(task_id="u", resume_urls=[], max_concurrency=0), "max_concurrency"),
        (lambda: TapTalentBatchSensor(task_id="w", batch_ids=[1], max_failed_ratio=2), "max_failed_ratio"),
        (lambda: TapTalentFetchCandidatesOperator(task_id="f", batch_ids=[1], per_page=15), "per_page"),
        (lambda: TapTalentSyncJobsOperator(task_id="s", jobs=[], state_path="x", mapping="title"), "mapping"),
    ],
)
def test_arguments_that_can_never_work_fail_when_the_dag_is_parsed(build, says):
    with pytest.raises(ValueError, match=says):
        build()


def test_invalid_source_records_send_nothing_for_them(sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv(
        "AIRFLOW_CONN_TAPTALENT_DEFAULT",
        json.dumps({"conn_type": "taptalent", "password": sandbox.api_key, "host": sandbox.url}),
    )
    records = [
        {"external_id": "A", "updated_at": "2026-01-01", "title": "ab"},
        {"title": "No id", "updated_at": "2026-01-01"},
    ]
    with pytest.raises(TapTalentTaskFailed, match="2 of 2 source records failed"):  # every record failed
        TapTalentSyncJobsOperator(task_id="s", jobs=records, state_path=str(tmp_path / "s.json")).execute(CONTEXT)
    assert [r["method"] for r in sandbox.requests()] == ["GET"]  # only reading TapTalent's jobs
    assert "Not synced:" in TROUBLESHOOTING
