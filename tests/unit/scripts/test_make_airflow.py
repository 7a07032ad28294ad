"""make airflow: any port, the login printed, every example DAG runnable.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import contextlib
import json

# -- items 15 and 16: make airflow on any port, with the login printed -------------------------------------------


def _standalone_module():
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("standalone", REPO / "scripts" / "standalone.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_item15_one_port_setting_moves_the_server_and_the_tasks_execution_api(monkeypatch):
    """Before: AIRFLOW__API__PORT alone left the execution API on 8080, and every task failed."""
    import subprocess
    import sys
    from pathlib import Path

    settings = _standalone_module().port_settings(8091)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    airflow = Path(sys.executable).with_name("airflow")
    read = subprocess.run(
        [str(airflow), "config", "get-value", "core", "execution_api_server_url"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert read.stdout.strip().splitlines()[-1] == "http://localhost:8091/execution/"  # (3.0 logs before it)
    assert settings["AIRFLOW__API__PORT"] == settings["AIRFLOW__WEBSERVER__WEB_SERVER_PORT"] == "8091"


def test_item16_make_airflow_says_where_the_login_and_password_are(tmp_path, monkeypatch, capsys):
    """Run the script's main() with the sandbox and airflow standalone stood in for: what it prints at start."""

    module = _standalone_module()
    started: list = []

    @contextlib.contextmanager
    def fake_sandbox(*args):
        started.append(args)
        yield {"url": "http://127.0.0.1:8766", "api_key": "sk_test_x", "connection": '{"conn_type": "taptalent"}'}

    monkeypatch.setattr(module, "sandbox", fake_sandbox)
    monkeypatch.setattr(module, "HOME", tmp_path)
    monkeypatch.setattr(module, "airflow_env", lambda home, fresh: {})
    monkeypatch.setattr(module.subprocess, "call", lambda command, env: started.append(env) or 0)
    prepared: list[list[str]] = []
    monkeypatch.setattr(module.subprocess, "run", lambda command, **options: prepared.append(command[-3:]))
    monkeypatch.setenv("PORT", "8091")
    monkeypatch.setenv("SANDBOX_PORT", "8766")
    assert module.main() == 0
    out = capsys.readouterr().out
    assert "http://localhost:8091  login: admin" in out
    assert str(tmp_path / "simple_auth_manager_passwords.json.generated") in out
    assert str(tmp_path / "standalone_admin_password.txt") in out
    assert started[0][:2] == (10, 8766) and started[1]["AIRFLOW__API__PORT"] == "8091"
    assert f"export AIRFLOW_HOME={tmp_path}" in out and "API key sk_test_x" in out  # review 2026-12-02 #31
    # the metadata DB migrated, then the webhook receipts table created beside it, before standalone starts
    assert [c[-2:] for c in prepared] == [["db", "migrate"], ["airflow_provider_taptalent.webhooks.receipts", "create"]]


def test_make_airflow_runs_every_example_dag_with_what_it_needs(tmp_path):
    """Review 2026-12-02 #28, #32: the warehouse connection, a sandbox history from the export's first day
    (three days back on the first start: three catch-up runs, not a month), webhooks wired to the receiver."""
    from datetime import date

    module = _standalone_module()
    env, flags, secret = module.local_settings(tmp_path, 8091, date(2026, 12, 3))
    assert env["TAPTALENT_EXPORT_START"] == "2026-11-30"
    assert json.loads(env["AIRFLOW_CONN_TAPTALENT_WAREHOUSE"]) == {
        "conn_type": "sqlite",
        "host": str(tmp_path / "warehouse.db"),
    }
    assert flags[:2] == ["--history-days", "4"]
    assert flags[2:] == ["--webhook-url", "http://localhost:8091/taptalent/webhooks/taptalent_default",
                         "--webhook-key", secret]  # fmt: skip
    later, flags_later, secret_later = module.local_settings(tmp_path, 8091, date(2026, 12, 10))
    assert later["TAPTALENT_EXPORT_START"] == "2026-11-30" and flags_later[1] == "11"  # kept, history grows
    assert secret_later == secret and len(secret) >= 24
