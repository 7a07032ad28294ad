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
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


def _statsd(sandbox, tmp_path, influx: bool) -> list[str]:
    with udp_listener() as (port, lines):
        env = {
            **os.environ,
            **sandbox.airflow_env(),
            "AIRFLOW_HOME": str(tmp_path),
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(port),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
            "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": str(influx),
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


def test_plain_statsd_gets_every_dimension_in_the_names_and_the_exporter_mapping_reads_them(sandbox, tmp_path):
    lines = _statsd(sandbox, tmp_path, influx=False)
    names = [line.split(":")[0] for line in lines]
    calls = [n for n in names if n.startswith("airflow.taptalent.api.call.")]
    success = sum(1 for n in calls if ".success." in n)
    errors_by_code = {n.split(".")[-2] for n in calls if ".error." in n}
    assert success >= 4 and errors_by_code == {"NOT_FOUND"}  # success rate and error rate by code
    latencies = [_value(line) for line in lines if line.startswith("airflow.taptalent.api.request.jobs_list.GET.200.")]
    assert len(latencies) >= 1 and all(ms >= 0 for ms in latencies)  # response time
    key_states = {n: _value(line) for n, line in zip(names, lines, strict=True) if ".key.state." in n}
    assert key_states["airflow.taptalent.key.state.primary.active.taptalent_default"] == 1.0
    deliveries = [n for n in names if n.startswith("airflow.taptalent.webhook.delivery.")]
    assert sorted(deliveries) == [
        "airflow.taptalent.webhook.delivery.recorded.200.taptalent_default",
        "airflow.taptalent.webhook.delivery.unauthorized.401.-",
    ]  # the webhook delivery success rate: recorded over all
    # Every dotted name maps to a Prometheus metric in observability/statsd_exporter.yml; the plain copies drop.
    mapping = yaml.safe_load((REPO / "observability" / "statsd_exporter.yml").read_text())["mappings"]
    for name in set(names):
        rule = next((m for m in mapping if _glob(m["match"], name)), None)
        assert rule is not None, f"{name} matches no mapping"
        plain_copy = name.count(".") == 3  # airflow.taptalent.<group>.<metric>: its tags were dropped
        assert (rule.get("action") == "drop") == plain_copy, (name, rule["match"])


def _glob(pattern: str, name: str) -> bool:
    """statsd_exporter's glob: ``*`` matches exactly one dot-separated component."""
    parts, wanted = name.split("."), pattern.split(".")
    return len(parts) == len(wanted) and all(w == "*" or w == p for w, p in zip(wanted, parts, strict=True))


def test_statsd_with_influxdb_tags_keeps_the_tags(sandbox, tmp_path):
    lines = _statsd(sandbox, tmp_path, influx=True)
    tagged = [line for line in lines if "," in line.split(":")[0]]
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
