"""The resume pipeline as users run it: dag.test() against the sandbox, with the sensor deferred."""

from __future__ import annotations

import json

import pytest

from tests.e2e.helpers import run_dag, task_states

pytestmark = [pytest.mark.e2e]


@pytest.mark.smoke
def test_upload_1200_resumes_wait_deferred_and_fetch_every_candidate(airflow_db, sandbox_conn, sandbox, tmp_path):
    urls = [f"https://files.example/resumes/{n}.pdf" for n in range(1180)]
    urls += [f"https://files.example/resumes/corrupt-{n}.pdf" for n in range(20)]
    resume_file = tmp_path / "resumes.txt"
    resume_file.write_text("\n".join(urls))
    output = tmp_path / "out" / "candidates.jsonl"

    run = run_dag("taptalent_e2e_resume_pipeline", {"resume_file": str(resume_file), "output_path": str(output)})

    assert task_states(run) == {
        "create_job": "success",
        "upload_resumes": "success",
        "wait_for_parsing": "success",
        "fetch_candidates": "success",
    }
    state = sandbox.state()["companies"]["1"]
    assert len(state["jobs"]) == 1
    assert sorted(b["fileCount"] for b in state["batches"]) == [200, 500, 500]
    success = sum(b["successCount"] for b in state["batches"])
    assert success == 1180
    lines = output.read_text().splitlines()
    assert len(lines) == success
    assert {json.loads(line)["resume"] for line in lines} == set(urls[:1180])


def test_the_airflow_cli_sees_the_provider_and_tests_the_connection(airflow_db, sandbox_conn):
    import os
    import subprocess
    import sys
    from pathlib import Path

    airflow = str(Path(sys.executable).with_name("airflow"))
    env = os.environ.copy()
    providers = subprocess.run([airflow, "providers", "list"], env=env, capture_output=True, text=True, check=True)
    assert "airflow-provider-taptalent" in providers.stdout
    hooks = subprocess.run([airflow, "providers", "hooks"], env=env, capture_output=True, text=True, check=True)
    assert "taptalent" in hooks.stdout and "TapTalentHook" in hooks.stdout
    tested = subprocess.run(
        [airflow, "connections", "test", "taptalent_default"], env=env, capture_output=True, text=True
    )
    assert "Connection success!" in tested.stdout, tested.stdout + tested.stderr


def test_the_readme_says_what_airflow_connections_test_prints(airflow_db, sandbox_conn, monkeypatch):
    """Hardening 20: the README promised the environment and URL; Airflow's CLI prints them only on failure."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import REPO

    airflow = str(Path(sys.executable).with_name("airflow"))
    readme = (REPO / "docs" / "connection.md").read_text()  # where the README's connection section went
    assert "prints `Connection success!`" in readme
    monkeypatch.setenv(
        "AIRFLOW_CONN_TAPTALENT_BROKEN", '{"conn_type": "taptalent", "password": "sk_test_AbCdEfGhIjKlMnOpQrStUv", '
        '"host": "http://127.0.0.1:1"}'
    )  # fmt: skip
    failed = subprocess.run(
        [airflow, "connections", "test", "taptalent_broken"], env=os.environ.copy(), capture_output=True, text=True
    )
    assert failed.returncode == 1 and "Connection failed!" in failed.stdout
    assert "TapTalentConnectionError" in failed.stdout  # the hook's message: what and where
