"""Bulk resume parsing: create a job, upload resumes in batches, wait without a worker slot, collect.

1. ``create_job`` creates the job the resumes are for (or finds it, when it exists already);
2. ``upload_resumes`` uploads every URL of the resume list, split into API-sized batches;
3. ``wait_for_parsing`` waits in the triggerer (deferrable) until every batch has finished;
4. ``fetch_candidates`` writes every parsed candidate to a JSON Lines file;
5. ``report`` prints batches, files, successes, failures with their reasons, and the output.

Give it your own resume list (``resume_list``: one public URL a line, a local path or an object-storage
URI) and output location (``output_path``). Deferrable waiting needs a running triggerer
(``airflow triggerer``; ``airflow standalone`` and ``airflow dags test`` have one).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_taptalent.operators.taptalent import (
    TapTalentBulkUploadResumesOperator,
    TapTalentCreateJobOperator,
    TapTalentFetchCandidatesOperator,
)
from airflow_provider_taptalent.sensors.taptalent import TapTalentBatchSensor

DATA = Path(__file__).parent / "data"
DEFAULT_OUTPUT_DIR = Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "taptalent"
# A param's default is not rendered: the run's date goes into the task's own template instead.
# A run triggered without a logical date (Airflow 3's REST API and CLI allow it) has no ``ds``: its day is when
# it was asked to run.
OUTPUT_PATH = (
    "{{ params.output_path or (params.output_dir ~ '/candidates-' "
    "~ (ds if ds is defined else dag_run.run_after | ds) ~ '.jsonl') }}"
)

with DAG(
    dag_id="taptalent_resume_pipeline",
    description="Upload resumes to TapTalent, wait for parsing (deferred), fetch the candidates",
    doc_md=__doc__,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["taptalent", "example"],
    params={
        "resume_list": Param(str(DATA / "resumes.txt"), type="string", description="File of resume URLs"),
        "output_dir": Param(str(DEFAULT_OUTPUT_DIR), type="string", description="Folder of candidates-<date>.jsonl"),
        "output_path": Param(
            "", type=["null", "string"], description="Where candidates are written (default: in output_dir)"
        ),
    },
    render_template_as_native_obj=True,
) as dag:
    # --8<-- [start:create_job]
    create_job = TapTalentCreateJobOperator(
        task_id="create_job",
        job={
            "title": "Senior Data Engineer",
            "city": "Berlin",
            "state": "Berlin",
            "country": "Germany",
            "work_mode": "HYBRID",
            "status": "ACTIVE",
        },
    )
    # --8<-- [end:create_job]
    # --8<-- [start:upload_resumes]
    upload = TapTalentBulkUploadResumesOperator(
        task_id="upload_resumes",
        resume_urls="{{ params.resume_list }}",
        batch_size=100,  # small batches to show the split; the default is the account's limit (5,000)
    )
    # --8<-- [end:upload_resumes]
    # --8<-- [start:wait_for_parsing]
    wait = TapTalentBatchSensor(
        task_id="wait_for_parsing",
        batch_ids=upload.output,
        deferrable=True,
        poke_interval=5,
        timeout=3600,
        max_failed_ratio=0.5,
    )
    # --8<-- [end:wait_for_parsing]
    # --8<-- [start:fetch_candidates]
    fetch = TapTalentFetchCandidatesOperator(
        task_id="fetch_candidates",
        batch_ids=wait.output,
        output_path=OUTPUT_PATH,
    )
    # --8<-- [end:fetch_candidates]

    @task
    def report(batches: list[dict[str, Any]], written: dict[str, Any]) -> dict[str, Any]:
        """A short report, printed and returned."""
        reasons: dict[str, int] = {}
        for batch in batches:
            for failure in batch["failed_files"]:
                reasons[failure["reason"]] = reasons.get(failure["reason"], 0) + 1
        summary = {
            "batches": len(batches),
            "files": sum(b["file_count"] for b in batches),
            "succeeded": sum(b["success_count"] for b in batches),
            "failed": sum(b["failed_count"] for b in batches),
            "failure_reasons": reasons,
            "candidates_written": written["count"],
            "output_path": written["path"],
        }
        print("TAPTALENT REPORT", summary)
        return summary

    create_job >> upload
    report(wait.output, fetch.output)
