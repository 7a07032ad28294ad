"""Event-driven: fetch a batch's candidates as soon as TapTalent says it finished parsing.

TapTalent POSTs ``resume.bulk_upload_parse.*`` webhooks to the receiver this provider adds to Airflow's
API server (``https://<your-airflow>/taptalent/webhooks/taptalent_default``). Each verified delivery
becomes an event on the Asset ``taptalent://taptalent_default/batches``, and this DAG is scheduled on it:
it runs for every event, picks the ``completed`` ones and writes their candidates to JSON Lines. No
polling, no sensor.

Set up: the connection's ``webhook_key`` extra holds the key from TapTalent's dashboard, the webhook URL
there points at the receiver (HTTPS), and this DAG is unpaused.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, task

from airflow_provider_taptalent.operators.taptalent import TapTalentFetchCandidatesOperator
from airflow_provider_taptalent.webhooks import batch_asset

COMPLETED = "resume.bulk_upload_parse.completed"
OUTPUT = (
    Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser()
    / "taptalent"
    / "batch-{{ run_id | replace(':', '_') }}.jsonl"
)


def completed_batch_ids(events_by_asset: dict[Any, list[Any]]) -> list[Any]:
    """The batch ids of the ``completed`` events among those that triggered the run."""
    ids = []
    for events in events_by_asset.values():
        for event in events:
            extra = event.extra or {}
            if extra.get("event") == COMPLETED and extra.get("data", {}).get("batchId") not in (None, *ids):
                ids.append(extra["data"]["batchId"])
    return ids


# --8<-- [start:on_batch_completed]
with DAG(
    dag_id="taptalent_on_batch_completed",
    description="Fetch candidates when a TapTalent batch completes (webhook -> Asset event)",
    doc_md=__doc__,
    schedule=[batch_asset("taptalent_default")],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["taptalent", "example", "webhooks"],
) as dag:

    @task
    def batches_that_completed(**context: Any) -> list[Any]:
        # Airflow 3 calls them asset events, Airflow 2 dataset events.
        events = context.get("triggering_asset_events") or context.get("triggering_dataset_events") or {}
        if not any(events.values()):
            raise AirflowSkipException("No triggering events: this run was not started by a webhook delivery")
        ids = completed_batch_ids(events)
        if not ids:
            raise AirflowSkipException("No completed batch among the triggering events (started or failed only)")
        return ids

    TapTalentFetchCandidatesOperator(
        task_id="fetch_candidates",
        batch_ids=batches_that_completed(),
        output_path=str(OUTPUT),
    )
# --8<-- [end:on_batch_completed]
