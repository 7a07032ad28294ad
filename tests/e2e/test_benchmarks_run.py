"""`make bench` must not rot: every benchmark script runs, at a small size, to its end.

No figure is checked here (timed tests are not how performance is shown: the scripts print ratios
measured side by side, see README "Performance"); only that each script completes and prints its tables.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchmarks.run_all import SCRIPTS
from tests.conftest import REPO

pytestmark = [pytest.mark.e2e]

SMALL = {
    "sandbox_throughput": ["--seconds", "0.5", "--concurrency", "4"],
    "client_cost": ["--requests", "25"],
    "fetch_concurrency": ["--candidates", "200", "--latency-ms", "0"],
    "upload_concurrency": ["--urls", "500", "--latency-ms", "0"],
    "parse_cost": ["--runs", "2"],
    "wait_at_scale": ["--triggers", "10", "--seconds", "2", "--poll", "1"],
    "wait_eta": ["--waits", "10", "--seconds", "2", "--poll", "1"],
    "watchers": ["--watchers", "4", "--seconds", "12", "--poll", "5"],
    "sync_scale": ["--sizes", "20", "40", "--speedup-size", "16", "--latency-ms", "0"],
    "export_scale": ["--candidates", "300", "--latency-ms", "0"],
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_benchmark_runs_to_its_end(script, tmp_path):
    name, *flags = script.split()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", f"benchmarks.{name}", *flags, *SMALL[name]]
    if name.startswith("wait_") or name == "watchers":
        command += ["--log-file", str(tmp_path / "wait.log")]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    tables = [line for line in done.stdout.splitlines() if not line.startswith("20")]  # not log lines
    assert any(set(line.strip()) <= {"-", " "} and line.strip() for line in tables), done.stdout[-2000:]
