"""The webhook receipts table beside Airflow's own: created by its explicit command, left alone by
``airflow db migrate``, ``db clean`` and ``db reset`` (as the README says), kept bounded by ``prune``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from airflow_provider_taptalent.webhooks.recorders import RECEIPTS_TABLE

pytestmark = pytest.mark.e2e
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def test_the_receipts_table_beside_airflows_own_database_commands(tmp_path):
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
    }

    def run(*command: str) -> str:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done.stdout

    def receipts(*args: str) -> str:
        return run(sys.executable, "-m", "airflow_provider_taptalent.webhooks.receipts", *args).strip()

    def rows() -> list[str] | None:
        with sqlite3.connect(tmp_path / "airflow.db") as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (RECEIPTS_TABLE,)).fetchone():
                return None
            return sorted(r[0] for r in db.execute(f"SELECT batch_id FROM {RECEIPTS_TABLE}"))  # noqa: S608

    run(AIRFLOW, "db", "migrate")
    assert rows() is None  # Airflow's migrations do not make it
    assert receipts("create") == f"{RECEIPTS_TABLE}: created"
    assert receipts("create") == f"{RECEIPTS_TABLE}: already there"  # idempotent
    now = datetime.now(timezone.utc)
    with sqlite3.connect(tmp_path / "airflow.db") as db:
        for batch, when in (("old", now - timedelta(days=8)), ("new", now - timedelta(hours=1))):
            db.execute(
                f"INSERT INTO {RECEIPTS_TABLE} VALUES (?, ?, ?, ?)",  # noqa: S608
                ("taptalent_default", "resume.bulk_upload_parse.completed", batch, when.isoformat(" ")),
            )
    run(AIRFLOW, "db", "clean", "--clean-before-timestamp", now.isoformat(), "--yes", "--skip-archive")
    assert rows() == ["new", "old"]  # db clean does not prune it: prune does
    run(AIRFLOW, "db", "migrate")
    assert rows() == ["new", "old"]
    assert receipts("prune") == f"{RECEIPTS_TABLE}: 1 receipt(s) deleted"
    assert rows() == ["new"]
    run(AIRFLOW, "db", "reset", "--yes")
    assert rows() == ["new"]  # kept by a reset: drop and create it after one
    assert receipts("drop") == f"{RECEIPTS_TABLE}: dropped"
    assert rows() is None
    assert receipts("create") == f"{RECEIPTS_TABLE}: created"
    assert rows() == []
