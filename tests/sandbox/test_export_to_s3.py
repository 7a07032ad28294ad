"""The export into an S3-compatible store: moto's server in its own process, reached through s3fs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from airflow_provider_taptalent.operators.taptalent import TapTalentExportOperator
from airflow_provider_taptalent.sandbox.cli import free_port
from airflow_provider_taptalent.sandbox.history import History
from airflow_provider_taptalent.sandbox.testing import run_sandbox
from tests.unit.operators.test_operators import context

s3fs = pytest.importorskip("s3fs")
pytest.importorskip("moto.server")
BUCKET = "lake"


@pytest.fixture(scope="module")
def s3() -> Iterator[object]:
    """moto's S3 server on 127.0.0.1, which every S3 client of this process reaches (as AWS_ENDPOINT_URL)."""
    try:
        from airflow.sdk.io import attach
    except ImportError:  # Airflow 2
        from airflow.io import attach

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        settings = {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        saved = {name: os.environ.get(name) for name in settings}
        os.environ.update(settings)
        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.call_s3("create_bucket", Bucket=BUCKET)
        attach("s3", fs=fs)  # what the Amazon provider registers, without it
        yield fs
    finally:
        for name, value in locals().get("saved", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def history(monkeypatch):
    with run_sandbox(history=History(days=2, jobs_per_day=10, candidates_per_day=250)) as server:
        for name, value in server.airflow_env().items():
            monkeypatch.setenv(name, value)
        yield server


def test_an_export_lands_whole_in_s3(s3, history):
    result = TapTalentExportOperator(
        task_id="export", resource="candidates", output_path=f"s3://{BUCKET}/taptalent/candidates.jsonl", per_page=40
    ).execute(context())
    assert result["count"] == 500
    lines = s3.cat_file(f"{BUCKET}/taptalent/candidates.jsonl").decode().splitlines()
    assert len(lines) == 500 and len({json.loads(line)["id"] for line in lines}) == 500
    assert s3.ls(f"{BUCKET}/taptalent") == [f"{BUCKET}/taptalent/candidates.jsonl"]  # no .partial left


def test_a_failed_export_leaves_the_previous_object_in_s3(s3, history, waits):
    path = f"s3://{BUCKET}/taptalent/jobs.jsonl"
    TapTalentExportOperator(task_id="export", resource="jobs", output_path=path).execute(context())
    before = s3.cat_file(f"{BUCKET}/taptalent/jobs.jsonl")
    history.set_faults(rate_5xx=1.0)
    with pytest.raises(Exception):  # noqa: B017,PT011 (whatever the API's failure becomes)
        TapTalentExportOperator(task_id="export", resource="jobs", output_path=path, per_page=10, retries=0).execute(
            context()
        )
    assert s3.cat_file(f"{BUCKET}/taptalent/jobs.jsonl") == before
    assert not [name for name in s3.ls(f"{BUCKET}/taptalent") if name.endswith(".partial")]  # none left
