"""The distributions a user installs: built from this checkout (`make dist` builds them into `dist/`), their
contents, and the wheel installed, not editable, into a fresh environment where Airflow finds the provider
and an example DAG runs against the sandbox the wheel ships.

Run by `make dist`; skipped when `dist/` holds no wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from airflow_provider_taptalent import __version__
from tests.conftest import REPO

DIST = REPO / "dist"
WHEELS = sorted(DIST.glob("airflow_provider_taptalent-*.whl"))
pytestmark = pytest.mark.skipif(not WHEELS, reason="no wheel in dist/: run make dist")


def _wheel() -> Path:
    (wheel,) = WHEELS
    assert wheel.name.startswith(f"airflow_provider_taptalent-{__version__}-"), wheel.name
    return wheel


def test_the_wheel_holds_the_package_its_types_license_and_entry_points_and_nothing_else():
    with zipfile.ZipFile(_wheel()) as wheel:
        names = wheel.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        metadata = wheel.read(f"{info}/METADATA").decode()
    assert "airflow_provider_taptalent/py.typed" in names
    assert "airflow_provider_taptalent/client/methods.pyi" in names
    assert f"{info}/licenses/LICENSE" in names and "License-Expression: Apache-2.0" in metadata
    extras = {line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Provides-Extra:")}
    assert extras == {"sandbox", "parquet", "openlineage"}, extras  # development groups are not published
    assert "provider_info = airflow_provider_taptalent.get_provider_info:get_provider_info" in entry_points
    assert "taptalent_webhooks = airflow_provider_taptalent.webhooks.plugin:TapTalentWebhooksPlugin" in entry_points
    assert "taptalent-sandbox" in entry_points
    tops = {n.split("/")[0] for n in names}
    assert tops == {"airflow_provider_taptalent", info}, tops  # no tests, benchmarks, scripts or example DAGs


def test_the_sdist_holds_the_license_and_the_sources():
    (sdist,) = sorted(DIST.glob("airflow_provider_taptalent-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = {Path(n).relative_to(Path(n).parts[0]).as_posix() for n in archive.getnames() if "/" in n}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "airflow_provider_taptalent/py.typed"} <= names


def test_the_installed_wheel_is_found_by_airflow_and_runs_an_example_dag(tmp_path):
    """A fresh environment, the wheel (not editable) with its sandbox extra, Airflow from the pinned
    constraints: ``airflow providers list`` names the provider at this version, and the API-health example
    DAG runs green against the wheel's own sandbox."""
    env_dir, home = tmp_path / "env", tmp_path / "home"
    uv = REPO / ".tools" / "bin" / "uv"
    constraints = REPO / "constraints" / "airflow-3.3.2.txt"
    subprocess.run([str(uv), "venv", "--quiet", "--python", sys.executable, str(env_dir)], check=True)
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "-c", str(constraints), f"{_wheel()}[sandbox]"],
        check=True,
        env={**os.environ, "VIRTUAL_ENV": str(env_dir)},
        timeout=600,
    )
    bin_dir = env_dir / "bin"
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "taptalent_api_health.py").write_text((REPO / "example_dags" / "taptalent_api_health.py").read_text())
    env.update(
        {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    )
    providers = subprocess.run(
        [str(bin_dir / "airflow"), "providers", "list", "--output", "json"],
        env=env, capture_output=True, text=True, check=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    listed = {p["package_name"]: p["version"] for p in json.loads(providers.stdout)}
    assert listed.get("airflow-provider-taptalent") == __version__, listed
    script = f"""
import json, os
import airflow_provider_taptalent
assert "site-packages" in airflow_provider_taptalent.__file__, airflow_provider_taptalent.__file__
from airflow.dag_processing.dagbag import DagBag
from airflow_provider_taptalent.sandbox.testing import run_sandbox
with run_sandbox() as sandbox:
    os.environ.update(sandbox.airflow_env())
    bag = DagBag(dag_folder={str(dags)!r})
    assert not bag.import_errors, bag.import_errors
    run = bag.dags["taptalent_api_health"].test()
    print(json.dumps({{"state": str(run.state)}}))
"""
    subprocess.run([str(bin_dir / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True, cwd=tmp_path)
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["state"].endswith("success"), done.stdout[-2000:]
