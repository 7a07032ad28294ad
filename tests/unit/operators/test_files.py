"""Operators' inputs and outputs: incomplete files never published, BOMs, folders, object stores.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import pytest
import respx

from airflow_provider_taptalent.exceptions import (
    TapTalentError,
)
from tests.conftest import FAKE_API
from tests.unit.syncing import run_sync

# -- item 6: an incomplete candidates file is never published -------------------------------------------------


def test_item6_fewer_candidates_than_announced_keep_the_previous_file(sandbox_conn, sandbox, tmp_path, monkeypatch):
    """Before: the short file was moved over the good one, then the task failed."""
    from airflow_provider_taptalent.operators.taptalent import TapTalentFetchCandidatesOperator
    from tests.unit.deferral import upload
    from tests.unit.operators.test_operators import context

    batch = upload(sandbox, 30)
    sandbox.advance()
    output = tmp_path / "candidates.jsonl"
    output.write_text("yesterday's complete file\n")
    task = TapTalentFetchCandidatesOperator(task_id="f", batch_ids=batch, output_path=str(output), per_page=10)
    real_page = task._page
    monkeypatch.setattr(task, "_page", lambda batch_id, n: real_page(batch_id, n)[:-1])  # the API serves one short
    with pytest.raises(TapTalentError, match="Expected 30 candidates but read 28"):
        task.execute(context())
    assert output.read_text() == "yesterday's complete file\n"
    assert not list(tmp_path.glob("*.partial"))


# -- item 11: files and outputs ------------------------------------------------------------------------------


def test_item11_a_csv_saved_by_excel_with_a_byte_order_mark_is_read(sandbox_conn, sandbox, tmp_path):
    """Before: the BOM glued itself to the first column name, and every record failed 'no external id'."""
    export = tmp_path / "jobs.csv"
    export.write_bytes(
        "\ufeffexternal_id,updated_at,title,city,state,country\r\n"
        "ATS-1,2026-01-01T00:00:00Z,Data Engineer,Berlin,Berlin,Germany\r\n".encode()
    )
    assert run_sync(str(export), tmp_path / "s.json")["created"] == 1


def test_item11_a_fetch_output_path_that_is_a_folder_fails_before_any_request(sandbox_conn, sandbox, tmp_path):
    from airflow_provider_taptalent.operators.taptalent import TapTalentFetchCandidatesOperator
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed
    from tests.unit.operators.test_operators import context

    before = len(sandbox.requests())
    with pytest.raises(TapTalentTaskFailed, match="output_path") as raised:
        TapTalentFetchCandidatesOperator(task_id="f", batch_ids=["b"], output_path=str(tmp_path)).execute(context())
    assert "is a folder" in raised.value.details["output_path"]
    assert len(sandbox.requests()) == before


@pytest.mark.parametrize("field", ["state_path", "jobs"])
def test_item11_an_object_store_without_its_filesystem_names_the_field_and_is_not_retried(fake_conn, field):
    """Before: ``ValueError: No filesystem registered for scheme s3`` (retried, no field named)."""
    pytest.importorskip("airflow")
    try:
        import s3fs  # noqa: F401

        pytest.skip("s3fs is installed here")
    except ImportError:
        pass
    from airflow_provider_taptalent.utils.failures import TapTalentTaskFailed

    args = {"jobs": [], "state_path": "/tmp/unused-state.json", field: "s3://bucket/key.json"}
    with respx.mock(base_url=FAKE_API, assert_all_called=False) as mock, pytest.raises(TapTalentTaskFailed) as raised:
        run_sync(args["jobs"], args["state_path"])
    assert field in raised.value.details and "s3" in raised.value.details[field]
    assert not mock.calls
