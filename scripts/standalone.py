"""`make airflow`: `airflow standalone` with the provider, the example DAGs and a sandbox to click through.

Airflow lives in .airflow-local/ (kept between runs); the sandbox is started first and stopped when
Airflow stops (Ctrl-C). Ports: `make airflow PORT=8081 SANDBOX_PORT=8766` (defaults 8080 and 8765).
The login is `admin`; where Airflow keeps the generated password is printed at every start.

Every example DAG runs green out of the box: the warehouse connection of the daily export is a SQLite file
here, the sandbox has jobs and candidates from the export's first day on (which is three days before the
first `make airflow`, so that its catch-up is three runs, not a month), and the sandbox's batch webhooks
go to this Airflow's receiver with the connection's webhook secret.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local import BIN, REPO, airflow_env, sandbox

HOME = Path(os.environ.get("TAPTALENT_LOCAL_HOME") or REPO / ".airflow-local")  # tests give their own
#: days the daily export catches up on the first start
CATCH_UP_DAYS = 3


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


def kept(home: Path, name: str, first: str) -> str:
    """A value chosen on the first start and kept in ``home`` (the export's first day, the webhook secret)."""
    path = home / name
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(first)
    return path.read_text().strip()


def local_settings(home: Path, port: int, today: date) -> tuple[dict[str, str], list[str], str]:
    """The environment, the sandbox's flags and the webhook secret for this Airflow home."""
    start = date.fromisoformat(kept(home, "export-start", (today - timedelta(days=CATCH_UP_DAYS)).isoformat()))
    secret = kept(home, "webhook-secret", secrets.token_urlsafe(24))
    env = {
        "TAPTALENT_EXPORT_START": start.isoformat(),
        "AIRFLOW_CONN_TAPTALENT_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(home / "warehouse.db")}),
        **port_settings(port),
    }
    flags = [
        "--history-days", str(max((today - start).days + 1, 1)),
        "--webhook-url", f"http://localhost:{port}/taptalent/webhooks/taptalent_default",
        "--webhook-key", secret,
    ]  # fmt: skip
    return env, flags, secret


def main() -> int:
    port = int(os.environ.get("PORT") or 8080)
    sandbox_port = int(os.environ.get("SANDBOX_PORT") or 8765)
    env = airflow_env(HOME, fresh=False)
    settings, flags, secret = local_settings(HOME, port, date.today())
    env.update(settings)
    with sandbox(10, sandbox_port, *flags) as box:
        connection = {**json.loads(box["connection"]), "extra": {"webhook_secret": secret}}
        env["AIRFLOW_CONN_TAPTALENT_DEFAULT"] = json.dumps(connection)
        print(f"TapTalent sandbox at {box['url']} (control API: {box['url']}/__sandbox)")
        print(f"  API key {box['api_key']} (a sandbox key); its batch webhooks go to this Airflow")
        print("Connections taptalent_default (the sandbox) and taptalent_warehouse (SQLite) come from the")
        print("  environment, so the Connections page does not list them. For CLI commands beside this one:")
        print(f"  export AIRFLOW_HOME={HOME}")
        print(f"Airflow UI: http://localhost:{port}  login: admin")
        print("  password: in the first of these files that exists (Airflow writes it on first start):")
        for path in password_files(HOME):
            print(f"    {path}")
        # The metadata DB, then the webhook receipts table beside it (an explicit step: docs/howto/webhooks.md)
        subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
        receipts = [str(BIN / "python"), "-m", "airflow_provider_taptalent.webhooks.receipts", "create"]
        subprocess.run(receipts, env=env, check=True)
        print("Starting airflow standalone (Ctrl-C stops both) ...", flush=True)
        try:
            return subprocess.call([str(BIN / "airflow"), "standalone"], env=env)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
