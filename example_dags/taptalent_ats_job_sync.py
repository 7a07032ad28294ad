"""Daily one-way sync of the jobs in your ATS into TapTalent.

The DAG reads an ATS export (here the sample in ``data/ats_jobs.json``), creates the jobs TapTalent does
not have yet, updates the ones that changed, leaves the rest alone, and reports conflicts (a job edited in
TapTalent after the ATS record) and drift. Running it twice changes nothing the second time.

Point it at your own export with the ``jobs_export`` param (a local path, or ``s3://...`` with the Amazon
provider installed) and keep ``state_path`` somewhere durable that every worker reaches: it remembers
which ATS job is which TapTalent job. ``TAPTALENT_STATE_URI`` sets it for a deployment (``s3://bucket/
taptalent/ats-job-sync-state.json``); without it the state is a file under AIRFLOW_HOME, which suits
``airflow standalone`` and which the sync refuses under Celery or Kubernetes workers (a retry on another
worker would not find it). Against the real API only the ``taptalent_default`` connection changes.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator

DATA = Path(__file__).parent / "data"
# Where the sync remembers what it did: TAPTALENT_STATE_URI (object storage, for every executor), else a file
# under AIRFLOW_HOME (one machine). Read here, without any I/O.
DEFAULT_STATE = os.environ.get("TAPTALENT_STATE_URI") or str(
    Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "taptalent" / "ats-job-sync-state.json"
)

with DAG(
    dag_id="taptalent_ats_job_sync",
    description="Sync ATS jobs into TapTalent (create, update, report conflicts and drift)",
    doc_md=__doc__,
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # two syncs at once would race on the state file
    tags=["taptalent", "example"],
    params={
        "jobs_export": Param(str(DATA / "ats_jobs.json"), type="string", description="ATS export: JSON or CSV"),
        "state_path": Param(DEFAULT_STATE, type="string", description="Where the sync state lives"),
    },
) as dag:
    # --8<-- [start:sync_jobs]
    TapTalentSyncJobsOperator(
        task_id="sync_jobs",
        jobs="{{ params.jobs_export }}",
        state_path="{{ params.state_path }}",
        retries=2,
    )
    # --8<-- [end:sync_jobs]
