"""`make airflow`: `airflow standalone` with the provider, the example DAGs and a sandbox to click through.

Airflow lives in .airflow-local/ (kept between runs); the sandbox is started first and stopped when
Airflow stops (Ctrl-C). Ports: `make airflow PORT=8081 SANDBOX_PORT=8766` (defaults 8080 and 8765).
The login is `admin`; where Airflow keeps the generated password is printed at every start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local import BIN, REPO, airflow_env, sandbox

HOME = REPO / ".airflow-local"


def port_settings(port: int) -> dict[str, str]:
    """Everything that must agree on the UI/API port: the server, its URL, and the tasks' execution API."""
    root = f"http://localhost:{port}"
    return {
        "AIRFLOW__API__PORT": str(port),  # Airflow 3: the API server (UI, REST and execution API)
        "AIRFLOW__API__BASE_URL": root,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{root}/execution/",
        "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(port),  # Airflow 2.11: the webserver
        "AIRFLOW__WEBSERVER__BASE_URL": root,
    }


def password_files(home: Path) -> list[Path]:
    """Where `airflow standalone` writes the admin password: Airflow 3, then Airflow 2."""
    return [home / "simple_auth_manager_passwords.json.generated", home / "standalone_admin_password.txt"]


def main() -> int:
    port = int(os.environ.get("PORT") or 8080)
    sandbox_port = int(os.environ.get("SANDBOX_PORT") or 8765)
    env = airflow_env(HOME, fresh=False)
    env.update(port_settings(port))
    with sandbox(batch_seconds=10, port=sandbox_port) as box:
        env["AIRFLOW_CONN_TAPTALENT_DEFAULT"] = box["connection"]
        print(f"TapTalent sandbox at {box['url']} (control API and docs: {box['url']}/__sandbox/docs)")
        print("Connection taptalent_default points at it.")
        print(f"Airflow UI: http://localhost:{port}  login: admin")
        print("  password: in the first of these files that exists (Airflow writes it on first start):")
        for path in password_files(HOME):
            print(f"    {path}")
        print("Starting airflow standalone (Ctrl-C stops both) ...", flush=True)
        try:
            return subprocess.call([str(BIN / "airflow"), "standalone"], env=env)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
