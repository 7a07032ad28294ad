"""The provider's metrics, sent to Airflow's Stats (StatsD, StatsD with tags, or OpenTelemetry).

Each metric is sent once, in the one form the configured backend keeps (:func:`~.._compat.metrics_style`):
its plain name with tags for OpenTelemetry and Datadog- or InfluxDB-style StatsD, or a dotted name that
carries the dimensions itself (``taptalent.api.request.jobs_get.GET.200.<conn_id>``) for plain StatsD, which
drops tags; nothing without a backend. (Sending both forms counted a metric twice, or, where a mapping dropped
one form, lost it: review 2026-12-02 #39.) Every name part is made of the characters Airflow's stat-name
validator allows, so no metric is dropped. docs/metrics.md lists them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from airflow_provider_taptalent._compat import Stats, metrics_style
from airflow_provider_taptalent.client.calls import Call
from airflow_provider_taptalent.client.errors import TapTalentError
from airflow_provider_taptalent.client.steps import Observer

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@functools.lru_cache(maxsize=4096)
def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part).strip("_")[:60] or "none"


def safe(part: object) -> str:
    """One dotted-name part: only letters, digits, ``_`` and ``-`` (what every backend accepts)."""
    return _safe(str(part))


def error_code(error: BaseException | None) -> str:
    """A low-cardinality name for a failure: the API's code, the HTTP status, or ``CONNECTION``."""
    if isinstance(error, TapTalentError):
        return error.code or (str(error.status_code) if error.status_code else "CONNECTION")
    return type(error).__name__


@functools.lru_cache(maxsize=4096)
def _names(name: str, tags: tuple[tuple[str, object], ...]) -> tuple[dict[str, str], str]:
    """The clean tags and the dotted name of a metric, worked out once per name and tag values."""
    clean = {key: safe(value) for key, value in tags}
    return clean, ".".join([name, *clean.values()])


def _send(kind: str, name: str, value: float, tags: Mapping[str, object]) -> None:
    """One metric, in the form the backend keeps (``kind``: ``incr`` or ``gauge``)."""
    style = metrics_style()
    if style == "off":
        return
    clean, dotted = _names(name, tuple(tags.items()))
    send = getattr(Stats, kind)
    if style == "tags":
        send(name, value, tags=dict(clean))
    else:
        send(dotted, value)


def incr(name: str, tags: Mapping[str, object], count: int = 1) -> None:
    _send("incr", name, count, tags)


def gauge(name: str, value: float, tags: Mapping[str, object]) -> None:
    _send("gauge", name, value, tags)


class StatsObserver(Observer):
    """The client core's reports as metrics: one timing per attempt, a counter per retry, one outcome per call.

    :param conn_id: the connection the calls use (a tag, and a part of the dotted names).
    """

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id

    @functools.cached_property
    def _style(self) -> str:
        """The backend's metric style, read once per hook (see :func:`~.._compat.metrics_style`)."""
        return metrics_style()

    def _tags(self, call: Call[Any], **more: object) -> dict[str, object]:
        return {"endpoint": call.endpoint.name, "method": call.method, **more, "conn_id": self.conn_id}

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (one observer per hook; the key is a few short strings)
    def _request_names(self, endpoint: str, method: str, status: str) -> tuple[dict[str, str], str]:
        tags = {"endpoint": endpoint, "method": method, "status": status, "conn_id": self.conn_id}
        return _names("taptalent.api.request", tuple(tags.items()))

    def request(self, call: Call[Any], status: str, elapsed_ms: float, attempt: int) -> None:
        # one timing per attempt, the hot path: the style read once per hook, the names once per status
        style = self._style
        if style == "off":
            return
        tags, dotted = self._request_names(call.endpoint.name, call.method, status)
        if style == "tags":
            Stats.timing("taptalent.api.request", elapsed_ms, tags=tags)
        else:
            Stats.timing(dotted, elapsed_ms)

    def retry(self, call: Call[Any], error: TapTalentError, attempt: int, wait: float) -> None:
        incr("taptalent.api.retry", self._tags(call, code=error_code(error)))

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (as above)
    def _success_names(self, endpoint: str, method: str) -> tuple[dict[str, str], str]:
        tags = {"endpoint": endpoint, "method": method, "outcome": "success", "code": "OK", "conn_id": self.conn_id}
        return _names("taptalent.api.call", tuple(tags.items()))

    def outcome(self, call: Call[Any], error: TapTalentError | None, attempts: int, elapsed_ms: float) -> None:
        if error is None:  # every successful call, the hot path (see request)
            style = self._style
            if style == "off":
                return
            tags, dotted = self._success_names(call.endpoint.name, call.method)
            if style == "tags":
                Stats.incr("taptalent.api.call", 1, tags=tags)
            else:
                Stats.incr(dotted, 1)
            return
        incr("taptalent.api.call", self._tags(call, outcome="error", code=error_code(error)))
        incr("taptalent.api.error", self._tags(call, code=error_code(error)))

    def fallback(self, call: Call[Any], error: TapTalentError) -> None:
        incr("taptalent.api.fallback_key", self._tags(call, code=error_code(error)))

    def key_state(self, key: str, state: str) -> None:
        # 1 for the state the key is in, 0 for the others: alert on taptalent.key.state{state!="active"} == 1
        for each in ("active", "invalid", "inactive"):
            gauge(
                "taptalent.key.state",
                1.0 if each == state else 0.0,
                {"key": key, "state": each, "conn_id": self.conn_id},
            )


def webhook_delivery(outcome: str, status: int, conn_id: str) -> None:
    """One webhook delivery: recorded, duplicate, ignored, no_asset, refused (by status) or rate_limited."""
    incr("taptalent.webhook.delivery", {"outcome": outcome, "status": status, "conn_id": conn_id})


def batches_finished(summaries: Any) -> None:
    """Batches that finished, by status, and their failed files."""
    for summary in summaries:
        incr("taptalent.batch.finished", {"status": summary.get("status")})
        failed = int(summary.get("failed_count") or 0)
        if failed:
            incr("taptalent.batch.failed_files", {"status": summary.get("status")}, count=failed)
