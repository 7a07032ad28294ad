"""Extra links to TapTalent's dashboard, and OpenLineage facets of the operators that move data."""

from __future__ import annotations

import pytest

from airflow_provider_taptalent.client import contract
from airflow_provider_taptalent.get_provider_info import get_provider_info
from airflow_provider_taptalent.operators.links import JOB_URL_XCOM_KEY, TapTalentJobLink, job_url
from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentCreateJobOperator,
    TapTalentExportOperator,
    TapTalentFetchCandidatesOperator,
    TapTalentSyncJobsOperator,
)
from tests.conftest import set_connection
from tests.unit.operators.test_operators import context

JOB = {"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"}


def test_the_job_link_follows_the_one_url_pattern_and_is_registered():
    assert job_url(42) == contract.JOB_DASHBOARD_URL.format(job_id=42)
    assert job_url("a/b?c").endswith("/a%2Fb%3Fc")  # an id never escapes its path segment
    assert "airflow_provider_taptalent.operators.links.TapTalentJobLink" in get_provider_info()["extra-links"]
    assert any(isinstance(link, TapTalentJobLink) for link in TapTalentCreateJobOperator.operator_extra_links)
    assert any(isinstance(link, TapTalentJobLink) for link in TapTalentBulkUploadResumesOperator.operator_extra_links)


def test_sandbox_jobs_get_no_dashboard_link(sandbox_conn, sandbox):
    """Review 2026-12-02 #37: sandbox jobs were linked to the production dashboard, which has none of them."""
    ctx = context()
    job_id = TapTalentCreateJobOperator(task_id="create", job=JOB).execute(ctx)
    again = context()
    assert TapTalentCreateJobOperator(task_id="create", job=JOB).execute(again) == job_id  # found, not made
    upload = context()
    TapTalentBulkUploadResumesOperator(task_id="up", resume_urls=["https://f.example/a.pdf"], job_id=job_id).execute(
        upload
    )
    assert JOB_URL_XCOM_KEY not in {**ctx["ti"].pushed, **again["ti"].pushed, **upload["ti"].pushed}


def test_production_jobs_push_their_dashboard_url():
    from airflow_provider_taptalent.operators.links import push_job_link

    ctx = context()
    assert push_job_link(ctx, "production", 42) == job_url(42) == "https://talent.taptalent.io/jobs/42"
    assert ctx["ti"].pushed[JOB_URL_XCOM_KEY] == job_url(42)
    quiet = context()
    assert push_job_link(quiet, "sandbox", 42) is None and JOB_URL_XCOM_KEY not in quiet["ti"].pushed


def test_the_link_reads_the_pushed_url(monkeypatch):
    from airflow_provider_taptalent.operators import links

    seen = {}

    def get_value(*, key, ti_key):
        seen.update(key=key, ti_key=ti_key)
        return "https://talent.taptalent.io/jobs/7"

    monkeypatch.setattr(links.XCom, "get_value", staticmethod(get_value))
    assert TapTalentJobLink().get_link(None, ti_key="ti-key") == "https://talent.taptalent.io/jobs/7"
    assert seen == {"key": JOB_URL_XCOM_KEY, "ti_key": "ti-key"}
    monkeypatch.setattr(links.XCom, "get_value", staticmethod(lambda **kw: None))
    assert TapTalentJobLink().get_link(None, ti_key="ti-key") == ""


@pytest.fixture
def openlineage():
    return pytest.importorskip("airflow.providers.openlineage.extractors")


@pytest.mark.parametrize(
    ("operator", "inputs", "outputs"),
    [
        (
            TapTalentExportOperator(task_id="e", resource="candidates", output_path="s3://lake/tt/candidates.jsonl"),
            [("taptalent://acme", "candidates")],
            [("s3://lake", "tt/candidates.jsonl")],
        ),
        (
            TapTalentFetchCandidatesOperator(task_id="f", batch_ids=[1], output_path="/data/candidates.jsonl"),
            [("taptalent://acme", "candidates")],
            [("file", "/data/candidates.jsonl")],
        ),
        (
            TapTalentSyncJobsOperator(
                task_id="s",
                jobs="s3://ats/jobs.json",
                state_path="s3://state/s.json",
                changes_path="s3://ats/back.jsonl",
            ),
            [("s3://ats", "jobs.json")],
            [("taptalent://acme", "jobs"), ("s3://ats", "back.jsonl")],
        ),
    ],
)
def test_openlineage_names_taptalents_resources_and_the_files(monkeypatch, openlineage, operator, inputs, outputs):
    set_connection(monkeypatch, password="sk_test_AbCdEfGhIjKlMnOpQrStUv", extra={"company": "acme"})
    lineage = operator.get_openlineage_facets_on_complete(None)
    assert isinstance(lineage, openlineage.OperatorLineage)
    assert [(d.namespace, d.name) for d in lineage.inputs] == inputs
    assert [(d.namespace, d.name) for d in lineage.outputs] == outputs


def test_without_a_company_extra_the_namespace_is_the_connection_id(monkeypatch, openlineage):
    set_connection(monkeypatch, "tt_prod", password="sk_test_AbCdEfGhIjKlMnOpQrStUv")
    op = TapTalentExportOperator(task_id="e", resource="jobs", output_path="/x/jobs.jsonl", taptalent_conn_id="tt_prod")
    lineage = op.get_openlineage_facets_on_complete(None)
    assert (lineage.inputs[0].namespace, lineage.inputs[0].name) == ("taptalent://tt_prod", "jobs")


def test_a_file_dataset_never_carries_credentials_from_its_uri():
    from airflow_provider_taptalent.utils.lineage import file_dataset

    assert file_dataset("s3://AKIAX:s3cr3t@lake/tt/jobs.jsonl") == ("s3://lake", "tt/jobs.jsonl")
    assert file_dataset("file:///data/jobs.jsonl") == ("file", "/data/jobs.jsonl")


def test_a_company_name_is_one_namespace_authority(monkeypatch, openlineage):
    """Review 2026-12-02 #45: ``Acme Corp/EU`` went into the namespace as is, ambiguous once joined with the name."""
    set_connection(monkeypatch, password="sk_test_AbCdEfGhIjKlMnOpQrStUv", extra={"company": "Acme Corp/EU"})
    lineage = TapTalentExportOperator(
        task_id="e", resource="jobs", output_path="/x.jsonl"
    ).get_openlineage_facets_on_complete(None)
    assert lineage.inputs[0].namespace == "taptalent://Acme%20Corp%2FEU"


def test_start_events_carry_the_datasets_too(monkeypatch, openlineage):
    """Review 2026-12-02 #44: START had no TapTalent datasets, so a running task showed no lineage."""
    set_connection(monkeypatch, password="sk_test_AbCdEfGhIjKlMnOpQrStUv", extra={"company": "acme"})
    for operator in (
        TapTalentExportOperator(task_id="e", resource="jobs", output_path="/x.jsonl"),
        TapTalentFetchCandidatesOperator(task_id="f", batch_ids=[1], output_path="/y.jsonl"),
        TapTalentSyncJobsOperator(task_id="s", jobs="/jobs.json", state_path="/s.json"),
    ):
        start, complete = operator.get_openlineage_facets_on_start(), operator.get_openlineage_facets_on_complete(None)
        assert start.inputs and start.outputs
        assert (start.inputs, start.outputs) == (complete.inputs, complete.outputs)


def test_an_upload_without_a_job_declares_no_extra_link():
    """Review 2026-12-02 #37: an upload without ``job_id`` showed an empty "Extra Links" heading; with a job
    (or a template that renders to one) the link stays."""
    urls = ["https://files.example/a.pdf"]
    assert TapTalentBulkUploadResumesOperator(task_id="u", resume_urls=urls).operator_extra_links == ()
    for job_id in (10001, "{{ ti.xcom_pull('create') }}"):
        links = TapTalentBulkUploadResumesOperator(task_id="u", resume_urls=urls, job_id=job_id).operator_extra_links
        assert [link.name for link in links] == ["TapTalent job"]
