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
