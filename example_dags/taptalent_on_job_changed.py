"""Event-driven without an inbound endpoint: a run for every TapTalent job that changes (Airflow 3).

An ``AssetWatcher`` runs :class:`~airflow_provider_taptalent.triggers.events.TapTalentEventTrigger` in the
triggerer: it polls TapTalent's job listing every 30 seconds and turns each job created or updated since the
last poll into an event on the Asset ``taptalent://taptalent_default/job_updated``; this DAG is scheduled on
it, so a change starts a run that knows the job's id (several changes at once: Airflow gives a run the
events queued before it was queued; those that arrive while it is being created ride with the next run, so
read every entry of ``triggering_asset_events``).

Unlike the webhook example (``taptalent_on_batch_completed``) nothing has to reach Airflow from outside:
this works behind a firewall and on managed Airflow. The price is latency (up to ``poll_interval``) and one
request per 100 jobs a poll. The watermark (what was already reported) is kept in the asset's state store on
Airflow 3.3, across triggerer restarts; before 3.3 set ``TAPTALENT_WATERMARK_PATH`` (the trigger's
``watermark_path``: a file every triggerer reaches).

Nothing is defined on Airflow 2, which has no AssetWatcher.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow_provider_taptalent._compat import AIRFLOW_V_3_0_PLUS

if AIRFLOW_V_3_0_PLUS:
    from airflow.sdk import DAG, Asset, AssetWatcher, task

    from airflow_provider_taptalent.triggers.events import TapTalentEventTrigger

    # --8<-- [start:jobs_changed]
    JOBS_CHANGED = Asset(
        "taptalent://taptalent_default/job_updated",
        watchers=[
            AssetWatcher(
                name="taptalent_job_updated",
                # 30 s by default; TAPTALENT_WATCH_SECONDS sets it (the deployment tests poll every 5 s)
                # before Airflow 3.3 (no asset state store), TAPTALENT_WATERMARK_PATH names the watermark's file
                trigger=TapTalentEventTrigger(
                    "job_updated",
                    poll_interval=float(os.environ.get("TAPTALENT_WATCH_SECONDS", 30)),
                    watermark_path=os.environ.get("TAPTALENT_WATERMARK_PATH"),
                ),
            )
        ],
    )
    # --8<-- [end:jobs_changed]

    def changed_jobs(events_by_asset: Any) -> list[dict[str, Any]]:
        """The watcher's payloads (``kind``, ``id``, ``at``, ``key``) among the events that started the run,
        each key once."""
        changes: dict[str, dict[str, Any]] = {}
        for events in events_by_asset.values():
            for event in events:
                payload = (event.extra or {}).get("payload") or {}
                if payload.get("kind") == "job_updated":
                    changes.setdefault(str(payload["key"]), payload)
        return list(changes.values())

    with DAG(
        dag_id="taptalent_on_job_changed",
        description="A run for every TapTalent job that changes (AssetWatcher: no inbound endpoint)",
        doc_md=__doc__,
        schedule=[JOBS_CHANGED],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        tags=["taptalent", "example", "events"],
    ) as dag:

        @task
        def report_changed_jobs(**context: Any) -> list[Any]:
            changes = changed_jobs(context.get("triggering_asset_events") or {})
            for change in changes:
                print(f"TapTalent job {change['id']} changed at {change['at']}")
            return [change["id"] for change in changes]

        report_changed_jobs()
