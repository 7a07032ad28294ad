"""`make demo`: the sandbox, Airflow on SQLite, and three example DAGs (the resume pipeline, the ATS sync, the daily
export), end to end.

1. a throwaway AIRFLOW_HOME in .airflow-demo/ and a migrated SQLite database;
2. the TapTalent sandbox in the background, and the taptalent_default connection pointing at it;
3. `airflow connections test`, then the ATS job sync twice (the second run must change nothing);
4. the resume pipeline: create a job, upload 300 resumes in 3 batches, wait deferred, fetch, report;
5. the daily export, for the two days before today, against a second sandbox that has three days of
   history: files per day in demo-output/lake/, tables in demo-output/warehouse.db.
The sandboxes are stopped whatever happens. Outputs land in demo-output/.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local import BIN, REPO, airflow_env, sandbox

HOME = REPO / ".airflow-demo"
OUTPUT = REPO / "demo-output"
SYNC_LINE = re.compile(
    r"Job sync: (?P<created>\d+) created, (?P<updated>\d+) updated, (?P<unchanged>\d+) unchanged, "
    r"(?P<conflicts>\d+) conflicts, (?P<failed>\d+) failed, (?P<drifted>\d+) drifted"
)
REPORT_LINE = re.compile(r"TAPTALENT REPORT (\{.*\})")
EXPORT_LINE = re.compile(r"Exported ([\d,]+) (jobs|candidates) to \S+ \(([\d,]+) read")
#: task log lines shown while a command runs, so that a wait is never silent
PROGRESS_LINE = re.compile(
    r"(Waiting for TapTalent batches: .*?files processed|TapTalent batches: .*?files processed"
    r"|Batch \d+/\d+ accepted: .*?(?= \[|$)|Fetched [\d,]+ / [\d,]+ candidates)"
)


class DemoFailed(Exception):
    pass


def step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.monotonic()


def airflow(env: dict[str, str], *args: str) -> str:
    """Run an airflow command, printing its progress lines as they come; on failure show the end of its
    output and stop the demo."""
    process = subprocess.Popen(
        [str(BIN / "airflow"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        shown = PROGRESS_LINE.search(line)
        if shown:
            print(f"   ... {shown.group(1)}", flush=True)
    returncode = process.wait()
    output = "".join(lines)
    failed_run = "state=failed" in output or ("DagRun Finished" in output and "state=success" not in output)
    if returncode != 0 or failed_run:
        print("\n".join(output.splitlines()[-60:]))
        raise DemoFailed(f"`airflow {' '.join(args[:3])}` failed (exit code {returncode})")
    return output


def sync_counts(output: str) -> dict[str, int]:
    match = SYNC_LINE.search(output)
    if not match:
        raise DemoFailed("the sync did not report its counts")
    return {name: int(value) for name, value in match.groupdict().items()}


def warehouse_counts() -> dict[str, int]:
    with sqlite3.connect(OUTPUT / "warehouse.db") as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 (our table names)
            for table in ("taptalent_jobs", "taptalent_candidates")
        }


def daily_export(env: dict[str, str]) -> dict[str, dict[str, int]]:
    """The daily export for the two days before today, from a sandbox with three days of history."""
    lake, warehouse = OUTPUT / "lake", OUTPUT / "warehouse.db"
    shutil.rmtree(lake, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    export_env = {
        **env,
        "TAPTALENT_LAKE": lake.resolve().as_uri(),
        "AIRFLOW_CONN_TAPTALENT_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse.resolve())}),
    }
    today = time.strftime("%Y-%m-%d", time.gmtime())
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    results: dict[str, dict[str, int]] = {}
    with sandbox(3, None, "--history-days", "3") as box:
        export_env["AIRFLOW_CONN_TAPTALENT_DEFAULT"] = box["connection"]
        for logical_date in (yesterday, today):  # each run exports the day before its logical date
            t = step(f"taptalent_daily_export, run of {logical_date}: the day before, into files and tables")
            output = airflow(export_env, "dags", "test", "taptalent_daily_export", logical_date)
            counts = dict(sorted((kind, int(n.replace(",", ""))) for n, kind, _ in EXPORT_LINE.findall(output)))
            day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(logical_date, "%Y-%m-%d")) - 86400))
            results[day] = counts
            print(f"   {counts}  ({time.monotonic() - t:.0f} s)")
            if set(counts) != {"jobs", "candidates"} or not all(counts.values()):
                raise DemoFailed(f"the export of {day} found nothing: {counts}")
    return results


def main() -> int:
    started = time.monotonic()
    OUTPUT.mkdir(exist_ok=True)
    state_path, candidates = OUTPUT / "ats-job-sync-state.json", OUTPUT / "candidates.jsonl"
    for old in (state_path, candidates):
        old.unlink(missing_ok=True)
    env = airflow_env(HOME, fresh=True)

    t = step("Airflow on SQLite in .airflow-demo/")
    airflow(env, "db", "migrate")
    print(f"   database migrated ({time.monotonic() - t:.0f} s)")

    t = step("TapTalent sandbox")
    with sandbox(batch_seconds=3) as box:
        env["AIRFLOW_CONN_TAPTALENT_DEFAULT"] = box["connection"]
        print(f"   {box['url']}/v1/partner, key {box['api_key'][:12]}..., batches take 3 s")
        print("   " + airflow(env, "connections", "test", "taptalent_default").strip().splitlines()[-1])

        conf = json.dumps({"state_path": str(state_path)})
        t = step("taptalent_ats_job_sync, first run: the 12 jobs of example_dags/data/ats_jobs.json")
        first = sync_counts(airflow(env, "dags", "test", "taptalent_ats_job_sync", "-c", conf))
        print(f"   {first}  ({time.monotonic() - t:.0f} s)")
        t = step("taptalent_ats_job_sync, second run: nothing changed in the ATS")
        second = sync_counts(airflow(env, "dags", "test", "taptalent_ats_job_sync", "-c", conf))
        print(f"   {second}  ({time.monotonic() - t:.0f} s)")
        if first["created"] != 12 or second["created"] or second["updated"] or second["unchanged"] != 12:
            raise DemoFailed(f"the second sync should change nothing: {second}")

        t = step("taptalent_resume_pipeline: 300 resumes, 100 a batch, deferred wait, fetch")
        output = airflow(
            env, "dags", "test", "taptalent_resume_pipeline", "-c", json.dumps({"output_path": str(candidates)})
        )
        match = REPORT_LINE.search(output)
        if not match:
            raise DemoFailed("the pipeline did not print its report")
        report: dict[str, Any] = ast.literal_eval(match.group(1))
        print(f"   ({time.monotonic() - t:.0f} s)")

        exported = daily_export(env)

    lines = sum(1 for _ in candidates.open()) if candidates.exists() else 0
    if lines != report["succeeded"] or report["candidates_written"] != lines:
        raise DemoFailed(f"{lines} candidates written, but {report['succeeded']} resumes parsed")
    print("\n== Report")
    print(f"   batches            {report['batches']}")
    print(f"   files              {report['files']}")
    print(f"   succeeded          {report['succeeded']}")
    print(f"   failed             {report['failed']}  {report['failure_reasons']}")
    print(f"   candidates written {report['candidates_written']}")
    print(f"   output             {report['output_path']}")
    print(f"   sync state         {state_path}")
    for day, counts in exported.items():
        print(f"   export {day}  {counts}")
    print(f"   warehouse          {OUTPUT / 'warehouse.db'}: {warehouse_counts()}")
    print(f"   Airflow home       {HOME} (logs under logs/)")
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DemoFailed as error:
        print(f"\nDEMO FAILED: {error}", file=sys.stderr)
        sys.exit(1)
