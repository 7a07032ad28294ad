"""End-to-end test DAG: create a job, upload resumes in batches, wait deferred, fetch to JSON Lines."""

from __future__ import annotations

from datetime import datetime

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS
from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentCreateJobOperator,
    TapTalentFetchCandidatesOperator,
)
from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor

if AIRFLOW_V_3_0_PLUS:
    from airflow.sdk import DAG
else:
    from airflow.models.dag import DAG

with DAG(
    dag_id="taptalent_e2e_resume_pipeline",
    start_date=datetime(2026, 1, 1),
    schedule=None,
    catchup=False,
    params={"resume_file": "", "output_path": "", "batch_size": 500},
    render_template_as_native_obj=True,
) as dag:
    create_job = TapTalentCreateJobOperator(
        task_id="create_job",
        job={"title": "Data Engineer", "city": "Berlin", "state": "Berlin", "country": "Germany"},
    )
    upload = TapTalentBulkUploadResumesOperator(
        task_id="upload_resumes", resume_urls="{{ params.resume_file }}", batch_size=500
    )
    wait = TapTalentBatchSensor(task_id="wait_for_parsing", batch_ids=upload.output, deferrable=True, poke_interval=1)
    fetch = TapTalentFetchCandidatesOperator(
        task_id="fetch_candidates", batch_ids=wait.output, output_path="{{ params.output_path }}"
    )
    create_job >> upload >> wait >> fetch
