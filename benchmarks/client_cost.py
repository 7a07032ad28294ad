"""Client cost per request: 2,000 `GET /jobs/{id}` through TapTalentHook, bare httpx.Client and HttpHook.run.

All of them run in this process against one sandbox in its own process, in turns: five rounds, each client
once a round, so that what the process does meanwhile (garbage collection over Airflow's heap, the other
core's load) falls on all alike. Reported: the median over the rounds of this process's CPU per
request (getrusage) and wall time per request, and the ratios. Logging runs as in a task:
the INFO level, and a handler writing every line it gets (to a file); nothing is switched off. Each client
logs what it logs in a task (the hook: each request at DEBUG, so nothing at INFO; HttpHook: a line per
request). Metrics as Airflow's default has them (no backend: Stats drops everything, and the hook skips its
per-request metrics); ``--statsd`` turns StatsD on, to a local UDP socket, and the hook then sends a timing
and a counter per request, in the one form the backend keeps. Targets: at most 1.15x bare httpx, at most 0.5x
HttpHook. For scale, a fourth client: httpx's transport alone (a request handed to ``httpx.HTTPTransport``
without ``httpx.Client``), the floor under any client built on httpx. The hook sends through
``httpx.Client`` (``client/transport.py``).
Run: ``python -m benchmarks.client_cost [--requests 2000] [--statsd]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import time
from collections.abc import Callable

import httpx

from benchmarks._common import connection_env, cpu_seconds, sandbox_process, table

ROUNDS = 5


def measure(call: Callable[[], object], requests: int) -> tuple[float, float]:
    """(CPU microseconds, wall microseconds) per call, after a warm-up call."""
    call()
    cpu, wall = cpu_seconds(), time.perf_counter()
    for _ in range(requests):
        call()
    return (cpu_seconds() - cpu) / requests * 1e6, (time.perf_counter() - wall) / requests * 1e6


def log_line_cost(samples: int = 5000) -> float:
    logger = logging.getLogger("benchmark.line")
    logger.handlers[:] = [logging.FileHandler(os.devnull)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    for _ in range(samples):
        logger.info("TapTalent %s %s -> %s in %.0f ms (attempt %d)", "GET", "/jobs/10001", "200", 3.0, 1)
    return (time.perf_counter() - started) / samples * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--statsd", action="store_true", help="with a StatsD backend (a local UDP socket)")
    args = parser.parse_args()
    if args.statsd:
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never read: datagrams are dropped
        sink.bind(("127.0.0.1", 0))
        os.environ.update(
            {
                "AIRFLOW__METRICS__STATSD_ON": "True",
                "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
                "AIRFLOW__METRICS__STATSD_PORT": str(sink.getsockname()[1]),
            }
        )
    line_cost = log_line_cost()
    task_log = logging.FileHandler(os.devnull)  # where a task's log lines go: written, not discarded early
    logging.basicConfig(level=logging.INFO, handlers=[task_log], force=True)
    # As Airflow 3's task logging has it (airflow/sdk/_shared/logging/structlog.py: "httpx" at WARN): httpx's
    # own line per request ("HTTP Request: GET ...") is not written in a task, for any client built on it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with sandbox_process() as (root, key):
        connection_env(root, key)
        os.environ["AIRFLOW_CONN_HTTP_BENCH"] = json.dumps({"conn_type": "http", "host": root})
        api = f"{root}/v1/partner"
        headers = {"Authorization": f"Bearer {key}"}
        job_id = httpx.post(
            f"{api}/jobs",
            json={"title": "Benchmark", "city": "Oslo", "state": "Oslo", "country": "Norway"},
            headers=headers,
        ).json()["id"]

        from airflow.providers.http.hooks.http import HttpHook

        from airflow_provider_taptalent.hooks.taptalent import TapTalentHook

        hook = TapTalentHook()
        raw = httpx.Client(base_url=api, headers=headers)
        floor = httpx.HTTPTransport()  # the floor: httpx's transport, without httpx.Client

        def transport_alone() -> object:
            response = floor.handle_request(httpx.Request("GET", f"{api}/jobs/{job_id}", headers=headers))
            response.read()
            return response.json()

        http_hook = HttpHook(method="GET", http_conn_id="http_bench")
        clients: dict[str, Callable[[], object]] = {
            "TapTalentHook.get_job": lambda: hook.get_job(job_id),
            "bare httpx.Client": lambda: raw.get(f"/jobs/{job_id}").json(),
            "HttpHook.run": lambda: http_hook.run(endpoint=f"/v1/partner/jobs/{job_id}", headers=headers).json(),
            "httpx transport alone": transport_alone,
        }
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
        for _ in range(ROUNDS):
            for name, call in clients.items():
                rounds[name].append(measure(call, args.requests // ROUNDS))
        results = {
            name: (statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs))
            for name, runs in rounds.items()
        }
    ours, bare, http, alone = (results[name][0] for name in results)
    rows = [(name, cpu, wall) for name, (cpu, wall) in results.items()]
    print(
        table(
            f"Client cost per request ({args.requests:,} GET /jobs/{{id}}, sequential, "
            f"metrics {'to StatsD' if args.statsd else 'off (the default)'})",
            ("client", "CPU us", "wall us"),
            rows,
        )
    )
    print()
    print(
        table(
            "Ratios of CPU per request",
            ("comparison", "ratio", "target"),
            [
                ("TapTalentHook / bare httpx", f"{ours / bare:.2f}x", "<= 1.15x"),
                ("TapTalentHook / HttpHook", f"{ours / http:.2f}x", "<= 0.5x"),
                ("for scale: TapTalentHook / httpx transport alone", f"{ours / alone:.2f}x", ""),
                ("one INFO log line, for scale", f"{line_cost:.0f} us", ""),
            ],
        )
    )


if __name__ == "__main__":
    main()
