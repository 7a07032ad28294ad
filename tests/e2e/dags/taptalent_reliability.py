"""DAGs the reliability tests run under injected faults: a job sync and the resume pipeline.

Tasks retry (quickly) like production DAGs should: a task that loses its retries to a burst of faults
is retried by Airflow, and must then finish the work without duplicating any of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentFetchCandidatesOperator,
    TapTalentSyncJobsOperator,
)
from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor

RETRIES = {"retries": 3, "retry_delay": timedelta(seconds=1)}

with DAG(
    dag_id="taptalent_reliability_sync",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    params={"jobs": "", "state_path": ""},
    default_args=RETRIES,
):
    TapTalentSyncJobsOperator(task_id="sync_jobs", jobs="{{ params.jobs }}", state_path="{{ params.state_path }}")

with DAG(
    dag_id="taptalent_reliability_resumes",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    params={"resume_file": "", "output_path": ""},
    default_args=RETRIES,
    render_template_as_native_obj=True,
):
    upload = TapTalentBulkUploadResumesOperator(
        task_id="upload_resumes", resume_urls="{{ params.resume_file }}", batch_size=500, max_concurrency=4
    )
    wait = TapTalentBatchSensor(task_id="wait_for_parsing", batch_ids=upload.output, deferrable=True, poke_interval=1)
    TapTalentFetchCandidatesOperator(
        task_id="fetch_candidates", batch_ids=wait.output, output_path="{{ params.output_path }}", max_concurrency=4
    )
