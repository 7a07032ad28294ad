"""The ATS job sync of the distributed test: many records, state on the shared bucket, retried on another worker."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_taptalent.operators.taptalent import TapTalentSyncJobsOperator

with DAG(
    dag_id="taptalent_distributed_sync",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={"jobs": "", "state_path": ""},
) as dag:
    TapTalentSyncJobsOperator(
        task_id="sync_jobs",
        jobs="{{ params.jobs }}",
        state_path="{{ params.state_path }}",
        max_concurrency=2,
        retries=3,
        retry_delay=timedelta(seconds=1),
    )
