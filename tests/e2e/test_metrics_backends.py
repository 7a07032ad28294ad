"""The provider's metrics through Airflow's real metrics clients: StatsD (plain, and with InfluxDB tags) to a
UDP listener, and OpenTelemetry to a local OTLP/HTTP endpoint.

Each run is a separate Python process whose metrics are set up the way Airflow's task runner sets them up
(``stats.initialize(factory=stats_utils.get_stats_factory(), ...)``), then calls TapTalent (the sandbox)
through the hook and records two webhook deliveries and a key check. From what arrives, the success rate,
the latency, the error rate by code, the key state and the webhook delivery success rate must be computable,
and no stat name may be refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

pytestmark = [pytest.mark.e2e]
pytest.importorskip("airflow.sdk.observability.metrics.stats_utils", reason="Airflow 3.3's metrics set-up")

SCRIPT = """
import os
from airflow.sdk._shared.observability.metrics import stats
from airflow.sdk.observability.metrics import stats_utils
from airflow.sdk.configuration import conf
stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=True)

from airflow_provider_taptalent.exceptions import TapTalentNotFoundError
from airflow_provider_taptalent.hooks.taptalent import TapTalentHook
from airflow_provider_taptalent.utils import metrics

with TapTalentHook(cache=False) as hook:
    for _ in range(3):
        hook.list_jobs(per_page=10)
    try:
        hook.get_job(999999)
    except TapTalentNotFoundError:
        pass
    hook.check_key()
metrics.webhook_delivery("recorded", 200, "taptalent_default")
metrics.webhook_delivery("unauthorized", 401, "-")
print("done")
"""


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "done" in result.stdout, result.stderr[-2000:]
    assert "InvalidStatsNameException" not in result.stderr and "Invalid stat name" not in result.stderr
    assert "Dropping invalid tag" not in result.stderr
    return result


def _statsd(sandbox, tmp_path, tags: str | None) -> list[str]:
    """What Airflow's real StatsD client sends (``tags``: None, ``"influxdb"`` or ``"datadog"``)."""
    with udp_listener() as (port, lines):
        env = {
            **os.environ,
            **sandbox.airflow_env(),
            "AIRFLOW_HOME": str(tmp_path),
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(port),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
            "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": str(tags == "influxdb"),
            "AIRFLOW__METRICS__STATSD_DATADOG_ENABLED": str(tags == "datadog"),
        }
        _run(env)
    return [line for line in lines if line.startswith("airflow.taptalent.")]


@contextlib.contextmanager
def udp_listener() -> Iterator[tuple[int, list[str]]]:
    """A StatsD listener on 127.0.0.1: its port, and the lines it got (complete once the block is left)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    lines: list[str] = []
    done = threading.Event()

    def listen() -> None:
        while not done.is_set() or _pending(sock):
            try:
                lines.extend(sock.recv(65535).decode().splitlines())
            except TimeoutError:
                continue
            except OSError:
                return

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        yield sock.getsockname()[1], lines
    finally:
        done.set()
        listener.join()
        sock.close()


def _pending(sock: socket.socket) -> bool:
    """Whether a datagram is waiting (the sender has exited: what it sent is all in the socket's buffer)."""
    import select

    return bool(select.select([sock], [], [], 0)[0])


def _value(line: str) -> float:
    return float(line.rsplit(":", 1)[1].split("|")[0])


def test_plain_statsd_gets_every_dimension_in_the_names(sandbox, tmp_path):
    lines = _statsd(sandbox, tmp_path, tags=None)
    names = [line.split(":")[0] for line in lines]
    assert all(name.count(".") > 3 for name in names), names  # one form: the dimensions in the name
    key_states = {n: _value(line) for n, line in zip(names, lines, strict=True) if ".key.state." in n}
    assert key_states["airflow.taptalent.key.state.primary.active.taptalent_default"] == 1.0
    deliveries = [n for n in names if n.startswith("airflow.taptalent.webhook.delivery.")]
    assert sorted(deliveries) == [
        "airflow.taptalent.webhook.delivery.recorded.200.taptalent_default",
        "airflow.taptalent.webhook.delivery.unauthorized.401.-",
    ]


@pytest.mark.parametrize("tags", [None, "influxdb", "datadog"], ids=["plain", "InfluxDB tags", "Datadog tags"])
def test_the_exporter_mapping_counts_every_metric_once_in_each_statsd_mode(sandbox, tmp_path, tags):
    """Review 2026-12-02 #39, #41: what statsd_exporter makes of Airflow's real StatsD lines with the shipped
    mapping. Before, with tags, latency and every successful call were dropped (3 successes and 1 error
    read as 100% errors), and the latency's name said ms while it held seconds."""
    if tags == "datadog":
        pytest.importorskip("datadog", reason="Airflow's DogStatsD client")
    lines = _statsd(sandbox, tmp_path, tags=tags)
    series = exporter_series(lines, yaml.safe_load((REPO / "observability" / "statsd_exporter.yml").read_text()))
    calls = {labels: v for (name, labels), v in series.items() if name == "taptalent_api_calls_total"}
    by_outcome: dict[str, float] = {}
    for labels, value in calls.items():
        by_outcome[dict(labels)["outcome"]] = by_outcome.get(dict(labels)["outcome"], 0) + value
    # 3 listings and the key check succeed, one get fails: the script's calls, each counted once
    assert by_outcome == {"success": 4, "error": 1}, series
    assert {dict(labels)["code"] for labels in calls if dict(labels)["outcome"] == "error"} == {"NOT_FOUND"}
    errors = {dict(labels)["code"]: v for (name, labels), v in series.items() if name == "taptalent_api_errors_total"}
    assert errors == {"NOT_FOUND": 1}
    latencies = [v for (name, labels), v in series.items() if name == "taptalent_api_request_seconds"]
    assert sum(len(v) for v in latencies) == 5  # one per attempt
    assert all(0 < s < 5 for v in latencies for s in v)  # seconds: a local request takes milliseconds
    states = {labels: v for (name, labels), v in series.items() if name == "taptalent_key_state"}
    assert states[(("conn_id", "taptalent_default"), ("key", "primary"), ("state", "active"))] == 1.0
    outcomes = sorted(
        dict(labels)["outcome"] for (name, labels) in series if name == "taptalent_webhook_deliveries_total"
    )
    assert outcomes == ["recorded", "unauthorized"]
    assert all(not name.startswith("airflow_") for name, _ in series), "every metric is mapped"


def exporter_series(lines: list[str], mapping: dict) -> dict[tuple[str, tuple[tuple[str, str], ...]], Any]:
    """The series prometheus/statsd_exporter (0.22+) makes of StatsD lines under a glob mapping.

    What it does, from its documentation: a line is ``name:value|type`` with InfluxDB tags
    (``name,k=v:...``) or DogStatsD tags (``...|#k:v``) turned into labels; the first rule whose glob matches
    (``*`` is one dot-separated part) names the metric and adds its labels (``$n``: the n-th ``*``); a rule
    with ``action: drop`` discards it; an unmatched name is kept with ``.`` turned into ``_``. Counters add
    up, gauges keep the last value, timers (ms) become observations in seconds. (A real statsd_exporter
    could not be run here: no package of it on this machine's registries, and no Go module proxy.)
    """
    series: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    for line in lines:
        head, _, rest = line.partition(":")
        name, *influx = head.split(",")
        labels = dict(tag.split("=", 1) for tag in influx)
        value, kind, *extra = rest.split("|")
        for part in extra:
            if part.startswith("#"):
                labels.update(tag.split(":", 1) for tag in part[1:].split(","))
        rule = next((m for m in mapping["mappings"] if _glob(m["match"], name)), None)
        if rule is not None and rule.get("action") == "drop":
            continue
        if rule is None:
            metric = name.replace(".", "_")
        else:
            metric = rule["name"]
            stars = [p for p, w in zip(name.split("."), rule["match"].split("."), strict=True) if w == "*"]
            for label, template in rule.get("labels", {}).items():
                labels[label] = re.sub(r"\$(\d+)", lambda m, parts=stars: parts[int(m[1]) - 1], template)
        key = (metric, tuple(sorted(labels.items())))
        number = float(value)
        if kind == "c":
            series[key] = series.get(key, 0) + number
        elif kind == "g":
            series[key] = number
        else:  # ms: a timer, stored in seconds
            series.setdefault(key, []).append(number / 1000)
    return series


def _glob(pattern: str, name: str) -> bool:
    """statsd_exporter's glob: ``*`` matches exactly one dot-separated component."""
    parts, wanted = name.split("."), pattern.split(".")
    return len(parts) == len(wanted) and all(w == "*" or w == p for w, p in zip(wanted, parts, strict=True))


def test_statsd_with_influxdb_tags_keeps_the_tags(sandbox, tmp_path):
    lines = _statsd(sandbox, tmp_path, tags="influxdb")
    tagged = [line for line in lines if "," in line.split(":")[0]]
    assert tagged == lines  # one form: the plain name with its tags
    assert any(line.startswith("airflow.taptalent.api.call,endpoint=jobs_get,method=GET,outcome=error,code=NOT_FOUND")
               for line in tagged), tagged  # fmt: skip
    assert any(
        line.startswith("airflow.taptalent.api.request,endpoint=jobs_list,method=GET,status=200") for line in tagged
    )
    assert not [line for line in lines if "{" in line or "}" in line]  # no path templates in names


class _Otlp(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers.get("content-length", 0))))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_opentelemetry_gets_the_metrics_with_their_attributes(sandbox, tmp_path):
    pytest.importorskip("opentelemetry.proto.collector.metrics.v1.metrics_service_pb2")
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Otlp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        **sandbox.airflow_env(),
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__METRICS__OTEL_ON": "True",
        "AIRFLOW__METRICS__OTEL_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__OTEL_PORT": str(server.server_address[1]),
        "AIRFLOW__METRICS__OTEL_INTERVAL_MILLISECONDS": "200",
        "AIRFLOW__METRICS__OTEL_PREFIX": "airflow",
    }
    try:
        _run(env)
    finally:
        server.shutdown()
    points: dict[str, list[dict[str, str]]] = {}
    for body in _Otlp.bodies:
        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    data = getattr(metric, metric.WhichOneof("data"))
                    for point in data.data_points:
                        attributes = {a.key: a.value.string_value for a in point.attributes}
                        points.setdefault(metric.name, []).append(attributes)
    calls = [p for name, ps in points.items() if name.endswith("taptalent.api.call") for p in ps]
    assert {(p["outcome"], p["code"]) for p in calls} >= {("success", "OK"), ("error", "NOT_FOUND")}, points.keys()
    deliveries = [p for name, ps in points.items() if name.endswith("taptalent.webhook.delivery") for p in ps]
    assert {p["outcome"] for p in deliveries} == {"recorded", "unauthorized"}
    assert any(name.endswith("taptalent.key.state") for name in points)


def test_a_dag_run_sends_its_metrics_through_airflows_statsd_client(airflow_db, sandbox):
    """``airflow dags test`` of the health example, StatsD on: the task's calls and key state arrive."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    with udp_listener() as (port, received):
        env = {
            **os.environ,
            **sandbox.airflow_env(),
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(port),
        }
        result = subprocess.run(
            [airflow, "dags", "test", "taptalent_api_health"], env=env, capture_output=True, text=True, timeout=180
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "InvalidStatsNameException" not in result.stdout + result.stderr
    names = {line.split(":")[0] for line in received}
    assert "airflow.taptalent.api.call.jobs_list.GET.success.OK.taptalent_default" in names, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    assert "airflow.taptalent.key.state.primary.active.taptalent_default" in names


def test_lineage_through_the_openlineage_providers_file_transport(airflow_db, sandbox, tmp_path):
    """Review 2026-12-02 #44, #46: the real OpenLineage listener and file transport, `airflow dags test` of the
    daily export: START and COMPLETE of each export name TapTalent's resource and the lake file; no temporary
    file is ever a dataset."""
    pytest.importorskip("airflow.providers.openlineage")
    airflow = str(Path(sys.executable).with_name("airflow"))
    events_file, lake = tmp_path / "lineage.jsonl", tmp_path / "lake"
    env = {
        **os.environ,
        **sandbox.airflow_env(),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "taptalent-test",
        "AIRFLOW_CONN_TAPTALENT_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "w.db")}),
        "TAPTALENT_LAKE": lake.as_uri(),
    }
    result = subprocess.run(
        [airflow, "dags", "test", "taptalent_daily_export", "2026-12-01"], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    exports = [e for e in events if e["job"]["name"].endswith(".export_jobs")]
    assert {e["eventType"] for e in exports} >= {"START", "COMPLETE"}, [
        (e["job"]["name"], e["eventType"]) for e in events
    ]
    for event in exports:
        if event["eventType"] in ("START", "COMPLETE"):
            assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [("taptalent://taptalent_default", "jobs")]
            assert [d["namespace"] for d in event["outputs"]] == ["file"], event["outputs"]
            assert event["outputs"][0]["name"].endswith("/jobs/2026-11-30.jsonl")
    names = [d["name"] for e in events for d in (*e.get("inputs", []), *e.get("outputs", []))]
    assert not [n for n in names if ".partial" in n], names
