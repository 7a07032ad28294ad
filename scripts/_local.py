"""What `make demo` and `make airflow` share: a throwaway Airflow home and a sandbox in the background."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from airflow_provider_taptalent.sandbox.cli import free_port, keep_loopback_off_proxies
from airflow_provider_taptalent.sandbox.people import api_key

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
keep_loopback_off_proxies(os.environ)  # the sandbox and Airflow run on loopback


def airflow_env(home: Path, *, fresh: bool) -> dict[str, str]:
    """Environment for Airflow on SQLite in ``home`` with the example DAGs and no bundled examples."""
    if fresh and home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            # airflow standalone starts its components as `airflow ...` from PATH
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


@contextlib.contextmanager
def sandbox(batch_seconds: float = 3.0, port: int | None = None, *args: str) -> Iterator[dict[str, str]]:
    """A sandbox process on 127.0.0.1 for the ``with`` block (``args``: more CLI flags); yields its url, key
    and connection JSON."""
    port = port or free_port()
    command = [
        str(BIN / "python"), "-m", "airflow_provider_taptalent.sandbox",
        "--port", str(port), "--batch-seconds", str(batch_seconds), *args,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/__sandbox/health").status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"the TapTalent sandbox did not start:\n{error}")
            time.sleep(0.05)
        key = api_key(0, "company-1")
        # the port apart from the host: Airflow 3.3's row Test posts the stored port, and refuses to reuse the
        # stored key for a connection without one (it posts 0 for none)
        connection = json.dumps({"conn_type": "taptalent", "password": key, "host": "http://127.0.0.1", "port": port})
        yield {"url": url, "api_key": key, "connection": connection}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
