"""`make bench`: every benchmark, each in its own process, one after the other (about 10 minutes).

Each script starts its own sandbox in a separate process and prints its tables; the figures are
machine-dependent, so the scripts report ratios beside the raw numbers. Run one alone with
``python -m benchmarks.<name> --help``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPTS = (
    "sandbox_throughput",
    "client_cost",
    "client_cost --statsd",
    "fetch_concurrency",
    "upload_concurrency",
    "parse_cost",
    "wait_at_scale",
    "wait_eta",
    "watchers",
    "sync_scale",
    "export_scale",
)


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    home = tempfile.mkdtemp(prefix="taptalent-bench-")
    env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PYTHONPATH": str(repo)}
    failed = []
    for script in SCRIPTS:
        name, *flags = script.split()
        print(f"\n### {script}\n", flush=True)
        # Log lines go to the discarded stderr/stdout of the script's components; tables are on stdout.
        result = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", *flags], cwd=repo, env=env, capture_output=True, text=True
        )
        lines = [line for line in result.stdout.splitlines() if not line.startswith("20")]  # drop log lines
        print("\n".join(lines), flush=True)
        if result.returncode:
            failed.append(script)
            print(result.stderr[-3000:], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
