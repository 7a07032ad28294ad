"""The client core's reports as Airflow metrics (Stats: StatsD or OpenTelemetry, as Airflow is set up)."""

from __future__ import annotations

from typing import Any

from airflow_provider_taptalent._compat import Stats
from airflow_provider_taptalent.client.calls import Call
from airflow_provider_taptalent.client.errors import TapTalentError
from airflow_provider_taptalent.client.steps import Observer


def error_code(error: BaseException | None) -> str:
    """A low-cardinality name for a failure: the API's code, the HTTP status, or ``CONNECTION``."""
    if isinstance(error, TapTalentError):
        return error.code or (str(error.status_code) if error.status_code else "CONNECTION")
    return type(error).__name__


class StatsObserver(Observer):
    """Sends one timing per attempt, a counter per retry and per failed call, to Airflow's Stats.

    :param conn_id: the connection the calls use.
    """

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id

    def request(self, call: Call[Any], status: str, elapsed_ms: float, attempt: int) -> None:
        Stats.timing("taptalent.api.request", elapsed_ms, tags={"endpoint": call.endpoint.path, "status": status})

    def retry(self, call: Call[Any], error: TapTalentError, attempt: int, wait: float) -> None:
        Stats.incr("taptalent.api.retry", tags={"endpoint": call.endpoint.path, "code": error_code(error)})

    def outcome(self, call: Call[Any], error: TapTalentError | None, attempts: int, elapsed_ms: float) -> None:
        if error is not None:
            Stats.incr("taptalent.api.error", tags={"endpoint": call.endpoint.path, "code": error_code(error)})
