"""Hourly health of the TapTalent connection: key and subscription status, as metrics and as a failed run.

``check_keys`` asks TapTalent about the connection's API key and, where it has one, its fallback key
(ASSUMPTIONS A13: the cheapest authenticated read). Each key's state goes to the metrics
(``taptalent.key.state``, 1 for the state the key is in); see ``observability/`` for the alert rules that
read them, with the error rates of ``taptalent.api.call``. The run fails, with a message that says what to
do, when a key is invalid (revoked or rotated away) or the company's subscription is inactive: point your
DAG failure alerts at this DAG and a dead key is noticed before the nightly syncs fail.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG, task

with DAG(
    dag_id="taptalent_api_health",
    description="TapTalent key and subscription status, hourly",
    doc_md=__doc__,
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["taptalent", "example", "monitoring"],
) as dag:

    @task(retries=0)
    def check_keys(conn_id: str = "taptalent_default") -> dict[str, str | None]:
        from airflow_provider_taptalent.exceptions import TapTalentTaskFailed
        from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

        with TapTalentHook(conn_id) as hook:
            status = hook.check_key()
        summary = {"state": status.state, "fallback_state": status.fallback_state, "environment": status.environment}
        print(f"TapTalent {status.environment} keys of {conn_id}: {summary}")
        states = (("API", status.state), ("fallback", status.fallback_state))
        bad = [f"the {key} key is {state}" for key, state in states if state not in (None, "active")]
        if bad:
            raise TapTalentTaskFailed(f"{'; '.join(bad)}: {status.message}", details=summary)
        return summary

    check_keys()
