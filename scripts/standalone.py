"""`make airflow`: `airflow standalone` with the provider, the example DAGs and a sandbox to click through.

Airflow lives in .airflow-local/ (kept between runs); the sandbox is started first and stopped when
Airflow stops (Ctrl-C). The UI is at http://localhost:8080; the admin password is printed by Airflow and
saved in .airflow-local/ (simple_auth_manager_passwords.json.generated on Airflow 3).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local import BIN, REPO, airflow_env, sandbox


def main() -> int:
    env = airflow_env(REPO / ".airflow-local", fresh=False)
    with sandbox(batch_seconds=10, port=8765) as box:
        env["AIRFLOW_CONN_TAPTALENT_DEFAULT"] = box["connection"]
        print(f"TapTalent sandbox at {box['url']} (control API and docs: {box['url']}/__sandbox/docs)")
        print("Connection taptalent_default points at it. Starting airflow standalone (Ctrl-C stops both) ...")
        try:
            return subprocess.call([str(BIN / "airflow"), "standalone"], env=env)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
