"""The sandbox's control API and its listening address.

Regression tests from the attack rounds: each failed before its fix.
"""

from __future__ import annotations

import json

import httpx
import pytest

# -- item 14: the sandbox's control API and its listening address ------------------------------------------------


def test_item14_the_control_api_refuses_cross_site_requests(sandbox):
    """Before: a page on any site could POST text/plain to /__sandbox/reset (a 'simple' request, no preflight)."""
    root = f"{sandbox.url}/__sandbox"
    forged = httpx.post(
        f"{root}/keys",
        content=b'{"key": "sk_test_Forged0000000000000000", "companyId": 1}',
        headers={"Content-Type": "text/plain"},
    )
    assert forged.status_code == 415
    other_site = httpx.post(f"{root}/reset", headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403
    assert "sk_test_Forged0000000000000000" not in json.dumps(sandbox.control.get("/config").json())
    assert httpx.post(f"{root}/reset").status_code == 200  # a script (no Origin) still steers it
    assert httpx.patch(f"{root}/faults", json={"rate_5xx": 0}).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5"])
def test_item14_the_sandbox_cli_refuses_a_public_address_without_allow_remote(host, capsys):
    from airflow_provider_taptalent.sandbox import cli

    with pytest.raises(SystemExit) as exited:
        cli.main(["--host", host, "--port", "1"])
    assert exited.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert cli.is_loopback("127.0.0.1") and cli.is_loopback("::1") and cli.is_loopback("localhost")


# -- the sandbox's clock --------------------------------------------------------------------------------------


def test_time_passed_on_the_sandboxs_clock_moves_its_times_batches_and_date(sandbox):
    import email.utils

    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    created = httpx.post(
        f"{sandbox.api_url}/jobs",
        json={"title": "Clock", "city": "Berlin", "state": "BE", "country": "Germany"},
        headers=headers,
    )
    job = created.json()
    batch = httpx.post(
        f"{sandbox.api_url}/candidates/bulk/resume", json={"resumeURLs": ["https://f.example/a.pdf"]}, headers=headers
    ).json()["data"]["batchId"]
    sandbox.pass_time(3600)
    edited = httpx.patch(f"{sandbox.api_url}/jobs/{job['id']}", json={"title": "Later"}, headers=headers)
    assert edited.json()["updatedAt"] - job["updatedAt"] >= 3600
    answer_date = email.utils.parsedate_to_datetime(edited.headers["date"]).timestamp()
    assert answer_date - job["updatedAt"] >= 3600
    status = httpx.get(f"{sandbox.api_url}/candidates/batch/{batch}", headers=headers).json()["data"]
    assert status["status"] in ("COMPLETED", "FAILED")  # its 0.5 s are long over on the sandbox's clock


@pytest.mark.parametrize("seconds", [-1, "1", None, True, float("nan")])
def test_the_sandboxs_clock_never_goes_back_nor_takes_what_is_not_a_number(sandbox, seconds):
    body = json.dumps({"seconds": seconds}).encode()  # NaN as JSON's NaN
    answer = sandbox.control.post("/clock/advance", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"seconds": "a number of seconds, 0 or more"}
