"""Run DAGs down their success and failure paths, then search everything they left behind for the keys.

The runs go through `airflow dags test` in a subprocess, as a user runs them: everything they print
(task logs, tracebacks, trigger logs) is captured whole. Scanned: that output, every XCom value and every
rendered template field in the metadata DB.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import LEDGER

pytestmark = [pytest.mark.e2e, pytest.mark.reliability]
WEBHOOK_KEY = "whk_scan_SECRET_0123456789"
UNKNOWN_KEY = "sk_test_UnknownKeyUnknownKeyXY"


def dags_test(sandbox, key, dag_id, conf) -> tuple[bool, str]:
    """``airflow dags test`` with the connection in the environment; (succeeded, everything printed)."""
    conn = {"conn_type": "taptalent", "password": key, "host": sandbox.url, "extra": {"webhook_secret": WEBHOOK_KEY}}
    env = {**os.environ, "AIRFLOW_CONN_TAPTALENT_DEFAULT": json.dumps(conn)}
    airflow = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run(
        [airflow, "dags", "test", dag_id, "-c", json.dumps(conf)], env=env, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    return "DagRun Finished" in output and "state=success" in output.split("DagRun Finished")[-1], output


def database_text() -> str:
    path = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT value FROM xcom").fetchall()
        rows += db.execute("SELECT rendered_fields FROM rendered_task_instance_fields").fetchall()
    return "\n".join(str(value) for (value,) in rows)


def test_no_key_in_logs_xcoms_or_rendered_templates(airflow_db, sandbox, tmp_path):
    secrets = {
        "api key": sandbox.api_key,
        "api key body": sandbox.api_key[8:],
        "webhook key": WEBHOOK_KEY,
        "unknown key": UNKNOWN_KEY,
    }
    resumes = tmp_path / "resumes.txt"
    resumes.write_text(
        "\n".join(f"https://files.example/s/{n}.pdf" for n in range(300)) + "\nhttps://files.example/corrupt.pdf\n"
    )
    jobs = tmp_path / "jobs.json"
    jobs.write_text(
        json.dumps(
            [
                {
                    "external_id": "A1",
                    "updated_at": "2026-01-01",
                    "title": "Scanner",
                    "city": "Oslo",
                    "state": "Oslo",
                    "country": "Norway",
                }
            ]
        )
    )

    runs = [
        (
            sandbox.api_key,
            "taptalent_reliability_resumes",
            {"resume_file": str(resumes), "output_path": str(tmp_path / "c.jsonl")},
            True,
        ),
        (
            sandbox.api_key,
            "taptalent_reliability_sync",
            {"jobs": str(jobs), "state_path": str(tmp_path / "state.json")},
            True,
        ),
    ]
    bad_resumes = tmp_path / "bad.txt"
    bad_resumes.write_text("not a url\n")
    runs += [
        (
            sandbox.api_key,
            "taptalent_reliability_resumes",
            {"resume_file": str(bad_resumes), "output_path": str(tmp_path / "x.jsonl")},
            False,
        ),
        (
            UNKNOWN_KEY,
            "taptalent_reliability_sync",
            {"jobs": str(jobs), "state_path": str(tmp_path / "state2.json")},
            False,
        ),  # 401s
    ]
    outputs = []
    for key, dag_id, conf, should_succeed in runs:
        succeeded, output = dags_test(sandbox, key, dag_id, conf)
        assert succeeded is should_succeed, output[-3000:]
        outputs.append(output)
        LEDGER["runs"] += 1

    printed = "\n".join(outputs)
    assert "resume_urls line 1" in printed, printed[-2000:]
    assert "401 UNAUTHORIZED" in printed, printed[-4000:]  # the failure paths ran
    places = {"output": printed, "database": database_text()}
    leaks = [(name, place) for name, secret in secrets.items() for place, text in places.items() if secret in text]
    LEDGER["leaks"] += len(leaks)
    assert leaks == []
