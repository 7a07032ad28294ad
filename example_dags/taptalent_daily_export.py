"""Daily export of TapTalent into your lake and warehouse: TapTalent as the source of truth.

Each run exports the jobs and candidates (with their AI match scores) that changed in its data interval,
one JSON Lines file per resource and day under ``TAPTALENT_LAKE`` (``file://`` here; ``s3://``, ``gs://``
... with their provider installed), then upserts them into warehouse tables through Airflow's common-sql
stack (SQLite here, ``taptalent_warehouse`` connection; any DB-API database the same way). Catchup is on:
a new deployment backfills the days since ``start_date``, and a re-run of a day writes the same file and
leaves the tables as they were. Each export is an Asset: DAGs scheduled on it run when a day landed.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG, Asset, task
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_taptalent.operators.taptalent import TapTalentExportOperator

#: where the files land: any object-storage URI (read here, without any I/O)
LAKE = os.environ.get(
    "TAPTALENT_LAKE", (Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "taptalent-lake").as_uri()
)
#: the first day to export: catchup fills in every day since (an ISO date; read here, without any I/O)
START = datetime.fromisoformat(os.environ.get("TAPTALENT_EXPORT_START", "2026-11-01")).replace(tzinfo=timezone.utc)
WAREHOUSE = "taptalent_warehouse"
#: the columns each table keeps (all of a record is in ``record``, as JSON)
TABLES = {
    "jobs": ("id", "title", "city", "state", "country", "status", "work_mode", "created_at", "updated_at"),
    "candidates": (
        "id", "first_name", "last_name", "email", "current_job_title", "city", "country", "job_id",
        "job_candidate_id", "profile_match_score", "evaluation_status", "recommend_to_recruiting_firm",
        "created_at", "updated_at",
    ),
}  # fmt: skip


#: columns that are not text (a score is compared, a flag filtered on)
TYPES = {"profile_match_score": "REAL", "recommend_to_recruiting_firm": "BOOLEAN"}


def _ddl(resource: str) -> str:
    columns = ", ".join("id TEXT PRIMARY KEY" if c == "id" else f"{c} {TYPES.get(c, 'TEXT')}" for c in TABLES[resource])
    return f"CREATE TABLE IF NOT EXISTS taptalent_{resource} ({columns}, exported_at TEXT, record TEXT)"


def _value(column: str, value: Any) -> Any:
    """A record's value as its column holds it: numbers and flags as they are, the rest as text."""
    if value is None or column in TYPES:
        return value
    return str(value)


@task
def load(resource: str, exported: dict[str, Any]) -> int:
    """Upsert the day's file into ``taptalent_<resource>`` (by id: a re-run leaves the table as it was)."""
    from airflow.providers.common.compat.sdk import BaseHook, ObjectStoragePath

    hook = BaseHook.get_connection(WAREHOUSE).get_hook()
    fields = [*TABLES[resource], "exported_at", "record"]
    rows = []
    with ObjectStoragePath(exported["path"]).open("r", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            values = [_value(c, record.get(c)) for c in TABLES[resource]]
            rows.append([*values, record["exported_at"], line.strip()])
    if rows:
        hook.insert_rows(f"taptalent_{resource}", rows, target_fields=fields, replace=True, commit_every=1000)
    print(f"Loaded {len(rows)} {resource} row(s) of {exported['path']} into taptalent_{resource}")
    return len(rows)


with DAG(
    dag_id="taptalent_daily_export",
    description="Export TapTalent's jobs and candidates (with match scores) per day, into files and tables",
    doc_md=__doc__,
    # Data intervals of a day, midnight to midnight UTC (Airflow 3 gives "@daily" none by default).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=START,
    catchup=True,
    max_active_runs=1,
    tags=["taptalent", "example"],
) as dag:
    for resource in TABLES:
        # --8<-- [start:export]
        export = TapTalentExportOperator(
            task_id=f"export_{resource}",
            resource=resource,
            output_path=f"{LAKE}/{resource}/{{{{ data_interval_start | ds }}}}.jsonl",  # named after its day
            updated_since="{{ data_interval_start }}",
            updated_before="{{ data_interval_end }}",
            include_match=resource == "candidates",
            outlets=[Asset(f"{LAKE}/{resource}")],
            retries=2,
        )
        # --8<-- [end:export]
        table = SQLExecuteQueryOperator(task_id=f"create_{resource}_table", conn_id=WAREHOUSE, sql=_ddl(resource))
        [export, table] >> load.override(task_id=f"load_{resource}")(resource, export.output)
